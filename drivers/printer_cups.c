/* The CUPS printer driver: IPP requests to cupsd through libcups.
 *
 * - list/status: cupsGetDests2 + Get-Printer-Attributes per queue; for ipp/ipps
 *   queues the printer itself is asked for media-ready and markers, because
 *   cupsd reports its ReadyPaperSizes setting, not the loaded paper.
 * - submit: Create-Job built by hand (so job-uuid, job-name, media-col and the
 *   colour options are exactly ours), then Send-Document streaming the file.
 * - job_status: Get-Job-Attributes; find_job: Get-Jobs which-jobs=all paged
 *   with first-job-id (cupsd answers at most 500 jobs when job-uuid is asked);
 *   cancel: Cancel-Job.
 *
 * Invariants: one http_t per handle, opened lazily and dropped after a
 * transport error so the next call reconnects; every ipp_t is freed on every
 * path (one goto chain per function); strings from cupsd are copied with
 * bounds (snprintf) and lists are cut at the limits in printer.h. */
#include "drivers/printer.h"

#include <cups/cups.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CUPS_TIMEOUT_MS 15000       /* cupsd on the same machine answers in ms */
#define DEVICE_TIMEOUT_MS 2000      /* a printer that is off must not stall list */
#define SEND_CHUNK 65536

struct cups_impl {
        char host[256]; /* host name or domain socket path */
        int port;
        http_t *http; /* owned; NULL until first use or after a transport error */
};

static int cups_connect(struct cups_impl *c, struct drv_errbuf *err)
{
        if (c->http)
                return 0;
        c->http = httpConnect2(c->host, c->port, NULL, AF_UNSPEC, HTTP_ENCRYPTION_IF_REQUESTED, 1,
                               CUPS_TIMEOUT_MS, NULL);
        if (!c->http)
                return drv_fail(err, DRV_E_UNAVAILABLE, "cupsd at %s:%d does not answer: %s",
                                c->host, c->port, cupsLastErrorString());
        return 0;
}

/* Map the last IPP/transport error to a drv_error, with WHAT in the detail. */
static int cups_error(struct cups_impl *c, struct drv_errbuf *err, const char *what)
{
        ipp_status_t st = cupsLastError();
        int code;
        switch (st) {
        case IPP_STATUS_ERROR_NOT_FOUND:
                code = DRV_E_NOT_FOUND;
                break;
        case IPP_STATUS_ERROR_SERVICE_UNAVAILABLE:
        case IPP_STATUS_ERROR_DEVICE:
                code = DRV_E_UNAVAILABLE;
                break;
        case IPP_STATUS_ERROR_FORBIDDEN:
        case IPP_STATUS_ERROR_NOT_AUTHENTICATED:
        case IPP_STATUS_ERROR_NOT_AUTHORIZED:
        case IPP_STATUS_ERROR_CUPS_AUTHENTICATION_CANCELED:
                code = DRV_E_PERMISSION;
                break;
        case IPP_STATUS_ERROR_TIMEOUT:
                code = DRV_E_TIMEOUT;
                break;
        case IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS:
        case IPP_STATUS_ERROR_NOT_POSSIBLE:
        case IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES:
        case IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED:
        case IPP_STATUS_ERROR_BAD_REQUEST:
        case IPP_STATUS_ERROR_CONFLICTING:
        case IPP_STATUS_ERROR_DOCUMENT_ACCESS:
        case IPP_STATUS_ERROR_BUSY:
                code = DRV_E_REFUSED;
                break;
        default:
                code = DRV_E_IO;
                break;
        }
        if (code == DRV_E_UNAVAILABLE || code == DRV_E_IO) {
                /* Transport trouble: reconnect next time. */
                httpClose(c->http);
                c->http = NULL;
        }
        return drv_fail(err, code, "%s: %s (%s)", what, cupsLastErrorString(),
                        ippErrorString(st));
}

