/* quant.c: number formats and dot products: portable C loops, and AVX2/FMA/F16C
 * versions picked at run time on x86-64 CPUs that have them (GCC or clang).
 */
#include "local/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "local/gguf.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

float fp16_to_fp32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0) {
		if (man == 0) {
			bits = sign;
		} else {   /* subnormal: normalise */
			int e = -1;
			do {
				e++;
				man <<= 1;
			} while (!(man & 0x400));
			bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | (man << 13);
	} else {
		bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t fp32_to_fp16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000;
	uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
	if (exp == 0xff)
		return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
	int e = (int)exp - 127 + 15;
	if (e >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (e <= 0) {
		if (e < -10)
			return (uint16_t)sign;
		man |= 0x800000;
		int shift = 14 - e;
		uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
		if (rem > half || (rem == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++;   /* may carry into the exponent: still right */
	return (uint16_t)(sign | h);
}

static int have_avx2(void);
#ifdef HAVE_X86
static void f16_row_avx2(const uint8_t *p, float *out, int64_t n);
static void quant_q8_0_row_avx2(const float *x, struct q8_block *out, int64_t n);
#endif

static float f16_table[65536];
static int f16_ready;

static void f16_init(void)
{
	if (__atomic_load_n(&f16_ready, __ATOMIC_ACQUIRE))
		return;
	for (uint32_t i = 0; i < 65536; i++)
		f16_table[i] = fp16_to_fp32((uint16_t)i);
	__atomic_store_n(&f16_ready, 1, __ATOMIC_RELEASE);
}

static inline float f16(uint16_t h) { return f16_table[h]; }

void quant_row_to_f32(int type, const void *row, float *out, int64_t n)
{
	f16_init();
	if (type == GGML_F32) {
		memcpy(out, row, (size_t)n * sizeof(float));
	} else if (type == GGML_F16) {
		const uint8_t *p = row;
#ifdef HAVE_X86
		if (have_avx2()) {
			f16_row_avx2(p, out, n);
			return;
		}
#endif
		for (int64_t i = 0; i < n; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			out[i] = f16(h);
		}
	} else if (type == GGML_Q8_0) {
		const uint8_t *p = row;
		for (int64_t b = 0; b < n / QK8_0; b++, p += Q8_0_BYTES) {
			uint16_t h;
			memcpy(&h, p, 2);
			float d = f16(h);
			const int8_t *q = (const int8_t *)(p + 2);
			for (int j = 0; j < QK8_0; j++)
				out[b * QK8_0 + j] = (float)q[j] * d;
		}
	}
}

void quant_q8_0_row(const float *x, struct q8_block *out, int64_t n)
{
	f16_init();
#ifdef HAVE_X86
	if (have_avx2()) {
		quant_q8_0_row_avx2(x, out, n);
		return;
	}
#endif
	for (int64_t b = 0; b < n / QK8_0; b++) {
		const float *v = x + b * QK8_0;
		float amax = 0;
		for (int j = 0; j < QK8_0; j++)
			amax = fmaxf(amax, fabsf(v[j]));
		float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
		out[b].d = fp32_to_fp16(d);
		for (int j = 0; j < QK8_0; j++)
			out[b].qs[j] = (int8_t)roundf(v[j] * id);
	}
}

static float dot_f32_c(const float *a, const float *b, int64_t n)
{
	float acc[16] = { 0 };
	int64_t i = 0;
	for (; i + 16 <= n; i += 16)
		for (int j = 0; j < 16; j++)
			acc[j] += a[i + j] * b[i + j];
	float s = 0;
	for (; i < n; i++)
		s += a[i] * b[i];
	for (int j = 0; j < 16; j++)
		s += acc[j];
	return s;
}

static float dot_q8_0_c(const uint8_t *w, const struct q8_block *x, int64_t n)
{
	float s = 0;
	for (int64_t b = 0; b < n / QK8_0; b++, w += Q8_0_BYTES) {
		const int8_t *q = (const int8_t *)(w + 2);
		int32_t isum = 0;
		for (int j = 0; j < QK8_0; j++)
			isum += (int16_t)q[j] * (int16_t)x[b].qs[j];
		uint16_t h;
		memcpy(&h, w, 2);
		s += (float)isum * (f16_table[h] * f16_table[x[b].d]);
	}
	return s;
}

/* --- AVX2 --- */

#ifdef HAVE_X86
AVX2 static float hsum256(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

AVX2 static float dot_f32_avx2(const float *a, const float *b, int64_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	int64_t i = 0;
	for (; i + 32 <= n; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* One row against 4 tokens: each 8 weights loaded once for all four. */
AVX2 static void dot_f32_x4_avx2(const float *w, const float *const *x, int64_t n, float *out)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
	__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
	const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_loadu_ps(w + i);
		a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + i), a0);
		a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + i), a1);
		a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + i), a2);
		a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x3 + i), a3);
	}
	out[0] = hsum256(a0);
	out[1] = hsum256(a1);
	out[2] = hsum256(a2);
	out[3] = hsum256(a3);
	for (; i < n; i++)
		for (int k = 0; k < 4; k++)
			out[k] += w[i] * x[k][i];
}

