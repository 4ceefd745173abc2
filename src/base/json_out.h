/* json_out.h — small helpers for writing JSON with cJSON.
 *
 * Floats are written with the fewest digits that read back to the same float
 * (0.1f prints as 0.1, not 0.100000001490116); NaN and infinities, which JSON
 * cannot hold, become null. */
#ifndef LS_JSON_OUT_H
#define LS_JSON_OUT_H

#include <cjson/cJSON.h>

/* A number item for a float / double value (null when not finite). */
cJSON *json_float(float v);
cJSON *json_double(double v);
/* An array of n floats. */
cJSON *json_float_array(const float *v, int n);
/* Add helpers that return the added item (or NULL on allocation failure). */
cJSON *json_add_float(cJSON *obj, const char *key, float v);
cJSON *json_add_double(cJSON *obj, const char *key, double v);
/* Print obj to a malloc'd string (caller frees with free()); NULL on failure. */
char *json_print(const cJSON *obj);

#endif
