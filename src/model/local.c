/* local.c: the local provider, the embedded engine (src/local) as a model.
 *
 *     models:
 *       demo:
 *         provider: local
 *         path: models/demo.gguf   # the GGUF file, relative to the workflow
 *         threads: 2               # matmul threads (default 2)
 *         context: 2048            # KV cache tokens (default: the model's, <= 4096)
 *         temperature: 0           # 0: greedy (the default); else sampled
 *         top_k: 40                # 0: off (default 40)
 *         top_p: 0.95              # 1: off (default 1)
 *         max_tokens: 256          # default 256
 *         seed: 7                  # fixed sampler seed (default: from the run)
 *         stop: ["\n\n"]           # up to 4 stop texts
 *         prompt_format: "{system}\n\n{prompt}\n"   # how the model sees a call
 *         grammar: out.gbnf        # hold every output to this GBNF grammar
 *         constrain: false         # don't hold output to the step's output_schema
 *
 * Constrained decoding (local_grammar.h): a call with an output schema is
 * generated under the grammar of that schema, so only text it allows can come
 * out (a max_tokens cut still leaves it incomplete, and finish "length"); a
 * model with `grammar:` holds every call to that grammar instead. Stop texts
 * do not apply to constrained output. The response's detail says so.
 *
 * The sampler's seed is the model's seed when set, else a hash of the run's
 * seed, the call index and the attempt: a retry samples afresh, a resumed or
 * replayed run asks the same question the same way. It is recorded as the
 * response's system_fingerprint ("seed=N"). prompt_format's {system} and
 * {prompt} are replaced by the call's text; control tokens ("<|im_start|>")
 * are recognised in the format only, never in the text put into it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "local/local.h"
#include "model/local_grammar.h"
#include "model/provider.h"

#define LOCAL_MAX_PROMPT_BYTES ((size_t)16 << 20)

struct local {
	struct local_model *m;
	char name[64];
	char *format;           /* owned, or NULL for the default */
	char *stop[LOCAL_STOPS_MAX];
	double temperature, top_p;
	int top_k, max_tokens, has_seed;
	int constrain;          /* 1 (default): hold output to the step's schema */
	uint64_t seed;
	struct lgram *lg;       /* the grammar vocabulary and cache, made on first use */
	struct lgram_entry *user;  /* the `grammar:` file's, or NULL */
	char grammar_name[64];  /* its file name, for the detail */
};

static void local_close(void *state)
{
	struct local *l = state;
	if (!l)
		return;
	lgram_free(l->lg);
	local_model_free(l->m);
	free(l->format);
	for (int i = 0; i < LOCAL_STOPS_MAX; i++)
		free(l->stop[i]);
	free(l);
}

static int opt_int(json_t *o, const char *key, int def, int min, int max)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return def;
	double d = json_number_value(v);
	return d < min ? min : d > max ? max : (int)d;
}

/* Reads and parses the `grammar:` file (relative to the workflow). */
static int open_grammar(struct local *l, const struct spec_model *sm, const char *flow_dir,
                        const char *file, struct wr_err *err)
{
	char path[4096];
	struct buf b;
	int rc;
	if (!file || !*file)
		return 0;
	if (os_join(flow_dir && *flow_dir ? flow_dir : ".", file, path, sizeof path) < 0)
		return err_set(err, WR_EPROVIDER, "model '%s': grammar path too long", sm->name);
	buf_init(&b, (size_t)1 << 20);
	if ((rc = os_read_file(path, (size_t)1 << 20, &b, err)) == 0 &&
	    (rc = lgram_new(l->m, &l->lg, err)) == 0)
		rc = lgram_gbnf(l->lg, b.data, b.len, file, &l->user, err);
	buf_release(&b);
	if (rc < 0) {
		err_wrap(err, "model '%s'", sm->name);
		if (rc != WR_ENOMEM && err)
			err->code = WR_EPROVIDER;
		return rc == WR_ENOMEM ? rc : WR_EPROVIDER;
	}
	const char *base = strrchr(file, '/');
	snprintf(l->grammar_name, sizeof l->grammar_name, "%s", base ? base + 1 : file);
	return 0;
}