/* F16 weights (converted as they are read) against nt <= 4 tokens. */
AVX2 static void dot_f16_avx2(const uint8_t *w, const float *const *x, int nt, int64_t n,
                              float *out)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
	__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
	int64_t i = 0;
	if (nt == 4) {
		const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
		for (; i + 8 <= n; i += 8) {
			__m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i)));
			a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + i), a0);
			a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + i), a1);
			a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + i), a2);
			a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x3 + i), a3);
		}
	} else {   /* nt == 1: two accumulators, and the weights fetched ahead */
		const float *x0 = x[0];
		for (; i + 16 <= n; i += 16) {
			_mm_prefetch((const char *)(w + 2 * i) + 2048, _MM_HINT_T0);
			__m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i)));
			__m256 u = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i + 16)));
			a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + i), a0);
			a1 = _mm256_fmadd_ps(u, _mm256_loadu_ps(x0 + i + 8), a1);
		}
		for (; i + 8 <= n; i += 8)
			a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i))),
			                     _mm256_loadu_ps(x0 + i), a0);
		a0 = _mm256_add_ps(a0, a1);
	}
	out[0] = hsum256(a0);
	if (nt == 4) {
		out[1] = hsum256(a1);
		out[2] = hsum256(a2);
		out[3] = hsum256(a3);
	}
	for (; i < n; i++) {
		uint16_t h;
		memcpy(&h, w + 2 * i, 2);
		for (int k = 0; k < nt; k++)
			out[k] += _cvtsh_ss(h) * x[k][i];
	}
}

/* 32 int8 products summed into 8 int32, as float (ggml's sign trick:
 * maddubs needs one unsigned operand). */
AVX2 static inline __m256 q8_block_dot(const void *w, const void *x)
{
	__m256i qw = _mm256_loadu_si256((const __m256i *)w);
	__m256i qx = _mm256_loadu_si256((const __m256i *)x);
	__m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(qw, qw), _mm256_sign_epi8(qx, qw));
	return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

AVX2 static float dot_q8_0_avx2(const uint8_t *w, const struct q8_block *x, int64_t n)
{
	__m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
	int64_t nb = n / QK8_0, b = 0;
	for (; b + 2 <= nb; b += 2, w += 2 * Q8_0_BYTES) {
		_mm_prefetch((const char *)w + 2560, _MM_HINT_T0);
		uint16_t h0, h1;
		memcpy(&h0, w, 2);
		memcpy(&h1, w + Q8_0_BYTES, 2);
		__m256 d0 = _mm256_set1_ps(_cvtsh_ss(h0) * _cvtsh_ss(x[b].d));
		__m256 d1 = _mm256_set1_ps(_cvtsh_ss(h1) * _cvtsh_ss(x[b + 1].d));
		acc0 = _mm256_fmadd_ps(d0, q8_block_dot(w + 2, x[b].qs), acc0);
		acc1 = _mm256_fmadd_ps(d1, q8_block_dot(w + Q8_0_BYTES + 2, x[b + 1].qs), acc1);
	}
	for (; b < nb; b++, w += Q8_0_BYTES) {
		uint16_t h;
		memcpy(&h, w, 2);
		__m256 d = _mm256_set1_ps(_cvtsh_ss(h) * _cvtsh_ss(x[b].d));
		acc0 = _mm256_fmadd_ps(d, q8_block_dot(w + 2, x[b].qs), acc0);
	}
	return hsum256(_mm256_add_ps(acc0, acc1));
}