/* printer-uri for a local queue: cupsd only looks at the resource. */
static void queue_uri(char *uri, size_t size, const char *queue)
{
        httpAssembleURIf(HTTP_URI_CODING_ALL, uri, (int)size, "ipp", NULL, "localhost", 0,
                         "/printers/%s", queue);
}

static void copy_text(char *dst, size_t size, const char *src)
{
        snprintf(dst, size, "%s", src ? src : "");
}

/* Append PWG name S to a fixed list unless present; cut at MAX. */
static void list_add(char (*list)[DRV_PRINTER_MEDIA_NAME_MAX], size_t *n, size_t max,
                     const char *s, bool *truncated)
{
        if (!s || !*s)
                return;
        for (size_t i = 0; i < *n; i++)
                if (strcmp(list[i], s) == 0)
                        return;
        if (*n >= max) {
                *truncated = true;
                return;
        }
        copy_text(list[*n], DRV_PRINTER_MEDIA_NAME_MAX, s);
        (*n)++;
}

/* media-ready keywords plus the sizes of media-col-ready, as PWG names. */
static void read_media_ready(ipp_t *resp, struct drv_printer_status *st)
{
        ipp_attribute_t *a = ippFindAttribute(resp, "media-ready", IPP_TAG_ZERO);
        for (int i = 0; a && i < ippGetCount(a); i++)
                list_add(st->media_ready, &st->n_media_ready, DRV_PRINTER_MEDIA_READY_MAX,
                         ippGetString(a, i, NULL), &st->truncated);
        a = ippFindAttribute(resp, "media-col-ready", IPP_TAG_BEGIN_COLLECTION);
        for (int i = 0; a && i < ippGetCount(a); i++) {
                ipp_t *col = ippGetCollection(a, i);
                ipp_attribute_t *name = ippFindAttribute(col, "media-size-name", IPP_TAG_ZERO);
                if (name) {
                        list_add(st->media_ready, &st->n_media_ready, DRV_PRINTER_MEDIA_READY_MAX,
                                 ippGetString(name, 0, NULL), &st->truncated);
                        continue;
                }
                ipp_attribute_t *size = ippFindAttribute(col, "media-size", IPP_TAG_BEGIN_COLLECTION);
                ipp_t *sz = size ? ippGetCollection(size, 0) : NULL;
                ipp_attribute_t *x = sz ? ippFindAttribute(sz, "x-dimension", IPP_TAG_INTEGER) : NULL;
                ipp_attribute_t *y = sz ? ippFindAttribute(sz, "y-dimension", IPP_TAG_INTEGER) : NULL;
                if (!x || !y)
                        continue;
                pwg_media_t *pwg = pwgMediaForSize(ippGetInteger(x, 0), ippGetInteger(y, 0));
                if (pwg && pwg->pwg)
                        list_add(st->media_ready, &st->n_media_ready, DRV_PRINTER_MEDIA_READY_MAX,
                                 pwg->pwg, &st->truncated);
        }
}

static void read_markers(ipp_t *resp, struct drv_printer_status *st)
{
        ipp_attribute_t *names = ippFindAttribute(resp, "marker-names", IPP_TAG_ZERO);
        ipp_attribute_t *levels = ippFindAttribute(resp, "marker-levels", IPP_TAG_INTEGER);
        ipp_attribute_t *types = ippFindAttribute(resp, "marker-types", IPP_TAG_ZERO);
        int n = names ? ippGetCount(names) : 0;
        st->n_markers = 0;
        for (int i = 0; i < n; i++) {
                if (st->n_markers >= DRV_PRINTER_MARKERS_MAX) {
                        st->truncated = true;
                        break;
                }
                struct drv_printer_marker *m = &st->markers[st->n_markers++];
                copy_text(m->name, sizeof(m->name), ippGetString(names, i, NULL));
                copy_text(m->type, sizeof(m->type),
                          types && i < ippGetCount(types) ? ippGetString(types, i, NULL) : "");
                m->level = levels && i < ippGetCount(levels) ? ippGetInteger(levels, i) : -2;
                if (m->level > 100)
                        m->level = 100;
                if (m->level < -3)
                        m->level = -2;
        }
}

