/* test_spec.c: the workflow loader on valid flows, positions, hashing,
 * suggestions, scale and robustness. Bad workflows with their expected
 * first problem are in tests/cases/spec (test_spec_golden.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/check.h"
#include "core/buf.h"
#include "core/os.h"
#include "harness.h"
#include "spec/spec.h"

#define FLOWS "tests/cases/flows"

struct problems {
	char lines[64][512];
	int n;
};

static void collect(void *ud, const char *msg)
{
	struct problems *p = ud;

	if (p->n < 64)
		snprintf(p->lines[p->n], sizeof(p->lines[0]), "%s", msg);
	p->n++;
}

static int load_text(const char *path, const char *text, struct problems *p,
                     struct spec_flow **out)
{
	struct spec_params params = { .on_problem = collect, .ud = p };
	struct wr_err err = { 0, "" };

	memset(p, 0, sizeof(*p));
	return spec_load_bytes(path, text, strlen(text), &params, out, &err);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	struct wr_err err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	os_write_atomic(path, text, strlen(text), 1, &err);
}

static char *read_all(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	struct wr_err err;

	if (os_read_file(path, 0, &b, &err) < 0)
		return NULL;
	return buf_detach(&b, len);
}

/* --- valid flows --- */

TEST(spec_loads_invoice_flow)
{
	struct spec_flow *f = NULL;
	struct wr_err err = { 0, "" };
	const struct spec_step *s;

	REQUIRE(spec_load(FLOWS "/invoice.yaml", NULL, &f, &err) == 0);
	EXPECT_STR(f->name, "invoice-extract");
	EXPECT_STR(f->description, "Pull the fields of an invoice out as JSON.");
	EXPECT_STR(f->path, FLOWS "/invoice.yaml");
	EXPECT_STR(f->dir, FLOWS);
	EXPECT_STR(f->contract.purpose, "Extract invoice fields as JSON for accounts payable.");
	EXPECT_STR(f->contract.audience, "accounts payable clerks");
	REQUIRE(f->contract.n_constraints == 2);
	EXPECT_STR(f->contract.constraints[1], "Never invent a total");
	EXPECT_STR(f->contract.stop, "when the JSON passes all checks");

	REQUIRE(f->n_inputs == 3);
	EXPECT_STR(f->inputs[0].name, "invoice");
	EXPECT_STR(f->inputs[0].description, "the invoice text");
	EXPECT_INT(f->inputs[0].required, 1);
	EXPECT_STR(f->inputs[1].default_value, "EUR");
	EXPECT_INT(f->inputs[1].required, 0);
	EXPECT(f->inputs[2].description == NULL);
	EXPECT_INT(f->inputs[2].required, 1);
	EXPECT_INT(f->inputs[0].pos.line, 13);
	EXPECT_INT(f->inputs[0].pos.col, 3);

	REQUIRE(f->n_models == 1);
	EXPECT_STR(f->models[0].name, "drafter");
	EXPECT_STR(f->models[0].provider, "script");
	EXPECT_STR(f->models[0].model, "gpt-x");
	EXPECT_STR(f->models[0].file, "responses.yaml");
	EXPECT(f->models[0].temperature > 0.19 && f->models[0].temperature < 0.21);
	EXPECT_INT(f->models[0].max_tokens, 512);
	EXPECT(f->models[0].price_in > 0.149 && f->models[0].price_in < 0.151);
	EXPECT(f->models[0].price_out > 0.599 && f->models[0].price_out < 0.601);
	EXPECT_STR(f->models[0].options,
	           "{\"file\":\"responses.yaml\",\"max_tokens\":512,\"model\":\"gpt-x\","
	           "\"options\":{\"stop\":[\"END\"],\"stream\":false},"
	           "\"price\":{\"input\":0.15,\"output\":0.6},\"provider\":\"script\","
	           "\"seed\":7,\"temperature\":0.2,\"top_p\":1}");

	EXPECT_INT(f->budget.tokens, 20000);
	EXPECT(f->budget.cost_usd > 0.49 && f->budget.cost_usd < 0.51);
	EXPECT(f->budget.seconds > 119.9 && f->budget.seconds < 120.1);
	EXPECT_INT(f->budget.calls, 20);

	REQUIRE(f->n_steps == 4);
	s = &f->steps[0];
	EXPECT_STR(s->id, "draft");
	EXPECT_INT(s->kind, STEP_GENERATE);
	EXPECT_STR(s->model, "drafter");
	EXPECT_INT(s->model_index, 0);
	EXPECT_STR(s->prompt, "Extract the fields from {{inputs.invoice}}.\n"
	                      "Currency: {{ inputs.currency }}. {{contract.purpose}}\n");
	EXPECT_INT(s->pos.line, 36);
	EXPECT_INT(s->pos.col, 5);
	EXPECT_INT(s->prompt_pos.line, 40);

	s = &f->steps[1];
	EXPECT_INT(s->kind, STEP_CHECK);
	EXPECT_STR(s->of, "draft");
	EXPECT_INT(s->of_index, 0);
	REQUIRE(s->n_checks == 4);
	EXPECT_INT(s->checks[0].kind, CHECK_JSON);
	EXPECT(s->checks[0].arg == NULL);
	EXPECT_INT(s->checks[1].kind, CHECK_CONTAINS);
	EXPECT_STR(s->checks[1].arg, "\"total\"");
	EXPECT_INT(s->checks[2].kind, CHECK_NOT_CONTAINS);
	EXPECT_STR(s->checks[2].arg, "I'm sorry");
	EXPECT_INT(s->checks[3].kind, CHECK_REGEX);
	EXPECT_STR(s->checks[3].arg, "\"total\":\\s*[0-9]");
	EXPECT_STR(s->checks[3].label, "total-is-number");
	EXPECT(s->checks[3].compiled != NULL);
	EXPECT_INT(s->checks[3].pos.line, 49);
	EXPECT_INT(s->checks[3].pos.col, 9);

	EXPECT_INT(f->steps[2].kind, STEP_APPROVE);
	EXPECT_INT(f->steps[2].of_index, 0);
	s = &f->steps[3];
	EXPECT_INT(s->kind, STEP_SHIP);
	EXPECT_STR(s->to, FLOWS "/out/invoice.json");
	EXPECT_INT(s->append, 0);
	EXPECT_INT(s->overwrite, 1);
	EXPECT_INT(s->requires, WR_STATE_APPROVED);  /* an approve step exists */

	EXPECT_INT(spec_step_find(f, "review"), 2);
	EXPECT_INT(spec_step_find(f, "nope"), -1);
	EXPECT_INT(spec_step_find(f, NULL), -1);
	EXPECT_INT(strlen(f->hash), 64);
	EXPECT(f->source_len > 0 && f->source[f->source_len] == '\0');
	spec_free(f);
}

