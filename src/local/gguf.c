/* gguf.c: parsing GGUF files. Every read goes through struct rd, which
 * refuses to step past the end; counts are checked against the bytes left
 * before anything is allocated for them. */
#include "local/gguf.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

#define GGUF_MAGIC 0x46554747u  /* "GGUF" little-endian */
#define GGUF_MAX_DIMS 4

struct rd {
	const uint8_t *p;
	size_t len, off;
	struct wr_err *err;
	int failed;
};

static int rd_fail(struct rd *r, const char *what)
{
	if (!r->failed)
		err_set(r->err, WR_EINVAL, "byte %zu: %s", r->off, what);
	r->failed = 1;
	return -1;
}

static int rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->failed)
		return -1;
	if (n > r->len - r->off)
		return rd_fail(r, "truncated file");
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

static uint32_t rd_u32(struct rd *r)
{
	const uint8_t *b;
	uint32_t v = 0;
	if (rd_bytes(r, 4, &b) == 0)
		memcpy(&v, b, 4);
	return v;
}

static uint64_t rd_u64(struct rd *r)
{
	const uint8_t *b;
	uint64_t v = 0;
	if (rd_bytes(r, 8, &b) == 0)
		memcpy(&v, b, 8);
	return v;
}

static int rd_str(struct rd *r, const char **s, size_t *n)
{
	const uint8_t *b;
	uint64_t len = rd_u64(r);
	if (r->failed)
		return -1;
	if (len > r->len - r->off)
		return rd_fail(r, "string longer than the file");
	if (rd_bytes(r, (size_t)len, &b) < 0)
		return -1;
	*s = (const char *)b;
	*n = (size_t)len;
	return 0;
}

static const size_t type_size[GGUF_NTYPES] = {
	[GGUF_U8] = 1, [GGUF_I8] = 1, [GGUF_U16] = 2, [GGUF_I16] = 2,
	[GGUF_U32] = 4, [GGUF_I32] = 4, [GGUF_F32] = 4, [GGUF_BOOL] = 1,
	[GGUF_U64] = 8, [GGUF_I64] = 8, [GGUF_F64] = 8,
};

/* Skips one value of type t (not an array). */
static int rd_skip_value(struct rd *r, int t)
{
	const uint8_t *b;
	if (t == GGUF_STR) {
		const char *s;
		size_t n;
		return rd_str(r, &s, &n);
	}
	if (t < 0 || t >= GGUF_NTYPES || t == GGUF_ARR)
		return rd_fail(r, "bad value type");
	return rd_bytes(r, type_size[t], &b);
}

static int rd_kv(struct rd *r, struct gguf_kv *kv)
{
	if (rd_str(r, &kv->key, &kv->key_len) < 0)
		return -1;
	kv->type = (int)rd_u32(r);
	if (r->failed)
		return -1;
	if (kv->type < 0 || kv->type >= GGUF_NTYPES)
		return rd_fail(r, "unknown metadata value type");
	kv->val = r->p + r->off;
	if (kv->type != GGUF_ARR)
		return rd_skip_value(r, kv->type);
	kv->arr_type = (int)rd_u32(r);
	kv->n = rd_u64(r);
	if (r->failed)
		return -1;
	if (kv->arr_type < 0 || kv->arr_type >= GGUF_NTYPES || kv->arr_type == GGUF_ARR)
		return rd_fail(r, "unsupported array element type (nested arrays are not read)");
	kv->val = r->p + r->off;
	if (kv->arr_type == GGUF_STR) {
		if (kv->n > (r->len - r->off) / 8)
			return rd_fail(r, "array longer than the file");
		for (uint64_t i = 0; i < kv->n; i++)
			if (rd_skip_value(r, GGUF_STR) < 0)
				return -1;
		return 0;
	}
	size_t es = type_size[kv->arr_type];
	const uint8_t *b;
	if (kv->n > (r->len - r->off) / es)
		return rd_fail(r, "array longer than the file");
	return rd_bytes(r, (size_t)kv->n * es, &b);
}

/* --- ggml types --- */

struct type_info { const char *name; int blck; int bytes; };
static const struct type_info types[] = {
	[0] = { "F32", 1, 4 },   [1] = { "F16", 1, 2 },   [2] = { "Q4_0", 32, 18 },
	[3] = { "Q4_1", 32, 20 }, [6] = { "Q5_0", 32, 22 }, [7] = { "Q5_1", 32, 24 },
	[8] = { "Q8_0", 32, 34 }, [9] = { "Q8_1", 32, 36 }, [10] = { "Q2_K", 256, 84 },
	[11] = { "Q3_K", 256, 110 }, [12] = { "Q4_K", 256, 144 },
	[13] = { "Q5_K", 256, 176 }, [14] = { "Q6_K", 256, 210 },
	[15] = { "Q8_K", 256, 292 }, [30] = { "BF16", 1, 2 },
};
#define N_TYPES (int)(sizeof types / sizeof types[0])

