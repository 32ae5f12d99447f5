/* spec.h: a workflow file loaded into typed structs.
 *
 * Everything a struct spec_flow points at lives in its arena and dies with
 * spec_free. The loader reports every problem as "file:line:col: message"
 * and suggests the nearest valid key or name for typos. A flow that loads is
 * valid: names resolve, steps refer only to earlier steps, every shipped
 * artifact is checked first, templates name only known variables. */
#ifndef WR_SPEC_SPEC_H
#define WR_SPEC_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/hash.h"
#include "warrant.h"

struct spec_pos {
	int line, col;  /* 1-based; 0 when unknown */
};

enum spec_step_kind {
	STEP_GENERATE,
	STEP_CHECK,
	STEP_APPROVE,
	STEP_SHIP,
	STEP_RETRIEVE,
	STEP_KIND_COUNT_
};

enum check_kind {
	CHECK_JSON,          /* the artifact parses as JSON */
	CHECK_CONTAINS,      /* contains arg (bytes) */
	CHECK_NOT_CONTAINS,  /* does not contain arg */
	CHECK_REGEX,         /* PCRE2 pattern arg matches somewhere (UTF-8 mode) */
	CHECK_SCHEMA,        /* the artifact is JSON valid against the schema in arg */
	CHECK_CITES,         /* every string at paths occurs in the source */
	CHECK_EXPR,          /* the expression arg holds over the artifact's JSON */
	CHECK_COMMAND,       /* argv exits 0 with the artifact on stdin and in a file */
	CHECK_CRITIQUE,      /* a model scores the artifact against a rubric */
	CHECK_CHUNKS,        /* every id at paths is a chunk the retrieve step found */
	CHECK_KIND_COUNT_
};

struct spec_check {
	enum check_kind kind;
	const char *arg;      /* needle, pattern or expression; schema: the schema as
	                         JSON text; command: the program (or shell line), for
	                         reasons; critique: the model's name; NULL for json */
	const char *label;    /* optional "name:" shown in reports; NULL: derived */
	void *compiled;       /* check_compile's result (pcre2_code *, struct schema *,
	                         struct expr *), owned by the flow */
	struct spec_pos pos;  /* of the kind key */
	struct spec_pos vpos; /* of its value */

	const char *file;     /* schema, rubric or cites source file as written, or NULL */
	const char **paths;   /* cites: JSON paths of the claims */
	size_t n_paths;
	const char *source;   /* cites: the source file's bytes, or NULL */
	const char *input;    /* cites: or the name of the input that is the source */
	const char *retrieved;/* cites: or the retrieve step whose chunks are the source */
	const char **argv;    /* command: NULL-terminated; a string runs with /bin/sh -c */
	double timeout;       /* command, critique: seconds (0: the default) */
	const char *rubric;   /* critique: the rubric file's bytes */
	double threshold;     /* critique: the lowest passing score, 0..1 */
	int model_index;      /* critique: index into models[], or -1 */
};

struct spec_model {
	const char *name;       /* key under models: */
	const char *provider;   /* "script" (more with the providers issue) */
	const char *model;      /* the provider's model id, or NULL */
	const char *file;       /* script provider: responses file as written; providers
	                           resolve it against flow->dir (os_join) */
	double temperature;     /* -1: unset */
	int max_tokens;         /* 0: unset */
	double price_in;        /* USD per million input tokens; 0: free/unknown */
	double price_out;       /* USD per million output tokens */
	const char *options;    /* the whole model mapping as compact JSON, for providers */
	struct spec_pos pos;
};

enum spec_tool_kind {
	TOOL_READ_FILE,      /* {"path"}: a file's bytes, beneath the read globs */
	TOOL_LIST_DIR,       /* {"path"}: a folder's entry names */
	TOOL_SEARCH_SOURCE,  /* {"query"}: the top chunks of the store's index */
	TOOL_WRITE_FILE,     /* {"path","content"}: a file beneath the write globs */
	TOOL_COMMAND,        /* argv with {{args.NAME}}, run in the OS sandbox */
	TOOL_MCP,            /* an MCP server (argv) over stdio: its tools, each
	                        offered as NAME__TOOL under this envelope */
	TOOL_KIND_COUNT_
};

enum spec_effect { EFFECT_READ, EFFECT_WRITE, EFFECT_NETWORK, EFFECT_EXTERNAL,
                   EFFECT_COUNT_ };

/* A tool a model may request, with its permission envelope. Everything the
 * envelope allows is written here; nothing a model or a tool's output says
 * can widen it. */
