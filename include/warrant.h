/*
 * warrant.h: LLM workflows in which models generate and checks decide.
 *
 * A model's output is a candidate. Only the workflow's checks, its policy and
 * people move it forward:
 *
 *     candidate --checks pass--> verified --approval--> approved --ship--> shipped
 *         \------ any check fails ------> rejected (with one failure class)
 *
 * Typical use:
 *
 *     struct wr_err err;
 *     struct wr_flow *flow = NULL;
 *     struct wr_store *store = NULL;
 *     struct wr_run_result res;
 *
 *     if (wr_flow_load("flow.yaml", NULL, &flow, &err) < 0 ||
 *         wr_store_open(".warrant/warrant.db", &store, &err) < 0) {
 *             fprintf(stderr, "%s\n", err.msg);
 *             goto out;
 *     }
 *     struct wr_run_params p = wr_run_default_params();
 *     wr_run_start(store, flow, &p, &res, &err);    // res.status, res.failure
 *   out:
 *     wr_store_free(store);
 *     wr_flow_free(flow);
 *
 * Conventions. Fallible functions return 0 or a negative WR_E* code and, when
 * given a struct wr_err, fill it with a message that names the place
 * ("flow.yaml:12:7: ..."). Filling an error never allocates. Arguments are
 * borrowed; what a _new/_load/_open function hands out belongs to the caller
 * and is released with the matching _free, which accepts NULL. The library
 * never prints and never exits.
 */
#ifndef WARRANT_H
#define WARRANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WR_API __attribute__((visibility("default")))
#else
#define WR_API
#endif

/* --- errors --- */

enum {
	WR_OK = 0,
	WR_EINVAL = -1,   /* a bad argument from the caller */
	WR_ENOMEM = -2,   /* out of memory */
	WR_EIO = -3,      /* a file could not be read or written */
	WR_ESPEC = -4,    /* a workflow file is invalid */
	WR_ESTORE = -5,   /* the store failed (SQLite error, bad schema) */
	WR_ENOTFOUND = -6,/* no such run, step or artifact */
	WR_ESTATE = -7,   /* refused: the artifact or run is not in a state that allows it */
	WR_EBUSY = -8,    /* the run is being executed by another process */
	WR_ETAMPER = -9,  /* stored bytes or ledger entries do not match their hashes */
	WR_EPROVIDER = -10,/* a model provider could not be set up */
	WR_ETOOBIG = -11, /* input over a documented size cap */
	WR_ESANDBOX = -12,/* the OS sandbox cannot be built as asked */
};

#define WR_ERR_MAX 1024

struct wr_err {
	int code;              /* the WR_E* code, 0 when no error */
	char msg[WR_ERR_MAX];  /* one line, NUL-terminated, never allocated */
};

/* A short, static description of a WR_E* code. Never NULL. */
WR_API const char *wr_strerror(int code);
WR_API const char *wr_version(void);

/* --- the failure taxonomy: every failure gets exactly one class --- */

enum wr_failure {
	WR_FAIL_NONE = 0,
	WR_FAIL_CONTEXT_MISSING,    /* a required input or earlier artifact was absent */
	WR_FAIL_RETRIEVAL_MISS,     /* retrieval found nothing usable */
	WR_FAIL_TOOL_ERROR,         /* a tool ran and failed */
	WR_FAIL_PERMISSION_DENIED,  /* a request fell outside the permission envelope */
	WR_FAIL_CONSTRAINT_CONFLICT,/* the workflow's own constraints cannot all hold */
	WR_FAIL_SCHEMA_INVALID,     /* output is not valid JSON or breaks its schema */
	WR_FAIL_UNSUPPORTED_CLAIM,  /* a claim or quote not found in the sources */
	WR_FAIL_REFUSAL,            /* the model declined */
	WR_FAIL_BUDGET_EXCEEDED,    /* tokens, cost, time or calls ran out */
	WR_FAIL_UNDERSPECIFIED,     /* the task lacks what it needs to be done */
	WR_FAIL_PROVIDER_ERROR,     /* the model provider failed */
	WR_FAIL_TIMEOUT,            /* something took longer than allowed */
	WR_FAIL_CHECK_FAILED,       /* a deterministic check failed */
	WR_FAIL_REJECTED_BY_HUMAN,  /* a person rejected it */
	WR_FAIL_COUNT_
};

/* "schema_invalid" etc.; "none" for WR_FAIL_NONE; "?" out of range. */
WR_API const char *wr_failure_name(enum wr_failure f);
/* The class for a name, or -1 when the name is unknown. */
WR_API int wr_failure_parse(const char *name);

/* --- artifact states and run statuses --- */

enum wr_state {
	WR_STATE_CANDIDATE = 0,
	WR_STATE_VERIFIED,
	WR_STATE_APPROVED,
	WR_STATE_SHIPPED,
	WR_STATE_REJECTED,
};
WR_API const char *wr_state_name(enum wr_state s);

enum wr_run_status {
	WR_RUN_RUNNING = 0,  /* started, not finished (or killed: resume it) */
	WR_RUN_WAITING,      /* paused at an approve step */
	WR_RUN_DONE,         /* every step completed */
	WR_RUN_REJECTED,     /* an artifact was rejected by a check or a person */
	WR_RUN_FAILED,       /* stopped by another failure (budget, provider, ...) */
};
WR_API const char *wr_run_status_name(enum wr_run_status s);

/* Exit codes of the CLI, one per outcome, so scripts can branch on them. */
enum {
	WR_EXIT_DONE = 0,
	WR_EXIT_FAILED = 1,    /* provider error, refusal, timeout, ... */
	WR_EXIT_USAGE = 2,     /* bad command line, invalid workflow, unknown run */
	WR_EXIT_REJECTED = 3,  /* a check or a person rejected the artifact */
	WR_EXIT_WAITING = 4,   /* paused for approval */
	WR_EXIT_BUDGET = 5,    /* a budget was exceeded */
	WR_EXIT_INTERNAL = 6,  /* store or I/O error; the run is resumable */
};

