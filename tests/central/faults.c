/* pk-central fault injection (contract, "The reference server"): a list of
 * rules replaced as a whole by --faults FILE or POST /admin/faults. For each
 * /v1/ request the first rule whose route matches and whose probability roll
 * succeeds fires; its hit count goes up and the request carries a copy of it.
 * Rolls come from a xorshift64* PRNG seeded by --seed, so a run is
 * reproducible when requests arrive in the same order. */
#include "tests/central/central.h"

#include <stdlib.h>
#include <string.h>

static const struct {
        const char *name;
        enum pc_fault_action action;
} actions[] = {
        {"drop-before", PC_FAULT_DROP_BEFORE}, {"drop-after", PC_FAULT_DROP_AFTER},
        {"status", PC_FAULT_STATUS},           {"delay", PC_FAULT_DELAY},
        {"truncate", PC_FAULT_TRUNCATE},       {"trickle", PC_FAULT_TRICKLE},
        {"garbage", PC_FAULT_GARBAGE},         {"oversize", PC_FAULT_OVERSIZE},
};

static const char *action_name(enum pc_fault_action a)
{
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
                if (actions[i].action == a)
                        return actions[i].name;
        return "none";
}

int pc_faults_set(struct pc_server *s, const json_t *list, char *msg, size_t msgsz)
{
        struct pc_fault *f = NULL;
        size_t n;

        if (pc_validate_faults(list, msg, msgsz) < 0)
                return -1;
        n = json_array_size(list);
        if (n) {
                f = calloc(n, sizeof(*f));
                if (!f)
                        return -1;
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *r = json_array_get(list, i), *v;
                const char *act = json_string_value(json_object_get(r, "action"));
                snprintf(f[i].route, sizeof(f[i].route), "%s",
                         json_string_value(json_object_get(r, "route")));
                for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++)
                        if (strcmp(act, actions[a].name) == 0)
                                f[i].action = actions[a].action;
                v = json_object_get(r, "p");
                f[i].p = v ? json_number_value(v) : 1.0;
                v = json_object_get(r, "status");
                f[i].status = v ? (int)json_integer_value(v) : 503;
                v = json_object_get(r, "retry_after");
                f[i].retry_after = v ? (int)json_integer_value(v) : -1;
                v = json_object_get(r, "ms");
                f[i].ms = v ? (int)json_integer_value(v) : 1000;
        }
        pthread_mutex_lock(&s->faults_lock);
        free(s->faults);
        s->faults = f;
        s->n_faults = n;
        pthread_mutex_unlock(&s->faults_lock);
        return 0;
}

json_t *pc_faults_list(struct pc_server *s)
{
        json_t *a = json_array();

        pthread_mutex_lock(&s->faults_lock);
        for (size_t i = 0; a && i < s->n_faults; i++) {
                const struct pc_fault *f = &s->faults[i];
                json_t *r = json_pack("{s:s, s:s, s:f, s:i, s:i, s:I}", "route", f->route, "action",
                                      action_name(f->action), "p", f->p, "ms", f->ms, "status",
                                      f->status, "hits", (json_int_t)f->hits);
                if (r && f->retry_after >= 0)
                        json_object_set_new(r, "retry_after", json_integer(f->retry_after));
                json_array_append_new(a, r);
        }
        pthread_mutex_unlock(&s->faults_lock);
        return a;
}

static double roll(struct pc_server *s)
{
        uint64_t x = s->rng;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s->rng = x;
        return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0; /* [0,1) */
}

void pc_faults_pick(struct pc_server *s, const char *method, const char *path, struct pc_fault *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->action = PC_FAULT_NONE;
        pthread_mutex_lock(&s->faults_lock);
        for (size_t i = 0; i < s->n_faults; i++) {
                struct pc_fault *f = &s->faults[i];
                if (!pc_route_match(f->route, method, path))
                        continue;
                if (f->p < 1.0 && roll(s) >= f->p)
                        continue;
                f->hits++;
                *ret = *f;
                break;
        }
        pthread_mutex_unlock(&s->faults_lock);
}