TEST(spec_loads_prompt_file_flow)
{
	struct spec_flow *f = NULL;
	struct wr_err err = { 0, "" };

	REQUIRE(spec_load(FLOWS "/summary.yaml", NULL, &f, &err) == 0);
	EXPECT_STR(f->name, "summary");  /* from the file name */
	EXPECT(f->description == NULL);
	REQUIRE(f->n_steps == 6);
	EXPECT_STR(f->steps[0].prompt, "Summarise for {{contract.audience}}:\n\n"
	                               "{{ inputs.text }}\n");
	EXPECT_STR(f->steps[1].prompt, "Title for: {{steps.summary.output}}");
	EXPECT_INT(f->steps[4].append, 1);
	EXPECT_STR(f->steps[4].to, FLOWS "/out/summaries.txt");
	EXPECT_INT(f->steps[4].requires, WR_STATE_VERIFIED);  /* no approve step */
	EXPECT_INT(f->steps[5].requires, WR_STATE_VERIFIED);
	EXPECT_INT(f->steps[5].of_index, 1);
	EXPECT(f->models[0].temperature < 0);
	EXPECT_INT(f->models[0].max_tokens, 0);
	EXPECT_INT(f->budget.tokens, 0);
	spec_free(f);
}

TEST(spec_names_and_free_null)
{
	spec_free(NULL);
	EXPECT_STR(spec_step_kind_name(STEP_GENERATE), "generate");
	EXPECT_STR(spec_step_kind_name(STEP_SHIP), "ship");
	EXPECT_STR(spec_step_kind_name(STEP_KIND_COUNT_), "?");
	EXPECT_STR(spec_check_kind_name(CHECK_NOT_CONTAINS), "not_contains");
	EXPECT_STR(spec_check_kind_name(CHECK_REGEX), "regex");
}