/* --- workflows --- */

struct wr_flow;

struct wr_flow_params {
	/* Called once per problem found while loading, with a full
	 * "file:line:col: message" line. The first problem also goes to err. */
	void (*on_problem)(void *ud, const char *msg);
	void *ud;
	/* NULL, or a JSON object {MODEL: {key: value, ...}} whose keys replace
	 * (or add to) those of the named models before loading: an eval
	 * variant. The flow's source, version hash and the bytes recorded with
	 * each run are then the merged workflow's. Naming a model the file
	 * lacks is an error. */
	const char *model_overrides;
	/* NULL, or a JSON object {STEP: "prompt template"} replacing the
	 * prompts of the named generate steps (an eval variant's prompts). */
	const char *prompt_overrides;
	/* The organisation policy file; NULL: $WARRANT_POLICY, else the
	 * nearest warrant.policy.yaml in the workflow's folder or above; "":
	 * none. What it forbids is a load-time problem. */
	const char *policy;
};
WR_API struct wr_flow_params wr_flow_default_params(void);

/* Loads and validates a workflow file. Reports every problem (through
 * params->on_problem) before failing with WR_ESPEC. */
WR_API int wr_flow_load(const char *path, const struct wr_flow_params *params,
                        struct wr_flow **out, struct wr_err *err);
WR_API void wr_flow_free(struct wr_flow *flow);
/* Name from the file, and the version hash: SHA-256 (hex) over the file and
 * every file it names. Valid while the flow lives. */
WR_API const char *wr_flow_name(const struct wr_flow *flow);
WR_API const char *wr_flow_hash(const struct wr_flow *flow);
/* The organisation policy applied to flow: its path and SHA-256 (hex), or
 * NULL when none; and whether it requires runs to match warrant.lock. */
WR_API const char *wr_flow_policy(const struct wr_flow *flow, const char **hash);
WR_API int wr_flow_policy_requires_lock(const struct wr_flow *flow);
/* Default store path for a workflow: ".warrant/warrant.db" beside it. */
WR_API int wr_flow_store_path(const char *flow_path, char *buf, size_t size);

/* --- the store --- */

struct wr_store;

/* Opens (creating the file and its folder when missing) a SQLite store. */
WR_API int wr_store_open(const char *path, struct wr_store **out, struct wr_err *err);
WR_API void wr_store_free(struct wr_store *store);

/* --- runs --- */

#define WR_ID_MAX 64
#define WR_HASH_HEX 65

struct wr_input {
	const char *name;
	const char *value;  /* bytes, NUL-terminated */
};

enum wr_event_kind {
	WR_EV_STEP_START,
	WR_EV_STEP_END,     /* status/failure/message say how it ended */
	WR_EV_WAITING,      /* an approve step is waiting */
	WR_EV_SKIP,         /* a completed step skipped on resume */
};

struct wr_event {
	enum wr_event_kind kind;
	const char *run_id;
	const char *step_id;
	const char *step_kind;      /* "generate", "check", ... */
	int index, total;           /* 0-based step index, number of steps */
	enum wr_failure failure;
	const char *message;        /* may be "" */
	double seconds;             /* step duration for WR_EV_STEP_END */
};

struct wr_run_params {
	const struct wr_input *inputs;
	size_t n_inputs;
	uint64_t seed;              /* recorded with the run; 0 picks one */
	int has_seed;
	const char *actor;          /* who started it, for the ledger; NULL: "cli" */
	void (*on_event)(void *ud, const struct wr_event *ev);
	void *ud;
	/* Stop after this many steps (0: no limit). Used by tests and the
	 * benchmark to leave a run half done. */
	int max_steps;

	/* Replay: answer every model call from the exchanges recorded by this
	 * run (an id, unique prefix or "last") instead of asking a model. No
	 * provider is opened and nothing goes over the network; a request the
	 * record lacks fails the step with provider_error. Unless given here,
	 * the inputs and seed are the recorded run's. */
	const char *replay_run;
	/* Cache: answer a call from any earlier successful exchange with the
	 * same request hash (in this store), and ask the model only on a miss.
	 * A model's own "cache: true" turns it on for that model alone. */
	int cache;
	/* A price table (YAML, as data/prices.yaml) to use instead of the one
	 * built in; NULL: $WARRANT_PRICES, else the built-in table. */
	const char *prices_path;
	/* Stop before the first approve or ship step, leaving the run resumable
	 * (status running): evaluations judge artifacts without effects. */
	int stop_before_effects;
	/* wr_run_start: the new run's id (at most WR_ID_MAX - 1 bytes), as a
	 * job names its run before it starts; NULL: a fresh one. */
	const char *run_id;
	/* wr_run_resume: take the run over even when its owner process looks
	 * alive. For a worker holding the job's lease: the owner recorded may
	 * be a process on another machine whose lease has lapsed. */
	int take_over;
};
WR_API struct wr_run_params wr_run_default_params(void);

struct wr_run_result {
	char run_id[WR_ID_MAX];
	enum wr_run_status status;
	enum wr_failure failure;    /* WR_FAIL_NONE unless rejected/failed */
	char failed_step[WR_ID_MAX];
	char message[512];          /* why it stopped, "" when done */
	int exit_code;              /* the WR_EXIT_* for this outcome */
};

/* Starts a run of flow, executing steps until it is done, waits for approval,
 * or fails. Every state change is committed before the next action. A run
 * outcome (rejected, budget, ...) is not an error: the call returns 0 and
 * res says how it ended. Errors are for when it could not proceed. */
WR_API int wr_run_start(struct wr_store *store, const struct wr_flow *flow,
                        const struct wr_run_params *params,
                        struct wr_run_result *res, struct wr_err *err);

/* Continues a run from its last committed state, using the workflow as it
 * was when the run started (its bytes are kept in the store). A completed
 * step is never executed again and an effect never happens twice. run_id may
 * be a unique prefix or "last". */
WR_API int wr_run_resume(struct wr_store *store, const char *run_id,
                         const struct wr_run_params *params,
                         struct wr_run_result *res, struct wr_err *err);

