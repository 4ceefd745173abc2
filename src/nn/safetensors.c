/* safetensors.c — a bounds-checked safetensors reader and an F32 writer
 * (see safetensors.h for the format). */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_NUM_DTYPES] = {
    [ST_F64] = {"F64", 8},       [ST_F32] = {"F32", 4},         [ST_F16] = {"F16", 2},
    [ST_BF16] = {"BF16", 2},     [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
    [ST_I64] = {"I64", 8},       [ST_I32] = {"I32", 4},         [ST_I16] = {"I16", 2},
    [ST_I8] = {"I8", 1},         [ST_U64] = {"U64", 8},         [ST_U32] = {"U32", 4},
    [ST_U16] = {"U16", 2},       [ST_U8] = {"U8", 1},           [ST_BOOL] = {"BOOL", 1},
};

const char *st_dtype_name(StDtype d) { return d < ST_NUM_DTYPES ? dtypes[d].name : "?"; }

size_t st_numel(const StTensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

void st_free(StFile *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->by_name);
    memset(f, 0, sizeof *f);
}

const StTensor *st_find(const StFile *f, const char *name)
{
    int lo = 0, hi = f->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        const StTensor *t = &f->tensors[f->by_name[mid]];
        int c = strcmp(t->name, name);
        if (c == 0) return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* qsort has no context argument, so the name index sorts pointers first. */
static int cmp_name(const void *pa, const void *pb)
{
    const StTensor *a = *(const StTensor *const *)pa, *b = *(const StTensor *const *)pb;
    return strcmp(a->name, b->name);
}

/* Build f->by_name; a name that appears twice is an error. Sorting keeps
 * this O(n log n) where a lookup per entry was quadratic. */
static int index_names(StFile *f, Status *st)
{
    size_t n = f->n ? (size_t)f->n : 1;
    const StTensor **order = malloc(n * sizeof *order);
    f->by_name = malloc(n * sizeof *f->by_name);
    if (!order || !f->by_name) {
        free(order);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < f->n; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)f->n, sizeof *order, cmp_name);
    int rc = LS_OK;
    for (int i = 0; i < f->n; i++) {
        if (i > 0 && strcmp(order[i - 1]->name, order[i]->name) == 0) {
            rc = status_fail(st, LS_ERR_PARSE, "tensor '%.200s' appears twice", order[i]->name);
            break;
        }
        f->by_name[i] = (int)(order[i] - f->tensors);
    }
    free(order);
    return rc;
}

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_uint(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!(v >= 0.0 && v <= 9007199254740992.0) || floor(v) != v) return 0;
    *out = (uint64_t)v;
    return 1;
}

static int parse_tensor(StTensor *t, const cJSON *obj, size_t data_size, Status *st)
{
    const char *name = t->name;
    if (!cJSON_IsObject(obj))
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': entry is not a JSON object", name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(obj, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(obj, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(obj, "data_offsets");
    if (!cJSON_IsString(dtype))
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': missing \"dtype\"", name);
    int d = -1;
    for (int i = 0; i < ST_NUM_DTYPES; i++)
        if (strcmp(dtype->valuestring, dtypes[i].name) == 0) d = i;
    if (d < 0)
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': unknown dtype \"%.32s\"", name,
                           dtype->valuestring);
    t->dtype = (StDtype)d;
    if (!cJSON_IsArray(shape))
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': missing \"shape\" array", name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > ST_MAX_DIMS)
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': %d dimensions (at most %d)", name, nd,
                           ST_MAX_DIMS);
    t->ndim = nd;
    /* numel * element size must equal the byte range; guard the product. */
    uint64_t bytes = dtypes[d].size;
    int overflow = 0;
    for (int i = 0; i < nd; i++) {
        uint64_t v;
        if (!json_uint(cJSON_GetArrayItem(shape, i), &v))
            return status_fail(st, LS_ERR_PARSE, "tensor '%s': shape[%d] is not a non-negative integer",
                               name, i);
        t->shape[i] = (int64_t)v;
        if (v != 0 && bytes > UINT64_MAX / v) overflow = 1;
        bytes *= v;
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': \"data_offsets\" must be [begin, end]", name);
    uint64_t b, e;
    if (!json_uint(cJSON_GetArrayItem(offs, 0), &b) || !json_uint(cJSON_GetArrayItem(offs, 1), &e))
        return status_fail(st, LS_ERR_PARSE, "tensor '%s': data_offsets are not non-negative integers",
                           name);
    if (b > e || e > data_size)
        return status_fail(st, LS_ERR_RANGE,
                           "tensor '%s': data_offsets [%llu, %llu] lie outside the data section (%zu bytes)",
                           name, (unsigned long long)b, (unsigned long long)e, data_size);
    if (overflow || e - b != bytes)
        return status_fail(st, LS_ERR_PARSE,
                           "tensor '%s': %llu bytes in data_offsets but dtype %s and its shape need %s%llu",
                           name, (unsigned long long)(e - b), dtypes[d].name, overflow ? "more than " : "",
                           (unsigned long long)(overflow ? UINT64_MAX : bytes));
    t->begin = (size_t)b;
    t->end = (size_t)e;
    return LS_OK;
}