/* --- bytes, hash, errors --- */

TEST(spec_load_bytes_equals_load)
{
	struct spec_flow *a = NULL, *b = NULL;
	struct wr_err err = { 0, "" };
	size_t len;
	char *bytes = read_all(FLOWS "/invoice.yaml", &len);

	REQUIRE(bytes != NULL);
	REQUIRE(spec_load(FLOWS "/invoice.yaml", NULL, &a, &err) == 0);
	REQUIRE(spec_load_bytes(FLOWS "/invoice.yaml", bytes, len, NULL, &b, &err) == 0);
	EXPECT_STR(a->hash, b->hash);
	EXPECT_STR(a->name, b->name);
	EXPECT_STR(a->dir, b->dir);
	EXPECT_INT(a->n_steps, b->n_steps);
	EXPECT_STR(a->models[0].options, b->models[0].options);
	EXPECT_STR(a->steps[0].prompt, b->steps[0].prompt);
	EXPECT_INT(a->source_len, b->source_len);
	EXPECT(memcmp(a->source, b->source, a->source_len) == 0);
	spec_free(a);
	spec_free(b);
	free(bytes);
}

TEST(spec_hash_covers_named_files)
{
	const char *dir = t_tmpdir();
	char path[1024], h1[HASH_HEX], h2[HASH_HEX], h3[HASH_HEX];
	struct spec_flow *f = NULL;
	struct wr_err err = { 0, "" };
	size_t len;
	char *flow = read_all(FLOWS "/summary.yaml", &len);

	REQUIRE(flow != NULL);
	write_file(dir, "summary.yaml", flow);
	write_file(dir, "responses.yaml", "responses:\n  - text: one\n");
	write_file(dir, "summary.prompt", "Summarise {{inputs.text}}\n");
	snprintf(path, sizeof(path), "%s/summary.yaml", dir);
	REQUIRE(spec_load(path, NULL, &f, &err) == 0);
	memcpy(h1, f->hash, HASH_HEX);
	spec_free(f);

	write_file(dir, "responses.yaml", "responses:\n  - text: two\n");
	REQUIRE(spec_load(path, NULL, &f, &err) == 0);
	memcpy(h2, f->hash, HASH_HEX);
	spec_free(f);
	EXPECT(strcmp(h1, h2) != 0);

	write_file(dir, "summary.prompt", "Summarise {{ inputs.text }}\n");
	REQUIRE(spec_load(path, NULL, &f, &err) == 0);
	memcpy(h3, f->hash, HASH_HEX);
	spec_free(f);
	EXPECT(strcmp(h2, h3) != 0);

	REQUIRE(spec_load(path, NULL, &f, &err) == 0);  /* same files, same hash */
	EXPECT_STR(f->hash, h3);
	spec_free(f);
	free(flow);
}

TEST(spec_file_errors)
{
	struct spec_flow *f = (struct spec_flow *)1;
	struct wr_err err = { 0, "" };
	struct problems p;
	char *big;

	EXPECT_INT(spec_load("tests/cases/no/such.yaml", NULL, &f, &err), WR_EIO);
	EXPECT(f == NULL);
	EXPECT_INT(load_text("empty.yaml", "", &p, &f), WR_ESPEC);
	EXPECT(f == NULL);
	EXPECT_INT(p.n, 1);
	EXPECT_CONTAINS(p.lines[0], "empty.yaml:1:1: the file is empty");
	big = calloc(1, ((size_t)8 << 20) + 2);
	REQUIRE(big != NULL);
	memset(big, '#', ((size_t)8 << 20) + 1);
	EXPECT_INT(load_text("big.yaml", big, &p, &f), WR_ETOOBIG);
	free(big);
}

/* --- problems --- */