enum wr_decision { WR_APPROVE, WR_REJECT };

/* Records a person's decision on an approve step that is waiting. Refused
 * (WR_ESTATE) unless the step is waiting and its artifact is verified. The
 * decision goes to the ledger under actor with note. It does not resume the
 * run: call wr_run_resume after an approval. */
WR_API int wr_decide(struct wr_store *store, const char *run_id, const char *step_id,
                     enum wr_decision d, const char *actor, const char *note,
                     struct wr_err *err);

/* --- reading runs back --- */

struct wr_run_info {
	char id[WR_ID_MAX];
	char flow_name[128];
	char flow_path[512];
	char flow_hash[WR_HASH_HEX];
	enum wr_run_status status;
	enum wr_failure failure;
	char failed_step[WR_ID_MAX];
	char message[512];
	uint64_t seed;
	int64_t created_ms, updated_ms;  /* Unix epoch milliseconds */
	int64_t tokens_in, tokens_out, calls;
	double cost_usd;
	double seconds;                  /* wall time spent executing */
	int steps_done, steps_total;
};

struct wr_step_info {
	int index;
	char id[WR_ID_MAX];
	char kind[16];
	char status[16];                 /* pending, running, done, waiting, failed */
	char artifact[WR_HASH_HEX];      /* SHA-256 of the step's artifact, or "" */
	enum wr_state state;             /* of the artifact this step produced or acted on */
	enum wr_failure failure;
	char message[512];
	double seconds;
};

struct wr_check_info {
	char step_id[WR_ID_MAX];
	int index;                       /* position in the step's checks list */
	char kind[16];
	int passed;
	enum wr_failure failure;
	char reason[512];
	double seconds;
};

/* One model call of a run, as recorded. */
struct wr_call_info {
	char step_id[WR_ID_MAX];
	int64_t index;                   /* the run's call counter: 0, 1, ... */
	char model[128];                 /* the workflow's name for the model */
	char provider[32];
	char api_model[64];              /* the model as the server named it, or "" */
	char request_hash[WR_HASH_HEX];  /* SHA-256 of the canonical request */
	char response_hash[WR_HASH_HEX]; /* SHA-256 of the output text */
	int64_t tokens_in, tokens_out;
	double cost_usd;
	double seconds;
	enum wr_failure failure;
	char finish[32];                 /* finish or stop reason */
	char detail[256];
	char served[16];                 /* "provider", "replay" or "cache" */
	char system_fingerprint[64];
	int attempts;                    /* HTTP attempts (0 for local providers) */
};

/* One HTTP attempt of a call. Times in milliseconds. */
struct wr_attempt_info {
	int64_t call_index;
	int n;                           /* 1-based */
	int status;                      /* HTTP status; 0 when no answer came */
	int64_t start_ms;                /* since the call began */
	int64_t latency_ms;
	int64_t retry_after_ms;          /* the server's Retry-After; -1 when absent */
	int64_t wait_ms;                 /* pause before the next attempt */
	char error[64];                  /* transport error ("timed out", ...) or "" */
	char kind[16];                   /* ok, rate_limited, server_error, client_error,
	                                    timeout, transport */
};

/* Calls fn for each model call of a run, in order. */
WR_API int wr_run_calls(struct wr_store *store, const char *run_id,
                        int (*fn)(void *ud, const struct wr_call_info *info),
                        void *ud, struct wr_err *err);
/* Calls fn for each HTTP attempt of a run's calls, by call then attempt. */
WR_API int wr_run_attempts(struct wr_store *store, const char *run_id,
                           int (*fn)(void *ud, const struct wr_attempt_info *info),
                           void *ud, struct wr_err *err);
/* A cassette for the replay provider: a JSON object mapping the request
 * hash of each of the run's calls to its response record (the first, when
 * a request was asked twice). *json is the caller's (free). */
WR_API int wr_run_cassette(struct wr_store *store, const char *run_id, char **json,
                           struct wr_err *err);


struct wr_candidate_info {
	char step_id[WR_ID_MAX];         /* the generate step that drew it */
	int attempt;                     /* 1-based */
	char artifact[WR_HASH_HEX];      /* SHA-256 of the candidate */
	int64_t size;                    /* bytes */
	enum wr_state state;             /* rejected attempts: WR_STATE_REJECTED */
	enum wr_failure failure;         /* why a rejected attempt was rejected */
	int kept;                        /* 1: it became the step's artifact */
};

/* Resolves a run id, a unique prefix of one, or "last". */
WR_API int wr_run_find(struct wr_store *store, const char *ref, char id[WR_ID_MAX],
                       struct wr_err *err);
WR_API int wr_run_get(struct wr_store *store, const char *run_id,
                      struct wr_run_info *info, struct wr_err *err);
/* Calls fn for each run, newest first, until fn returns non-zero. At most
 * limit runs (0: all). */
WR_API int wr_runs_each(struct wr_store *store, int limit,
                        int (*fn)(void *ud, const struct wr_run_info *info),
                        void *ud, struct wr_err *err);
/* Which runs wr_runs_query lists: every field narrows the list; the
 * defaults (wr_runs_default_filter) list every run. */
struct wr_runs_filter {
	int status;           /* an enum wr_run_status, or -1: any */
	int failure;          /* an enum wr_failure, or -1: any */
	const char *flow;     /* a workflow name, NULL or "": any */
	const char *after;    /* a run id: only runs listed after it (keyset
	                         paging); NULL or "": from the newest */
	int limit;            /* at most this many runs; 0: all */
};
WR_API struct wr_runs_filter wr_runs_default_filter(void);

/* Calls fn for each run that f admits, newest first (the order of
 * wr_runs_each), until fn returns non-zero. f may be NULL (every run).
 * An "after" id that names no run is WR_ENOTFOUND. info->steps_done is -1:
 * listings do not count steps. */
WR_API int wr_runs_query(struct wr_store *store, const struct wr_runs_filter *f,
                         int (*fn)(void *ud, const struct wr_run_info *info),
                         void *ud, struct wr_err *err);
