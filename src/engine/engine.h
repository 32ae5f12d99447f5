/* engine.h: executing runs. The engine is the only code that changes an
 * artifact's state, and it does so only in lifecycle.c. */
#ifndef WR_ENGINE_ENGINE_H
#define WR_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "check/check.h"
#include "core/buf.h"
#include "model/prices.h"
#include "model/provider.h"
#include "spec/spec.h"
#include "store/store.h"
#include "warrant.h"

/* struct wr_flow and struct wr_store are the public names of these. */
struct wr_flow {
	struct spec_flow *spec;
};

enum step_status { SS_PENDING, SS_DONE, SS_WAITING, SS_FAILED };

struct engine {
	struct store *st;
	const struct spec_flow *flow;
	const struct wr_run_params *p;
	struct wr_run_result *res;
	struct store_run run;
	enum step_status *status;     /* per step, as committed */
	int *checks_of;               /* per generate step: check steps on its artifact */
	json_t *inputs;               /* the run's inputs: object of strings */
	void **prov_state;            /* per model, opened on first use */
	int pid;
	uint64_t t0_ns;               /* when this process began executing the run */
	double seconds_before;        /* executing time spent by earlier processes */
	struct buf scratch;           /* reused by each step */
	struct prices *prices;        /* the price table, loaded at start */
	char replay_id[WR_ID_MAX];    /* the run whose record answers calls, or "" */
	int stopped_before_effects;   /* p->stop_before_effects stopped the run */
	int *quote_cut;               /* per step: chunks left out of its quotes (the
	                                 prompt budget); NULL until one is cut */
};

/* --- run.c --- */
void engine_event(struct engine *e, enum wr_event_kind kind, int idx,
                  enum wr_failure f, const char *msg, double seconds);
/* Seconds spent executing the run so far, across processes. */
double engine_seconds(const struct engine *e);
/* Ends the run with an outcome (in the caller's transaction). */
int engine_finish(struct engine *e, enum wr_run_status status, enum wr_failure f,
                  int step_idx, const char *msg, struct wr_err *err);
/* Compact, key-sorted JSON of obj (whose reference it takes) into out for the
 * ledger's evidence; {"truncated":true} when it does not fit. */
void engine_evidence(char *out, size_t size, json_t *obj);
/* Writes the step row for index idx with its new status. */
int engine_step_put(struct engine *e, int idx, const char *status, enum wr_failure f,
                    const char *msg, const char *artifact, double seconds,
                    int64_t ledger_seq, struct wr_err *err);

/* --- steps: each returns 0 when the step ran (whatever its outcome,
 * which it commits), or an error when it could not. --- */
int step_generate(struct engine *e, int idx, struct wr_err *err);
int step_check(struct engine *e, int idx, struct wr_err *err);
int step_retrieve(struct engine *e, int idx, struct wr_err *err);

/* --- context.c: what must never reach a model --- */

/* The number (1-based) of the first context.exclude pattern text matches,
 * or 0. */
int context_match(const struct spec_flow *f, const char *text, size_t len);
/* The number of the first context.exclude file glob rel matches, or 0. */
int context_file_excluded(const struct spec_flow *f, const char *rel);
/* Before a model call: 1 when the prompt or system message carries excluded
 * text (the step is then failed as permission_denied and committed), 0 when
 * the call may go, negative on a store error. */
int context_screen(struct engine *e, int idx, const struct buf *system,
                   const struct buf *prompt, struct wr_err *err);
/* Fails step idx and the run with class f, in a transaction of its own. */
int engine_fail_step(struct engine *e, int idx, enum wr_failure f, const char *msg,
                     struct wr_err *err);
/* Renders step s's prompt within context.max_tokens (with system): while
 * it is over, the lowest-ranked chunk of the first step in context.drop
 * that still has one is left out, and the chunks left out are recorded in
 * the ledger. 1 when even without them it is over (the step is then failed
 * as budget_exceeded), 0 when out holds the prompt, negative on error. */
int context_render_prompt(struct engine *e, int idx, const struct buf *system,
                          struct buf *out, struct wr_err *err);
