/* json_out.c — JSON number formatting on top of cJSON (see json_out.h). */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Shortest "%.Ng" (N = 1..9) that reads back as the same float. */
static void format_float(char *buf, size_t size, float v)
{
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, size, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

/* Shortest "%.Ng" (N = 1..17) that reads back as the same double. */
static void format_double(char *buf, size_t size, double v)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return;
    }
}

cJSON *json_float(float v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[40];
    format_float(buf, sizeof buf, v);
    return cJSON_CreateRaw(buf);
}

cJSON *json_double(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[40];
    format_double(buf, sizeof buf, v);
    return cJSON_CreateRaw(buf);
}

cJSON *json_float_array(const float *v, int n)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return NULL;
    for (int i = 0; i < n; i++) {
        cJSON *item = json_float(v[i]);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item) return NULL;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

cJSON *json_add_float(cJSON *obj, const char *key, float v) { return add(obj, key, json_float(v)); }
cJSON *json_add_double(cJSON *obj, const char *key, double v) { return add(obj, key, json_double(v)); }

char *json_print(const cJSON *obj) { return cJSON_Print(obj); }
