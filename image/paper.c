/* image/paper: paper manifest parser and lookup (see paper.h).
 *
 * Invariants: every paper in a loaded manifest has a valid profile file name,
 * intent, bpc and sharpening in range; every printer override names a known
 * paper; names are unique. Profile bytes are read (and hashed) only on lookup. */
#include "image/paper.h"
#include "image/colour.h"
#include "image/ini_internal.h"

#include <stdio.h>
#include <string.h>

struct paper_entry {
        char name[IMG_PAPER_NAME_MAX];
        char label[64];
        char profile[IMG_PROFILE_FILE_MAX];
        enum img_intent intent;
        bool bpc;
        double sharpen_sigma, sharpen_amount;
};

struct printer_override {
        char model[IMG_PRINTER_MODEL_MAX];
        char profile[IMG_MANIFEST_MAX_PAPERS][IMG_PROFILE_FILE_MAX]; /* "" = none */
        int intent[IMG_MANIFEST_MAX_PAPERS];                          /* -1 = paper's */
};

struct img_manifest {
        char dir[PATH_MAX];
        size_t npapers, nprinters;
        struct paper_entry papers[IMG_MANIFEST_MAX_PAPERS];
        struct printer_override printers[IMG_MANIFEST_MAX_PRINTERS];
};

static const char *const intent_names[] = {"perceptual", "relative", "saturation", "absolute"};

const char *img_intent_name(enum img_intent i)
{
        return (unsigned)i < _IMG_INTENT_MAX ? intent_names[i] : "unknown";
}

bool img_intent_parse(const char *s, enum img_intent *ret)
{
        for (int i = 0; s && i < _IMG_INTENT_MAX; i++)
                if (strcmp(s, intent_names[i]) == 0)
                        return *ret = (enum img_intent)i, true;
        return false;
}

static bool valid_name(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= IMG_PAPER_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
                      s[i] == '_'))
                        return false;
        return true;
}

/* A file name inside the manifest folder: no path separators, no dot files. */
static bool valid_profile_file(const char *s)
{
        size_t n = strlen(s);
        if (n < 5 || n >= IMG_PROFILE_FILE_MAX || s[0] == '.' || strchr(s, '/'))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
                        return false;
        return strcmp(s + n - 4, ".icc") == 0 || strcmp(s + n - 4, ".icm") == 0;
}

static bool valid_model(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= IMG_PRINTER_MODEL_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
                        return false;
        return true;
}