int step_approve(struct engine *e, int idx, struct wr_err *err);
int step_ship(struct engine *e, int idx, struct wr_err *err);

/* --- lifecycle.c: the artifact state machine --- */

/* Moves an artifact to state to (with failure for REJECTED), appending the
 * ledger entry that records the decision. Refuses (WR_ESTATE) any move the
 * lifecycle does not allow; a move to SHIPPED also passes life_ship_gate.
 * Must run inside the caller's transaction. */
int life_transition(struct engine *e, struct store_artifact *a, enum wr_state to,
                    enum wr_failure f, const char *actor, const char *evidence,
                    int64_t *ledger_seq, struct wr_err *err);

/* The one gate before any effect: the artifact must be in (at least) the
 * state required, never rejected, that state must be backed by intact ledger
 * entries of this run, and its bytes must hash to its hash. The bytes are
 * appended to bytes. */
int life_ship_gate(struct engine *e, const struct store_artifact *a,
                   enum wr_state requires, struct buf *bytes, struct wr_err *err);

/* Rank for comparing states along candidate < verified < approved < shipped;
 * -1 for rejected. */
int life_rank(enum wr_state s);

/* --- budget.c --- */

/* Before a model call: the failure (BUDGET_EXCEEDED) and why, or NONE.
 * est_tokens is the prompt's estimated size. */
enum wr_failure budget_before_call(const struct engine *e, int64_t est_tokens,
                                   char *why, size_t size);
/* After a step: has anything gone over? */
enum wr_failure budget_after(const struct engine *e, char *why, size_t size);

/* --- exchange.c: answers from the record, and recording them --- */

/* Where a call's answer comes from: in a replay, always the record of
 * e->replay_id (a request it lacks is answered with provider_error, never
 * by a model); with the cache on (the run's or the model's), an earlier
 * successful exchange with the same request hash. Returns 1 when resp was
 * filled and *served says how ("replay", "cache"), 0 when the provider must
 * be asked, or an error. */
int exchange_serve(struct engine *e, const struct spec_model *m, const char *req_hash,
                   struct model_response *resp, const char **served, struct wr_err *err);
/* The cost of a call the provider answered, from the model's price. */
double exchange_cost(const struct engine *e, const struct spec_model *m,
                     const struct model_response *resp);
/* Records how call call_index was answered: the response record, the
 * exchange row and every HTTP attempt (in the caller's transaction). */
int exchange_put(struct engine *e, int64_t call_index, const char *req_hash,
                 const struct model_response *resp, const char *served,
                 struct wr_err *err);
/* Loads the price table and resolves the replayed run (engine_init). */
int exchange_init(struct engine *e, struct wr_err *err);

/* --- call.c: model calls made by loops and critiques --- */

struct engine_call {
	const struct spec_model *m;
	const struct provider_ops *ops;
	char step_id[WR_ID_MAX];     /* recorded under this step id */
	int attempt;
	int64_t call_index;
	char *req_txt;               /* canonical request JSON; owned */
	const char *served;          /* "provider", "replay" or "cache" */
	char req_hash[HASH_HEX];
	char resp_hash[HASH_HEX];    /* filled by engine_call_put */
	struct model_response resp;
	double secs;
};

void engine_call_init(struct engine_call *c);
void engine_call_release(struct engine_call *c);
/* Asks model mi outside any transaction and counts the call in e->run (the
 * caller checks the budget first). A model failure is in c->resp.failure;
 * errors are for when the call could not be made. */
int engine_call_ask(struct engine *e, int mi, const char *step_id, const char *system,
                    const char *prompt, const char *schema_json, int attempt,
                    struct engine_call *c, struct wr_err *err);
/* The same, offering the model tools (tool_choice "auto"). */
int engine_call_ask_tools(struct engine *e, int mi, const char *step_id,
                          const char *system, const char *prompt, const char *schema_json,
                          const struct model_tool *tools, size_t n_tools, int attempt,
                          struct engine_call *c, struct wr_err *err);
