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
};

struct model_response {
	struct buf text;          /* the output; owned by the response */
	int64_t tokens_in, tokens_out;
	double cost_usd;          /* filled by the engine from the model's prices */
	enum wr_failure failure;  /* NONE, REFUSAL, PROVIDER_ERROR, TIMEOUT */
	char finish[32];          /* "stop", "length", "refusal", ... */
	char detail[256];         /* why it failed, for people; never secrets */
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
};

/* The provider named name, or NULL. */
const struct provider_ops *provider_find(const char *name);
/* Names of all providers, NULL-terminated (for "did you mean"). */
const char *const *provider_names(void);

/* A rough token count for text with no tokenizer: bytes / 4, rounded up. */
int64_t provider_estimate_tokens(const char *text);

extern const struct provider_ops provider_script;

#endif