static int find_paper(const struct img_manifest *m, const char *name)
{
        for (size_t i = 0; name && i < m->npapers; i++)
                if (strcmp(m->papers[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static int line_of(const char *data, size_t len, const char *group, const char *key)
{
        int l = key ? img__ini_line(data, len, group, key) : 0;
        return l ? l : img__ini_line(data, len, group, NULL);
}

#define MAN_FAIL(group, key, ...)                                                            \
        do {                                                                                 \
                char m_[160];                                                                \
                snprintf(m_, sizeof(m_), __VA_ARGS__);                                       \
                rc = img_fail(err, IMG_E_INVALID, "line %d: [%s] %s: %s",                    \
                              line_of(data, len, group, key), group, key ? key : "", m_);    \
                goto out;                                                                    \
        } while (0)

static const char *const paper_keys[] = {"name", "profile", "intent", "bpc", "sharpen_sigma",
                                         "sharpen_amount"};

int img_manifest_parse(const char *data, size_t len, const char *dir, struct img_manifest **ret,
                       struct img_errbuf *err)
{
        if (!dir || strlen(dir) >= PATH_MAX - IMG_PROFILE_FILE_MAX - 2)
                return img_fail(err, IMG_E_INVALID, "bad profiles folder");
        GKeyFile *kf = NULL;
        int rc = img__ini_open(data, len, IMG_MANIFEST_MAX_BYTES, &kf, err);
        if (rc)
                return rc;
        struct img_manifest *m = g_new0(struct img_manifest, 1);
        snprintf(m->dir, sizeof(m->dir), "%s", dir);
        gsize ngroups = 0;
        gchar **groups = g_key_file_get_groups(kf, &ngroups);
        gchar **keys = NULL;
        char *v = NULL;
        /* Pass 1: papers (printer overrides refer to them, in any order). */
        for (gsize g = 0; g < ngroups; g++) {
                if (strncmp(groups[g], "paper ", 6) != 0)
                        continue;
                const char *name = groups[g] + 6;
                if (!valid_name(name))
                        MAN_FAIL(groups[g], NULL, "paper name must be [a-z0-9_-], < %d chars",
                                 IMG_PAPER_NAME_MAX);
                if (find_paper(m, name) >= 0)
                        MAN_FAIL(groups[g], NULL, "duplicate paper");
                if (m->npapers >= IMG_MANIFEST_MAX_PAPERS)
                        MAN_FAIL(groups[g], NULL, "more than %d papers", IMG_MANIFEST_MAX_PAPERS);
                gsize nkeys = 0;
                keys = g_key_file_get_keys(kf, groups[g], &nkeys, NULL);
                for (gsize k = 0; keys && k < nkeys; k++) {
                        bool known = false;
                        for (size_t i = 0; i < G_N_ELEMENTS(paper_keys); i++)
                                known |= strcmp(keys[k], paper_keys[i]) == 0;
                        if (!known)
                                MAN_FAIL(groups[g], keys[k], "unknown key");
                }
                g_strfreev(keys);
                keys = NULL;
                struct paper_entry *p = &m->papers[m->npapers];
                snprintf(p->name, sizeof(p->name), "%s", name);
                for (size_t i = 0; i < G_N_ELEMENTS(paper_keys); i++) {
                        const char *key = paper_keys[i];
                        g_free(v);
                        v = g_key_file_get_value(kf, groups[g], key, NULL);
                        if (!v)
                                MAN_FAIL(groups[g], key, "missing");
                        bool ok = true;
                        if (strcmp(key, "name") == 0) {
                                ok = *v && strlen(v) < sizeof(p->label);
                                if (ok)
                                        snprintf(p->label, sizeof(p->label), "%s", v);
                        } else if (strcmp(key, "profile") == 0) {
                                ok = valid_profile_file(v);
                                if (ok)
                                        snprintf(p->profile, sizeof(p->profile), "%s", v);
                        } else if (strcmp(key, "intent") == 0)
                                ok = img_intent_parse(v, &p->intent);
                        else if (strcmp(key, "bpc") == 0)
                                ok = img__parse_bool(v, &p->bpc);
                        else if (strcmp(key, "sharpen_sigma") == 0)
                                ok = img__parse_double(v, 0, 3, &p->sharpen_sigma) &&
                                     (p->sharpen_sigma == 0 || p->sharpen_sigma >= 0.3);
                        else if (strcmp(key, "sharpen_amount") == 0)
                                ok = img__parse_double(v, 0, 10, &p->sharpen_amount);
                        if (!ok)
                                MAN_FAIL(groups[g], key, "bad value");
                }
                m->npapers++;
        }
        if (m->npapers == 0) {
                rc = img_fail(err, IMG_E_INVALID, "line 1: no [paper NAME] groups");
                goto out;
        }
        /* Pass 2: printers; anything else is an error. */
        for (gsize g = 0; g < ngroups; g++) {
                if (strncmp(groups[g], "paper ", 6) == 0)
                        continue;
                if (strncmp(groups[g], "printer ", 8) != 0)
                        MAN_FAIL(groups[g], NULL, "unknown group (expected [paper NAME] or "
                                                  "[printer MODEL])");
                const char *model = groups[g] + 8;
                if (!valid_model(model))
                        MAN_FAIL(groups[g], NULL, "bad printer model");
                if (m->nprinters >= IMG_MANIFEST_MAX_PRINTERS)
                        MAN_FAIL(groups[g], NULL, "more than %d printers",
                                 IMG_MANIFEST_MAX_PRINTERS);
                struct printer_override *o = &m->printers[m->nprinters];
                snprintf(o->model, sizeof(o->model), "%s", model);
                for (size_t i = 0; i < IMG_MANIFEST_MAX_PAPERS; i++)
                        o->intent[i] = -1;
                gsize nkeys = 0;
                keys = g_key_file_get_keys(kf, groups[g], &nkeys, NULL);
                for (gsize k = 0; keys && k < nkeys; k++) {
                        char pname[IMG_PAPER_NAME_MAX + 8];
                        snprintf(pname, sizeof(pname), "%s", keys[k]);
                        size_t n = strlen(pname);
                        bool is_intent = n > 7 && strcmp(pname + n - 7, "_intent") == 0;
                        if (is_intent)
                                pname[n - 7] = '\0';
                        int pi = find_paper(m, pname);
                        if (pi < 0)
                                MAN_FAIL(groups[g], keys[k], "unknown paper");
                        g_free(v);
                        v = g_key_file_get_value(kf, groups[g], keys[k], NULL);
                        if (is_intent) {
                                enum img_intent it;
                                if (!img_intent_parse(v, &it))
                                        MAN_FAIL(groups[g], keys[k], "bad intent");
                                o->intent[pi] = (int)it;
                        } else {
                                if (!v || !valid_profile_file(v))
                                        MAN_FAIL(groups[g], keys[k], "bad profile file name");
                                snprintf(o->profile[pi], sizeof(o->profile[pi]), "%s", v);
                        }
                }
                g_strfreev(keys);
                keys = NULL;
                m->nprinters++;
        }
        *ret = m;
        m = NULL;
out:
        g_free(v);
        g_strfreev(keys);
        g_strfreev(groups);
        g_key_file_free(kf);
        g_free(m);
        return rc;
}

int img_manifest_load(const char *dir, struct img_manifest **ret, struct img_errbuf *err)
{
        char path[PATH_MAX];
        if (!dir || snprintf(path, sizeof(path), "%s/manifest.ini", dir) >= (int)sizeof(path))
                return img_fail(err, IMG_E_INVALID, "bad profiles folder");
        char *data = NULL;
        size_t len = 0;
        int rc = img__read_small_file(path, IMG_MANIFEST_MAX_BYTES, &data, &len, err);
        if (rc)
                return rc;
        rc = img_manifest_parse(data, len, dir, ret, err);
        g_free(data);
        return rc;
}

struct img_manifest *img_manifest_free(struct img_manifest *m)
{
        g_free(m);
        return NULL;
}

size_t img_manifest_paper_count(const struct img_manifest *m)
{
        return m ? m->npapers : 0;
}

const char *img_manifest_paper_name(const struct img_manifest *m, size_t i)
{
        return m && i < m->npapers ? m->papers[i].name : NULL;
}

static const struct printer_override *find_printer(const struct img_manifest *m, const char *model)
{
        for (size_t i = 0; model && i < m->nprinters; i++)
                if (strcmp(m->printers[i].model, model) == 0)
                        return &m->printers[i];
        return NULL;
}

int img_paper_lookup(const struct img_manifest *m, const char *printer_model, const char *paper,
                     struct img_paper *ret, struct img_errbuf *err)
{
        if (!m || !paper || !ret)
                return img_fail(err, IMG_E_INVALID, "no manifest or paper");
        int pi = find_paper(m, paper);
        if (pi < 0)
                return img_fail(err, IMG_E_INVALID, "unknown paper '%.40s'", paper);
        const struct paper_entry *p = &m->papers[pi];
        struct img_paper out = {0};
        snprintf(out.name, sizeof(out.name), "%s", p->name);
        snprintf(out.label, sizeof(out.label), "%s", p->label);
        out.intent = p->intent;
        out.bpc = p->bpc;
        out.sharpen_sigma = p->sharpen_sigma;
        out.sharpen_amount = p->sharpen_amount;
        const char *file = p->profile;
        const struct printer_override *o = find_printer(m, printer_model);
        if (!o || (!o->profile[pi][0] && o->intent[pi] < 0))
                o = find_printer(m, "default");
        if (o) {
                if (o->profile[pi][0])
                        file = o->profile[pi];
                if (o->intent[pi] >= 0)
                        out.intent = (enum img_intent)o->intent[pi];
        }
        g_snprintf(out.profile_path, sizeof(out.profile_path), "%s/%s", m->dir, file);
        int rc = img_profile_check_file(out.profile_path, out.profile_sha256, err);
        if (rc)
                return rc;
        *ret = out;
        return IMG_OK;
}

int img_paper_from_profile(const char *icc_path, const struct img_paper *base,
                           struct img_paper *ret, struct img_errbuf *err)
{
        if (!icc_path || strlen(icc_path) >= PATH_MAX || !ret)
                return img_fail(err, IMG_E_INVALID, "bad profile path");
        struct img_paper out = {0};
        if (base) {
                out = *base;
        } else {
                snprintf(out.name, sizeof(out.name), "custom");
                snprintf(out.label, sizeof(out.label), "Custom profile");
                out.intent = IMG_INTENT_RELATIVE;
                out.bpc = true;
        }
        snprintf(out.profile_path, sizeof(out.profile_path), "%s", icc_path);
        int rc = img_profile_check_file(out.profile_path, out.profile_sha256, err);
        if (rc)
                return rc;
        *ret = out;
        return IMG_OK;
}
