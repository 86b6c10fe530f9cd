/* printkiosk: the full-screen SDL2 kiosk. (Skeleton: the screens arrive with
 * issue 6; see ui/README.md.) */
#include <SDL.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                printf("printkiosk %s\n", PK_VERSION);
                return 0;
        }
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        if (SDL_Init(SDL_INIT_VIDEO) != 0) {
                fprintf(stderr, "printkiosk: SDL_Init: %s\n", SDL_GetError());
                return 2;
        }
        SDL_Quit();
        return 0;
}