WR_API int wr_run_steps(struct wr_store *store, const char *run_id,
                        int (*fn)(void *ud, const struct wr_step_info *info),
                        void *ud, struct wr_err *err);
WR_API int wr_run_checks(struct wr_store *store, const char *run_id,
                         int (*fn)(void *ud, const struct wr_check_info *info),
                         void *ud, struct wr_err *err);

/* A span of a run's trace. The run is span 1 (parent 0); its steps are
 * its children; a generate step's model calls and a check step's checks
 * are the step's children, and a remote call's HTTP attempts the call's. Derived from the stored records: nothing more
 * is written while a run executes. */
struct wr_span {
	int id, parent;
	char kind[16];               /* run, step, call, attempt, check, tool */
	char step_kind[16];          /* a step's kind: generate, check, ...; a tool's effect */
	char name[160];              /* workflow name, step id, "call 1 attempt 2", "#1 json" */
	char status[16];             /* a run's status; a step's; ok or failed */
	enum wr_failure failure;
	int64_t start_us, end_us;    /* Unix epoch microseconds */
	char model[128], provider[32];
	int64_t tokens_in, tokens_out;
	double cost_usd;
	char artifact[WR_HASH_HEX];  /* the artifact made or judged, or "" */
	char detail[512];            /* a message, a check's reason, a call's finish */
	int64_t bytes_in, bytes_out; /* a call: its recorded request and output */
	char params[160];            /* a call: sampling settings as compact JSON
	                                ({"max_tokens":..,"seed":..,"temperature":..}) */
};

/* Calls fn for each span of run_id, parents before children, until fn
 * returns non-zero. */
WR_API int wr_trace_each(struct wr_store *store, const char *run_id,
                         int (*fn)(void *ud, const struct wr_span *s), void *ud,
                         struct wr_err *err);

struct wr_otlp_result {
	int spans;     /* spans sent */
	int status;    /* the collector's HTTP status */
};

/* Sends run_id's spans to an OpenTelemetry collector at url (OTLP/HTTP
 * JSON, e.g. http://127.0.0.1:4318/v1/traces), retrying 429/5xx; model
 * calls carry the GenAI semantic-convention attributes. headers, when not
 * NULL, is "key=value,key=value" (OTEL_EXPORTER_OTLP_HEADERS' form); it is
 * never written anywhere. WR_EPROVIDER when the collector refuses or cannot
 * be reached. */
WR_API int wr_trace_export_otlp(struct wr_store *store, const char *run_id, const char *url,
                                const char *headers, struct wr_otlp_result *out,
                                struct wr_err *err);

/* --- sources: documents indexed for retrieval (src/source/) --- */

struct wr_index_params {
	const char *const *paths;    /* files, directories (recursive) and globs */
	size_t n_paths;
	const char *root;            /* chunk ids are paths relative to it; NULL: "." */
	const char *chunk;           /* "paragraph" (default), "heading", "size" */
	size_t max_bytes;            /* longest chunk; 0: 1500 */
};

struct wr_index_report {
	int files;                   /* documents found */
	int indexed, unchanged, removed;
	int64_t chunks;              /* chunks written */
	int64_t bytes;               /* bytes read and chunked */
	double seconds;
};

/* Indexes documents (plain text, Markdown, JSON, CSV; binary files are
 * skipped) into the store: each chunk gets a stable id, "contract#12" for
 * the twelfth chunk of contract.md, its byte span and hash. Only files
 * whose size, time or bytes changed are read again; indexed files under
 * the given directories that are gone are forgotten. on_file, when not
 * NULL, hears each file and what happened to it ("indexed", "unchanged",
 * "removed", "skipped: binary"). */
WR_API int wr_index(struct wr_store *store, const struct wr_index_params *p,
                    void (*on_file)(void *ud, const char *path, const char *what), void *ud,
                    struct wr_index_report *report, struct wr_err *err);

struct wr_hit {
	char id[192];                /* "contract#12" */
	char source[512];            /* the file, relative to the index root */
	int64_t start, end;          /* byte span in the file */
	char hash[WR_HASH_HEX];      /* of the chunk's bytes */
	double score;                /* BM25, higher is better */
	const char *text;            /* the chunk, valid during the call */
	size_t text_len;
};

/* The top_k chunks for a free-text query (words, any order; BM25 over a
 * Porter-stemmed, accent-folded index), from sources matching glob (NULL:
 * all), best first. WR_EINVAL for a query with no words. */
WR_API int wr_retrieve(struct wr_store *store, const char *query, int top_k,
                       const char *glob, int (*fn)(void *ud, const struct wr_hit *h),
                       void *ud, struct wr_err *err);

/* An artifact's chain of custody: the run (workflow and inputs hashes,
 * inputs, seed), the model call that made it (model, provider, the request
 * with its system message and prompt, usage), every check on it, and every
 * ledger entry about it (generated, checks, approvals, the ship). ref is
 * its SHA-256 in hex or at least the first 8 digits; an artifact made in
 * several runs gives one chain per run. *out is text for a person, or
 * JSON with as_json; the caller's, to free(). */
WR_API int wr_why(struct wr_store *store, const char *ref, int as_json, char **out,
                  struct wr_err *err);

/* --- evals (src/eval/) --- */

/* A suite of cases for a workflow (YAML; see docs/eval.md). Problems are
 * reported as file:line:col: message (WR_ESPEC). */
struct wr_suite;
WR_API int wr_suite_load(const char *path, struct wr_suite **out, struct wr_err *err);
WR_API void wr_suite_free(struct wr_suite *s);

struct wr_eval_params {
	const char *store_path;      /* NULL: .warrant/eval.db beside the suite */
	int concurrency;             /* runs at once; 0: the suite's */
	int repeats;                 /* 0: the suite's */
	int cache;                   /* answer repeated requests from recorded exchanges */
	void (*on_progress)(void *ud, int done, int total);  /* from worker threads, serialized */
	void *ud;
	/* Queue every run as a job in the store (wr_job_run) for `warrant worker`
	 * processes, wait for them all, and report as when run here. */
	int via_jobs;
};

