/* test_local.c: the embedded engine on the committed fixture
 * tests/local/tiny.gguf (a random 2-layer F32 llama written by
 * tests/local/ref_logits.py --fixture, with PyTorch's logits beside it). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/os.h"
#include "harness.h"
#include "local/gguf.h"
#include "local/local.h"
#include "local/quant.h"
#include "local/tokenizer.h"

#define FIXTURE "tests/local/tiny.gguf"

static struct local_model *fixture(int threads)
{
	struct local_model *m = NULL;
	struct wr_err err = { 0 };
	if (local_model_open(FIXTURE, threads, 0, &m, &err) < 0)
		t_fail(__FILE__, __LINE__, "open: %s", err.msg);
	return m;
}

TEST(local_logits_match_pytorch)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	REQUIRE(os_read_file("tests/local/tiny.logits", 1 << 20, &b, NULL) == 0);
	uint32_t n, nv;
	memcpy(&n, b.data, 4);
	memcpy(&nv, b.data + 4, 4);
	REQUIRE(n > 0 && n < 64 && b.len == 8 + 4 * n + 4 * (size_t)n * nv);
	int ids[64];
	memcpy(ids, b.data + 8, 4 * n);
	const float *want = (const float *)(b.data + 8 + 4 * n);
	for (int threads = 1; threads <= 3; threads++) {
		struct local_model *m = fixture(threads);
		REQUIRE(m);
		EXPECT_INT(local_n_vocab(m), nv);
		float *got = malloc((size_t)n * nv * sizeof *got);
		REQUIRE(got);
		EXPECT(local_eval(m, ids, (int)n, got, 1, NULL) == 0);
		double worst = 0;
		for (size_t i = 0; i < (size_t)n * nv; i++)
			worst = fmax(worst, fabs((double)got[i] - want[i]));
		EXPECT(worst < 1e-4);
		/* the last token's logits, after the first half went through the cache */
		local_reset(m);
		EXPECT(local_eval(m, ids, (int)n / 2, NULL, 0, NULL) == 0);
		EXPECT(local_eval(m, ids + n / 2, (int)(n - n / 2), got, 0, NULL) == 0);
		worst = 0;
		for (size_t i = 0; i < nv; i++)
			worst = fmax(worst, fabs((double)got[i] - want[(size_t)(n - 1) * nv + i]));
		EXPECT(worst < 1e-4);
		EXPECT_INT(local_n_past(m), n);
		free(got);
		local_model_free(m);
	}
	buf_release(&b);
}

TEST(local_tokenizer_round_trips)
{
	struct local_model *m = fixture(1);
	REQUIRE(m);
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	const char *texts[] = { "The invoice total is 1234.50 EUR", "  two  spaces\n\n\tand tabs ",
	                        "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "bad \xff\xfe utf-8 \xc3",
	                        "don't we'll", "" };
	int ids[512];
	for (size_t k = 0; k <= sizeof texts / sizeof texts[0]; k++) {
		const char *t = k < sizeof texts / sizeof texts[0] ? texts[k] : all;
		size_t len = k < sizeof texts / sizeof texts[0] ? strlen(t) : 256;
		int n = local_tokenize(m, t, len, ids, 512, 0);
		REQUIRE(n >= 0 && n <= 512);
		struct buf back;
		buf_init(&back, 1 << 16);
		EXPECT(local_detokenize(m, ids, n, &back) == 0);
		EXPECT(back.len == len && memcmp(back.data, t, len) == 0);
		buf_release(&back);
	}
	/* merges apply: a common word is fewer tokens than bytes */
	EXPECT(local_tokenize(m, "the invoice", 11, ids, 512, 0) < 11);
	/* too small an output: the count still comes back */
	EXPECT_INT(local_tokenize(m, "abc def", 7, ids, 1, 0), local_tokenize(m, "abc def", 7, NULL, 0, 0));
	/* control text: a token with special, bytes without */
	const char *s = "a<|endoftext|>b";
	EXPECT_INT(local_tokenize(m, s, strlen(s), ids, 512, 1), 3);
	EXPECT_INT(ids[1], local_eos(m));
	EXPECT(local_token_is_control(m, ids[1]));
	EXPECT(local_tokenize(m, s, strlen(s), ids, 512, 0) > 3);
	for (int i = 0; i < local_tokenize(m, s, strlen(s), ids, 512, 0); i++)
		EXPECT(ids[i] != local_eos(m));
	local_model_free(m);
}