struct spec_tool {
	const char *name;       /* key under tools: */
	enum spec_tool_kind kind;
	const char *description;/* or NULL */
	int allow;              /* 0 (allow: false): every call is denied */
	const char **read;      /* NULL-terminated path globs (relative to the flow's
	                           dir) the tool may read; command: folders */
	size_t n_read;
	const char **write;     /* the same for writing */
	size_t n_write;
	const char *schema_json;/* JSON Schema of the arguments (compact), or NULL */
	const char *values_json;/* {"arg": [allowed values]} (compact), or NULL */
	enum spec_effect effect;
	int max_calls;          /* calls allowed per step run; 0: unlimited */
	int approval;           /* approval: required: calls wait for a person */
	const char *policy_deny;/* why the organisation policy denies it, or NULL */
	const char **policy_read;  /* file tools: the policy's globs (absolute), which
	                              paths must match too; NULL: no narrowing */
	const char **policy_write;
	const char **argv;      /* command: NULL-terminated template; mcp: the server */
	size_t n_argv;
	const char **only;      /* mcp: the server's tools offered (NULL: all) */
	size_t n_only;
	double timeout;         /* command: seconds (0: 30) */
	int allow_weaker;       /* command, mcp: run with the sandbox layers the kernel has */
	int memory_mb;          /* command, mcp: address space limit in MiB; 0: the
	                           sandbox's default (1024) */
	const char *filter;     /* search_source: only sources matching this glob */
	struct spec_pos pos;
};

struct spec_input {
	const char *name;
	const char *description;  /* or NULL */
	const char *default_value;/* or NULL */
	int required;             /* 1 unless a default is given or required: false */
	struct spec_pos pos;
};

struct spec_budget {        /* 0 means unlimited */
	int64_t tokens;         /* input + output tokens over the run */
	double cost_usd;
	double seconds;         /* wall time spent executing the run */
	int64_t calls;          /* model calls */
};

struct spec_contract {
	const char *purpose;
	const char *audience;
	const char **constraints;
	size_t n_constraints;
	const char *stop;       /* the stop condition */
};

struct spec_step {
	const char *id;
	enum spec_step_kind kind;
	struct spec_pos pos;

	/* generate */
	const char *model;      /* a key of models: */
	int model_index;
	const char *prompt;     /* template text (inline, or read from prompt_file) */
	struct spec_pos prompt_pos;
	struct spec_check *output_schema; /* output_schema: a schema check, or NULL */
	int revise;             /* revise: N extra attempts with the failures fed back */
	int best_of;            /* best_of: N candidates; 0 when unset */

	/* check, approve, ship: the generate step whose artifact they act on */
	const char *of;
	int of_index;           /* index into steps[] of that generate step */

	/* check */
	struct spec_check *checks;
	size_t n_checks;

	/* ship */
	const char *to;         /* destination file, resolved against the flow's dir */
	int append;             /* 1: append to the file (exactly once) instead of creating it */
	int overwrite;          /* 1: replace an existing file */
	enum wr_state requires; /* VERIFIED or APPROVED; default APPROVED when the
	                           artifact has an approve step, else VERIFIED */

	/* retrieve: the query is a template, kept in prompt (and prompt_pos) */
	const char **sources;   /* files, folders, globs, relative to the flow's dir */
	size_t n_sources;
	int top_k;              /* 1..100; default 5 */
	const char *filter;     /* only chunks of files matching this glob, or NULL */

	/* generate: tools the model may call (indexes into flow->tools) */
	int *tools;
	size_t n_tools;
	int max_tool_rounds;    /* model calls answered with tool calls; default 8 */
};

/* What must never reach a model: files (globs, for retrieved chunks) and
 * patterns (PCRE2, compiled as regex checks) in any prompt or chunk. */
struct spec_context {
	const char **exclude_files;
	size_t n_exclude_files;
	struct spec_check *exclude_patterns;  /* kind CHECK_REGEX, compiled */
	size_t n_exclude_patterns;
	int64_t max_tokens;     /* a prompt's budget (estimated tokens); 0: none */
	const char **drop;      /* retrieve steps whose chunks give way first, in order */
	size_t n_drop;
	struct spec_pos drop_pos;
};

/* Check kinds as bits, for the policy's ship rules. */
#define SPEC_CHECK_BIT(k) (1u << (k))

/* The organisation policy (warrant.policy.yaml): what every workflow may
 * use, at most, and must have. Loading applies it: what can be narrowed
 * (tool envelopes, unset budgets, data never to send) is narrowed; what
 * cannot (a model it does not allow, a budget above its maximum, a ship
 * without the checks or approval it requires) is a load-time problem. */
