/* attest.c: a run's provenance as an in-toto Statement v1 in a DSSE
 * envelope (https://github.com/in-toto/attestation, DSSE v1 signing). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "ledger/sign.h"
#include "store/store.h"

#define PAYLOAD_TYPE "application/vnd.in-toto+json"
#define PREDICATE_TYPE "https://warrant.dev/provenance/v1"

struct gather {
	json_t *subjects, *steps, *checks, *entries;
	int oom;
};

static void push(struct gather *g, json_t *list, json_t *item)
{
	if (!item || json_array_append_new(list, item) < 0)
		g->oom = 1;
}

static int on_step(void *ud, const struct wr_step_info *s)
{
	struct gather *g = ud;

	push(g, g->steps, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", s->id, "kind", s->kind,
	                            "status", s->status, "artifact", s->artifact,
	                            "state", s->artifact[0] ? wr_state_name(s->state) : "",
	                            "failure", wr_failure_name(s->failure)));
	return 0;
}

static int on_check(void *ud, const struct wr_check_info *c)
{
	struct gather *g = ud;

	push(g, g->checks, json_pack("{s:s,s:i,s:s,s:b,s:s,s:s}", "step", c->step_id,
	                             "index", c->index, "kind", c->kind, "passed", c->passed,
	                             "failure", wr_failure_name(c->failure), "reason",
	                             c->reason));
	return 0;
}

/* Every ledger entry of the run; a "shipped" one names a subject. */
static int on_entry(void *ud, const struct wr_ledger_entry *e)
{
	struct gather *g = ud;

	push(g, g->entries, json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
	                              "actor", e->actor, "action", e->action, "subject",
	                              e->subject, "hash", e->hash));
	if (!strcmp(e->action, "shipped") && e->subject[0]) {
		json_t *ev = json_loads(e->evidence, 0, NULL);
		const char *to = json_string_value(json_object_get(ev, "to"));

		push(g, g->subjects, json_pack("{s:s,s:{s:s}}", "name", to ? to : e->subject,
		                               "digest", "sha256", e->subject));
		json_decref(ev);
	}
	return 0;
}

static int statement(struct store *st, const struct store_run *r, struct gather *g,
                     json_t **out, struct wr_err *err)
{
	struct wr_store *ws = (struct wr_store *)st;
	int rc;

	if ((rc = wr_run_steps(ws, r->id, on_step, g, err)) < 0 ||
	    (rc = wr_run_checks(ws, r->id, on_check, g, err)) < 0 ||
	    (rc = wr_ledger_each(ws, r->id, on_entry, g, err)) < 0)
		return rc;
	*out = json_pack("{s:s,s:O,s:s,s:{s:{s:s,s:{s:s,s:s,s:s},s:s,s:I,s:s,s:s,s:I,s:I,s:I,"
	                 "s:f,s:I},s:O,s:O,s:O}}",
	                 "_type", "https://in-toto.io/Statement/v1",
	                 "subject", g->subjects,
	                 "predicateType", PREDICATE_TYPE,
	                 "predicate",
	                 "run",
	                 "id", r->id,
	                 "workflow", "name", r->flow_name, "path", r->flow_path,
	                 "sha256", r->flow_blob,
	                 "inputs_sha256", r->inputs_blob,
	                 "seed", (json_int_t)r->seed,
	                 "status", wr_run_status_name((enum wr_run_status)r->status),
	                 "failure", wr_failure_name((enum wr_failure)r->failure),
	                 "calls", (json_int_t)r->calls,
	                 "tokens_in", (json_int_t)r->tokens_in,
	                 "tokens_out", (json_int_t)r->tokens_out,
	                 "cost_usd", r->cost_usd,
	                 "created_ms", (json_int_t)r->created_ms,
	                 "steps", g->steps, "checks", g->checks, "ledger", g->entries);
	return *out && !g->oom ? 0 : err_set(err, WR_ENOMEM, "out of memory");
}

/* DSSE's pre-authentication encoding of the payload. */
static char *pae(const char *payload, size_t len, size_t *out_len)
{
	size_t head = strlen(PAYLOAD_TYPE) + 64, n;
	char *p = malloc(head + len + 1);
	int h;

	if (!p)
		return NULL;
	h = snprintf(p, head, "DSSEv1 %zu %s %zu ", strlen(PAYLOAD_TYPE), PAYLOAD_TYPE, len);
	n = (size_t)h;
	memcpy(p + n, payload, len);
	*out_len = n + len;
	p[*out_len] = '\0';
	return p;
}

int wr_attest(struct wr_store *store, const char *run_id, char **out, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	const struct signer *sg;
	struct gather g = { json_array(), json_array(), json_array(), json_array(), 0 };
	struct store_run r;
	json_t *stmt = NULL, *env = NULL;
	char *payload = NULL, *msg = NULL, *b64 = NULL, sig[SIG_B64];
	size_t len, msg_len;
	int rc;

	*out = NULL;
	if (!store || !run_id) {
		rc = err_set(err, WR_EINVAL, "wr_attest: store and run are required");
		goto out;
	}
	if (!(sg = store_signer(st))) {
		rc = err_set(err, WR_ESTATE, "an attestation is signed: set a signing key "
		             "(WARRANT_SIGNING_KEY, or 'warrant keygen' to make one)");
		goto out;
	}
	if ((rc = store_run_get(st, run_id, &r, err)) < 0)
		goto out;
	if (!g.subjects || !g.steps || !g.checks || !g.entries) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = statement(st, &r, &g, &stmt, err)) < 0)
		goto out;
	if (!(payload = json_dumps(stmt, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	len = strlen(payload);
	if (!(msg = pae(payload, len, &msg_len)) || !(b64 = malloc(4 * ((len + 2) / 3) + 1))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = signer_sign(sg, msg, msg_len, sig, err)) < 0)
		goto out;
	sign_b64(payload, len, b64);
	env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType", PAYLOAD_TYPE, "payload", b64,
	                "signatures", "keyid", signer_key_id(sg), "sig", sig);
	if (!env || !(*out = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(env);
	json_decref(stmt);
	json_decref(g.subjects);
	json_decref(g.steps);
	json_decref(g.checks);
	json_decref(g.entries);
	free(payload);
	free(msg);
	free(b64);
	return rc;
}
