/* Helpers shared by the order verbs (order, orders, print, recover, reprint,
 * collect, cancel), implemented in ctl/order.c: opening the order store from the
 * global options, the order as JSON, and the exit code of an app_order error. */
#pragma once
#include "app/ctl/ctl.h"
#include "app/orders.h"
#include "app/print_queue.h"

/* Open --data/--config; prints the reason and returns NULL on failure. */
struct app_orders *octl_open(const struct ctl_ctx *ctx, const char *verb);
/* The order with items, jobs and, for failed orders, the staff reason. (new ref) */
json_t *octl_order_json(struct app_orders *o, const struct store_order *ord);
/* A print pass summary. (new ref) */
json_t *octl_summary_json(const struct app_print_summary *s);
/* 0 -> 0; refused input, failed print, wrong state, unknown order -> 1; else 2. */
int octl_exit(int app_rc);
/* "staff:<id>" from --staff ID into out (size 48); false when ID is not valid. */
bool octl_staff_actor(const char *id, char out[48]);