/* Q8_0 weights against 4 or 8 tokens' activations at once: each weight
 * block is loaded and sign-split once for all of them. x[k] for token k, xd[k] its block
 * scales as floats. With AVX-VNNI one instruction does maddubs+madd. */
#define Q8_TERM(k, DOT) \
	a##k = _mm256_fmadd_ps(_mm256_set1_ps(dw * xd[k][b]), DOT(aw, qw, x[k][b].qs), a##k)
#define Q8_X4_BODY(DOT) \
	__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(); \
	__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps(); \
	for (int64_t b = 0; b < n / QK8_0; b++, w += Q8_0_BYTES) { \
		uint16_t h; \
		memcpy(&h, w, 2); \
		float dw = _cvtsh_ss(h); \
		__m256i qw = _mm256_loadu_si256((const __m256i *)(w + 2)); \
		__m256i aw = _mm256_sign_epi8(qw, qw); \
		Q8_TERM(0, DOT); Q8_TERM(1, DOT); Q8_TERM(2, DOT); Q8_TERM(3, DOT); \
	} \
	out[0] = hsum256(a0); out[1] = hsum256(a1); out[2] = hsum256(a2); out[3] = hsum256(a3);
#define Q8_X8_BODY(DOT) \
	__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(); \
	__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps(); \
	__m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(); \
	__m256 a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps(); \
	for (int64_t b = 0; b < n / QK8_0; b++, w += Q8_0_BYTES) { \
		uint16_t h; \
		memcpy(&h, w, 2); \
		float dw = _cvtsh_ss(h); \
		__m256i qw = _mm256_loadu_si256((const __m256i *)(w + 2)); \
		__m256i aw = _mm256_sign_epi8(qw, qw); \
		Q8_TERM(0, DOT); Q8_TERM(1, DOT); Q8_TERM(2, DOT); Q8_TERM(3, DOT); \
		Q8_TERM(4, DOT); Q8_TERM(5, DOT); Q8_TERM(6, DOT); Q8_TERM(7, DOT); \
	} \
	out[0] = hsum256(a0); out[1] = hsum256(a1); out[2] = hsum256(a2); out[3] = hsum256(a3); \
	out[4] = hsum256(a4); out[5] = hsum256(a5); out[6] = hsum256(a6); out[7] = hsum256(a7);

AVX2 static inline __m256 q8_dot_avx2(__m256i aw, __m256i qw, const int8_t *xq)
{
	__m256i qx = _mm256_loadu_si256((const __m256i *)xq);
	__m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(qx, qw));
	return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

AVX2 static void dot_q8_0_x4_avx2(const uint8_t *w, const struct q8_block *const *x,
                                  const float *const *xd, int64_t n, float *out)
{
	Q8_X4_BODY(q8_dot_avx2)
}

AVX2 static void dot_q8_0_x8_avx2(const uint8_t *w, const struct q8_block *const *x,
                                  const float *const *xd, int64_t n, float *out)
{
	Q8_X8_BODY(q8_dot_avx2)
}

#if defined(__GNUC__) && (__GNUC__ >= 11 || defined(__clang__))
#define HAVE_VNNI 1
#define VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))
VNNI static inline __m256 q8_dot_vnni(__m256i aw, __m256i qw, const int8_t *xq)
{
	__m256i qx = _mm256_loadu_si256((const __m256i *)xq);
	return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), aw,
	                                                  _mm256_sign_epi8(qx, qw)));
}

