/* quant.c: number formats and dot products. The hot loops are written so the
 * compiler vectorizes them; on x86-64 with GCC or clang each is also built for
 * AVX2+FMA and picked at load time when the CPU has it (target_clones). */
#include "local/quant.h"

#include <math.h>
#include <string.h>

#include "local/gguf.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("avx2,fma", "default")))
#else
#define HOT
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

HOT float dot_f32(const float *a, const float *b, int64_t n)
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

HOT float dot_q8_0(const uint8_t *w, const struct q8_block *x, int64_t n)
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
