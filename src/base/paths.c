/* paths.c — locating the lessons/ and data/ folders (see paths.h). */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LS_DATADIR
#define LS_DATADIR "/usr/local/share/lorascope"
#endif

static int has_data(const char *dir)
{
    char probe[4096];
    struct stat sb;
    if (snprintf(probe, sizeof probe, "%s/data", dir) >= (int)sizeof probe) return 0;
    return stat(probe, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *paths_root(void)
{
    static char root[4096];
    if (root[0]) return root;
    const char *env = getenv("LORASCOPE_ROOT");
    if (env && *env && strlen(env) < sizeof root && has_data(env)) {
        strcpy(root, env);
        return root;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (has_data(exe)) {
                strcpy(root, exe);
                return root;
            }
            /* Installed as PREFIX/bin/lorascope: data in PREFIX/share. */
            char shared[4096 + 32];
            snprintf(shared, sizeof shared, "%s/../share/lorascope", exe);
            if (strlen(shared) < sizeof root && has_data(shared)) {
                strcpy(root, shared);
                return root;
            }
        }
    }
    if (has_data(".")) {
        strcpy(root, ".");
        return root;
    }
    strcpy(root, has_data(LS_DATADIR) ? LS_DATADIR : ".");
    return root;
}

int paths_resolve(char *out, size_t size, const char *rel)
{
    int n = rel[0] == '/' ? snprintf(out, size, "%s", rel)
                          : snprintf(out, size, "%s/%s", paths_root(), rel);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}