VNNI static void dot_q8_0_x4_vnni(const uint8_t *w, const struct q8_block *const *x,
                                  const float *const *xd, int64_t n, float *out)
{
	Q8_X4_BODY(q8_dot_vnni)
}

VNNI static void dot_q8_0_x8_vnni(const uint8_t *w, const struct q8_block *const *x,
                                  const float *const *xd, int64_t n, float *out)
{
	Q8_X8_BODY(q8_dot_vnni)
}
#endif

AVX2 static void quant_q8_0_row_avx2(const float *x, struct q8_block *out, int64_t n)
{
	const __m256 signbit = _mm256_set1_ps(-0.0f);
	for (int64_t b = 0; b < n / QK8_0; b++) {
		const float *v = x + b * QK8_0;
		__m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
		__m256 v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
		__m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signbit, v0),
		                                       _mm256_andnot_ps(signbit, v1)),
		                         _mm256_max_ps(_mm256_andnot_ps(signbit, v2),
		                                       _mm256_andnot_ps(signbit, v3)));
		__m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
		m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
		m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
		float amax = _mm_cvtss_f32(m4);
		float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
		out[b].d = (uint16_t)_cvtss_sh(d, 0);
		__m256 mul = _mm256_set1_ps(id);
		const int r = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
		__m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, mul), r));
		__m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, mul), r));
		__m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, mul), r));
		__m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, mul), r));
		/* pack to int8 in order: packs interleave 128-bit lanes, then fix */
		__m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
		__m256i p = _mm256_packs_epi16(p01, p23);
		p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
		_mm256_storeu_si256((__m256i *)out[b].qs, p);
	}
}

AVX2 static void f16_row_avx2(const uint8_t *p, float *out, int64_t n)
{
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
	for (; i < n; i++) {
		uint16_t h;
		memcpy(&h, p + 2 * i, 2);
		out[i] = _cvtsh_ss(h);
	}
}


/* --- AVX-512 VNNI over split rows (int8 values, float scales) --- */

#if defined(HAVE_X86) && defined(__GNUC__) && (__GNUC__ >= 11 || defined(__clang__))
#define HAVE_AVX512 1
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

/* 64 weights (two blocks) against 64 activations, in 16 float lanes: lanes
 * 0-7 hold block 2j's partial sums, 8-15 block 2j+1's. */
#define S_TERM(k) do { \
		__m512i x = _mm512_loadu_si512((const void *)(xq[k] + 64 * j)); \
		__m512i sx = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x); \
		__m512i dp = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aw, sx); \
		a##k = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dp), \
		                       _mm512_mul_ps(dw, _mm512_loadu_ps(xd16[k] + 16 * j)), a##k); \
	} while (0)
#define S_HEAD \
	const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0); \
	for (int64_t j = 0; j < n / 64; j++) { \
		__m512i w = _mm512_loadu_si512((const void *)(wq + 64 * j)); \
		__mmask64 neg = _mm512_movepi8_mask(w); \
		__m512i aw = _mm512_abs_epi8(w); \
		__m128 d2 = _mm_castpd_ps(_mm_load_sd((const double *)(wd + 2 * j))); \
		__m512 dw = _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(d2));

AVX512 static void dot_q8s_x1_avx512(const int8_t *wq, const float *wd, const int8_t *const *xq,
                                     const float *const *xd16, int64_t n, float *out)
{
	__m512 a0 = _mm512_setzero_ps();
	S_HEAD
		_mm_prefetch((const char *)(wq + 64 * j) + 2048, _MM_HINT_T0);
		_mm_prefetch((const char *)(wd + 2 * j) + 128, _MM_HINT_T0);
		S_TERM(0);
	}
	out[0] = _mm512_reduce_add_ps(a0);
}

AVX512 static void dot_q8s_x4_avx512(const int8_t *wq, const float *wd, const int8_t *const *xq,
                                     const float *const *xd16, int64_t n, float *out)
{
	__m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
	__m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
	S_HEAD
		S_TERM(0); S_TERM(1); S_TERM(2); S_TERM(3);
	}
	out[0] = _mm512_reduce_add_ps(a0);
	out[1] = _mm512_reduce_add_ps(a1);
	out[2] = _mm512_reduce_add_ps(a2);
	out[3] = _mm512_reduce_add_ps(a3);
}