static const char *const queue_attrs[] = {
        "printer-name",       "printer-make-and-model", "printer-state",
        "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
        "media-supported",    "media-ready",            "media-col-ready",
        "marker-names",       "marker-levels",          "marker-types",
        "device-uri",
};

static const char *const device_attrs[] = {
        "media-ready", "media-col-ready", "marker-names", "marker-levels", "marker-types",
};

/* Ask an ipp/ipps printer directly for what is loaded. Best effort: any
 * failure leaves ST as cupsd described it. */
static void query_device(struct drv_printer_status *st)
{
        char scheme[16], user[64], host[256], resource[512];
        int port = 0;
        if (httpSeparateURI(HTTP_URI_CODING_ALL, st->device_uri, scheme, sizeof(scheme), user,
                            sizeof(user), host, sizeof(host), &port, resource,
                            sizeof(resource)) < HTTP_URI_STATUS_OK)
                return;
        bool tls = strcmp(scheme, "ipps") == 0;
        if (!tls && strcmp(scheme, "ipp") != 0)
                return;
        http_t *http = httpConnect2(host, port, NULL, AF_UNSPEC,
                                    tls ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED, 1,
                                    DEVICE_TIMEOUT_MS, NULL);
        if (!http)
                return;
        httpSetTimeout(http, DEVICE_TIMEOUT_MS / 1000.0, NULL, NULL);
        ipp_t *req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, st->device_uri);
        ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                      (int)(sizeof(device_attrs) / sizeof(*device_attrs)), NULL, device_attrs);
        ipp_t *resp = cupsDoRequest(http, req, resource);
        if (resp && ippGetStatusCode(resp) <= IPP_STATUS_OK_CONFLICTING) {
                st->n_media_ready = 0;
                read_media_ready(resp, st);
                st->media_from_device = true;
                if (st->n_markers == 0)
                        read_markers(resp, st);
        }
        ippDelete(resp);
        httpClose(http);
}

static int cups_status(void *impl, const char *queue, struct drv_printer_status *ret,
                       struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = cups_connect(c, err);
        if (r < 0)
                return r;
        struct drv_printer_status *st = calloc(1, sizeof(*st));
        if (!st)
                return drv_fail(err, DRV_E_IO, "out of memory");
        char uri[HTTP_MAX_URI];
        queue_uri(uri, sizeof(uri), queue);
        ipp_t *req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
        ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                      (int)(sizeof(queue_attrs) / sizeof(*queue_attrs)), NULL, queue_attrs);
        ipp_t *resp = cupsDoRequest(c->http, req, "/");
        if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
                char what[DRV_PRINTER_NAME_MAX + 32];
                snprintf(what, sizeof(what), "printer '%s'", queue);
                r = cups_error(c, err, what);
                goto out;
        }

        copy_text(st->name, sizeof(st->name), queue);
        ipp_attribute_t *a;
        if ((a = ippFindAttribute(resp, "printer-make-and-model", IPP_TAG_ZERO)))
                copy_text(st->make_model, sizeof(st->make_model), ippGetString(a, 0, NULL));
        if ((a = ippFindAttribute(resp, "device-uri", IPP_TAG_URI)))
                copy_text(st->device_uri, sizeof(st->device_uri), ippGetString(a, 0, NULL));
        if ((a = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM))) {
                int v = ippGetInteger(a, 0);
                st->state = v >= DRV_PRINTER_IDLE && v <= DRV_PRINTER_STOPPED
                                    ? (enum drv_printer_state)v
                                    : DRV_PRINTER_UNKNOWN;
        }
        if ((a = ippFindAttribute(resp, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN)))
                st->accepting = ippGetBoolean(a, 0);
        if ((a = ippFindAttribute(resp, "printer-state-message", IPP_TAG_ZERO)))
                copy_text(st->message, sizeof(st->message), ippGetString(a, 0, NULL));
        a = ippFindAttribute(resp, "printer-state-reasons", IPP_TAG_ZERO);
        for (int i = 0; a && i < ippGetCount(a); i++) {
                const char *s = ippGetString(a, i, NULL);
                if (!s || strcmp(s, "none") == 0)
                        continue;
                if (st->n_reasons >= DRV_PRINTER_REASONS_MAX) {
                        st->truncated = true;
                        break;
                }
                copy_text(st->reasons[st->n_reasons++], DRV_REASON_KEYWORD_MAX, s);
        }
        a = ippFindAttribute(resp, "media-supported", IPP_TAG_ZERO);
        for (int i = 0; a && i < ippGetCount(a); i++)
                list_add(st->media_supported, &st->n_media_supported, DRV_PRINTER_MEDIA_MAX,
                         ippGetString(a, i, NULL), &st->truncated);
        read_media_ready(resp, st);
        read_markers(resp, st);
        query_device(st);
        *ret = *st;
        r = 0;
