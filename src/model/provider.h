/* provider.h: the interface every model provider implements.
 *
 * A provider is opened once per model of a run and asked for completions.
 * It must never print, never exit, never write a secret into a response,
 * reason or error; failures come back as a failure class in the response
 * (provider_error, refusal, timeout) rather than as an error code, which is
 * only for "could not even try" (bad configuration). */
#ifndef WR_MODEL_PROVIDER_H
#define WR_MODEL_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "spec/spec.h"
#include "warrant.h"

struct model_request {
	const char *system;       /* rendered contract, or NULL */
	const char *prompt;       /* rendered prompt */
	const char *step_id;
	uint64_t seed;            /* the run's seed */
	int64_t call_index;       /* calls already made in this run: durable, so a
	                             resumed run asks the same question the same way */
	int attempt;              /* 1-based attempt within the step */

	/* Appended with the remote providers (openai, anthropic, command). */
	const char *schema_json;  /* JSON Schema the output must follow, or NULL:
	                             openai sends it as response_format json_schema
	                             (strict), anthropic as a forced tool */
	const char *schema_name;  /* its name for the API; NULL: "output" */
	const char *stop;         /* a stop sequence, or NULL (options.stop also counts) */
	const struct model_tool *tools;  /* functions the model may call */
	size_t n_tools;
	const char *tool_choice;  /* NULL or "auto", "none", "required", or a tool's name */
};

/* A function the model may call (OpenAI tools, Anthropic tool_use). */
struct model_tool {
	const char *name;
	const char *description;  /* or NULL */
	const char *parameters;   /* JSON Schema of the arguments; NULL: any object */
};

/* A call the model asked for. */
struct model_tool_call {
	char id[64];
	char name[64];
	char *arguments;          /* compact JSON; owned by the response */
};

#define MODEL_ATTEMPTS_MAX 16

/* One HTTP attempt of a call, in milliseconds. */
struct model_attempt {
	int status;               /* HTTP status; 0 when no answer came */
	int64_t start_ms;         /* since the call began */
	int64_t latency_ms;
	int64_t retry_after_ms;   /* the server's Retry-After; -1 when absent */
	int64_t wait_ms;          /* pause before the next attempt; 0 for the last */
	char error[64];           /* transport error ("timed out", ...) or "" */
};

struct model_response {
	struct buf text;          /* the output; owned by the response */
	int64_t tokens_in, tokens_out;
	double cost_usd;          /* filled by the engine from the model's prices */
	enum wr_failure failure;  /* NONE, REFUSAL, PROVIDER_ERROR, TIMEOUT */
	char finish[32];          /* "stop", "length", "refusal", ... */
	char detail[256];         /* why it failed, for people; never secrets */

	/* Appended with the remote providers. */
	char model[64];           /* the model that answered, as the server names it */
	char system_fingerprint[64]; /* OpenAI's backend configuration id, or "" */
	int attempts;             /* HTTP attempts made (0 for local providers) */
	struct model_attempt attempt[MODEL_ATTEMPTS_MAX]; /* the first `attempts` */
	struct model_tool_call *tool_calls; /* owned; freed by model_response_release */
	size_t n_tool_calls;
	double seconds;           /* wall time of the whole call, retries included */
};

void model_response_init(struct model_response *r);
void model_response_release(struct model_response *r);

struct provider_ops {
	const char *name;
	/* Opens a provider for m. flow_dir resolves relative paths. */
	int (*open)(const struct spec_model *m, const char *flow_dir, void **state,
	            struct wr_err *err);
	/* Fills resp. Returns 0 even when the model failed (resp->failure). */
	int (*complete)(void *state, const struct model_request *req,
	                struct model_response *resp, struct wr_err *err);
	void (*close)(void *state);
	/* Optional: fills resps[0..n) for reqs[0..n), running them concurrently
	 * (the model's max_concurrency and rate limits apply). Same contract as
	 * complete; a provider without it is driven one call at a time by
	 * provider_complete_batch. */
	int (*complete_batch)(void *state, const struct model_request *reqs,
	                      struct model_response *resps, size_t n, struct wr_err *err);
};

/* Runs a batch through ops->complete_batch, or one by one through complete. */
int provider_complete_batch(const struct provider_ops *ops, void *state,
                            const struct model_request *reqs,
                            struct model_response *resps, size_t n,
                            struct wr_err *err);

/* The provider named name, or NULL. */
const struct provider_ops *provider_find(const char *name);
/* Names of all providers, NULL-terminated (for "did you mean"). */
const char *const *provider_names(void);

/* A rough token count for text with no tokenizer: bytes / 4, rounded up. */
int64_t provider_estimate_tokens(const char *text);

/* Replaces every occurrence of secret (when at least 4 bytes) in s, a
 * NUL-terminated buffer of size bytes, with "[redacted]", truncating at
 * size; also a start of the secret (4 bytes or more) left at the very end by
 * an earlier truncation. */
void provider_redact(char *s, size_t size, const char *secret);
/* The same for a buf (which may grow). Returns 0 or WR_ENOMEM/WR_ETOOBIG. */
int provider_redact_buf(struct buf *b, const char *secret);

extern const struct provider_ops provider_script;
extern const struct provider_ops provider_openai;
extern const struct provider_ops provider_anthropic;
extern const struct provider_ops provider_command;
extern const struct provider_ops provider_replay;
extern const struct provider_ops provider_local;

#endif