TEST(spec_reports_every_problem_in_file_order)
{
	struct problems p;
	struct spec_flow *f = NULL;
	struct spec_params params = { .on_problem = collect, .ud = &p };
	struct wr_err err = { 0, "" };
	const char *text =
		"contract:\n"                         /* 1 */
		"  purpose: p\n"                      /* 2 */
		"models:\n"                           /* 3 */
		"  m: {provider: script, file: responses.yaml, max_tokens: 0}\n"
		"steps:\n"                            /* 5 */
		"  - id: a\n"                         /* 6 */
		"    kind: generate\n"                /* 7 */
		"    model: m\n"                      /* 8 */
		"    promt: hi\n"                     /* 9 */
		"  - id: b\n"                         /* 10 */
		"    kind: ship\n"                    /* 11 */
		"    of: a\n"                         /* 12 */
		"    to: x\n";                        /* 13 */

	memset(&p, 0, sizeof(p));
	EXPECT_INT(spec_load_bytes(FLOWS "/multi.yaml", text, strlen(text), &params, &f, &err),
	           WR_ESPEC);
	EXPECT(f == NULL);
	REQUIRE(p.n == 4);
	EXPECT_CONTAINS(p.lines[0], "multi.yaml:4:59: 'max_tokens' must be a positive integer");
	EXPECT_CONTAINS(p.lines[1], ":9:5: unknown key 'promt' in step 'a' (did you mean 'prompt'?)");
	EXPECT_CONTAINS(p.lines[2], ":6:5: step 'a': missing 'prompt'");
	EXPECT_CONTAINS(p.lines[3], ":10:5: step 'b' ships 'a', but no check step");
	EXPECT_STR(err.msg, p.lines[0]);
	EXPECT_INT(err.code, WR_ESPEC);
}

TEST(spec_caps_reported_problems)
{
	struct buf b = BUF_INIT;
	struct problems p;
	struct spec_flow *f = NULL;

	buf_adds(&b, "contract: {purpose: p}\nsteps:\n");
	for (int i = 0; i < 200; i++)
		buf_printf(&b, "  - {id: s%d, kind: genrate}\n", i);
	EXPECT_INT(load_text("many.yaml", b.data, &p, &f), WR_ESPEC);
	EXPECT_INT(p.n, 51);
	EXPECT_CONTAINS(p.lines[50], "150 more problems not shown");
	buf_release(&b);
}

/* Positions of template variables inside prompt scalars of every style. */
TEST(spec_template_positions)
{
	static const struct { const char *prompt; int line, col; } cases[] = {
		{ "    prompt: Hi {{ nope }}\n", 9, 16 },
		{ "    prompt: 'It''s {{nope}}'\n", 9, 20 },
		{ "    prompt: \"a\\tb \\x41\\u00e9 {{nope}}\"\n", 9, 30 },
		{ "    prompt: |\n      one\n\n      two {{ contract }} {{nope}}\n", 12, 26 },
		{ "    prompt: >-\n      folded\n      text {{nope}}\n", 11, 12 },
		{ "    prompt: |2\n        deeper {{ nope }}\n", 10, 16 },
		{ "    prompt: \"multi\n      line {{nope}}\"\n", 10, 12 },
		{ "    prompt: 'ok {{contract}} {{ inputs.nope }}'\n", 9, 30 },
	};
	const char *head =
		"contract:\n  purpose: p\n"                                      /* 1-2 */
		"models:\n  m: {provider: script, file: responses.yaml}\n"      /* 3-4 */
		"steps:\n  - id: a\n    kind: generate\n    model: m\n";        /* 5-8 */
	char text[1024], want[64];
	struct problems p;
	struct spec_flow *f = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(text, sizeof(text), "%s%s", head, cases[i].prompt);
		EXPECT_INT(load_text(FLOWS "/tpl.yaml", text, &p, &f), WR_ESPEC);
		snprintf(want, sizeof(want), "tpl.yaml:%d:%d: unknown template variable",
		         cases[i].line, cases[i].col);
		EXPECT_INT(p.n, 1);
		EXPECT_CONTAINS(p.lines[0], want);
	}
}