out:
        ippDelete(resp);
        free(st);
        return r;
}

static int cups_list(void *impl, struct drv_printer_status *ret, size_t max, size_t *ret_n,
                     struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = cups_connect(c, err);
        if (r < 0)
                return r;
        cups_dest_t *dests = NULL;
        int nd = cupsGetDests2(c->http, &dests);
        if (nd <= 0 && cupsLastError() > IPP_STATUS_OK_CONFLICTING &&
            cupsLastError() != IPP_STATUS_ERROR_NOT_FOUND) {
                cupsFreeDests(nd, dests);
                return cups_error(c, err, "listing printers");
        }
        size_t n = 0;
        for (int i = 0; i < nd && n < max && n < DRV_PRINTER_QUEUES_MAX; i++) {
                if (dests[i].instance)
                        continue;
                struct drv_errbuf e = {{0}};
                struct drv_printer_status *st = &ret[n];
                if (cups_status(c, dests[i].name, st, &e) < 0) {
                        memset(st, 0, sizeof(*st));
                        copy_text(st->name, sizeof(st->name), dests[i].name);
                        copy_text(st->message, sizeof(st->message), e.msg);
                        if (cups_connect(c, err) < 0) { /* cupsd went away mid-list */
                                cupsFreeDests(nd, dests);
                                return DRV_E_UNAVAILABLE;
                        }
                }
                n++;
        }
        cupsFreeDests(nd, dests);
        *ret_n = n;
        return 0;
}

static bool is_uuid(const char *s)
{
        if (strnlen(s, 37) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                char ch = s[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (ch != '-')
                                return false;
                } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
                        return false;
                }
        }
        return true;
}

static bool is_queue_name(const char *q)
{
        size_t n = strnlen(q, DRV_PRINTER_NAME_MAX);
        if (n == 0 || n >= DRV_PRINTER_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)q[i];
                if (ch <= ' ' || ch == 127 || ch == '/' || ch == '#' || ch == '\\' || ch == '?')
                        return false;
        }
        return true;
}

