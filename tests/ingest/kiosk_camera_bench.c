/* Driver of the phone figure (not a test): the kiosk core opens a camera
 * (libgphoto2 model@port) as a customer's source, sandboxed decoding as in
 * the kiosk, and prints one JSON line: seconds from open to the camera
 * opened and listed (libgphoto2's open + one file-info per file), to the first photo
 * on the grid, to the first 24 cells (or all) showing a thumbnail (the
 * camera's preview or the photo's own: the driver asks for the cells' thumbnails
 * as the UI does, again when a cell's photo arrived), to the first 24 photos
 * downloaded (and probed), to the whole camera downloaded and listed, and the
 * photo count. libgphoto2's abilities list is loaded before the clock starts,
 * as a running kiosk has it (PK_BENCH_COLD_CAMLIBS=1: inside the time).
 * Usage: kiosk_camera_bench MODEL PORT SESSIONS_DIR */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/kiosk.h"
#include "drivers/camera.h"

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: kiosk_camera_bench MODEL PORT SESSIONS_DIR\n");
                return 2;
        }
        struct app_bus *bus = app_bus_new(65536);
        struct app_kiosk_config cfg = {.session_dir = argv[3], .no_volume_watch = true,
                                       .no_usb_watch = true, .thumb_size = 256};
        char err[256] = "";
        struct app_kiosk *k = bus ? app_kiosk_new(&cfg, bus, err, sizeof(err)) : NULL;
        if (!k) {
                fprintf(stderr, "kiosk: %s\n", err);
                return 2;
        }
        app_kiosk_session_start(k);
        /* In a kiosk the phone's arrival (autodetect on the USB watcher's
         * thread) loaded libgphoto2's abilities before the customer opens
         * it; this driver has no USB watcher. */
        struct drv_errbuf de;
        if (!getenv("PK_BENCH_COLD_CAMLIBS"))
                (void)drv_camera_warm(&de);
        double t0 = now_s(), t_listed = -1, t_first = -1, t_24 = -1, t_24_shown = -1, t_done = -1;
        enum { CELLS = 24 };
        bool shown[CELLS] = {false};
        int asked = 0;       /* cells asked for so far */
        bool ask = false;    /* a cell changed: ask again for those not shown */
        if (app_kiosk_open_camera(k, argv[1], argv[2], "bench:1") != 0) {
                fprintf(stderr, "cannot open the camera\n");
                return 2;
        }
        for (int loop = 0; loop < 600000 && t_done < 0; loop++) { /* 10 min at most */
                app_bus_wait(bus, 1);
                struct app_msg m;
                while (app_bus_pop(bus, &m)) {
                        int i = m.u.thumb.index;
                        if (m.type == APP_MSG_THUMB_READY && i >= 0 && i < CELLS)
                                shown[i] = true;
                        if (m.type == APP_MSG_PHOTO_STATE && i >= 0 && i < CELLS && !shown[i])
                                ask = true;
                        app_msg_done(&m);
                }
                struct app_kiosk_camera_status st;
                app_kiosk_camera_status(k, &st);
                int n = app_kiosk_photo_count(k);
                double t = now_s() - t0;
                int want = n < CELLS ? n : CELLS;
                if (want > asked || ask) {
                        int idx[CELLS], m_idx = 0;
                        for (int i = 0; i < want; i++)
                                if (!shown[i])
                                        idx[m_idx++] = i;
                        if (m_idx)
                                app_kiosk_request_thumbs(k, idx, m_idx);
                        asked = want;
                        ask = false;
                }
                int n_shown = 0;
                for (int i = 0; i < CELLS; i++)
                        n_shown += shown[i];
                bool all_in = st.state == APP_KIOSK_CAMERA_DONE && !app_kiosk_walk_running(k);
                if (t_24_shown < 0 && n_shown > 0 && (n_shown >= CELLS || (all_in && n_shown >= n)))
                        t_24_shown = t;
                if (st.total > 0 && t_listed < 0)
                        t_listed = t;
                if (n >= 1 && t_first < 0)
                        t_first = t;
                if ((st.done >= CELLS || st.state == APP_KIOSK_CAMERA_DONE) && st.done > 0 && t_24 < 0)
                        t_24 = t;
                if (all_in && t_24_shown >= 0)
                        t_done = t;
                if (st.state == APP_KIOSK_CAMERA_FAILED)
                        break;
        }
        printf("{\"seconds_to_listed\":%.3f,\"seconds_to_first\":%.3f,\"seconds_to_24_shown\":%.3f,"
               "\"seconds_to_24\":%.3f,\"seconds_total\":%.3f,\"photos\":%d}\n",
               t_listed, t_first, t_24_shown, t_24, t_done, app_kiosk_photo_count(k));
        app_kiosk_session_end(k);
        app_kiosk_free(k);
        app_bus_free(bus);
        return t_done < 0;
}