TEST(spec_template_rules)
{
	const char *head =
		"contract:\n  purpose: p\ninputs:\n  doc:\n"
		"models:\n  m: {provider: script, file: responses.yaml}\n"
		"steps:\n  - id: a\n    kind: generate\n    model: m\n    prompt: x\n"
		"  - id: c\n    kind: check\n    of: a\n    checks: [{json: true}]\n"
		"  - id: b\n    kind: generate\n    model: m\n";
	static const struct { const char *prompt; const char *want; } cases[] = {
		{ "    prompt: '{{contract}} {{contract.stop}} {{inputs.doc}} {{steps.a.output}}'\n",
		  NULL },
		{ "    prompt: 'literal {{{{ braces'\n", NULL },
		{ "    prompt: '{{steps.c.output}}'\n", "only generate and retrieve steps have output" },
		{ "    prompt: '{{steps.b.output}}'\n", "does not come before" },
		{ "    prompt: '{{steps.zz.output}}'\n", "unknown step 'zz'" },
		{ "    prompt: '{{inputs.dco}}'\n", "did you mean 'inputs.doc'" },
		{ "    prompt: '{{contract.purpos}}'\n", "did you mean 'contract.purpose'" },
		{ "    prompt: 'x {{}}'\n", "empty template variable" },
		{ "    prompt: 'x {{ a'\n", "unterminated '{{'" },
	};
	char text[2048];
	struct problems p;
	struct spec_flow *f = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc;

		snprintf(text, sizeof(text), "%s%s", head, cases[i].prompt);
		rc = load_text(FLOWS "/rules.yaml", text, &p, &f);
		if (!cases[i].want) {
			EXPECT_INT(rc, 0);
			EXPECT_INT(p.n, 0);
			if (p.n)
				t_fail(__FILE__, __LINE__, "case %zu: %s", i, p.lines[0]);
			spec_free(f);
			f = NULL;
		} else {
			EXPECT_INT(rc, WR_ESPEC);
			EXPECT_CONTAINS(p.lines[0], cases[i].want);
		}
	}
}

TEST(spec_template_in_prompt_file_points_into_it)
{
	struct problems p;
	struct spec_flow *f = NULL;
	struct wr_err err = { 0, "" };
	struct spec_params params = { .on_problem = collect, .ud = &p };

	memset(&p, 0, sizeof(p));
	EXPECT_INT(spec_load("tests/cases/spec/prompt_file_bad_var.yaml", &params, &f, &err),
	           WR_ESPEC);
	REQUIRE(p.n == 2);
	EXPECT_CONTAINS(p.lines[0], "tests/cases/spec/data/bad.prompt:1:5: unknown template "
	                            "variable 'inputs.txt'");
	EXPECT_CONTAINS(p.lines[1], "tests/cases/spec/data/bad.prompt:2:28: template variable "
	                            "'steps.nope.output'");
}

/* --- suggestions --- */

TEST(spec_suggest_cases)
{
	static const char *const keys[] = { "id", "kind", "model", "prompt", "prompt_file",
	                                    "of", "checks", "to", "append", "requires" };
	static const char *const kinds[] = { "generate", "check", "approve", "ship" };
	size_t nk = sizeof(keys) / sizeof(*keys);

	EXPECT_STR(spec_suggest("promt", keys, nk), "prompt");
	EXPECT_STR(spec_suggest("pormpt", keys, nk), "prompt");      /* a swap costs 1 */
	EXPECT_STR(spec_suggest("chekcs", keys, nk), "checks");
	EXPECT_STR(spec_suggest("requries", keys, nk), "requires");
	EXPECT_STR(spec_suggest("prompt_fil", keys, nk), "prompt_file");
	EXPECT_STR(spec_suggest("genrate", kinds, 4), "generate");
	EXPECT_STR(spec_suggest("shp", kinds, 4), "ship");
	EXPECT_STR(spec_suggest("kind", keys, nk), "kind");          /* exact */
	EXPECT(spec_suggest("xyz", kinds, 4) == NULL);
	EXPECT_STR(spec_suggest("sihp", kinds, 4), "ship");          /* swap, short word */
	EXPECT(spec_suggest("shopxx", kinds, 4) == NULL);            /* 3 edits */
	EXPECT(spec_suggest("ab", keys, nk) == NULL);                /* short: distance 1 max */
	EXPECT_STR(spec_suggest("oof", keys, nk), "of");
	EXPECT(spec_suggest("approvedd!!", kinds, 4) == NULL);
	EXPECT(spec_suggest("", kinds, 4) == NULL);
	EXPECT(spec_suggest(NULL, kinds, 4) == NULL);
	EXPECT(spec_suggest("ship", NULL, 0) == NULL);
	{
		static const char *const tie[] = { "abcd", "abce" };  /* ties: the first */

		EXPECT_STR(spec_suggest("abcf", tie, 2), "abcd");
	}
}

