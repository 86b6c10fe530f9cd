/* The printer handle (ops + implementation state), the public wrappers that
 * check arguments before calling an implementation, and the pure job verdict.
 *
 * Invariants: a struct drv_printer always has every operation; wrappers never
 * call an implementation with NULL out-parameters; ret_* are written only on
 * success (implementations fill a local copy first). */
#include "drivers/printer.h"
#include "drivers/printer_internal.h"

#include <stdlib.h>
#include <string.h>

struct drv_printer {
        const struct drv_printer_ops *ops;
        void *impl; /* owned; released with ops->free */
};

int drv_printer_new(const struct drv_printer_ops *ops, void *impl, struct drv_printer **ret,
                    struct drv_errbuf *err)
{
        if (!ops || !ops->list || !ops->status || !ops->submit || !ops->job_status ||
            !ops->find_job || !ops->cancel || !ops->free || !ret) {
                if (ops && ops->free)
                        ops->free(impl);
                return drv_fail(err, DRV_E_INVALID, "printer driver lacks an operation");
        }
        struct drv_printer *p = calloc(1, sizeof(*p));
        if (!p) {
                ops->free(impl);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        p->ops = ops;
        p->impl = impl;
        *ret = p;
        return 0;
}

struct drv_printer *drv_printer_free(struct drv_printer *p)
{
        if (!p)
                return NULL;
        p->ops->free(p->impl);
        free(p);
        return NULL;
}

const char *drv_printer_impl_name(const struct drv_printer *p)
{
        return p && p->ops->name ? p->ops->name : "";
}

const struct drv_printer_ops *drv_printer_ops_of(const struct drv_printer *p)
{
        return p ? p->ops : NULL;
}

void *drv_printer_impl_of(const struct drv_printer *p)
{
        return p ? p->impl : NULL;
}

int drv_printer_list(struct drv_printer *p, struct drv_printer_status *ret, size_t max,
                     size_t *ret_n, struct drv_errbuf *err)
{
        if (!p || !ret || !ret_n || max == 0)
                return drv_fail(err, DRV_E_INVALID, "printer list: bad arguments");
        return p->ops->list(p->impl, ret, max, ret_n, err);
}

int drv_printer_status(struct drv_printer *p, const char *queue, struct drv_printer_status *ret,
                       struct drv_errbuf *err)
{
        if (!p || !queue || !*queue || !ret || strlen(queue) >= DRV_PRINTER_NAME_MAX)
                return drv_fail(err, DRV_E_INVALID, "printer status: bad arguments");
        return p->ops->status(p->impl, queue, ret, err);
}

int drv_printer_submit(struct drv_printer *p, const struct drv_print_spec *spec, int *ret_job_id,
                       struct drv_errbuf *err)
{
        if (!p || !spec || !ret_job_id)
                return drv_fail(err, DRV_E_INVALID, "printer submit: bad arguments");
        return p->ops->submit(p->impl, spec, ret_job_id, err);
}

int drv_printer_job_status(struct drv_printer *p, int job_id, struct drv_job_status *ret,
                           struct drv_errbuf *err)
{
        if (!p || job_id <= 0 || !ret)
                return drv_fail(err, DRV_E_INVALID, "job status: bad arguments");
        return p->ops->job_status(p->impl, job_id, ret, err);
}

int drv_printer_find_job(struct drv_printer *p, const char *job_uuid, size_t page_size,
                         struct drv_job_status *ret, struct drv_errbuf *err)
{
        if (!p || !job_uuid || !ret || strlen(job_uuid) >= DRV_JOB_UUID_MAX ||
            page_size > DRV_JOBS_PAGE_MAX)
                return drv_fail(err, DRV_E_INVALID, "find job: bad arguments");
        return p->ops->find_job(p->impl, job_uuid, page_size ? page_size : DRV_JOBS_PAGE_MAX,
                                ret, err);
}

int drv_printer_cancel(struct drv_printer *p, int job_id, struct drv_errbuf *err)
{
        if (!p || job_id <= 0)
                return drv_fail(err, DRV_E_INVALID, "cancel: bad arguments");
        return p->ops->cancel(p->impl, job_id, err);
}

static void set_reason(char *reason, const char *kw)
{
        if (!reason)
                return;
        char tmp[DRV_REASON_KEYWORD_MAX];
        drv_reason_strip(kw, tmp, sizeof(tmp));
        memcpy(reason, tmp, sizeof(tmp));
}

/* Job-state-reasons that mean "someone has to do something" while not final. */
static const char *const job_blocking_reasons[] = {
        "job-hold-until-specified", "job-held-for-review", "job-held-by-user",
        "printer-stopped",          "document-format-error", "resources-are-not-ready",
};

enum drv_job_verdict drv_job_verdict(const struct drv_job_status *job,
                                     const struct drv_printer_status *status, char *reason)
{
        set_reason(reason, "");
        if (!job)
                return DRV_VERDICT_ACTIVE;
        switch (job->state) {
        case DRV_JOB_COMPLETED:
                return DRV_VERDICT_COMPLETED;
        case DRV_JOB_CANCELED:
                /* CUPS 2.4 reports a job the printer aborted as canceled, with
                 * no job-canceled-by-* reason ("processing-to-stop-point"):
                 * only a cancel someone asked CUPS for is a cancellation. */
                for (size_t i = 0; i < job->n_reasons && i < DRV_JOB_REASONS_MAX; i++)
                        if (!strcmp(job->reasons[i], "job-canceled-by-user") ||
                            !strcmp(job->reasons[i], "job-canceled-by-operator"))
                                return DRV_VERDICT_CANCELLED;
                set_reason(reason, "canceled-at-printer");
                return DRV_VERDICT_FAILED;
        case DRV_JOB_ABORTED:
                set_reason(reason, job->n_reasons ? job->reasons[0] : "aborted-by-system");
                return DRV_VERDICT_FAILED;
        case DRV_JOB_UNKNOWN:
        case DRV_JOB_PENDING:
        case DRV_JOB_HELD:
        case DRV_JOB_PROCESSING:
        case DRV_JOB_STOPPED:
                break;
        }

        /* Not final. A stopped queue (or a stopped job) will not print without
         * staff: failed, explained by the printer's worst reason. */
        struct drv_reason_info worst = {0};
        bool have_worst = false;
        if (status && status->n_reasons > 0) {
                const char *list[DRV_PRINTER_REASONS_MAX];
                size_t n = status->n_reasons < DRV_PRINTER_REASONS_MAX ? status->n_reasons
                                                                       : DRV_PRINTER_REASONS_MAX;
                for (size_t i = 0; i < n; i++)
                        list[i] = status->reasons[i];
                have_worst = drv_reasons_worst(list, n, NULL, &worst) == 0;
        }
        if ((status && status->state == DRV_PRINTER_STOPPED) || job->state == DRV_JOB_STOPPED) {
                set_reason(reason, have_worst && worst.severity > DRV_SEVERITY_NONE &&
                                           strcmp(worst.keyword, "unknown") != 0
                                   ? worst.keyword
                                   : "printer-stopped");
                return DRV_VERDICT_FAILED;
        }
        if (have_worst && worst.severity >= DRV_SEVERITY_ERROR) {
                set_reason(reason, strcmp(worst.keyword, "unknown") ? worst.keyword : "other");
                return DRV_VERDICT_WAITING;
        }
        if (job->state == DRV_JOB_HELD) {
                set_reason(reason, job->n_reasons ? job->reasons[0] : "job-hold-until-specified");
                return DRV_VERDICT_WAITING;
        }
        for (size_t i = 0; i < job->n_reasons && i < DRV_JOB_REASONS_MAX; i++)
                for (size_t k = 0; k < sizeof(job_blocking_reasons) / sizeof(*job_blocking_reasons); k++)
                        if (strcmp(job->reasons[i], job_blocking_reasons[k]) == 0) {
                                set_reason(reason, job->reasons[i]);
                                return DRV_VERDICT_WAITING;
                        }
        return DRV_VERDICT_ACTIVE;
}

const char *drv_job_verdict_name(enum drv_job_verdict v)
{
        static const char *const names[] = {"active", "waiting", "completed", "cancelled",
                                            "failed"};
        return (unsigned)v < _DRV_VERDICT_MAX ? names[v] : "unknown";
}

const char *drv_job_state_name(enum drv_job_state s)
{
        static const char *const names[] = {"pending",  "pending-held", "processing",
                                            "processing-stopped", "canceled", "aborted",
                                            "completed"};
        return s >= DRV_JOB_PENDING && s <= DRV_JOB_COMPLETED ? names[s - DRV_JOB_PENDING]
                                                              : "unknown";
}

const char *drv_printer_state_name(enum drv_printer_state s)
{
        switch (s) {
        case DRV_PRINTER_IDLE:
                return "idle";
        case DRV_PRINTER_PROCESSING:
                return "processing";
        case DRV_PRINTER_STOPPED:
                return "stopped";
        case DRV_PRINTER_UNKNOWN:
                break;
        }
        return "unknown";
}
