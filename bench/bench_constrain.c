/* bench_constrain.c: the grammar mask's cost inside real generation.
 *
 *     build/bench_constrain MODEL.gguf SCHEMA.json [RUNS] [MAX_TOKENS] [THREADS]
 *
 * Opens the model, builds its grammar vocabulary (timed), compiles the schema
 * (timed), then samples RUNS generations (temperature 1, top_k 0, one seed
 * each, default 5 of at most 64 tokens) through the local provider's glue
 * (src/model/local_grammar.c), one matcher kept across them as the provider
 * keeps it. It prints the mask hook's mean cost per token in the first
 * generation (cold: every state met for the first time walks the trie) and
 * in the rest (warm), the share of generation time it takes, and tokens/s
 * with and without the grammar on the same seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/os.h"
#include "local/local.h"
#include "model/local_grammar.h"

int main(int argc, char **argv)
{
	struct local_model *m = NULL;
	struct lgram *lg = NULL;
	struct lgram_entry *e = NULL;
	struct wr_err err = { 0 };
	struct buf schema;
	int prompt[64], n, complete = 0;
	long masks_warm = 0, toks_c = 0, toks_u = 0;
	double mask_warm_us = 0, gen_c = 0, gen_u = 0, mask_all_us = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_constrain MODEL.gguf SCHEMA.json [RUNS] [MAX_TOKENS] "
		        "[THREADS]\n");
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 5, max_tokens = argc > 4 ? atoi(argv[4]) : 64;
	int threads = argc > 5 ? atoi(argv[5]) : 2;
	buf_init(&schema, 1 << 20);
	if (os_read_file(argv[2], 1 << 20, &schema, &err) < 0 ||
	    local_model_open(argv[1], threads, 512, &m, &err) < 0) {
		fprintf(stderr, "bench_constrain: %s\n", err.msg);
		return 1;
	}
	uint64_t t0 = os_mono_ns();
	if (lgram_new(m, &lg, &err) < 0) {
		fprintf(stderr, "bench_constrain: %s\n", err.msg);
		return 1;
	}
	uint64_t t1 = os_mono_ns();
	if (lgram_schema(lg, schema.data, &e, &err) < 0) {
		fprintf(stderr, "bench_constrain: %s\n", err.msg);
		return 1;
	}
	uint64_t t2 = os_mono_ns();
	n = local_tokenize(m, "Extract the invoice as JSON:", 28, prompt, 64, 0);
	if (n > 64)
		n = 64;
	printf("%s: vocab %d; grammar vocabulary %.1f ms, schema compiled %.1f ms\n", argv[1],
	       local_n_vocab(m), (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);
	for (int k = 0; k < runs; k++) {
		struct local_gen_params p = local_gen_default_params();
		struct local_gen_result res;
		struct lgram_stats st;
		struct buf out;
		p.temperature = 1;
		p.top_k = 0;
		p.top_p = 1;
		p.max_tokens = max_tokens;
		p.seed = (uint64_t)k + 1;
		buf_init(&out, 1 << 20);
		if (lgram_generate(lg, e, m, prompt, n, &p, &out, &res, &st, &err) < 0) {
			fprintf(stderr, "bench_constrain: %s\n", err.msg);
			return 1;
		}
		double us = st.masks ? (double)st.mask_ns / 1e3 / (double)st.masks : 0;
		mask_all_us += (double)st.mask_ns / 1e3;
		if (k == 0)
			printf("  cold: mask %.1f us/token over %ld tokens\n", us, st.masks);
		else
			mask_warm_us += (double)st.mask_ns / 1e3, masks_warm += st.masks;
		complete += st.complete;
		toks_c += res.tokens_out;
		gen_c += res.gen_s;
		buf_release(&out);
		buf_init(&out, 1 << 20);
		if (local_generate(m, prompt, n, &p, &out, &res, &err) < 0) {
			fprintf(stderr, "bench_constrain: %s\n", err.msg);
			return 1;
		}
		toks_u += res.tokens_out;
		gen_u += res.gen_s;
		buf_release(&out);
	}
	if (masks_warm)
		printf("  warm: mask %.1f us/token over %ld tokens\n", mask_warm_us / (double)masks_warm,
		       masks_warm);
	printf("  %d of %d generations complete within %d tokens; mask %.1f %% of generation "
	       "time\n", complete, runs, max_tokens, gen_c > 0 ? mask_all_us / 1e4 / gen_c : 0);
	printf("  tokens/s: %.0f constrained, %.0f unconstrained\n",
	       gen_c > 0 ? (double)toks_c / gen_c : 0, gen_u > 0 ? (double)toks_u / gen_u : 0);
	lgram_free(lg);
	local_model_free(m);
	buf_release(&schema);
	return 0;
}