/* --- scale --- */

TEST(spec_loads_many_steps_fast)
{
	struct buf b = BUF_INIT;
	struct problems p;
	struct spec_flow *f = NULL;
	struct timespec t0, t1;
	double ms;
	int n = 10000;

	buf_adds(&b, "contract: {purpose: p}\n"
	             "models:\n  m: {provider: script, file: responses.yaml}\nsteps:\n");
	for (int i = 0; i < n; i += 2) {
		buf_printf(&b, "  - id: g%d\n    kind: generate\n    model: m\n"
		               "    prompt: 'go {{contract}}%s'\n",
		           i, i ? "" : "");
		buf_printf(&b, "  - id: c%d\n    kind: check\n    of: g%d\n"
		               "    checks:\n      - contains: x\n", i, i);
	}
	buf_printf(&b, "  - id: ship\n    kind: ship\n    of: g%d\n    to: out.txt\n", n - 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_INT(load_text(FLOWS "/big.yaml", b.data, &p, &f), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	REQUIRE(f != NULL);
	EXPECT_INT(f->n_steps, n + 1);
	EXPECT_INT(spec_step_find(f, "c9998"), 9999);
	EXPECT_INT(f->steps[n].of_index, n - 2);
	EXPECT(ms < 1000);  /* ~20 ms on a laptop; generous for sanitizer builds */
	spec_free(f);
	buf_release(&b);
}

/* --- robustness --- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t mutate(uint64_t *rng, const char *src, size_t len, char *out, size_t cap)
{
	static const char *const inserts[] = { "{{", ": ", "- ", "\t", "}}", "\n  ", "&a ",
	                                       "*a", "[", "{", "'", "\"", "#", "---\n", "<<: " };
	size_t n = len < cap ? len : cap;
	int edits = 1 + (int)(rng_next(rng) % 4);

	memcpy(out, src, n);
	while (edits--) {
		size_t at = n ? rng_next(rng) % n : 0;

		switch (rng_next(rng) % 5) {
		case 0:  /* flip a byte */
			if (n)
				out[at] = (char)(rng_next(rng) & 0xFF);
			break;
		case 1:  /* truncate */
			n = at;
			break;
		case 2:  /* a NUL */
			if (n)
				out[at] = '\0';
			break;
		default: {  /* insert a piece of syntax */
			const char *ins = inserts[rng_next(rng) % (sizeof(inserts) / sizeof(*inserts))];
			size_t il = strlen(ins);

			if (n + il > cap)
				break;
			memmove(out + at + il, out + at, n - at);
			memcpy(out + at, ins, il);
			n += il;
		}
		}
	}
	return n;
}

TEST(spec_survives_mutations)
{
	static const char *const files[] = { FLOWS "/invoice.yaml", FLOWS "/summary.yaml" };
	char out[8192];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int ok = 0, bad = 0;

	for (size_t fi = 0; fi < 2; fi++) {
		size_t len;
		char *src = read_all(files[fi], &len);

		REQUIRE(src != NULL);
		for (int i = 0; i < 1600; i++) {
			size_t n = mutate(&rng, src, len, out, sizeof(out));
			struct spec_flow *f = NULL;
			struct wr_err err = { 0, "" };
			int rc = spec_load_bytes(files[fi], out, n, NULL, &f, &err);

			if (rc == 0) {
				ok++;
				EXPECT(f != NULL);
			} else {
				bad++;
				EXPECT(f == NULL);
				if (rc != WR_ESPEC && rc != WR_ETOOBIG)
					t_fail(__FILE__, __LINE__, "mutation %d: rc %d (%s)", i, rc,
					       err.msg);
				else if (err.msg[0] == '\0')
					t_fail(__FILE__, __LINE__, "mutation %d: no message", i);
			}
			spec_free(f);
		}
		free(src);
	}
	EXPECT(ok + bad == 3200);
	EXPECT(ok > 0 && bad > 0);
}