TEST(local_pretokenizer_pieces)
{
	const char *s = "Hello world's  12345 ok!!  \n\n  x";
	const char *gpt2[] = { "Hello", " world", "'s", " ", " 12345", " ok", "!!", "  \n\n ", " x" };
	const char *llama3[] = { "Hello", " world", "'s", " ", " ", "123", "45", " ok", "!!", "  \n\n",
	                         " ", " x" };
	size_t off = 0, k = 0, len = strlen(s);
	for (; off < len && k < 9; k++) {
		size_t n = tok_pre_piece(TOK_PRE_GPT2, (const unsigned char *)s + off, len - off);
		EXPECT(n == strlen(gpt2[k]) && memcmp(s + off, gpt2[k], n) == 0);
		off += n;
	}
	EXPECT(off == len && k == 9);
	for (off = 0, k = 0; off < len && k < 12; k++) {
		size_t n = tok_pre_piece(TOK_PRE_LLAMA3, (const unsigned char *)s + off, len - off);
		EXPECT(n == strlen(llama3[k]) && memcmp(s + off, llama3[k], n) == 0);
		off += n;
	}
	EXPECT(off == len && k == 12);
	/* non-ASCII punctuation and symbols are not letters; superscripts are digits */
	const char *u = "\xe2\x80\x9cHi,\xe2\x80\x9d 42\xe2\x82\xac \xc2\xb3";
	const char *want[] = { "\xe2\x80\x9c", "Hi", ",\xe2\x80\x9d", " 42", "\xe2\x82\xac",
	                       " \xc2\xb3" };
	len = strlen(u);
	for (off = 0, k = 0; off < len && k < 6; k++) {
		size_t n = tok_pre_piece(TOK_PRE_GPT2, (const unsigned char *)u + off, len - off);
		EXPECT(n == strlen(want[k]) && memcmp(u + off, want[k], n) == 0);
		off += n;
	}
	EXPECT(off == len && k == 6);
}

static int only_token;
static int mask_one(void *ud, float *logits, int n)
{
	(void)ud;
	for (int i = 0; i < n; i++)
		if (i != only_token)
			logits[i] = -INFINITY;
	return 0;
}
static int mask_all(void *ud, float *logits, int n)
{
	(void)ud;
	for (int i = 0; i < n; i++)
		logits[i] = -INFINITY;
	return 0;
}
static int accepted;
static int accept_three(void *ud, int token)
{
	(void)ud;
	(void)token;
	return ++accepted >= 3 ? 1 : 0;
}

static void gen(struct local_model *m, const struct local_gen_params *p, struct buf *out,
                struct local_gen_result *res)
{
	int ids[64];
	int n = local_tokenize(m, "The invoice", 11, ids, 64, 0);
	buf_reset(out);
	if (local_generate(m, ids, n, p, out, res, NULL) < 0)
		t_fail(__FILE__, __LINE__, "generate failed");
}

TEST(local_generate_seeds_and_hooks)
{
	struct local_model *m = fixture(2);
	REQUIRE(m);
	struct local_gen_params p = local_gen_default_params();
	struct local_gen_result r;
	struct buf a, b;
	buf_init(&a, 1 << 16);
	buf_init(&b, 1 << 16);
	p.max_tokens = 20;
	p.temperature = 1.0f;
	p.top_k = 0;
	p.top_p = 1.0f;
	p.seed = 11;
	gen(m, &p, &a, &r);
	EXPECT(r.tokens_in > 0);
	EXPECT(r.tokens_out >= 1 && r.tokens_out <= 20);
	gen(m, &p, &b, &r);
	EXPECT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);   /* same seed, same text */
	int differ = 0;
	for (uint64_t s = 12; s < 20 && !differ; s++) {
		p.seed = s;
		gen(m, &p, &b, &r);
		differ = a.len != b.len || memcmp(a.data, b.data, a.len) != 0;
	}
	EXPECT(differ);   /* another seed, another text (random weights: near-flat logits) */

	/* the mask: only one token allowed */
	only_token = 'q' < local_n_vocab(m) ? 'q' : 0;
	size_t len = 0;
	const char *qb = local_token_bytes(m, only_token, &len);
	REQUIRE(qb);
	p.mask = mask_one;
	p.max_tokens = 5;
	gen(m, &p, &a, &r);
	EXPECT_INT(a.len, 5 * len);
	EXPECT_STR(r.finish, "length");
	EXPECT_INT(r.tokens_out, 5);
	p.mask = mask_all;
	gen(m, &p, &a, &r);
	EXPECT_STR(r.finish, "masked");
	EXPECT_INT(a.len, 0);
	p.mask = NULL;
	accepted = 0;
	p.accept = accept_three;
	p.max_tokens = 50;
	p.temperature = 0;
	gen(m, &p, &a, &r);
	EXPECT_INT(r.tokens_out, 3);
	p.accept = NULL;
	/* a stop text ends generation and is not part of the output */
	p.mask = mask_one;
	p.stop[0] = "zz";
	p.stop[1] = "qq";
	gen(m, &p, &a, &r);
	EXPECT_STR(r.finish, "stop");
	EXPECT_INT(a.len, 0);
	buf_release(&a);
	buf_release(&b);
	local_model_free(m);
}