static int cmp_begin(const void *pa, const void *pb)
{
    const StTensor *a = *(const StTensor *const *)pa, *b = *(const StTensor *const *)pb;
    if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

/* No two byte ranges overlap, and together they cover the data exactly. */
static int check_layout(const StFile *f, Status *st)
{
    if (f->n == 0) {
        if (f->data_size != 0)
            return status_fail(st, LS_ERR_PARSE, "%zu bytes of data but no tensors", f->data_size);
        return LS_OK;
    }
    const StTensor **order = malloc((size_t)f->n * sizeof *order);
    if (!order) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < f->n; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)f->n, sizeof *order, cmp_begin);
    int rc = LS_OK;
    size_t pos = 0;
    for (int i = 0; i < f->n && !rc; i++) {
        const StTensor *t = order[i];
        if (t->begin < pos)
            rc = status_fail(st, LS_ERR_PARSE, "tensors '%s' and '%s' overlap (bytes %zu..%zu and %zu..%zu)",
                             order[i - 1]->name, t->name, order[i - 1]->begin, order[i - 1]->end,
                             t->begin, t->end);
        else if (t->begin > pos)
            rc = status_fail(st, LS_ERR_PARSE, "unindexed bytes %zu..%zu before tensor '%s'", pos,
                             t->begin, t->name);
        else
            pos = t->end;
    }
    if (!rc && pos != f->data_size)
        rc = status_fail(st, LS_ERR_PARSE, "%zu trailing bytes after the last tensor", f->data_size - pos);
    free(order);
    return rc;
}

/* Entries of the top-level object (commas at depth 1, plus one), by one
 * pass that skips strings: cheap next to building the JSON tree. Exact for
 * valid JSON; for invalid JSON any count will do, cJSON rejects it next. */
static size_t count_entries(const char *p, size_t n)
{
    size_t commas = 0;
    int depth = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\') i++;
            if (depth == 1) any = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            commas++;
        }
    }
    return any ? commas + 1 : 0;
}