/* The loader decodes single-quoted scalars with '' itself (libfyaml 0.7.12
 * leaks when asked); it must agree with YAML's folding rules. */
TEST(spec_single_quoted_scalars)
{
	const char *text =
		"contract:\n"
		"  purpose: 'It''s a ''test'''\n"
		"  audience: 'one''s\n"
		"    folded   \n"
		"    line\n"
		"\n"
		"    para'\n"
		"  stop: 'plain single'\n"
		"steps:\n"
		"  - {id: a, kind: check, of: a, checks: [{contains: 'x''y'}]}\n";
	struct problems p;
	struct spec_flow *f = NULL;

	EXPECT_INT(load_text(FLOWS "/sq.yaml", text, &p, &f), WR_ESPEC);  /* of: itself */
	REQUIRE(p.n == 1);
	EXPECT_CONTAINS(p.lines[0], "'of' names this step itself");
	text = "contract:\n"
	       "  purpose: 'It''s a ''test'''\n"
	       "  audience: 'one''s\n"
	       "    folded   \n"
	       "    line\n"
	       "\n"
	       "    para'\n"
	       "  stop: 'plain single'\n"
	       "models: {m: {provider: script, file: responses.yaml, model: 'o''k'}}\n"
	       "steps:\n"
	       "  - {id: a, kind: generate, model: m, prompt: 'say ''{{contract}}'''}\n";
	REQUIRE(load_text(FLOWS "/sq.yaml", text, &p, &f) == 0);
	EXPECT_STR(f->contract.purpose, "It's a 'test'");
	EXPECT_STR(f->contract.audience, "one's folded line\npara");
	EXPECT_STR(f->contract.stop, "plain single");
	EXPECT_STR(f->models[0].model, "o'k");
	EXPECT_CONTAINS(f->models[0].options, "\"model\":\"o'k\"");
	EXPECT_STR(f->steps[0].prompt, "say '{{contract}}'");
	spec_free(f);
}

TEST(spec_model_options_for_the_http_providers)
{
	struct spec_flow *f = NULL;
	struct problems p;
	const char *text =
		"contract: {purpose: p}\n"
		"models:\n"
		"  m:\n"
		"    provider: openai\n"
		"    model: gpt-4o-mini\n"
		"    base_url: http://127.0.0.1:8080/v1\n"
		"    temperature: 0.2\n"
		"    top_p: 0.9\n"
		"    max_tokens: 64\n"
		"    seed: 7\n"
		"    stop: [END, STOP]\n"
		"    timeout: 30\n"
		"    connect_timeout: 2\n"
		"    max_attempts: 3\n"
		"    backoff_ms: 100\n"
		"    backoff_max_ms: 1000\n"
		"    max_concurrency: 8\n"
		"    rpm: 60\n"
		"    tpm: 100000\n"
		"    max_response_bytes: 65536\n"
		"    cache: true\n"
		"    price: {input: 1, output: 2}\n"
		"  local: {provider: command, command: \"cat\", max_output_bytes: 1024}\n"
		"steps:\n"
		"  - {id: a, kind: generate, model: m, prompt: hi}\n"
		"  - {id: b, kind: generate, model: local, prompt: hi}\n";

	REQUIRE(load_text("http.yaml", text, &p, &f) == 0);
	EXPECT_INT(p.n, 0);
	REQUIRE(f->n_models == 2);
	EXPECT_CONTAINS(f->models[0].options, "\"cache\":true");
	EXPECT_CONTAINS(f->models[0].options, "\"stop\":[\"END\",\"STOP\"]");
	EXPECT_CONTAINS(f->models[0].options, "\"max_attempts\":3");
	EXPECT(f->models[0].temperature == 0.2);
	EXPECT_INT(f->models[0].max_tokens, 64);
	EXPECT(f->models[0].price_out == 2);
	spec_free(f);
}
