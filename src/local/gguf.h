/* gguf.h: a bounds-checked reader of GGUF v2/v3 files (mapped read-only).
 *
 * The whole header (metadata and tensor table) is validated when the file is
 * opened; afterwards lookups cannot read outside the mapping. Strings point
 * into the mapping and are not NUL-terminated. */
#ifndef WR_LOCAL_GGUF_H
#define WR_LOCAL_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "warrant.h"

enum gguf_type {
	GGUF_U8 = 0, GGUF_I8, GGUF_U16, GGUF_I16, GGUF_U32, GGUF_I32, GGUF_F32,
	GGUF_BOOL, GGUF_STR, GGUF_ARR, GGUF_U64, GGUF_I64, GGUF_F64,
	GGUF_NTYPES
};

/* ggml tensor types this engine reads. */
enum { GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8 };
#define QK8_0 32
#define Q8_0_BYTES 34   /* fp16 scale + 32 int8 */

struct gguf_kv {
	const char *key;
	size_t key_len;
	int type;             /* enum gguf_type */
	int arr_type;         /* element type when type == GGUF_ARR */
	uint64_t n;           /* elements when an array */
	const uint8_t *val;   /* the value (or the array's first element) */
};

struct gguf_tensor {
	const char *name;
	size_t name_len;
	int n_dims;
	int64_t ne[4];        /* ne[0] varies fastest; unused dims are 1 */
	int type;             /* GGML_* */
	const uint8_t *data;
	size_t size;          /* bytes */
};

struct gguf {
	const uint8_t *map;
	size_t map_len;
	uint32_t version;
	struct gguf_kv *kv;
	size_t n_kv;
	struct gguf_tensor *tensors;
	size_t n_tensors;
};

/* Maps and validates path. Returns 0, WR_EIO or WR_EINVAL (err says what and
 * at which byte offset), WR_ENOMEM. */
int gguf_open(struct gguf *g, const char *path, struct wr_err *err);
/* Validates a file already in memory (borrowed; tests and fuzzing). */
int gguf_parse(struct gguf *g, const uint8_t *data, size_t len, struct wr_err *err);
/* Frees the tables and unmaps a file opened by gguf_open. */
void gguf_release(struct gguf *g, int unmap);

const struct gguf_kv *gguf_find(const struct gguf *g, const char *key);
/* An integer value (any integer or bool type) in *v. 0, or -1 when absent or
 * not an integer. */
int gguf_get_int(const struct gguf *g, const char *key, int64_t *v);
/* A float value (F32, F64 or an integer). 0 or -1. */
int gguf_get_float(const struct gguf *g, const char *key, double *v);
/* A string value: *s into the mapping, *len. 0 or -1. */
int gguf_get_str(const struct gguf *g, const char *key, const char **s, size_t *len);
/* The strings of a string array: *ptrs and *lens are malloc'd arrays of n
 * (freed by the caller). 0, -1 when absent or not a string array, WR_ENOMEM. */
int gguf_get_strs(const struct gguf *g, const char *key, const char ***ptrs,
                  uint32_t **lens, uint64_t *n);

const struct gguf_tensor *gguf_tensor(const struct gguf *g, const char *name);

/* Bytes of a row of ne0 elements of type, or 0 when type is unsupported or
 * ne0 is not a whole number of blocks. */
size_t ggml_row_size(int type, int64_t ne0);
const char *ggml_type_name(int type);

#endif