int st_parse(StFile *f, const void *bytes, size_t size, Status *st)
{
    memset(f, 0, sizeof *f);
    const unsigned char *p = bytes;
    if (size < 8)
        return status_fail(st, LS_ERR_PARSE, "%zu bytes is too short for the 8-byte header length", size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | p[i];
    if (n > size - 8)
        return status_fail(st, LS_ERR_PARSE, "header length %llu runs past the end of the file (%zu bytes)",
                           (unsigned long long)n, size);
    if (n > ST_MAX_HEADER)
        return status_fail(st, LS_ERR_RANGE, "header length %llu is over the %llu-byte limit",
                           (unsigned long long)n, (unsigned long long)ST_MAX_HEADER);
    const char *hdr = (const char *)p + 8;
    size_t entries = count_entries(hdr, (size_t)n);
    if (entries > ST_MAX_ENTRIES + 1) /* + __metadata__ */
        return status_fail(st, LS_ERR_RANGE, "header lists %zu entries; at most %d are read", entries,
                           ST_MAX_ENTRIES);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr ? (size_t)(end - hdr) : 0;
        return status_fail(st, LS_ERR_PARSE, "header is not valid JSON (near byte %zu of %llu)", at,
                           (unsigned long long)n);
    }
    /* Only padding spaces may follow the JSON value. */
    for (const char *q = end; q && q < hdr + n; q++) {
        if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t' && *q != '\0') {
            cJSON_Delete(root);
            return status_fail(st, LS_ERR_PARSE, "header has text after its JSON object");
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return status_fail(st, LS_ERR_PARSE, "header is not a JSON object");
    }
    f->data = p + 8 + n;
    f->data_size = size - 8 - (size_t)n;
    int count = cJSON_GetArraySize(root);
    f->tensors = calloc(count ? (size_t)count : 1, sizeof *f->tensors);
    if (!f->tensors) {
        cJSON_Delete(root);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    int rc = LS_OK;
    for (const cJSON *item = root->child; item && !rc; item = item->next) {
        if (!item->string) {
            rc = status_fail(st, LS_ERR_PARSE, "header entry without a name");
            break;
        }
        if (strcmp(item->string, "__metadata__") == 0) {
            if (!cJSON_IsObject(item)) rc = status_fail(st, LS_ERR_PARSE, "__metadata__ is not an object");
            for (const cJSON *kv = item->child; kv && !rc; kv = kv->next)
                if (!cJSON_IsString(kv))
                    rc = status_fail(st, LS_ERR_PARSE, "__metadata__ value '%.64s' is not a string",
                                     kv->string ? kv->string : "?");
            continue;
        }
        StTensor *t = &f->tensors[f->n];
        t->name = strdup(item->string);
        if (!t->name) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        f->n++;
        rc = parse_tensor(t, item, f->data_size, st);
    }
    cJSON_Delete(root);
    if (!rc) rc = index_names(f, st);
    if (!rc) rc = check_layout(f, st);
    if (rc) st_free(f);
    return rc;
}

void st_read_f32(const StFile *f, const StTensor *t, float *out)
{
    const unsigned char *src = f->data + t->begin;
    size_t n = st_numel(t);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
        memcpy(&out[i], &u, 4);
    }
#else
    memcpy(out, src, n * sizeof(float));
#endif
}

// ----------------------------------------------------------------------------
// Writing

int st_serialize(unsigned char **out, size_t *size, const StWriteTensor *t, int n, Status *st)
{
    *out = NULL;
    *size = 0;
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    int ok = root && meta && cJSON_AddStringToObject(meta, "format", "pt");
    size_t offset = 0;
    for (int i = 0; i < n && ok; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        cJSON *e = cJSON_AddObjectToObject(root, t[i].name);
        cJSON *shape = e ? cJSON_AddArrayToObject(e, "shape") : NULL;
        cJSON *offs = e ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
        ok = e && shape && offs && cJSON_AddStringToObject(e, "dtype", "F32");
        for (int d = 0; d < t[i].ndim && ok; d++)
            ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
        ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
        offset += numel * sizeof(float);
        ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    }
    char *hdr = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!hdr) return status_fail(st, LS_ERR_NOMEM, "out of memory while writing the header");
    size_t hlen = strlen(hdr);
    size_t padded = (hlen + 7) / 8 * 8; /* keeps the data 8-byte aligned */
    size_t total = 8 + padded + offset;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(hdr);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu bytes", total);
    }
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, hdr, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    free(hdr);
    unsigned char *dst = buf + 8 + padded;
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        for (size_t j = 0; j < numel; j++) {
            uint32_t u;
            memcpy(&u, &t[i].data[j], 4);
            for (int k = 0; k < 4; k++) dst[4 * j + k] = (unsigned char)(u >> (8 * k));
        }
#else
        memcpy(dst, t[i].data, numel * sizeof(float));
#endif
        dst += numel * sizeof(float);
    }
    *out = buf;
    *size = total;
    return LS_OK;
}

int st_write_file(const char *path, const StWriteTensor *t, int n, Status *st)
{
    unsigned char *buf;
    size_t size;
    int rc = st_serialize(&buf, &size, t, n, st);
    if (rc) return rc;
    rc = file_write_atomic(path, buf, size, st);
    free(buf);
    return rc;
}