static int check_spec(const struct drv_print_spec *s, struct drv_errbuf *err)
{
        if (!s->queue || !is_queue_name(s->queue))
                return drv_fail(err, DRV_E_INVALID, "submit: bad queue name");
        if (!s->path || !*s->path)
                return drv_fail(err, DRV_E_INVALID, "submit: no file");
        if (!s->mime || (strcmp(s->mime, "image/jpeg") && strcmp(s->mime, "image/png") &&
                         strcmp(s->mime, "image/tiff")))
                return drv_fail(err, DRV_E_INVALID, "submit: type must be image/jpeg, image/png or image/tiff");
        if (!s->job_id || !is_uuid(s->job_id))
                return drv_fail(err, DRV_E_INVALID, "submit: job id must be a lower-case UUID");
        if (s->copies < 1 || s->copies > DRV_PRINT_COPIES_MAX)
                return drv_fail(err, DRV_E_INVALID, "submit: copies %d not in 1..%d", s->copies,
                                DRV_PRINT_COPIES_MAX);
        if (!s->media || strnlen(s->media, DRV_PRINTER_MEDIA_NAME_MAX) >= DRV_PRINTER_MEDIA_NAME_MAX ||
            !pwgMediaForPWG(s->media))
                return drv_fail(err, DRV_E_INVALID, "submit: unknown PWG media name");
        if ((unsigned)s->colour >= _DRV_COLOUR_MAX)
                return drv_fail(err, DRV_E_INVALID, "submit: bad colour mode");
        return 0;
}

/* Stream FD to cupsd as the job's only document. */
static int send_document(struct cups_impl *c, const struct drv_print_spec *s, int fd,
                         int job_id, struct drv_errbuf *err)
{
        char docname[64];
        snprintf(docname, sizeof(docname), "pk-%s", s->job_id);
        if (cupsStartDocument(c->http, s->queue, job_id, docname, s->mime, 1) != HTTP_STATUS_CONTINUE)
                return cups_error(c, err, "sending the document");
        char *buf = malloc(SEND_CHUNK);
        if (!buf) {
                cupsFinishDocument(c->http, s->queue);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        int r = 0;
        for (long total = 0; total <= DRV_PRINT_FILE_MAX;) {
                ssize_t got = read(fd, buf, SEND_CHUNK);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = drv_fail(err, DRV_E_IO, "reading the print file: %s", strerror(errno));
                        break;
                }
                if (got == 0)
                        break;
                if (cupsWriteRequestData(c->http, buf, (size_t)got) != HTTP_STATUS_CONTINUE) {
                        r = cups_error(c, err, "sending the document");
                        break;
                }
                total += got;
        }
        free(buf);
        if (!c->http) /* the error above dropped the connection */
                return r;
        ipp_status_t st = cupsFinishDocument(c->http, s->queue);
        if (r == 0 && st > IPP_STATUS_OK_CONFLICTING)
                r = cups_error(c, err, "finishing the document");
        return r;
}