struct wr_eval_case {
	char name[128];
	int variant;                 /* index into variants[] */
	int runs, passed;            /* passed: runs that met the case's expectation */
	enum wr_failure failure;     /* the most frequent failure class, or NONE */
	char example_run[WR_ID_MAX]; /* a run that missed, else any */
	char detail[300];            /* the first failed assertion of a missed run, or "" */
};

/* One variant's results: the workflow as written (name "") when the suite
 * has no variants. */
struct wr_eval_variant {
	char name[64];
	char flow_hash[WR_HASH_HEX]; /* the merged workflow's version, recorded by its runs */
	int runs, passed;
	double rate, lo, hi;         /* pass rate and its Wilson 95% interval */
	int flaky;
	int by_failure[WR_FAIL_COUNT_];
	double threshold;            /* 0: none */
	int threshold_met;
};

/* Variant a against variant b on the same (case, repeat) pairs, each pair
 * run with the same seed: the exact McNemar test on discordant pairs. */
struct wr_eval_compare {
	int a, b;                    /* indexes into variants[] */
	int a_only, b_only;          /* pairs where only a (only b) met the expectation */
	double p_value;
	double diff;                 /* rate of b minus rate of a */
};

/* A model as its server named itself in the runs' recorded calls. */
#define WR_EVAL_MAX_MODELS 32
struct wr_eval_model {
	char model[128];             /* the workflow's name for it */
	char api_model[64];          /* "" when the provider names none */
	char system_fingerprint[64]; /* "" when none */
};

struct wr_eval_report {
	char suite[128];
	char store_path[4096];       /* where the runs went */
	int cases, repeats, runs, passed;
	double rate, lo, hi;         /* pass rate and its Wilson 95% interval */
	double pass_at_1, pass_at_k; /* means over cases; k = repeats */
	int flaky;                   /* cases with mixed outcomes */
	int by_failure[WR_FAIL_COUNT_];
	double threshold;            /* 0: none */
	int threshold_met;           /* lo >= threshold */
	int64_t tokens_in, tokens_out, calls;
	double cost_usd, seconds;
	struct wr_eval_case *case_results;  /* n_case_results: cases per variant, in order */
	int n_case_results;
	struct wr_eval_variant *variants;   /* n_variants, at least one */
	int n_variants;
	struct wr_eval_compare *compares;   /* every pair a < b: n_variants choose 2 */
	int n_compares;
	unsigned char *met;          /* runs: 1 when the run met its case's expectation,
	                                in order variant, case, repeat */
	double *run_seconds;         /* runs: each run's executing time, in the same order */
	double *run_cost;            /* runs: each run's cost in USD, in the same order */
	struct wr_eval_model models[WR_EVAL_MAX_MODELS];  /* distinct, first seen first */
	int n_models;
};

/* Runs every case `repeats` times through the suite's workflow, under each
 * variant (each run seeded by its case and repeat, so variants see the same
 * seeds; stopped before any approve or ship step) and reports the
 * statistics. The top-level totals are over all variants; threshold_met
 * needs every variant's threshold met. */
WR_API int wr_eval(const struct wr_suite *s, const struct wr_eval_params *p,
                   struct wr_eval_report **out, struct wr_err *err);
WR_API void wr_eval_report_free(struct wr_eval_report *r);

/* --- baselines: a report kept by name, and the drift from it --- */

/* Keeps r (each run's outcome, the rates, each variant's workflow version,
 * the models seen) in the eval store at store_path (NULL: the report's)
 * under name, replacing one of the same name. */
WR_API int wr_eval_baseline_save(const char *store_path, const char *name,
                                 const struct wr_eval_report *r, struct wr_err *err);

struct wr_eval_drift_variant {
	char name[64];
	int paired;                  /* (case, repeat) pairs in both reports */
	int lost, gained;            /* pairs met then and not now; not then, met now */
	double rate_then, rate_now;  /* over the paired runs */
	double p_value;              /* exact McNemar on lost vs gained */
	int regressed;               /* lost > gained with p < 0.05 */
	int version_changed;         /* the workflow version differs from the baseline's */
};

struct wr_eval_drift {
	char baseline[64];
	int64_t saved_ms;            /* when the baseline was kept (Unix ms) */
	struct wr_eval_drift_variant *variants;  /* n_variants: the report's, matched by name */
	int n_variants;
	int regressed;               /* any variant regressed */
	int models_changed;          /* a model's api_model or fingerprint differs */
	char (*notes)[256];          /* n_notes lines for a person: cases that lost
	                                passes, model and version changes */
	int n_notes;
};

/* Compares r with the baseline called name in the store at store_path
 * (NULL: the report's). WR_ENOTFOUND when there is none.
 * *out is the caller's (wr_eval_drift_free). */
WR_API int wr_eval_against(const char *store_path, const char *name,
                           const struct wr_eval_report *r, struct wr_eval_drift **out,
                           struct wr_err *err);
WR_API void wr_eval_drift_free(struct wr_eval_drift *d);

/* --- the job queue: warrant submit and warrant worker (src/store/jobs.c) ---
 *
 * A job is one run of a workflow, queued in the store. Workers on any
 * number of machines (sharing a PostgreSQL store; or processes sharing a
 * SQLite file) claim jobs, each under a lease they renew with heartbeats.
 * A job whose lease lapses (its worker died) is claimed again, and the
 * next worker resumes the job's run from its last committed step. */

struct wr_job {
	int64_t id;
	char kind[16];               /* "run" (warrant submit) or "eval" (a suite's run) */
	char flow_path[512];
	char run_id[WR_ID_MAX];      /* named at submit; the run may not exist yet */
	/* A JSON object: "inputs" (name -> string); for eval jobs also "seed",
	 * "overrides" (the variant's models) and "cache". */
	char args[8192];
	int64_t claims;              /* this claim's number: fences out stale workers */
};