/* 8 tokens whose activations are interleaved by 64-value chunk: chunk j of
 * token k at xg + (8 * j + k) * 64, its 16 scales at xgd16 + (8 * j + k) * 16,
 * so every address is one pointer plus a constant. */
#define G_TERM(k) do { \
		__m512i x = _mm512_loadu_si512((const void *)(xg + (8 * j + k) * 64)); \
		__m512i sx = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x); \
		__m512i dp = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aw, sx); \
		a##k = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dp), \
		                       _mm512_mul_ps(dw, _mm512_loadu_ps(xgd16 + (8 * j + k) * 16)), a##k); \
	} while (0)

AVX512 static void dot_q8s_g8_avx512(const int8_t *wq, const float *wd, const int8_t *xg,
                                     const float *xgd16, int64_t n, float *out)
{
	__m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
	__m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
	__m512 a4 = _mm512_setzero_ps(), a5 = _mm512_setzero_ps();
	__m512 a6 = _mm512_setzero_ps(), a7 = _mm512_setzero_ps();
	S_HEAD
		_mm_prefetch((const char *)(wq + 64 * j) + 1024, _MM_HINT_T0);
		_mm_prefetch((const char *)(wd + 2 * j) + 64, _MM_HINT_T0);
		G_TERM(0); G_TERM(1); G_TERM(2); G_TERM(3);
		G_TERM(4); G_TERM(5); G_TERM(6); G_TERM(7);
	}
	out[0] = _mm512_reduce_add_ps(a0);
	out[1] = _mm512_reduce_add_ps(a1);
	out[2] = _mm512_reduce_add_ps(a2);
	out[3] = _mm512_reduce_add_ps(a3);
	out[4] = _mm512_reduce_add_ps(a4);
	out[5] = _mm512_reduce_add_ps(a5);
	out[6] = _mm512_reduce_add_ps(a6);
	out[7] = _mm512_reduce_add_ps(a7);
}
#undef G_TERM
#undef S_TERM
#undef S_HEAD
#endif

static int use_avx2 = -1, use_vnni, use_avx512;   /* set once by have_avx2() */

static int have_avx2(void)
{
	int u = __atomic_load_n(&use_avx2, __ATOMIC_RELAXED);
	if (u < 0) {
		__builtin_cpu_init();
		u = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
		    __builtin_cpu_supports("f16c");
		if (getenv("WR_LOCAL_NO_SIMD"))
			u = 0;
#ifdef HAVE_VNNI
		use_vnni = u && __builtin_cpu_supports("avxvnni") && !getenv("WR_LOCAL_NO_VNNI");
#endif
#ifdef HAVE_AVX512
		use_avx512 = u && __builtin_cpu_supports("avx512bw") &&
		             __builtin_cpu_supports("avx512vnni") && !getenv("WR_LOCAL_NO_AVX512");
#endif
		__atomic_store_n(&use_avx2, u, __ATOMIC_RELAXED);
	}
	return u;
}
#else
static int have_avx2(void) { return 0; }
#endif

float dot_f32(const float *a, const float *b, int64_t n)
{
#ifdef HAVE_X86
	if (have_avx2())
		return dot_f32_avx2(a, b, n);
#endif
	return dot_f32_c(a, b, n);
}

void dot_f32_multi(const float *w, const float *const *x, int nt, int64_t n, float *out)
{
#ifdef HAVE_X86
	if (nt == 4 && have_avx2()) {
		dot_f32_x4_avx2(w, x, n, out);
		return;
	}
#endif
	for (int k = 0; k < nt; k++)
		out[k] = dot_f32(w, x[k], n);
}

int dot_f16_multi(const uint8_t *w, const float *const *x, int nt, int64_t n, float *out)
{
#ifdef HAVE_X86
	if ((nt == 1 || nt == 4) && have_avx2()) {
		dot_f16_avx2(w, x, nt, n, out);
		return 0;
	}
#endif
	(void)w; (void)x; (void)nt; (void)n; (void)out;
	return -1;
}