const char *ggml_type_name(int type)
{
	if (type < 0 || type >= N_TYPES || !types[type].name)
		return "unknown";
	return types[type].name;
}

size_t ggml_row_size(int type, int64_t ne0)
{
	if (type < 0 || type >= N_TYPES || !types[type].name || ne0 < 0)
		return 0;
	if (ne0 % types[type].blck)
		return 0;
	return (size_t)(ne0 / types[type].blck) * (size_t)types[type].bytes;
}

static int rd_tensor(struct rd *r, struct gguf_tensor *t, uint64_t *off)
{
	if (rd_str(r, &t->name, &t->name_len) < 0)
		return -1;
	uint32_t nd = rd_u32(r);
	if (r->failed)
		return -1;
	if (nd < 1 || nd > GGUF_MAX_DIMS)
		return rd_fail(r, "tensor has a bad number of dimensions");
	t->n_dims = (int)nd;
	for (int i = 0; i < GGUF_MAX_DIMS; i++)
		t->ne[i] = 1;
	for (uint32_t i = 0; i < nd; i++) {
		uint64_t d = rd_u64(r);
		if (d == 0 || d > ((uint64_t)1 << 40))
			return rd_fail(r, "tensor dimension out of range");
		t->ne[i] = (int64_t)d;
	}
	t->type = (int)rd_u32(r);
	*off = rd_u64(r);
	if (r->failed)
		return -1;
	size_t row = ggml_row_size(t->type, t->ne[0]);
	if (!row)
		return rd_fail(r, "tensor has an unknown type or a row that is not whole blocks");
	uint64_t rows = (uint64_t)t->ne[1] * (uint64_t)t->ne[2];
	if (rows > ((uint64_t)1 << 40) / (uint64_t)t->ne[3])
		return rd_fail(r, "tensor too large");
	rows *= (uint64_t)t->ne[3];
	if (rows > SIZE_MAX / row)
		return rd_fail(r, "tensor too large");
	t->size = (size_t)rows * row;
	return 0;
}

int gguf_parse(struct gguf *g, const uint8_t *data, size_t len, struct wr_err *err)
{
	struct rd r = { data, len, 0, err, 0 };
	uint64_t *offs = NULL;
	memset(g, 0, sizeof *g);
	g->map = data;
	g->map_len = len;
	if (rd_u32(&r) != GGUF_MAGIC) {
		rd_fail(&r, "not a GGUF file (bad magic)");
		goto out;
	}
	g->version = rd_u32(&r);
	if (!r.failed && (g->version < 2 || g->version > 3)) {
		rd_fail(&r, "unsupported GGUF version (2 and 3 are read)");
		goto out;
	}
	uint64_t nt = rd_u64(&r), nkv = rd_u64(&r);
	if (r.failed)
		goto out;
	/* every kv takes at least 12 bytes and every tensor 24: bounds the counts */
	if (nkv > (len - r.off) / 12 || nt > (len - r.off) / 24) {
		rd_fail(&r, "metadata or tensor count larger than the file");
		goto out;
	}
	g->kv = calloc(nkv ? nkv : 1, sizeof *g->kv);
	g->tensors = calloc(nt ? nt : 1, sizeof *g->tensors);
	offs = calloc(nt ? nt : 1, sizeof *offs);
	if (!g->kv || !g->tensors || !offs) {
		err_set(err, WR_ENOMEM, "out of memory");
		goto out_nomem;
	}
	for (uint64_t i = 0; i < nkv; i++, g->n_kv++)
		if (rd_kv(&r, &g->kv[i]) < 0)
			goto out;
	for (uint64_t i = 0; i < nt; i++, g->n_tensors++)
		if (rd_tensor(&r, &g->tensors[i], &offs[i]) < 0)
			goto out;
	int64_t align = 32;
	if (gguf_get_int(g, "general.alignment", &align) == 0 &&
	    (align < 1 || align > 65536 || (align & (align - 1)))) {
		rd_fail(&r, "general.alignment is not a power of two");
		goto out;
	}
	size_t start = (r.off + (size_t)align - 1) / (size_t)align * (size_t)align;
	if (start > len) {
		rd_fail(&r, "no tensor data");
		goto out;
	}
	for (size_t i = 0; i < g->n_tensors; i++) {
		struct gguf_tensor *t = &g->tensors[i];
		if (offs[i] % (uint64_t)align || offs[i] > len - start ||
		    t->size > len - start - offs[i]) {
			err_set(err, WR_EINVAL, "tensor '%.*s': data outside the file",
			        (int)t->name_len, t->name);
			r.failed = 1;
			goto out;
		}
		t->data = data + start + offs[i];
	}
	free(offs);
	return 0;
out:
	if (!r.failed)
		rd_fail(&r, "truncated file");
out_nomem:
	free(offs);
	gguf_release(g, 0);
	return err && err->code ? err->code : WR_EINVAL;
}