/* Queues a run of the workflow at flow_path (kept as given: workers must
 * see the file at that path) with n_inputs inputs. *id, when not NULL,
 * gets the job's id. */
WR_API int wr_job_submit(struct wr_store *store, const char *flow_path,
                         const struct wr_input *inputs, size_t n_inputs, int64_t *id,
                         struct wr_err *err);
/* Claims the oldest job whose lease has lapsed, else the oldest queued
 * one, for worker (a name unique among the workers) until lease_ms from
 * now. WR_ENOTFOUND when there is none. Concurrent claims never get the
 * same job (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on SQLite). */
WR_API int wr_job_claim(struct wr_store *store, const char *worker, int64_t lease_ms,
                        struct wr_job *job, struct wr_err *err);
/* Renews the lease. WR_ESTATE when it is no longer this worker's. */
WR_API int wr_job_heartbeat(struct wr_store *store, const struct wr_job *job,
                            const char *worker, int64_t lease_ms, struct wr_err *err);
/* Ends the job: done (its run ran to an outcome, named by result) or
 * failed (it could not run; message says why). WR_ESTATE when the lease is
 * no longer this worker's (another took the job over). */
WR_API int wr_job_finish(struct wr_store *store, const struct wr_job *job,
                         const char *worker, int failed, const char *result,
                         const char *message, struct wr_err *err);

/* Executes a claimed job's run: starts it under the job's run id, or, when
 * an earlier worker started it, resumes it from its last committed step
 * (taking it over from that worker), or, when it already ended, only
 * reports how. params: as for wr_run_start (inputs and run_id are the
 * job's). Returns as wr_run_start does; res says how the run ended. */
WR_API int wr_job_run(struct wr_store *store, const struct wr_job *job,
                      const struct wr_run_params *params, struct wr_run_result *res,
                      struct wr_err *err);

struct wr_jobs_count {
	int64_t queued, running, done, failed;
};
WR_API int wr_jobs_count(struct wr_store *store, struct wr_jobs_count *out,
                         struct wr_err *err);

/* --- the lock file: what a passing eval accepted (src/eval/lock.c) --- */

/* warrant.lock beside the workflow at flow_path. */
WR_API int wr_lock_path(const char *flow_path, char *buf, size_t size);
/* Pins the workflow at flow_path in its warrant.lock (the entry for its
 * file name replaced, others kept): version hash (covering prompts,
 * schemas and every file it names), the file's own hash, each model's
 * settings, and r as the eval that accepted them. WR_ESTATE when r did not
 * run this version of the workflow or did not pass. */
WR_API int wr_lock_write(const char *flow_path, const struct wr_eval_report *r,
                         struct wr_err *err);
/* Checks flow against its lock. 0 when nothing pinned changed; WR_ESTATE
 * when something did, with *changes (the caller's, to free()) one line per
 * change and err naming the eval that accepted the lock; WR_ENOTFOUND when
 * there is no lock or it does not pin this workflow. */
WR_API int wr_lock_check(const struct wr_flow *flow, char **changes, struct wr_err *err);

/* --- lint: the workflow against the skill tree --- */

enum wr_lint_status { WR_LINT_MISSING = 0, WR_LINT_WEAK, WR_LINT_PRESENT };

#define WR_LINT_NODES 12

struct wr_lint_node {
	int level;                   /* 1 conditioning, 2 authority, 3 workflows,
	                                4 compounding */
	const char *name;            /* "intent", "context", ... */
	enum wr_lint_status status;
	char detail[240];            /* what was found */
	char add[240];               /* the line to add, or "" */
};

struct wr_lint_report {
	struct wr_lint_node nodes[WR_LINT_NODES];
	int n_nodes;
	int level;                   /* highest level with it and all below present; 0..4 */
};

/* Scores a loaded workflow (its policy applied) against the four levels of
 * the skill tree: each node present, weak or missing, with the line to
 * add. Reads the suites beside it and warrant.lock. */
WR_API int wr_lint(const struct wr_flow *flow, struct wr_lint_report *r, struct wr_err *err);
/* The workflow file a suite tests. Valid while the suite lives. */
WR_API const char *wr_suite_workflow(const struct wr_suite *s);

/* A failed run, for failure reports. */
struct wr_failure_row {
	char run_id[WR_ID_MAX];
	char flow_name[128];
	char step_id[WR_ID_MAX];     /* the step that failed, or "" */
	enum wr_failure failure;
	char model[128];             /* the model that step last called, or "" */
	int64_t created_ms;
	char message[512];
};

/* Calls fn for each failed run (any run with a failure class) created at
 * or after since_ms, of the workflow named flow (NULL or "": any), newest
 * first, until fn returns non-zero. */
WR_API int wr_failures_each(struct wr_store *store, int64_t since_ms, const char *flow,
                            int (*fn)(void *ud, const struct wr_failure_row *row),
                            void *ud, struct wr_err *err);

/* Calls fn for every candidate the run's generate steps drew, in order: each
 * attempt of a step with output_schema, revise or best_of (the rejected ones
 * with their failure class, the kept one last), and the one candidate of
 * any other generate step. */
WR_API int wr_run_candidates(struct wr_store *store, const char *run_id,
                           int (*fn)(void *ud, const struct wr_candidate_info *info),
                           void *ud, struct wr_err *err);

/* Reads an artifact's bytes by its hash, verifying them against it
 * (WR_ETAMPER on mismatch). *bytes is NUL-terminated and the caller's, to
 * free with free(). At most max bytes (0: no cap; WR_ETOOBIG above it). */
WR_API int wr_artifact_read(struct wr_store *store, const char *hash,
                            size_t max, char **bytes, size_t *len,
                            struct wr_err *err);

/* --- the ledger --- */

struct wr_ledger_report {
	int64_t entries;        /* entries read */
	int64_t problems;       /* problems found; 0 means the chain verifies */
	char head[WR_HASH_HEX]; /* hash of the last entry */
	int64_t bytes;          /* bytes hashed */
	int64_t signed_entries; /* entries whose signature verified */
};

