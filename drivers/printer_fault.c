/* Test double: wraps any printer and fails the Nth call of one operation
 * (sqlite src/test_vfs.c does the same for files). Calls that do not fail go
 * to the wrapped printer unchanged, so tests run the real driver against the
 * real peer and see exactly one injected failure where they asked for it.
 *
 * Invariants: counters count every call of each operation, failed ones
 * included; the wrapper owns the inner printer and frees it. */
#include "drivers/printer.h"
#include "drivers/printer_internal.h"

#include <stdlib.h>

struct fault_impl {
        struct drv_printer *inner; /* owned */
        enum drv_printer_op op;
        unsigned nth;
        int error;
        bool sticky;
        unsigned calls[_DRV_PRINTER_OP_MAX];
};

/* Count a call of OP; true if it must fail. */
static bool hit(struct fault_impl *f, enum drv_printer_op op)
{
        unsigned n = ++f->calls[op];
        if (op != f->op)
                return false;
        return f->sticky ? n >= f->nth : n == f->nth;
}

static int injected(struct fault_impl *f, enum drv_printer_op op, struct drv_errbuf *err)
{
        return drv_fail(err, f->error, "fault injected: call %u of operation %d", f->calls[op],
                        (int)op);
}

static int fault_list(void *impl, struct drv_printer_status *ret, size_t max, size_t *ret_n,
                      struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_LIST))
                return injected(f, DRV_PRINTER_OP_LIST, err);
        return drv_printer_list(f->inner, ret, max, ret_n, err);
}

static int fault_status(void *impl, const char *queue, struct drv_printer_status *ret,
                        struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_STATUS))
                return injected(f, DRV_PRINTER_OP_STATUS, err);
        return drv_printer_status(f->inner, queue, ret, err);
}

static int fault_submit(void *impl, const struct drv_print_spec *spec, int *ret_job_id,
                        struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_SUBMIT))
                return injected(f, DRV_PRINTER_OP_SUBMIT, err);
        return drv_printer_submit(f->inner, spec, ret_job_id, err);
}

static int fault_job_status(void *impl, int job_id, struct drv_job_status *ret,
                            struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_JOB_STATUS))
                return injected(f, DRV_PRINTER_OP_JOB_STATUS, err);
        return drv_printer_job_status(f->inner, job_id, ret, err);
}

static int fault_find_job(void *impl, const char *job_uuid, size_t page_size,
                          struct drv_job_status *ret, struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_FIND_JOB))
                return injected(f, DRV_PRINTER_OP_FIND_JOB, err);
        return drv_printer_find_job(f->inner, job_uuid, page_size, ret, err);
}

static int fault_cancel(void *impl, int job_id, struct drv_errbuf *err)
{
        struct fault_impl *f = impl;
        if (hit(f, DRV_PRINTER_OP_CANCEL))
                return injected(f, DRV_PRINTER_OP_CANCEL, err);
        return drv_printer_cancel(f->inner, job_id, err);
}

static void fault_free(void *impl)
{
        struct fault_impl *f = impl;
        if (!f)
                return;
        drv_printer_free(f->inner);
        free(f);
}

static const struct drv_printer_ops fault_ops = {
        .name = "fault",
        .list = fault_list,
        .status = fault_status,
        .submit = fault_submit,
        .job_status = fault_job_status,
        .find_job = fault_find_job,
        .cancel = fault_cancel,
        .free = fault_free,
};

int drv_printer_fault_new(struct drv_printer *inner, enum drv_printer_op op, unsigned nth,
                          int error, bool sticky, struct drv_printer **ret,
                          struct drv_errbuf *err)
{
        if (!inner || (unsigned)op >= _DRV_PRINTER_OP_MAX || nth == 0 || error >= 0 ||
            error <= _DRV_E_MIN || !ret) {
                drv_printer_free(inner);
                return drv_fail(err, DRV_E_INVALID, "fault printer: bad arguments");
        }
        struct fault_impl *f = calloc(1, sizeof(*f));
        if (!f) {
                drv_printer_free(inner);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        f->inner = inner;
        f->op = op;
        f->nth = nth;
        f->error = error;
        f->sticky = sticky;
        return drv_printer_new(&fault_ops, f, ret, err);
}

unsigned drv_printer_fault_calls(const struct drv_printer *p, enum drv_printer_op op)
{
        if (!p || drv_printer_ops_of(p) != &fault_ops || (unsigned)op >= _DRV_PRINTER_OP_MAX)
                return 0;
        const struct fault_impl *f = drv_printer_impl_of(p);
        return f->calls[op];
}