static int cups_submit(void *impl, const struct drv_print_spec *s, int *ret_job_id,
                       struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = check_spec(s, err);
        if (r < 0)
                return r;
        int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return drv_fail(err, errno == ENOENT ? DRV_E_NOT_FOUND : DRV_E_IO,
                                "print file: %s", strerror(errno));
        struct stat sb;
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
            sb.st_size > DRV_PRINT_FILE_MAX) {
                close(fd);
                return drv_fail(err, DRV_E_INVALID, "print file is not a regular file of 1 byte..%ld MB",
                                DRV_PRINT_FILE_MAX >> 20);
        }

        enum drv_print_colour colour = s->colour;
        ipp_t *req = NULL, *resp = NULL;
        ipp_attribute_t *a = NULL;
        int job_id = 0;
        if (colour == DRV_COLOUR_AUTO) {
                struct drv_printer_status *st = calloc(1, sizeof(*st));
                if (!st) {
                        r = drv_fail(err, DRV_E_IO, "out of memory");
                        goto out;
                }
                r = cups_status(c, s->queue, st, err);
                colour = r == 0 && strstr(st->make_model, "Gutenprint") ? DRV_COLOUR_GUTENPRINT_RAW
                                                                       : DRV_COLOUR_DRIVERLESS;
                free(st);
                if (r < 0)
                        goto out;
        }
        r = cups_connect(c, err);
        if (r < 0)
                goto out;

        char uri[HTTP_MAX_URI], name[64], uuid[DRV_JOB_UUID_MAX];
        queue_uri(uri, sizeof(uri), s->queue);
        snprintf(name, sizeof(name), "pk-%s", s->job_id);
        snprintf(uuid, sizeof(uuid), "urn:uuid:%s", s->job_id);
        req = ippNewRequest(IPP_OP_CREATE_JOB);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, name);
        ippAddString(req, IPP_TAG_JOB, IPP_TAG_URI, "job-uuid", NULL, uuid);
        ippAddInteger(req, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies", s->copies);
        if (s->borderless) {
                const pwg_media_t *pwg = pwgMediaForPWG(s->media);
                ipp_t *col = ippNew();
                ipp_t *size = ippNew();
                ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", pwg->width);
                ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", pwg->length);
                ippAddCollection(col, IPP_TAG_ZERO, "media-size", size);
                static const char *const margins[] = {"media-bottom-margin", "media-left-margin",
                                                      "media-right-margin", "media-top-margin"};
                for (size_t i = 0; i < 4; i++)
                        ippAddInteger(col, IPP_TAG_ZERO, IPP_TAG_INTEGER, margins[i], 0);
                ippAddCollection(req, IPP_TAG_JOB, "media-col", col);
                ippDelete(size);
                ippDelete(col);
        } else {
                ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "media", NULL, s->media);
        }
        /* Colour management off: our file is already in the printer's space. */
        ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL, "color");
        ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-content-optimize", NULL, "photo");
        if (colour == DRV_COLOUR_GUTENPRINT_RAW)
                ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "StpColorCorrection", NULL, "Raw");

        resp = cupsDoRequest(c->http, req, "/");
        req = NULL; /* cupsDoRequest frees it */
        a = resp ? ippFindAttribute(resp, "job-id", IPP_TAG_INTEGER) : NULL;
        if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING || !a) {
                char what[DRV_PRINTER_NAME_MAX + 32];
                snprintf(what, sizeof(what), "creating a job on '%s'", s->queue);
                r = cups_error(c, err, what);
                goto out;
        }
        job_id = ippGetInteger(a, 0);
        r = send_document(c, s, fd, job_id, err);
        if (r < 0) {
                /* Do not leave an empty job waiting for its document. */
                if (cups_connect(c, NULL) == 0)
                        cupsCancelJob2(c->http, s->queue, job_id, 0);
                goto out;
        }
        *ret_job_id = job_id;
out:
        ippDelete(req);
        ippDelete(resp);
        close(fd);
        return r;
}

static const char *const job_attrs[] = {
        "job-id",          "job-state",        "job-state-reasons",        "job-uuid",
        "job-name",        "job-printer-uri",  "job-printer-state-message", "copies",
        "job-impressions-completed", "job-media-sheets-completed",
};

/* Fill J from the attributes of one job, starting at A (a Get-Jobs response
 * group) or anywhere in RESP (Get-Job-Attributes). */
