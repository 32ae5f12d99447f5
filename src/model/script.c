/* script.c: the scripted provider, a deterministic stand-in for a model.
 *
 * A YAML file lists responses:
 *
 *     pick: sequence        # sequence (by call number), random (by seed), match
 *     served_model: m-0613  # reported as the server's model name (optional)
 *     system_fingerprint: fp_1   # reported as a server's fingerprint (optional)
 *     responses:
 *       - text: '{"total": 12.5}'
 *         match: INV-001    # pick: match: first response whose match occurs in the prompt
 *         attempt: 2        # only for this attempt of a step (optional)
 *         latency_ms: 20    # sleep before answering
 *         tokens_in: 120    # usage to report (default: bytes/4 estimates)
 *         tokens_out: 14
 *         refusal: true     # answer as a refusal
 *         error: provider_error   # or timeout: fail the call
 *         tool_calls:       # answer by asking for tools instead of text
 *           - name: read_file
 *             arguments: '{"path": "notes.txt"}'   # JSON text
 *
 * The choice depends only on the request (its call_index, seed, prompt and
 * attempt), never on hidden state, so a resumed run gets the same answers. */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/os.h"
#include "model/provider.h"
#include "model/remote.h"

enum pick { PICK_SEQUENCE, PICK_RANDOM, PICK_MATCH };

struct script_call {
	const char *name, *arguments;
};

struct script_resp {
	const char *text, *match;
	struct script_call *calls;
	size_t n_calls;
	int attempt;            /* 0: any */
	int latency_ms;
	int64_t tokens_in, tokens_out;  /* -1: estimate */
	int refusal;
	enum wr_failure error;
};

struct script {
	struct arena arena;
	enum pick pick;
	const char *served_model, *fingerprint;  /* or NULL */
	struct script_resp *resp;
	size_t n;
};

static const char *scalar(struct fy_node *map, const char *key, struct arena *a)
{
	struct fy_node *n = fy_node_mapping_lookup_by_string(map, key, FY_NT);
	const char *s;
	size_t len;

	if (!n || !fy_node_is_scalar(n))
		return NULL;
	s = fy_node_get_scalar(n, &len);
	return s ? arena_strndup(a, s, len) : NULL;
}

static int64_t integer(struct fy_node *map, const char *key, struct arena *a,
                       int64_t dflt)
{
	const char *s = scalar(map, key, a);
	char *end;
	long long v;

	if (!s)
		return dflt;
	v = strtoll(s, &end, 10);
	return *end || v < 0 ? -2 : v;
}

static int parse_calls(struct script *sc, struct fy_node *item, struct script_resp *r,
                       const char *path, size_t i, struct wr_err *err)
{
	struct fy_node *list = fy_node_mapping_lookup_by_string(item, "tool_calls", FY_NT), *c;
	void *iter = NULL;
	size_t k = 0;

	if (!list)
		return 0;
	if (!fy_node_is_sequence(list))
		return err_set(err, WR_EPROVIDER, "%s: response %zu: tool_calls must be a list",
		               path, i + 1);
	r->n_calls = (size_t)fy_node_sequence_item_count(list);
	if (!(r->calls = arena_alloc(&sc->arena, (r->n_calls + 1) * sizeof(*r->calls))))
		return err_set(err, WR_ENOMEM, "out of memory");
	while ((c = fy_node_sequence_iterate(list, &iter)) != NULL && k < r->n_calls) {
		if (!fy_node_is_mapping(c) || !(r->calls[k].name = scalar(c, "name", &sc->arena)))
			return err_set(err, WR_EPROVIDER, "%s: response %zu: each tool call needs a "
			               "'name'", path, i + 1);
		r->calls[k].arguments = scalar(c, "arguments", &sc->arena);
		k++;
	}
	return 0;
}