TEST(local_sampler)
{
	float lo[5] = { 0.1f, 3.0f, -1.0f, 2.9f, -INFINITY };
	struct local_gen_params p = local_gen_default_params();
	uint64_t rng = 1;
	p.temperature = 0;
	EXPECT_INT(local_sample(lo, 5, &p, &rng), 1);
	p.temperature = 1.0f;
	p.top_k = 1;
	for (int i = 0; i < 20; i++) {
		float c[5];
		memcpy(c, lo, sizeof c);
		EXPECT_INT(local_sample(c, 5, &p, &rng), 1);
	}
	p.top_k = 0;
	p.top_p = 1.0f;
	int count[5] = { 0 };
	for (int i = 0; i < 4000; i++) {
		float c[5];
		memcpy(c, lo, sizeof c);
		count[local_sample(c, 5, &p, &rng)]++;
	}
	EXPECT_INT(count[4], 0);                       /* -inf never drawn */
	EXPECT(count[1] > 1500 && count[3] > 1300);    /* e^3 : e^2.9 */
	EXPECT(count[0] > 40 && count[2] > 5);
	float none[2] = { -INFINITY, -INFINITY };
	EXPECT_INT(local_sample(none, 2, &p, &rng), -1);
}

TEST(local_number_formats)
{
	EXPECT_INT(fp32_to_fp16(1.0f), 0x3c00);
	EXPECT_INT(fp32_to_fp16(-2.0f), 0xc000);
	EXPECT_INT(fp32_to_fp16(65504.0f), 0x7bff);
	EXPECT_INT(fp32_to_fp16(1e6f), 0x7c00);
	EXPECT(fp16_to_fp32(0x0001) == ldexpf(1.0f, -24));
	EXPECT(fp16_to_fp32(0x3555) == 0.333251953125f);
	for (uint32_t h = 0; h < 0x7c00; h += 7)   /* every finite half round-trips */
		if (fp32_to_fp16(fp16_to_fp32((uint16_t)h)) != h)
			t_fail(__FILE__, __LINE__, "half 0x%04x does not round-trip", h);
	float x[64], y[64];
	struct q8_block q[2];
	for (int i = 0; i < 64; i++)
		x[i] = (float)(i - 20) / 7.0f;
	quant_q8_0_row(x, q, 64);
	quant_row_to_f32(GGML_Q8_0, q, y, 64);   /* struct q8_block is the 34-byte layout */
	EXPECT(sizeof(struct q8_block) == Q8_0_BYTES);
	for (int i = 0; i < 64; i++)
		EXPECT(fabsf(y[i] - x[i]) <= fp16_to_fp32(q[i / 32].d) * 0.5f + 1e-6f);
	EXPECT_INT(q[0].qs[0], -127);   /* the block's largest magnitude maps to 127 */
}

TEST(local_gguf_rejects_damaged_files)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	REQUIRE(os_read_file(FIXTURE, 1 << 20, &b, NULL) == 0);
	struct gguf g;
	struct wr_err err = { 0 };
	REQUIRE(gguf_parse(&g, (const uint8_t *)b.data, b.len, &err) == 0);
	size_t header = (size_t)(g.tensors[0].data - (const uint8_t *)b.data);
	gguf_release(&g, 0);
	uint8_t *copy = malloc(b.len);
	REQUIRE(copy);
	int accepted_short = 0;
	for (size_t cut = 0; cut < header; cut += 1 + cut / 64) {
		memcpy(copy, b.data, cut);
		if (gguf_parse(&g, copy, cut, &err) == 0) {
			accepted_short++;
			gguf_release(&g, 0);
		}
	}
	EXPECT_INT(accepted_short, 0);
	EXPECT(gguf_parse(&g, (const uint8_t *)b.data, b.len - 1, &err) < 0);   /* last tensor cut */
	EXPECT_CONTAINS(err.msg, "outside the file");
	/* flipped bytes in the header: errors or a valid parse, never a crash */
	uint64_t s = 99;
	for (int trial = 0; trial < 3000; trial++) {
		memcpy(copy, b.data, b.len);
		for (int k = 0; k < 3; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			copy[(s >> 33) % header] ^= (uint8_t)(1u << ((s >> 20) & 7));
		}
		if (gguf_parse(&g, copy, b.len, &err) == 0) {
			/* whatever parsed must stay inside the buffer */
			for (size_t i = 0; i < g.n_tensors; i++)
				EXPECT(g.tensors[i].data + g.tensors[i].size <= copy + b.len);
			gguf_release(&g, 0);
		}
	}
	free(copy);
	/* a damaged model file is an error with the path, from the public opener */
	char path[1024];
	snprintf(path, sizeof path, "%s/cut.gguf", t_tmpdir());
	REQUIRE(os_write_atomic(path, b.data, header / 2, 1, NULL) == 0);
	struct local_model *m = NULL;
	EXPECT(local_model_open(path, 1, 0, &m, &err) < 0 && !m);
	EXPECT_CONTAINS(err.msg, "cut.gguf");
	EXPECT(local_model_open("/nonexistent.gguf", 1, 0, &m, &err) == WR_EIO);
	buf_release(&b);
}