struct spec_policy_ship {
	const char *glob;        /* destinations it covers ("*.json", "*") */
	unsigned checks;         /* SPEC_CHECK_BIT of each kind required */
	struct spec_pos pos;
};

struct spec_policy {
	const char *path;        /* as found */
	const char *dir;         /* its folder, absolute: tool paths resolve here */
	char hash[HASH_HEX];     /* of its bytes */
	const char **providers;  /* allowed providers; NULL: any */
	struct spec_pos providers_pos;
	const char **models;     /* allowed model ids (globs); NULL: any */
	struct spec_pos models_pos;
	struct spec_budget budget;   /* maxima; 0: none */
	struct spec_pos budget_pos;
	int ship_approval;       /* every ship needs an approve step */
	struct spec_pos ship_approval_pos;
	struct spec_policy_ship *ship;
	size_t n_ship;
	const char **tool_deny;  /* tool names, kinds or effect classes */
	struct spec_pos tool_deny_pos;
	unsigned tool_approval;  /* 1 << spec_effect needing approval: required */
	struct spec_pos tool_approval_pos;
	int tool_max_calls;      /* 0: none */
	const char **tool_read;  /* globs beneath dir; NULL: no narrowing */
	const char **tool_write;
	struct spec_pos tool_read_pos, tool_write_pos;
	int lock;                /* runs must match warrant.lock (as --locked) */
};

struct spec_flow {
	struct arena arena;
	const char *path;       /* as given */
	const char *dir;        /* directory of path, for resolving relative names */
	const char *name;       /* name:, or the file's base name */
	const char *description;
	struct spec_contract contract;
	struct spec_input *inputs;
	size_t n_inputs;
	struct spec_model *models;
	size_t n_models;
	struct spec_budget budget;
	struct spec_context context;
	struct spec_tool *tools;
	size_t n_tools;
	struct spec_step *steps;
	size_t n_steps;
	const char *source;     /* the file's bytes, NUL-terminated */
	size_t source_len;
	char hash[HASH_HEX];    /* SHA-256 over the file and every file it names */
	void *step_index;       /* private to spec: the id -> index table that keeps
	                           spec_step_find fast; NULL in flows built by hand */
	const struct spec_policy *policy; /* applied at load; NULL: none found */
};

struct spec_params {
	void (*on_problem)(void *ud, const char *msg);
	void *ud;
	/* NULL, or a JSON object {MODEL: {key: value, ...}} merged into the
	 * file's models: before loading (spec_load only). The merged bytes are
	 * the flow's source, so the hash and the bytes kept with each run are
	 * those of the variant, not of the file. */
	const char *model_overrides;
	/* The organisation policy: a file, "" for none, or NULL to find one:
	 * $WARRANT_POLICY, else the nearest warrant.policy.yaml in the flow's
	 * folder or a folder above it. */
	const char *policy_path;
	/* NULL, or a JSON object {STEP: "prompt template"} replacing the
	 * prompts of the named generate steps (an eval variant's prompts:). */
	const char *prompt_overrides;
};

/* The policy file spec_load would apply to a flow at flow_path (see
 * spec_params.policy_path); "" in buf when none. */
int spec_policy_find(const char *flow_path, const char *given, char *buf, size_t size,
                     struct wr_err *err);

/* Loads path. On WR_ESPEC every problem went to on_problem and the first is
 * in err. *out is the caller's (spec_free). */
int spec_load(const char *path, const struct spec_params *params,
              struct spec_flow **out, struct wr_err *err);

/* Loads from bytes already in memory; path is used for messages and its
 * directory for relative names. Used to resume a run from the workflow bytes
 * kept in the store. */
int spec_load_bytes(const char *path, const char *bytes, size_t len,
                    const struct spec_params *params, struct spec_flow **out,
                    struct wr_err *err);

void spec_free(struct spec_flow *flow);

const char *spec_step_kind_name(enum spec_step_kind k);
const char *spec_check_kind_name(enum check_kind k);
const char *spec_tool_kind_name(enum spec_tool_kind k);
const char *spec_effect_name(enum spec_effect e);
/* Index of the tool with this name, or -1. */
int spec_tool_find(const struct spec_flow *flow, const char *name);

/* Index of the step with this id, or -1. */
int spec_step_find(const struct spec_flow *flow, const char *id);

/* The closest of names[0..n) to s by edit distance, when close enough to be
 * a likely typo (distance <= 2, or <= 1 for short words); else NULL. */
const char *spec_suggest(const char *s, const char *const *names, size_t n);

#endif