static int parse_resp(struct script *sc, struct fy_node *item, struct script_resp *r,
                      const char *path, size_t i, struct wr_err *err)
{
	const char *refusal, *error;
	if (!fy_node_is_mapping(item))
		return err_set(err, WR_EPROVIDER, "%s: response %zu is not a mapping", path, i + 1);
	r->text = scalar(item, "text", &sc->arena);
	r->match = scalar(item, "match", &sc->arena);
	r->attempt = (int)integer(item, "attempt", &sc->arena, 0);
	r->latency_ms = (int)integer(item, "latency_ms", &sc->arena, 0);
	r->tokens_in = integer(item, "tokens_in", &sc->arena, -1);
	r->tokens_out = integer(item, "tokens_out", &sc->arena, -1);
	refusal = scalar(item, "refusal", &sc->arena);
	error = scalar(item, "error", &sc->arena);
	r->refusal = refusal && strcmp(refusal, "true") == 0;
	if (r->attempt < 0 || r->latency_ms < 0 || r->latency_ms > 600000 ||
	    r->tokens_in < -1 || r->tokens_out < -1)
		return err_set(err, WR_EPROVIDER,
		               "%s: response %zu: attempt, latency_ms and tokens must be "
		               "non-negative integers", path, i + 1);
	if (error) {
		int f = wr_failure_parse(error);

		if (f != WR_FAIL_PROVIDER_ERROR && f != WR_FAIL_TIMEOUT)
			return err_set(err, WR_EPROVIDER,
			               "%s: response %zu: error must be provider_error or timeout",
			               path, i + 1);
		r->error = (enum wr_failure)f;
	}
	int rc = parse_calls(sc, item, r, path, i, err);

	if (rc < 0)
		return rc;
	if (!r->text && !r->error && !r->n_calls)
		return err_set(err, WR_EPROVIDER, "%s: response %zu has no text", path, i + 1);
	if (!r->text)
		r->text = "";
	return 0;
}

static int script_load(struct script *sc, const char *path, struct wr_err *err)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_DEFAULT_DOC };
	struct fy_document *doc;
	struct fy_node *root, *list, *item;
	const char *pick;
	void *iter = NULL;
	size_t i = 0;
	int rc = WR_EPROVIDER;

	doc = fy_document_build_from_file(&cfg, path);
	if (!doc)
		return err_set(err, WR_EPROVIDER, "%s: cannot read or parse the script file",
		               path);
	root = fy_document_root(doc);
	list = root && fy_node_is_mapping(root)
	       ? fy_node_mapping_lookup_by_string(root, "responses", FY_NT) : NULL;
	if (!list || !fy_node_is_sequence(list) || fy_node_sequence_item_count(list) == 0) {
		err_set(err, WR_EPROVIDER, "%s: needs a non-empty 'responses' list", path);
		goto out;
	}
	pick = scalar(root, "pick", &sc->arena);
	sc->served_model = scalar(root, "served_model", &sc->arena);
	sc->fingerprint = scalar(root, "system_fingerprint", &sc->arena);
	if (!pick || !strcmp(pick, "sequence"))
		sc->pick = PICK_SEQUENCE;
	else if (!strcmp(pick, "random"))
		sc->pick = PICK_RANDOM;
	else if (!strcmp(pick, "match"))
		sc->pick = PICK_MATCH;
	else {
		err_set(err, WR_EPROVIDER, "%s: pick must be sequence, random or match", path);
		goto out;
	}
	sc->n = (size_t)fy_node_sequence_item_count(list);
	sc->resp = arena_alloc(&sc->arena, sc->n * sizeof(*sc->resp));
	if (!sc->resp) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	while ((item = fy_node_sequence_iterate(list, &iter)) != NULL) {
		if ((rc = parse_resp(sc, item, &sc->resp[i], path, i, err)) < 0)
			goto out;
		i++;
	}
	rc = 0;
out:
	fy_document_destroy(doc);
	return rc;
}

static int script_open(const struct spec_model *m, const char *flow_dir, void **state,
                       struct wr_err *err)
{
	struct script *sc = calloc(1, sizeof(*sc));
	char path[4096];
	int rc;