float dot_q8_0(const uint8_t *w, const struct q8_block *x, int64_t n)
{
#ifdef HAVE_X86
	if (have_avx2())
		return dot_q8_0_avx2(w, x, n);
#endif
	return dot_q8_0_c(w, x, n);
}

int quant_simd(void)
{
#ifdef HAVE_X86
	return have_avx2() ? 1 + use_vnni + 2 * use_avx512 : 0;
#else
	return 0;
#endif
}

int quant_split_ok(int64_t n)
{
#ifdef HAVE_AVX512
	return have_avx2() && use_avx512 && n % 64 == 0;
#else
	(void)n;
	return 0;
#endif
}

void quant_q8_split(const float *x, int8_t *qs, float *d, float *d16, int64_t n)
{
	struct q8_block blk[2];
	for (int64_t b = 0; b < n / QK8_0; b++) {
		quant_q8_0_row(x + b * QK8_0, blk, QK8_0);
		memcpy(qs + b * QK8_0, blk[0].qs, QK8_0);
		d[b] = fp16_to_fp32(blk[0].d);
	}
	if (d16 && n % 64 == 0)
		for (int64_t j = 0; j < n / 64; j++)
			for (int i = 0; i < 16; i++)
				d16[j * 16 + i] = d[2 * j + i / 8];
}

void dot_q8s_g8(const int8_t *wq, const float *wd, const int8_t *xg, const float *xgd16,
                int64_t n, float *out)
{
#ifdef HAVE_AVX512
	dot_q8s_g8_avx512(wq, wd, xg, xgd16, n, out);
#else
	(void)wq; (void)wd; (void)xg; (void)xgd16; (void)n;
	memset(out, 0, 8 * sizeof *out);
#endif
}

void quant_q8_group8(const int8_t *const *xs, const float *const *xd16, int8_t *xg,
                     float *xgd16, int64_t n)
{
	for (int64_t j = 0; j < n / 64; j++)
		for (int k = 0; k < 8; k++) {
			memcpy(xg + (8 * j + k) * 64, xs[k] + 64 * j, 64);
			memcpy(xgd16 + (8 * j + k) * 16, xd16[k] + 16 * j, 16 * sizeof(float));
		}
}

void dot_q8s(const int8_t *wq, const float *wd, const int8_t *const *xq,
             const float *const *xd16, int nt, int64_t n, float *out)
{
#ifdef HAVE_AVX512
	if (nt >= 4) {
		dot_q8s_x4_avx512(wq, wd, xq, xd16, n, out);
		for (int k = 4; k < nt; k++)
			dot_q8s_x1_avx512(wq, wd, xq + k, xd16 + k, n, out + k);
	} else
		for (int k = 0; k < nt; k++)
			dot_q8s_x1_avx512(wq, wd, xq + k, xd16 + k, n, out + k);
#else
	(void)wq; (void)wd; (void)xq; (void)xd16; (void)n;
	for (int k = 0; k < nt; k++)
		out[k] = 0;
#endif
}

void dot_q8_0_multi(const uint8_t *w, const struct q8_block *const *x,
                    const float *const *xd, int nt, int64_t n, float *out)
{
#ifdef HAVE_X86
	if (have_avx2()) {
#ifdef HAVE_VNNI
		if (nt == 8 && use_vnni)
			dot_q8_0_x8_vnni(w, x, xd, n, out);
		else if (nt == 4 && use_vnni)
			dot_q8_0_x4_vnni(w, x, xd, n, out);
		else
#endif
		if (nt == 8)
			dot_q8_0_x8_avx2(w, x, xd, n, out);
		else if (nt == 4)
			dot_q8_0_x4_avx2(w, x, xd, n, out);
		else
			for (int k = 0; k < nt; k++)
				out[k] = dot_q8_0_avx2(w, x[k], n);
		return;
	}
#endif
	for (int k = 0; k < nt; k++)
		out[k] = dot_q8_0_c(w, x[k], n);
}