static void read_job(ipp_t *resp, ipp_attribute_t *first, struct drv_job_status *j)
{
        memset(j, 0, sizeof(*j));
        j->copies = 1;
        j->impressions_completed = -1;
        j->media_sheets_completed = -1;
        for (ipp_attribute_t *a = first ? first : ippFirstAttribute(resp); a;
             a = ippNextAttribute(resp)) {
                const char *n = ippGetName(a);
                if (!n) {
                        if (first)
                                break; /* end of this job's group */
                        continue;
                }
                if (ippGetGroupTag(a) != IPP_TAG_JOB)
                        continue;
                if (!strcmp(n, "job-id"))
                        j->id = ippGetInteger(a, 0);
                else if (!strcmp(n, "job-state")) {
                        int v = ippGetInteger(a, 0);
                        j->state = v >= DRV_JOB_PENDING && v <= DRV_JOB_COMPLETED
                                           ? (enum drv_job_state)v
                                           : DRV_JOB_UNKNOWN;
                } else if (!strcmp(n, "job-state-reasons")) {
                        for (int i = 0; i < ippGetCount(a) && j->n_reasons < DRV_JOB_REASONS_MAX; i++) {
                                const char *s = ippGetString(a, i, NULL);
                                if (s && strcmp(s, "none"))
                                        copy_text(j->reasons[j->n_reasons++], DRV_REASON_KEYWORD_MAX, s);
                        }
                } else if (!strcmp(n, "job-uuid"))
                        copy_text(j->uuid, sizeof(j->uuid), ippGetString(a, 0, NULL));
                else if (!strcmp(n, "job-name"))
                        copy_text(j->name, sizeof(j->name), ippGetString(a, 0, NULL));
                else if (!strcmp(n, "job-printer-state-message"))
                        copy_text(j->message, sizeof(j->message), ippGetString(a, 0, NULL));
                else if (!strcmp(n, "job-printer-uri")) {
                        const char *u = ippGetString(a, 0, NULL);
                        const char *q = u ? strrchr(u, '/') : NULL;
                        copy_text(j->queue, sizeof(j->queue), q ? q + 1 : "");
                } else if (!strcmp(n, "copies"))
                        j->copies = ippGetInteger(a, 0);
                else if (!strcmp(n, "job-impressions-completed"))
                        j->impressions_completed = ippGetInteger(a, 0);
                else if (!strcmp(n, "job-media-sheets-completed"))
                        j->media_sheets_completed = ippGetInteger(a, 0);
        }
}

/* A request about one job (Get-Job-Attributes, Cancel-Job): job-uri and
 * requesting-user-name, the operation attributes both need. */
static ipp_t *job_request(ipp_op_t op, int job_id)
{
        char uri[HTTP_MAX_URI];
        httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof(uri), "ipp", NULL, "localhost", 0,
                         "/jobs/%d", job_id);
        ipp_t *req = ippNewRequest(op);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", NULL, uri);
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
        return req;
}

static int cups_job_status(void *impl, int job_id, struct drv_job_status *ret,
                           struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = cups_connect(c, err);
        if (r < 0)
                return r;
        ipp_t *req = job_request(IPP_OP_GET_JOB_ATTRIBUTES, job_id);
        ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                      (int)(sizeof(job_attrs) / sizeof(*job_attrs)), NULL, job_attrs);
        ipp_t *resp = cupsDoRequest(c->http, req, "/");
        if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
                char what[48];
                snprintf(what, sizeof(what), "job %d", job_id);
                r = cups_error(c, err, what);
        } else {
                struct drv_job_status j;
                read_job(resp, NULL, &j);
                if (j.id == 0)
                        j.id = job_id;
                *ret = j;
        }
        ippDelete(resp);
        return r;
}