	*state = NULL;
	if (!sc)
		return err_set(err, WR_ENOMEM, "out of memory");
	arena_init(&sc->arena, 0);
	if (!m->file) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': the script provider needs 'file'",
		             m->name);
		goto fail;
	}
	if (os_join(flow_dir, m->file, path, sizeof(path)) < 0) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': path too long", m->name);
		goto fail;
	}
	if ((rc = script_load(sc, path, err)) < 0)
		goto fail;
	*state = sc;
	return 0;
fail:
	arena_release(&sc->arena);
	free(sc);
	return rc;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static const struct script_resp *choose(const struct script *sc,
                                        const struct model_request *req)
{
	const struct script_resp *any = NULL;

	switch (sc->pick) {
	case PICK_SEQUENCE:
		return &sc->resp[(uint64_t)req->call_index % sc->n];
	case PICK_RANDOM:
		return &sc->resp[mix(req->seed ^ mix((uint64_t)req->call_index)) % sc->n];
	case PICK_MATCH:
		for (size_t i = 0; i < sc->n; i++) {
			const struct script_resp *r = &sc->resp[i];

			if (r->attempt && r->attempt != req->attempt)
				continue;
			if (!r->match) {
				if (!any)
					any = r;
				continue;
			}
			if (strstr(req->prompt, r->match))
				return r;
		}
		return any;
	}
	return NULL;
}

static int script_complete(void *state, const struct model_request *req,
                           struct model_response *resp, struct wr_err *err)
{
	const struct script *sc = state;
	const struct script_resp *r = choose(sc, req);

	if (!r) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->finish, sizeof(resp->finish), "error");
		snprintf(resp->detail, sizeof(resp->detail), "no scripted response matches");
		return 0;
	}
	if (r->latency_ms)
		os_sleep_ms(r->latency_ms);
	if (sc->served_model)
		snprintf(resp->model, sizeof(resp->model), "%s", sc->served_model);
	if (sc->fingerprint)
		snprintf(resp->system_fingerprint, sizeof(resp->system_fingerprint), "%s",
		         sc->fingerprint);
	resp->tokens_in = r->tokens_in >= 0 ? r->tokens_in
	                  : provider_estimate_tokens(req->prompt) +
	                    (req->system ? provider_estimate_tokens(req->system) : 0);
	if (r->error) {
		resp->failure = r->error;
		resp->tokens_out = 0;
		snprintf(resp->finish, sizeof(resp->finish), "error");
		snprintf(resp->detail, sizeof(resp->detail), "scripted %s",
		         wr_failure_name(r->error));
		return 0;
	}
	if (buf_adds(&resp->text, r->text) < 0)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (size_t k = 0; k < r->n_calls; k++) {
		char id[32];

		snprintf(id, sizeof(id), "call_%zu", k + 1);
		if (remote_tool_call_add(resp, id, r->calls[k].name,
		                         r->calls[k].arguments ? r->calls[k].arguments : "{}") < 0)
			return err_set(err, WR_ENOMEM, "out of memory");
	}
	resp->tokens_out = r->tokens_out >= 0 ? r->tokens_out
	                   : provider_estimate_tokens(r->text);
	if (r->refusal) {
		resp->failure = WR_FAIL_REFUSAL;
		snprintf(resp->finish, sizeof(resp->finish), "refusal");
		snprintf(resp->detail, sizeof(resp->detail), "the model declined");
	} else {
		snprintf(resp->finish, sizeof(resp->finish), "%s", r->n_calls ? "tool_calls" : "stop");
	}
	return 0;
}

static void script_close(void *state)
{
	struct script *sc = state;

	if (!sc)
		return;
	arena_release(&sc->arena);
	free(sc);
}

const struct provider_ops provider_script = {
	.name = "script",
	.open = script_open,
	.complete = script_complete,
	.close = script_close,
};
