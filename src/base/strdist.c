/* strdist.c — edit distance of short names (see strdist.h). */
#include "strdist.h"

#include <string.h>

int str_edit_distance(const char *a, const char *b, int cap)
{
    if (cap > STR_DISTANCE_MAX) cap = STR_DISTANCE_MAX;
    size_t n = strlen(a), m = strlen(b);
    if (n >= (size_t)cap || m >= (size_t)cap) return cap;
    /* prev[j]: distance of a's first i-1 bytes to b's first j; cur: of i. */
    int prev[STR_DISTANCE_MAX + 1], cur[STR_DISTANCE_MAX + 1];
    for (size_t j = 0; j <= m; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (m + 1) * sizeof prev[0]);
    }
    return prev[m];
}