static int cups_find_job(void *impl, const char *job_uuid, size_t page_size,
                         struct drv_job_status *ret, struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = cups_connect(c, err);
        if (r < 0)
                return r;
        static const char *const want[] = {"job-id", "job-uuid", "job-state", "job-name",
                                           "job-printer-uri"};
        int first = 1, found_id = 0;
        size_t scanned = 0;
        /* Bounded: every page either ends the scan or moves first past the
         * highest id seen; DRV_JOBS_SCAN_MAX caps the total. */
        for (size_t page = 0; page <= DRV_JOBS_SCAN_MAX / page_size + 1; page++) {
                ipp_t *req = ippNewRequest(IPP_OP_GET_JOBS);
                ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, "ipp://localhost/");
                ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
                ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "which-jobs", NULL, "all");
                ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "first-job-id", first);
                ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "limit", (int)page_size);
                ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                              (int)(sizeof(want) / sizeof(*want)), NULL, want);
                ipp_t *resp = cupsDoRequest(c->http, req, "/");
                if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
                        ippDelete(resp);
                        if (cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND)
                                break; /* no jobs at all */
                        return cups_error(c, err, "listing jobs");
                }
                size_t got = 0;
                int max_id = 0;
                /* One job per group; cupsd's attribute order inside a group is
                 * not job-id first, so gather the group, then judge it. */
                int id = 0;
                const char *uuid = NULL;
                for (ipp_attribute_t *a = ippFirstAttribute(resp);; a = ippNextAttribute(resp)) {
                        const char *n = a ? ippGetName(a) : NULL;
                        if (!a || !n) { /* end of a group */
                                if (id > 0) {
                                        got++;
                                        if (id > max_id)
                                                max_id = id;
                                        if (uuid && strcmp(uuid, job_uuid) == 0 && id > found_id)
                                                found_id = id;
                                }
                                id = 0;
                                uuid = NULL;
                                if (!a)
                                        break;
                                continue;
                        }
                        if (ippGetGroupTag(a) != IPP_TAG_JOB)
                                continue;
                        if (!strcmp(n, "job-id"))
                                id = ippGetInteger(a, 0);
                        else if (!strcmp(n, "job-uuid"))
                                uuid = ippGetString(a, 0, NULL);
                }
                ippDelete(resp);
                scanned += got;
                if (got < page_size || max_id < first)
                        break;
                if (scanned >= DRV_JOBS_SCAN_MAX)
                        return drv_fail(err, DRV_E_LIMIT, "find job: gave up after %zu jobs", scanned);
                first = max_id + 1;
        }
        if (!found_id)
                return drv_fail(err, DRV_E_NOT_FOUND, "no job with job-uuid %s", job_uuid);
        return cups_job_status(c, found_id, ret, err);
}

static int cups_cancel(void *impl, int job_id, struct drv_errbuf *err)
{
        struct cups_impl *c = impl;
        int r = cups_connect(c, err);
        if (r < 0)
                return r;
        ipp_t *req = job_request(IPP_OP_CANCEL_JOB, job_id);
        ipp_t *resp = cupsDoRequest(c->http, req, "/");
        if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
                char what[48];
                snprintf(what, sizeof(what), "cancelling job %d", job_id);
                r = cups_error(c, err, what);
        }
        ippDelete(resp);
        return r;
}

static void cups_free(void *impl)
{
        struct cups_impl *c = impl;
        if (!c)
                return;
        httpClose(c->http);
        free(c);
}

static const struct drv_printer_ops cups_ops = {
        .name = "cups",
        .list = cups_list,
        .status = cups_status,
        .submit = cups_submit,
        .job_status = cups_job_status,
        .find_job = cups_find_job,
        .cancel = cups_cancel,
        .free = cups_free,
};

int drv_printer_cups_new(const char *server, struct drv_printer **ret, struct drv_errbuf *err)
{
        if (!ret)
                return drv_fail(err, DRV_E_INVALID, "cups: no handle pointer");
        struct cups_impl *c = calloc(1, sizeof(*c));
        if (!c)
                return drv_fail(err, DRV_E_IO, "out of memory");
        if (!server) {
                /* libcups: CUPS_SERVER, then client.conf, then the local socket. */
                copy_text(c->host, sizeof(c->host), cupsServer());
                c->port = ippPort();
        } else if (server[0] == '/') {
                copy_text(c->host, sizeof(c->host), server);
                c->port = 0;
        } else {
                const char *colon = strrchr(server, ':');
                size_t hl = colon ? (size_t)(colon - server) : strlen(server);
                c->port = 631;
                if (colon) {
                        char *end = NULL;
                        errno = 0;
                        long p = strtol(colon + 1, &end, 10);
                        if (errno || !end || *end || p < 1 || p > 65535) {
                                free(c);
                                return drv_fail(err, DRV_E_INVALID, "cups: bad port in server");
                        }
                        c->port = (int)p;
                }
                if (hl == 0 || hl >= sizeof(c->host)) {
                        free(c);
                        return drv_fail(err, DRV_E_INVALID, "cups: bad server name");
                }
                memcpy(c->host, server, hl);
                c->host[hl] = '\0';
        }
        return drv_printer_new(&cups_ops, c, ret, err);
}