int gguf_open(struct gguf *g, const char *path, struct wr_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	memset(g, 0, sizeof *g);
	if (fd < 0)
		return err_set(err, WR_EIO, "%s: cannot open", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 24) {
		close(fd);
		return err_set(err, WR_EINVAL, "%s: not a GGUF file (too short)", path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return err_set(err, WR_EIO, "%s: cannot map", path);
	int rc = gguf_parse(g, p, (size_t)st.st_size, err);
	if (rc < 0) {
		munmap(p, (size_t)st.st_size);
		memset(g, 0, sizeof *g);
		return err_wrap(err, "%s", path);
	}
	return 0;
}

void gguf_release(struct gguf *g, int unmap)
{
	if (!g)
		return;
	free(g->kv);
	free(g->tensors);
	if (unmap && g->map)
		munmap((void *)g->map, g->map_len);
	memset(g, 0, sizeof *g);
}

/* --- lookups --- */

const struct gguf_kv *gguf_find(const struct gguf *g, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < g->n_kv; i++)
		if (g->kv[i].key_len == n && memcmp(g->kv[i].key, key, n) == 0)
			return &g->kv[i];
	return NULL;
}

int gguf_get_int(const struct gguf *g, const char *key, int64_t *v)
{
	const struct gguf_kv *kv = gguf_find(g, key);
	if (!kv)
		return -1;
	const uint8_t *p = kv->val;
	switch (kv->type) {
	case GGUF_U8: case GGUF_BOOL: *v = p[0]; return 0;
	case GGUF_I8: *v = (int8_t)p[0]; return 0;
	case GGUF_U16: { uint16_t x; memcpy(&x, p, 2); *v = x; return 0; }
	case GGUF_I16: { int16_t x; memcpy(&x, p, 2); *v = x; return 0; }
	case GGUF_U32: { uint32_t x; memcpy(&x, p, 4); *v = x; return 0; }
	case GGUF_I32: { int32_t x; memcpy(&x, p, 4); *v = x; return 0; }
	case GGUF_U64: { uint64_t x; memcpy(&x, p, 8); *v = x > INT64_MAX ? -1 : (int64_t)x; return 0; }
	case GGUF_I64: { int64_t x; memcpy(&x, p, 8); *v = x; return 0; }
	default: return -1;
	}
}

int gguf_get_float(const struct gguf *g, const char *key, double *v)
{
	const struct gguf_kv *kv = gguf_find(g, key);
	int64_t i;
	if (!kv)
		return -1;
	if (kv->type == GGUF_F32) {
		float f;
		memcpy(&f, kv->val, 4);
		*v = f;
		return 0;
	}
	if (kv->type == GGUF_F64) {
		memcpy(v, kv->val, 8);
		return 0;
	}
	if (gguf_get_int(g, key, &i) < 0)
		return -1;
	*v = (double)i;
	return 0;
}

int gguf_get_str(const struct gguf *g, const char *key, const char **s, size_t *len)
{
	const struct gguf_kv *kv = gguf_find(g, key);
	uint64_t n;
	if (!kv || kv->type != GGUF_STR)
		return -1;
	memcpy(&n, kv->val, 8);   /* validated when parsed */
	*s = (const char *)kv->val + 8;
	*len = (size_t)n;
	return 0;
}

int gguf_get_strs(const struct gguf *g, const char *key, const char ***ptrs,
                  uint32_t **lens, uint64_t *n)
{
	const struct gguf_kv *kv = gguf_find(g, key);
	if (!kv || kv->type != GGUF_ARR || kv->arr_type != GGUF_STR)
		return -1;
	*ptrs = malloc((kv->n ? kv->n : 1) * sizeof **ptrs);
	*lens = malloc((kv->n ? kv->n : 1) * sizeof **lens);
	if (!*ptrs || !*lens) {
		free(*ptrs);
		free(*lens);
		*ptrs = NULL;
		*lens = NULL;
		return WR_ENOMEM;
	}
	const uint8_t *p = kv->val;
	for (uint64_t i = 0; i < kv->n; i++) {
		uint64_t l;
		memcpy(&l, p, 8);
		(*ptrs)[i] = (const char *)p + 8;
		(*lens)[i] = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
		p += 8 + l;
	}
	*n = kv->n;
	return 0;
}

const struct gguf_tensor *gguf_tensor(const struct gguf *g, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < g->n_tensors; i++)
		if (g->tensors[i].name_len == n && memcmp(g->tensors[i].name, name, n) == 0)
			return &g->tensors[i];
	return NULL;
}