static int local_open(const struct spec_model *sm, const char *flow_dir, void **state,
                      struct wr_err *err)
{
	struct local *l = calloc(1, sizeof *l);
	json_t *o = sm->options ? json_loads(sm->options, 0, NULL) : NULL, *v;
	char path[4096];
	int rc = WR_ENOMEM;
	*state = NULL;
	if (!l)
		goto out;
	const char *p = json_string_value(json_object_get(o, "path"));
	if (!p || !*p) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': the local provider needs 'path' "
		             "(a GGUF file)", sm->name);
		goto out;
	}
	if (os_join(flow_dir && *flow_dir ? flow_dir : ".", p, path, sizeof path) < 0) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': path too long", sm->name);
		goto out;
	}
	int threads = opt_int(o, "threads", 2, 1, 256);
	int ctx = opt_int(o, "context", 0, 0, 1 << 20);
	if ((rc = local_model_open(path, threads, ctx, &l->m, err)) < 0) {
		err_wrap(err, "model '%s'", sm->name);
		rc = WR_EPROVIDER;
		goto out;
	}
	snprintf(l->name, sizeof l->name, "%s", sm->model ? sm->model : p);
	l->temperature = sm->temperature >= 0 ? sm->temperature : 0;
	v = json_object_get(o, "top_p");
	l->top_p = json_is_number(v) ? json_number_value(v) : 1.0;
	l->top_k = opt_int(o, "top_k", 40, 0, 1 << 24);
	l->max_tokens = sm->max_tokens > 0 ? sm->max_tokens : 256;
	v = json_object_get(o, "seed");
	if (json_is_integer(v)) {
		l->has_seed = 1;
		l->seed = (uint64_t)json_integer_value(v);
	}
	v = json_object_get(o, "stop");
	rc = WR_ENOMEM;
	if (json_is_string(v) && !(l->stop[0] = strdup(json_string_value(v))))
		goto out;
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v) && i < LOCAL_STOPS_MAX; i++)
		if (json_is_string(json_array_get(v, i)) &&
		    !(l->stop[i] = strdup(json_string_value(json_array_get(v, i)))))
			goto out;
	v = json_object_get(o, "prompt_format");
	if (json_is_string(v) && !(l->format = strdup(json_string_value(v))))
		goto out;
	v = json_object_get(o, "constrain");
	l->constrain = !json_is_false(v);
	if ((rc = open_grammar(l, sm, flow_dir, json_string_value(json_object_get(o, "grammar")),
	                       err)) < 0)
		goto out;
	*state = l;
	l = NULL;
	rc = 0;
out:
	if (rc == WR_ENOMEM && (!err || !err->code))
		err_set(err, rc, "out of memory");
	json_decref(o);
	local_close(l);
	return rc;
}

/* --- the prompt --- */

struct ids {
	int *v;
	int n, cap;
};

/* Appends the tokens of s[0..len); special: control tokens recognised. */
static int ids_add(struct ids *t, const struct local_model *m, const char *s, size_t len,
                   int special)
{
	int n = local_tokenize(m, s, len, NULL, 0, special);
	if (n < 0)
		return n;
	if (t->n + n > t->cap) {
		int cap = t->cap * 2 > t->n + n ? t->cap * 2 : t->n + n + 64;
		int *v = realloc(t->v, (size_t)cap * sizeof *v);
		if (!v)
			return WR_ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	local_tokenize(m, s, len, t->v + t->n, n, special);
	t->n += n;
	return 0;
}

/* The call as tokens: the format with {system} and {prompt} filled in. */
static int build_prompt(const struct local *l, const struct model_request *req, struct ids *t)
{
	const char *sys = req->system ? req->system : "", *prompt = req->prompt ? req->prompt : "";
	const char *f = l->format;
	int rc = 0;
	if (strlen(sys) + strlen(prompt) > LOCAL_MAX_PROMPT_BYTES)
		return WR_ETOOBIG;
	if (!f) {   /* the default: the system text, a blank line, the prompt */
		if (*sys && ((rc = ids_add(t, l->m, sys, strlen(sys), 0)) < 0 ||
		             (rc = ids_add(t, l->m, "\n\n", 2, 0)) < 0))
			return rc;
		return ids_add(t, l->m, prompt, strlen(prompt), 0);
	}
	while (*f && rc == 0) {
		const char *a = strstr(f, "{system}"), *b = strstr(f, "{prompt}");
		const char *next = a && (!b || a < b) ? a : b;
		if (!next) {
			rc = ids_add(t, l->m, f, strlen(f), 1);
			break;
		}
		if (next > f)
			rc = ids_add(t, l->m, f, (size_t)(next - f), 1);
		const char *text = next == a ? sys : prompt;
		if (rc == 0)
			rc = ids_add(t, l->m, text, strlen(text), 0);
		f = next + 8;
	}
	return rc;
}

/* splitmix64 finaliser over the run's seed, the call index and the attempt. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The grammar this call is held to: the model's `grammar:`, else the
 * step's output schema (unless `constrain: false`), else none. A schema the
 * grammar cannot express fails the call with the reason. */
static int pick_grammar(struct local *l, const struct model_request *req,
                        struct lgram_entry **out, struct model_response *resp)
{
	struct wr_err e = { 0 };
	int rc = 0;
	*out = NULL;
	if (l->user) {
		*out = l->user;
		return 0;
	}
	if (!req->schema_json || !l->constrain)
		return 0;
	if (!l->lg)
		rc = lgram_new(l->m, &l->lg, &e);
	if (rc == 0)
		rc = lgram_schema(l->lg, req->schema_json, out, &e);
	if (rc < 0) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->detail, sizeof resp->detail, "constrained decoding: %.200s", e.msg);
	}
	return rc;
}