/* Records the call (blobs, calls row) inside the caller's transaction. */
int engine_call_put(struct engine *e, struct engine_call *c, struct wr_err *err);

/* --- critique.c --- */

/* Runs critique check c on an artifact: asks c's model to score it against
 * the rubric and fills res (passed when the score reaches the threshold)
 * and evidence (score, findings, model) for the ledger. The call goes into
 * call, to be recorded with engine_call_put. A critique over the budget
 * fails with budget_exceeded without calling. */
int critique_run(struct engine *e, const char *step_id, const struct spec_check *c,
                 const char *bytes, size_t len, struct engine_call *call,
                 struct check_result *res, json_t **evidence, struct wr_err *err);

/* --- steps.c: running and recording checks --- */

/* Runs every check of check step s on bytes: deterministic ones first, then
 * critiques (model calls recorded under record_as, made outside any
 * transaction, left in calls for engine_call_put); a critique whose result
 * already has a reason is not asked again. results (zeroed or known),
 * secs, calls (initialised) and extra have s->n_checks entries. */
int engine_checks_run(struct engine *e, const struct spec_step *s, const char *record_as,
                      const char *bytes, size_t len, struct check_result *results,
                      double *secs, struct engine_call *calls, json_t **extra,
                      struct wr_err *err);
/* The result that decides the step: the first failing deterministic check,
 * else the first failing critique (a passing critique never outweighs a
 * failing deterministic check); NULL when all passed. *failed counts them. */
const struct check_result *engine_checks_verdict(const struct spec_step *s,
                                                 const struct check_result *results,
                                                 int *failed);
/* Records a check's row and ledger entry (actor check:actor_step) in the
 * caller's transaction; extra (taken) adds evidence fields. */
int engine_check_put(struct engine *e, const char *step_id, const char *actor_step,
                     int idx, const struct spec_check *c, const struct store_artifact *a,
                     const struct check_result *r, double secs, json_t *extra,
                     struct wr_err *err);

/* --- loop.c --- */

/* A generate step with output_schema, revise or best_of: draws candidates
 * until one passes its checks or the attempts run out, recording each. */
int loop_generate(struct engine *e, int idx, struct wr_err *err);

/* --- generate.c --- */
/* Opens model mi's provider on first use. */
int engine_provider_for(struct engine *e, int mi, const struct provider_ops **ops,
                        struct wr_err *err);
/* Renders a step's prompt (or the contract as a system prompt) into out. */
int engine_render_prompt(struct engine *e, const struct spec_step *s, struct buf *out,
                         struct wr_err *err);
int engine_render_contract(const struct spec_flow *flow, struct buf *out);
/* Records a generate step's final call and its outcome (candidate artifact
 * or generation_failed) in one transaction. call_index < 0: the call is
 * counted in e->run now, under the next index; else it was counted already
 * (engine_call_ask) under that index. */
int engine_generate_record(struct engine *e, int idx, const struct spec_model *m,
                           const char *served, const char *req_hash, const char *req,
                           struct model_response *resp, double secs, int64_t call_index,
                           struct wr_err *err);

/* --- tools.c --- */

/* A generate step with tools: asks the model, checks each tool call it
 * makes against the tool's envelope, runs the allowed ones, feeds the
 * results back, and records every request (tool_allowed / tool_denied)
 * until the model answers without tools or max_tool_rounds is reached. */
int tools_generate(struct engine *e, int idx, const char *system, const char *prompt,
                   struct wr_err *err);
/* A person's decision on the tool call generate step idx waits for
 * (approval: required), recorded as tool_approved / tool_rejected; the step
 * becomes pending so that resuming runs it again. WR_ESTATE when no call
 * waits. In the caller's claim of the run. */
int tools_decide(struct engine *e, int idx, enum wr_decision d, const char *actor,
                 const char *note, struct wr_err *err);

/* The spec_params to load run_id's workflow with again: the organisation
 * policy it started under (the path in buf), or none kept (find one). */
int engine_spec_params(struct store *st, const char *run_id, struct spec_params *sp,
                       char *buf, size_t size, struct wr_err *err);

#endif