/* Verifies the whole chain: every entry's hash, each link to the previous
 * entry, the sequence, and the recorded head. Each problem goes to on_problem
 * (when not NULL). Returns 0 when the chain verifies, WR_ETAMPER when it does
 * not, another code when it could not be read. */
WR_API int wr_ledger_verify(struct wr_store *store,
                            void (*on_problem)(void *ud, const char *msg), void *ud,
                            struct wr_ledger_report *report, struct wr_err *err);

/* --- signing: Ed25519 keys, signed entries, attestations --- */

/* Makes an Ed25519 key: the private key to path (PEM, mode 0600) and the
 * public key to path + ".pub". Never overwrites a file (WR_ESTATE). key_id
 * gets the key's id: SHA-256 in hex of the raw 32-byte public key. */
WR_API int wr_keygen(const char *path, char key_id[WR_HASH_HEX], struct wr_err *err);

/* From now on, every ledger entry this store handle appends is signed with
 * the private key in key_path; the public key is recorded in the store's
 * keys table. A signature is Ed25519 over the 64 ASCII hex digits of the
 * entry's hash (which covers every entry before it). */
WR_API int wr_store_sign_with(struct wr_store *store, const char *key_path,
                              struct wr_err *err);

struct wr_verify_params {
	const char *trusted_key;  /* public key PEM file: only its signatures count;
	                             NULL: any key recorded in the store */
	int require_signed;       /* an unsigned entry is a problem */
};

/* wr_ledger_verify, and every signature: made by a trusted key, over the
 * entry's hash. p may be NULL (wr_ledger_verify's behaviour). */
WR_API int wr_ledger_verify_signed(struct wr_store *store, const struct wr_verify_params *p,
                                   void (*on_problem)(void *ud, const char *msg), void *ud,
                                   struct wr_ledger_report *report, struct wr_err *err);

/* An in-toto Statement v1 about run_id in a DSSE envelope, signed with the
 * store's signing key (wr_store_sign_with first; WR_ESTATE without one).
 * Subjects: the artifacts the run shipped (name: the destination, digest:
 * the artifact's SHA-256); predicate: the run's provenance (workflow and
 * inputs hashes, models, steps, checks, the run's ledger entries).
 * *out is compact JSON, NUL-terminated, the caller's to free(). */
WR_API int wr_attest(struct wr_store *store, const char *run_id, char **out,
                     struct wr_err *err);

struct wr_ledger_entry {
	int64_t seq;
	int64_t at_ms;
	char run_id[WR_ID_MAX];
	char actor[128];       /* "model:drafter", "check:verify", "human:alice", "engine" */
	char action[32];       /* generated, check_passed, verified, approved, shipped, ... */
	char subject[WR_HASH_HEX];/* the artifact hash the decision is about, or "" */
	char evidence[512];    /* compact JSON: hashes and reasons */
	char prev[WR_HASH_HEX];
	char hash[WR_HASH_HEX];
};

/* Calls fn for each ledger entry of run_id (NULL: all), in order. */
WR_API int wr_ledger_each(struct wr_store *store, const char *run_id,
                          int (*fn)(void *ud, const struct wr_ledger_entry *e),
                          void *ud, struct wr_err *err);

/* --- JSON Schema (src/check/schema.c) --- */

/* JSON Schema draft 2020-12, every keyword; $ref resolves within the file
 * (no network). A loaded schema is immutable and may be shared by threads. */
struct wr_schema;

/* Loads and compiles a schema from a JSON file. With format_assert, "format"
 * rejects invalid date-time, date, time, email, uri, uuid, ipv4, ipv6 and
 * hostname values; without, it is an annotation. Errors: WR_EIO (unreadable),
 * WR_ESPEC ("schema.json:3:9: ..." for bad JSON, "schema.json: schema
 * #/properties/a/minimum: must be a number" for a bad schema), WR_ENOMEM. */
WR_API int wr_schema_load(const char *path, int format_assert, struct wr_schema **out,
                          struct wr_err *err);
WR_API void wr_schema_free(struct wr_schema *s);

/* Validates the JSON text json[0..len). Returns 1 when valid, 0 when not,
 * calling on_error (when not NULL) once per problem, at most 100, with the
 * instance's JSON pointer ("/items/3/price"), the keyword path
 * ("/properties/items/items/properties/price/minimum") and a message
 * ("-1 is less than the minimum 0"); the strings live during the call.
 * Text that is not JSON fails with WR_EINVAL and "line:col: message" in err;
 * WR_ENOMEM. */
WR_API int wr_schema_validate_json(const struct wr_schema *s, const char *json, size_t len,
                                   void (*on_error)(void *ud, const char *instance_path,
                                                    const char *schema_path,
                                                    const char *message),
                                   void *ud, struct wr_err *err);

/* --- grammars for constrained decoding (src/local/grammar*.c) --- */

/* The GBNF grammar (text, see src/local/grammar.h for the syntax) of the
 * JSON documents that a local model may generate under the JSON Schema file
 * path: a subset of the valid ones, in property order, with bounded
 * whitespace and numbers. Keywords a grammar cannot enforce (pattern,
 * format, numeric bounds, ...) are left to the schema check after
 * generation, or refused with strict. *out gets NUL-terminated text the
 * caller free()s. Errors: WR_EIO; WR_ESPEC ("schema.json:3:9: ..." for bad
 * JSON, "schema.json: schema /properties/a: unknown type 'strin'");
 * WR_ENOMEM. */
WR_API int wr_grammar_from_schema_file(const char *path, int strict, char **out,
                                       struct wr_err *err);

/* Parses the GBNF grammar file path and checks it: every rule defined, no
 * left recursion, every rule able to finish. Errors: WR_EIO; WR_ESPEC with
 * "file.gbnf:3:7: undefined rule 'valeu'"; WR_ETOOBIG; WR_ENOMEM. */
WR_API int wr_grammar_check_file(const char *path, struct wr_err *err);

/* --- the OS sandbox (src/sandbox/) --- */