static int local_complete(void *state, const struct model_request *req,
                          struct model_response *resp, struct wr_err *err)
{
	struct local *l = state;
	struct ids t = { 0 };
	struct local_gen_params p = local_gen_default_params();
	struct local_gen_result res;
	struct wr_err e = { 0 };
	uint64_t t0 = os_mono_ns();
	int rc;
	p.temperature = (float)l->temperature;
	p.top_k = l->top_k;
	p.top_p = (float)l->top_p;
	p.max_tokens = l->max_tokens;
	p.seed = l->has_seed ? l->seed
	                     : mix(mix(req->seed) ^ mix((uint64_t)req->call_index + 1) ^
	                           (uint64_t)(req->attempt > 0 ? req->attempt : 1));
	int k = 0;
	for (int i = 0; i < LOCAL_STOPS_MAX && l->stop[i]; i++)
		p.stop[k++] = l->stop[i];
	if (req->stop && k < LOCAL_STOPS_MAX)
		p.stop[k++] = req->stop;
	snprintf(resp->model, sizeof resp->model, "%s", l->name);
	snprintf(resp->system_fingerprint, sizeof resp->system_fingerprint, "seed=%llu",
	         (unsigned long long)p.seed);
	rc = 0;
	if (local_add_bos(l->m) && local_bos(l->m) >= 0) {
		int bos = local_bos(l->m);
		if (!(t.v = malloc(64 * sizeof *t.v)))
			rc = WR_ENOMEM;
		else
			t.v[t.n++] = bos, t.cap = 64;
	}
	if (rc == 0)
		rc = build_prompt(l, req, &t);
	if (rc < 0) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->detail, sizeof resp->detail, "the prompt could not be tokenized (%s)",
		         wr_strerror(rc));
		goto done;
	}
	if (t.n == 0) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->detail, sizeof resp->detail, "empty prompt");
		goto done;
	}
	if (t.n >= local_n_ctx(l->m)) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		resp->tokens_in = t.n;
		snprintf(resp->detail, sizeof resp->detail,
		         "the prompt is %d tokens; the model's context holds %d", t.n,
		         local_n_ctx(l->m));
		goto done;
	}
	struct lgram_entry *ge = NULL;
	if (pick_grammar(l, req, &ge, resp) < 0)
		goto done;
	struct lgram_stats st = { 0 };
	if (ge) {
		memset(p.stop, 0, sizeof p.stop);   /* the grammar decides where it ends */
		rc = lgram_generate(l->lg, ge, l->m, t.v, t.n, &p, &resp->text, &res, &st, &e);
	} else {
		rc = local_generate(l->m, t.v, t.n, &p, &resp->text, &res, &e);
	}
	resp->tokens_in = res.tokens_in ? res.tokens_in : t.n;
	resp->tokens_out = res.tokens_out;
	if (rc < 0) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->detail, sizeof resp->detail, "%.200s", e.msg);
		goto done;
	}
	snprintf(resp->finish, sizeof resp->finish, "%s",
	         !strcmp(res.finish, "context") ? "length" : res.finish);
	if (!strcmp(res.finish, "error") || !strcmp(res.finish, "masked")) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->detail, sizeof resp->detail, "generation %s",
		         !strcmp(res.finish, "masked") ? "found no allowed token" : "hook failed");
	} else if (ge) {
		snprintf(resp->detail, sizeof resp->detail, "constrained by %s%s (%s; mask %.1f us/token)",
		         ge == l->user ? "grammar " : "the output schema",
		         ge == l->user ? l->grammar_name : "",
		         st.complete ? "complete" : "incomplete",
		         st.masks ? (double)st.mask_ns / 1e3 / (double)st.masks : 0.0);
	}
done:
	resp->seconds = (double)(os_mono_ns() - t0) / 1e9;
	free(t.v);
	(void)err;
	return 0;
}

const struct provider_ops provider_local = {
	.name = "local",
	.open = local_open,
	.complete = local_complete,
	.close = local_close,
};
