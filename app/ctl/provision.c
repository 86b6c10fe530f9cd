/* printkioskctl provision: first-boot provisioning (app/provision.h).
 *   provision apply FILE [--pubkey HEXFILE] [--sig FILE] [--pin-stdin] [--etc DIR]
 *   provision keygen DIR          (technician workstation)
 *   provision sign FILE --key HEXFILE [--out FILE.sig]
 *   provision hash-pin -          (PIN on stdin -> {"pin_hash"})
 * apply: one JSON line {"ok","kiosk_id","method","files"}; exit 0 applied,
 * 1 rejected (nothing written), 2 usage or I/O error. --pubkey defaults to
 * /usr/share/printkiosk/provision.pub when that exists. */
#include "app/ctl/ctl.h"
#include "app/provision.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PUBKEY "/usr/share/printkiosk/provision.pub"

static int run_provision(const struct ctl_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        if (argc < 3)
                return ctl_usage("provision");
        const char *sub = argv[1];
        static const struct option opts[] = {
                {"pubkey", required_argument, NULL, 'p'}, {"sig", required_argument, NULL, 's'},
                {"pin-stdin", no_argument, NULL, 'i'},    {"etc", required_argument, NULL, 'e'},
                {"key", required_argument, NULL, 'k'},    {"out", required_argument, NULL, 'o'},
                {0, 0, 0, 0},
        };
        const char *pubkey = NULL, *sig = NULL, *etc = "/etc/printkiosk", *key = NULL, *out = NULL;
        bool pin_stdin = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                switch (c) {
                case 'p': pubkey = optarg; break;
                case 's': sig = optarg; break;
                case 'i': pin_stdin = true; break;
                case 'e': etc = optarg; break;
                case 'k': key = optarg; break;
                case 'o': out = optarg; break;
                default: return ctl_usage("provision");
                }
        }
        if (optind != argc - 2)
                return ctl_usage("provision");
        const char *arg = argv[argc - 1];
        struct store_errbuf err = {{0}};
        int r;
        if (strcmp(sub, "keygen") == 0) {
                r = app_provision_keygen(arg, &err);
        } else if (strcmp(sub, "hash-pin") == 0 && strcmp(arg, "-") == 0) {
                /* The PIN from stdin -> a pin_hash for the provisioning file. */
                char pin[APP_PROVISION_PIN_MAX + 2] = "", hash[crypto_pwhash_STRBYTES];
                if (!fgets(pin, sizeof pin, stdin))
                        pin[0] = '\0';
                pin[strcspn(pin, "\r\n")] = '\0';
                r = sodium_init() < 0 || strlen(pin) < 4 ||
                                    crypto_pwhash_str(hash, pin, strlen(pin),
                                                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0
                            ? store_fail(&err, STORE_E_INVALID, "PIN of 4..64 characters on stdin")
                            : 0;
                sodium_memzero(pin, sizeof pin);
                if (r == 0)
                        ctl_emit(json_pack("{ss}", "pin_hash", hash));
        } else if (strcmp(sub, "sign") == 0) {
                if (!key)
                        return ctl_usage("provision");
                char def[4200];
                snprintf(def, sizeof def, "%s.sig", arg);
                r = app_provision_sign(arg, key, out ? out : def, &err);
        } else if (strcmp(sub, "apply") == 0) {
                uint8_t pk[32];
                bool have_pk = false;
                if (!pubkey && access(DEFAULT_PUBKEY, R_OK) == 0)
                        pubkey = DEFAULT_PUBKEY;
                if (pubkey) {
                        if ((r = app_provision_read_key(pubkey, pk, sizeof pk, &err)) < 0)
                                goto done;
                        have_pk = true;
                }
                char pin[APP_PROVISION_PIN_MAX + 2] = "";
                if (pin_stdin) {
                        if (!fgets(pin, sizeof pin, stdin))
                                pin[0] = '\0';
                        pin[strcspn(pin, "\r\n")] = '\0';
                }
                struct app_provision_opts o = {.file = arg, .sig_file = sig,
                                               .public_key = have_pk ? pk : NULL,
                                               .pin = pin_stdin ? pin : NULL, .etc_dir = etc};
                struct app_provision_result res;
                r = app_provision_apply(&o, &res, &err);
                sodium_memzero(pin, sizeof pin);
                json_t *j = json_object();
                json_object_set_new(j, "ok", json_boolean(r == 0));
                if (r == 0) {
                        json_object_set_new(j, "kiosk_id", json_string(res.kiosk_id));
                        json_object_set_new(j, "method", json_string(res.method));
                        json_object_set_new(j, "files", json_integer(res.files_written));
                } else {
                        json_object_set_new(j, "reason", json_string(err.msg));
                }
                ctl_emit(j);
                if (r == STORE_E_INVALID) {
                        ctl_msg("provision: rejected: %s", err.msg);
                        return CTL_EXIT_REJECTED;
                }
        } else {
                return ctl_usage("provision");
        }
done:
        if (r < 0) {
                ctl_msg("provision %s: %s", sub, err.msg);
                return CTL_EXIT_USAGE;
        }
        return CTL_EXIT_OK;
}
CTL_VERB(provision, "provision",
         "provision apply FILE [--pubkey HEX] [--sig SIG] [--pin-stdin] [--etc DIR] | keygen DIR | sign FILE --key HEX [--out SIG] | hash-pin -",
         run_provision);