/* Runs a program confined by kernel features, not by trust:
 *
 *     const char *argv[] = { "cat", "notes.txt", NULL };
 *     const char *rw[] = { "/tmp/job", NULL };
 *     struct wr_sandbox_params p = wr_sandbox_default_params();
 *     struct wr_sandbox_result r;
 *     p.argv = argv;
 *     p.write_paths = rw;                    // also the work dir and HOME
 *     if (wr_sandbox_run(&p, &r, &err) == 0)
 *             ... r.status, r.out, r.err ...
 *     wr_sandbox_result_release(&r);
 *
 * Each layer below is a bit in wr_sandbox_probe's and wr_sandbox_run's
 * masks. Unless allow_weaker is set, a run whose layers the kernel cannot all
 * give fails with WR_ESANDBOX naming what is missing; nothing is started. */
enum wr_sandbox_layer {
	WR_SBX_LANDLOCK_FS = 1 << 0,   /* Landlock: files only beneath the listed paths */
	WR_SBX_LANDLOCK_NET = 1 << 1,  /* Landlock ABI >= 4: no TCP bind or connect */
	WR_SBX_LANDLOCK_SCOPE = 1 << 2,/* Landlock ABI >= 6: no signals, no abstract
	                                  Unix sockets outside the sandbox */
	WR_SBX_NETNS = 1 << 3,         /* a new network namespace: no interfaces up */
	WR_SBX_SECCOMP = 1 << 4,       /* ptrace, mount, bpf, kexec, keyctl, modules,
	                                  namespaces ... fail with EPERM */
	WR_SBX_NO_NEW_PRIVS = 1 << 5,  /* setuid binaries and file caps grant nothing */
	WR_SBX_RLIMITS = 1 << 6,       /* CPU seconds, address space, file size, open files */
	WR_SBX_NPROC = 1 << 7,         /* the process limit is enforced: the program
	                                  does not run as root */
};
#define WR_SBX_ALL 0xffu

/* What this kernel and process can give. */
struct wr_sandbox_probe {
	unsigned available;     /* WR_SBX_* bits */
	int landlock_abi;       /* 0 when Landlock is off or absent */
	char why[WR_ERR_MAX];   /* for each layer missing, one "layer: reason; " */
};

/* Fills out by asking the kernel (forks a short-lived child). Never fails. */
WR_API void wr_sandbox_probe(struct wr_sandbox_probe *out);
/* "landlock-fs", "netns", ... for one WR_SBX_* bit; "?" otherwise. */
WR_API const char *wr_sandbox_layer_name(unsigned layer);

struct wr_sandbox_params {
	const char *const *argv;        /* the program and its arguments, NULL-ended;
	                                   argv[0] without '/' is looked up in PATH */
	const char *const *read_paths;  /* NULL-ended: read and execute beneath each */
	const char *const *write_paths; /* NULL-ended: also write, create, remove */
	int system_paths;               /* 1: read /usr, /bin, /sbin, /lib*, /etc/ld.so.*,
	                                   /dev/{null,zero,urandom} and write /dev/null */
	const char *cwd;                /* work dir, HOME and TMPDIR; NULL: the first
	                                   write path, else "/" */
	const char *const *env;         /* NULL-ended "NAME=value": the whole environment
	                                   besides PATH, LANG, HOME and TMPDIR (both the
	                                   work dir; all overridable).
	                                   Credential-like names are refused (WR_EINVAL) */
	int net;                        /* 1: network allowed (no netns, no Landlock net) */
	double timeout_s;               /* wall clock, whole process group killed */
	double cpu_s;                   /* RLIMIT_CPU, seconds (0: no limit) */
	size_t memory_bytes;            /* RLIMIT_AS (0: no limit) */
	size_t file_bytes;              /* RLIMIT_FSIZE (0: no limit) */
	int max_procs;                  /* RLIMIT_NPROC (0: no limit) */
	int max_files;                  /* RLIMIT_NOFILE (0: no limit) */
	const void *stdin_data;         /* fed to stdin, then closed (NULL: empty) */
	size_t stdin_len;
	size_t max_output;              /* bytes kept of stdout and of stderr each */
	int allow_weaker;               /* 1: run with the layers there are */
	long uid, gid;                  /* when called as root, the program runs as
	                                   these (default 65534, nobody); -1 keeps root */
};

/* Timeout 30 s, CPU 30 s, memory 1 GiB, files 64 MiB, 64 processes, 256
 * open files, output 1 MiB each, system paths, no network, nobody. */
WR_API struct wr_sandbox_params wr_sandbox_default_params(void);

struct wr_sandbox_result {
	int status;          /* the exit status when the program exited, else -1;
	                        126 cannot execute, 127 not found (see exec_errno) */
	int signal;          /* the signal that ended it, else 0 (SIGXCPU: CPU limit) */
	int timed_out;       /* killed at the wall timeout (signal is SIGKILL) */
	int exec_errno;      /* why the program could not start, else 0 */
	char *out, *err;     /* captured, NUL-terminated; the caller's (release) */
	size_t out_len, err_len;
	int out_truncated, err_truncated; /* over max_output: the rest was dropped */
	unsigned applied;    /* WR_SBX_* layers in force for the run */
	unsigned missing;    /* layers wanted but not given (only with allow_weaker) */
	int landlock_abi;
	double seconds;      /* wall time from start to reaped */
};

/* Runs the program and waits for it (or its timeout). Returns 0 when it ran,
 * whatever its status; WR_EINVAL for bad params (no argv, a path that does
 * not exist, a credential in env), WR_ESANDBOX when a layer is missing and
 * allow_weaker is 0, or when setting one up fails (the message names it),
 * WR_ENOMEM. r is filled in every case and must be released. */
WR_API int wr_sandbox_run(const struct wr_sandbox_params *p, struct wr_sandbox_result *r,
                          struct wr_err *err);
WR_API void wr_sandbox_result_release(struct wr_sandbox_result *r);

/* --- model providers (src/model/) --- */

#ifdef __cplusplus
}
#endif
#endif /* WARRANT_H */
