/* safetensors.h — reading and writing the safetensors format.
 *
 * A safetensors file (Hugging Face) is
 *   8 bytes    N, the header length, unsigned little-endian
 *   N bytes    a JSON object: name -> {"dtype": "F32", "shape": [..],
 *              "data_offsets": [begin, end]}, plus an optional
 *              "__metadata__" object of strings; may end in spaces
 *   the rest   the data section; offsets are relative to its start and
 *              tensors are stored row-major, little-endian
 *
 * The reader trusts nothing: the header length must fit in the file, the
 * JSON must parse, every dtype must be known, every shape must match its
 * byte count, every offset range must lie inside the data section, and no
 * two ranges may overlap. As the format specifies, the data section must be
 * covered exactly (no holes, no trailing bytes). Messages name the tensor;
 * callers put the file name in front. */
#ifndef LS_SAFETENSORS_H
#define LS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

enum { ST_MAX_DIMS = 8 };
/* Largest header accepted (the reference implementation's limit). */
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)
/* Most entries accepted. A lorascope model has at most about a thousand
 * tensors; the header size alone would allow 1.5 million tiny entries,
 * which take gigabytes of JSON nodes. They are counted before parsing. */
enum { ST_MAX_ENTRIES = 1 << 18 };

typedef enum StDtype {
    ST_F64, ST_F32, ST_F16, ST_BF16, ST_F8_E4M3, ST_F8_E5M2,
    ST_I64, ST_I32, ST_I16, ST_I8, ST_U64, ST_U32, ST_U16, ST_U8, ST_BOOL,
    ST_NUM_DTYPES
} StDtype;

typedef struct StTensor {
    char *name;                     /* owned */
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t begin, end;              /* byte range within the data section */
} StTensor;

typedef struct StFile {
    const unsigned char *data;      /* data section inside the caller's bytes */
    size_t data_size;
    StTensor *tensors;              /* owned, in header order */
    int n;
    int *by_name;                   /* owned: indices into tensors, sorted by name */
} StFile;

/* Parse and validate bytes[0..size) (not copied: keep them alive while the
 * StFile is used). */
int st_parse(StFile *f, const void *bytes, size_t size, Status *st);
void st_free(StFile *f);
/* Binary search by name: a header may hold a million entries. */
const StTensor *st_find(const StFile *f, const char *name);
const char *st_dtype_name(StDtype dtype);
size_t st_numel(const StTensor *t);
/* Copy an F32 tensor's values (little-endian in the file) into out. */
void st_read_f32(const StFile *f, const StTensor *t, float *out);

/* One F32 tensor to write. */
typedef struct StWriteTensor {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
} StWriteTensor;

/* Serialise tensors (F32) with __metadata__ {"format": "pt"} into a malloc'd
 * buffer; the header is padded with spaces to a multiple of 8 bytes. */
int st_serialize(unsigned char **out, size_t *size, const StWriteTensor *t, int n, Status *st);
/* st_serialize, then write atomically to path. */
int st_write_file(const char *path, const StWriteTensor *t, int n, Status *st);

#endif
