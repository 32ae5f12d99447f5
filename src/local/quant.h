/* quant.h: F16 and Q8_0 number formats and the dot products the matmuls use.
 *
 * Q8_0 is ggml's: blocks of 32 values, each block an IEEE half scale d and 32
 * int8 q, value = q * d. Quantizing follows ggml's reference (d = amax/127,
 * q = roundf(x / d)); the AVX2 path rounds halves to even, as llama.cpp's does. */
#ifndef WR_LOCAL_QUANT_H
#define WR_LOCAL_QUANT_H

#include <stddef.h>
#include <stdint.h>

struct q8_block {
	uint16_t d;           /* IEEE half */
	int8_t qs[32];
};

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);   /* round to nearest even */

/* Element i of a row of n values of a GGML_F32/F16/Q8_0 type into out[0..n). */
void quant_row_to_f32(int type, const void *row, float *out, int64_t n);
/* x[0..n) (n a multiple of 32) into n/32 blocks, as ggml's quantize_row_q8_0. */
void quant_q8_0_row(const float *x, struct q8_block *out, int64_t n);

float dot_f32(const float *a, const float *b, int64_t n);
/* F16 weights w (n halves) against nt rows x[k]: out[k] = w . x[k]. Returns
 * 0, or -1 when no kernel fits (no AVX2, or nt not 1 or 4): then convert the
 * row with quant_row_to_f32 and use dot_f32_multi. */
int dot_f16_multi(const uint8_t *w, const float *const *x, int nt, int64_t n, float *out);
/* out[k] = w . x[k] for nt <= 4 rows x[k] of n floats. */
void dot_f32_multi(const float *w, const float *const *x, int nt, int64_t n, float *out);
/* Q8_0 weights (unaligned, 34-byte blocks) against Q8_0 activations. */
float dot_q8_0(const uint8_t *w, const struct q8_block *x, int64_t n);
/* The same for nt <= 8 activation rows x[0..nt): out[k] = w . x[k]; xd[k]
 * holds row k's block scales as floats (fp16_to_fp32 of x[k][b].d). */
void dot_q8_0_multi(const uint8_t *w, const struct q8_block *const *x,
                    const float *const *xd, int nt, int64_t n, float *out);

/* 0: portable C; 1: AVX2 kernels; 2: AVX2 and AVX-VNNI (WR_LOCAL_NO_SIMD and
 * WR_LOCAL_NO_VNNI in the environment turn them off). */
int quant_simd(void);


/* Split Q8_0 rows, for the AVX-512 kernels: a row's n int8 values in qs and
 * its n/32 block scales as floats in d (d16: the same, each repeated 8 times
 * in pairs per 64 values, as the kernel reads them). quant_split_ok(n): the
 * CPU has AVX-512 VNNI and BW (WR_LOCAL_NO_AVX512 turns them off) and n is a
 * multiple of 64, so dot_q8s may be used for rows of n. */
int quant_split_ok(int64_t n);
void quant_q8_split(const float *x, int8_t *qs, float *d, float *d16, int64_t n);
/* 8 tokens' split activations interleaved by 64-value chunk (xg: n * 8
 * bytes, xgd16: n / 4 * 8 floats), for dot_q8s_g8. */
void quant_q8_group8(const int8_t *const *xs, const float *const *xd16, int8_t *xg,
                     float *xgd16, int64_t n);
/* out[0..8) = w . x[k] for the 8 tokens of a group. */
void dot_q8s_g8(const int8_t *wq, const float *wd, const int8_t *xg, const float *xgd16,
                int64_t n, float *out);
/* out[k] = w . x[k] for nt <= 8 tokens, over split rows. */
void dot_q8s(const int8_t *wq, const float *wd, const int8_t *const *xq,
             const float *const *xd16, int nt, int64_t n, float *out);

#endif
