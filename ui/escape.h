/* ui/escape: the kiosk-mode input policy (no way out of the app for a customer).
 *
 * ui_escape_install() must run before ui_new() creates the window: it sets the
 * SDL hints that only take effect at window creation (keyboard grab, no
 * Alt+Tab while grabbed, no minimise on focus loss, no quit on the last
 * window's close) and installs one SDL event filter. In kiosk mode the filter
 * drops window-manager close and quit requests (SDL_QUIT,
 * SDL_WINDOWEVENT_CLOSE) and the escape key chords listed in escape.c, and
 * grabs the keyboard when the window gains focus. Outside kiosk mode (demo,
 * windowed) it only counts, so Esc and window close still quit there.
 *
 * SIGTERM/SIGINT are not SDL events here (SDL_HINT_NO_SIGNAL_HANDLERS): they
 * reach the loop as APP_MSG_QUIT on app/bus, so the filter never blocks them.
 *
 * Beyond the app's reach (deployment's job, see ui/README.md): VT switching
 * with Ctrl+Alt+Fn is done by the kernel/display server before any client sees
 * the keys; the kiosk's compositor (cage) or X server config must disable it. */
#pragma once
#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

struct ui_escape_stats {
        uint64_t seen;           /* events the filter looked at */
        uint64_t quit_dropped;   /* SDL_QUIT / window close / app terminate dropped */
        uint64_t keys_dropped;   /* escape chords dropped */
        uint64_t quit_passed;    /* quit requests let through (not kiosk mode) */
        uint64_t keys_passed;    /* escape chords let through (not kiosk mode) */
};

/* Set the hints and install the filter (replaces any earlier filter). Call
 * once, on the main thread, before the window is created. */
void ui_escape_install(bool kiosk_mode);
/* True when the installed policy is kiosk mode. */
bool ui_escape_kiosk_mode(void);
/* The filter's counters so far (tests and the storm report). */
void ui_escape_get_stats(struct ui_escape_stats *ret);
/* True when this key event (keysym + modifiers) is an escape chord: Escape,
 * Alt+Tab, Alt+F4, Alt+Esc, Ctrl+Alt+any key (VT switch, Del, Backspace),
 * Super/GUI alone or in a chord, Ctrl+W, Ctrl+Q, F11 (fullscreen toggle). */
bool ui_escape_is_chord(SDL_Keycode sym, Uint16 mod);
