/* spec_int.h: what the workflow loader's files share (private to src/spec).
 *
 * Loading runs in three passes over one parsed YAML document:
 *   spec.c      reads the bytes, parses YAML, collects problems, hashes,
 *               and owns the public entry points;
 *   walk.c      turns the document into the structs of spec.h, checking
 *               keys and types;
 *   validate.c  checks what spans steps: references, the authority rules
 *               and prompt templates.
 * Every problem goes through ld_problem, which records it; spec.c reports
 * them all, sorted by position, when loading ends. */
#ifndef WR_SPEC_SPEC_INT_H
#define WR_SPEC_SPEC_INT_H

#include <jansson.h>
#include <libfyaml.h>
#include <stddef.h>

#include "core/buf.h"
#include "spec/spec.h"

#define LD_MAX_FILE ((size_t)8 << 20)   /* workflow, prompt and script files */
#define LD_MAX_STEPS 1000000
#define LD_MAX_REPORTED 50              /* problems reported to the caller */
#define LD_MAX_KEPT 1000                /* problems kept before sorting */

struct ld_problem {
	const char *file;        /* where the position points; NULL: the workflow */
	struct spec_pos pos;     /* in file */
	struct spec_pos order;   /* in the workflow, for sorting */
	size_t seq;              /* order of discovery, to keep the sort stable */
	char *msg;
};

struct ld_named {            /* a file the workflow names, in document order */
	const char *written;     /* the path as written */
	const char *bytes;
	size_t len;
};

/* What the walk learns about a step that spec.h does not keep, for the
 * cross-step rules. */
struct ld_step {
	struct spec_pos id_pos, of_pos, model_pos, requires_pos, to_pos;
	int has_id;              /* id is present and valid */
	int kind_ok;             /* kind is present and known */
	int requires_set;        /* requires: was written */
	struct fy_node *prompt;  /* the inline prompt scalar, or NULL */
	const char *prompt_path; /* prompt_file resolved, or NULL */
	const char **tool_names; /* tools: as written (NULL-terminated), or NULL */
	struct spec_pos tools_pos;
};

/* A string -> index table (open addressing); names are borrowed. */
struct ld_index {
	const char **keys;
	int *vals;
	size_t cap;              /* a power of two; 0: empty */
};

struct ld {
	struct spec_flow *flow;
	struct arena *a;         /* &flow->arena */
	const char *path;        /* the workflow's path, as given */
	const char *src;         /* its bytes (flow->source) */
	size_t src_len;
	struct ld_problem *probs;
	size_t n_probs, cap_probs, n_dropped, seq;
	struct ld_named *named;
	size_t n_named, cap_named;
	struct ld_step *xs;      /* one per step */
	struct ld_index models;  /* model name -> index */
	struct ld_index inputs;  /* input name -> index */
	int has_models;          /* models: was present */
	struct fy_node *root;    /* the document's root */
	struct spec_pos root_pos;
	int oom;
};

/* --- problems and positions (spec.c) --- */

void ld_problem(struct ld *ld, struct spec_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A problem inside another file (a prompt file); order is where the
 * workflow names it. */
void ld_problem_in(struct ld *ld, const char *file, struct spec_pos pos,
                   struct spec_pos order, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Something container lacks: reported at pos, but sorted after the
 * container's text, so that a typo inside it ("promt") comes first. */
void ld_problem_missing(struct ld *ld, struct fy_node *container, struct spec_pos pos,
                        const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True while a suggestion would still be reported (they can be costly). */
int ld_wants_more(const struct ld *ld);

/* Start of a node: its token for scalars, its first key or item for
 * collections; fallback when it has none (empty collections, empty values). */
struct spec_pos ld_pos(struct fy_node *n, struct spec_pos fallback);
/* Line and column of byte offset off in text (1-based, columns in UTF-8
 * characters). */
struct spec_pos ld_text_pos(const char *text, size_t len, size_t off);

/* --- scalars (spec.c) --- */

/* The text of a scalar node (not an alias), or NULL. Valid while the
 * document and the flow's arena live. */
const char *ld_scalar(struct ld *ld, struct fy_node *n, size_t *len);
int ld_is_null(struct fy_node *n);
int ld_is_plain(struct fy_node *n);
/* Parse plain scalars the YAML 1.2 core way; 0 on success, -1 otherwise. */
int ld_parse_bool(const char *s, size_t len, int *out);
int ld_parse_int(const char *s, size_t len, long long *out);
int ld_parse_num(const char *s, size_t len, double *out);

/* Reports the first NUL or invalid UTF-8 byte of s (file: NULL for the
 * workflow; order: where to sort it) and returns -1; 0 when s is text. */
int ld_check_text(struct ld *ld, const char *file, const char *s, size_t len,
                  struct spec_pos order);

/* --- named files (spec.c) --- */

/* Reads the file written as rel (resolved against the workflow's
 * directory) and records it for the hash. On failure reports a problem at
 * pos and returns -1. *resolved (optional) gets the joined path. */
int ld_read_named(struct ld *ld, const char *rel, struct spec_pos pos,
                  const char **resolved, const char **bytes, size_t *len);

/* --- indexes (spec.c) --- */

int ld_index_init(struct ld *ld, struct ld_index *ix, size_t n);
/* Adds key -> val; returns the existing value if key was there (then
 * nothing changes), else -1. */
int ld_index_put(struct ld_index *ix, const char *key, int val);
int ld_index_get(const struct ld_index *ix, const char *key);

/* --- mappings and typed values (walk.c) --- */

#define LD_ID_MAX 63   /* longest step id */

/* One key/value pair of a mapping, with positions. */
struct ld_kv {
	const char *key;          /* NUL-terminated copy in the arena */
	struct fy_node *k, *v;
	struct spec_pos kpos, vpos;
};

/* Next pair with a string key; 0 at the end. */
int ld_next_pair(struct ld *ld, struct fy_node *map, void **it, struct ld_kv *kv);
size_t ld_count(const char *const *names);  /* of a NULL-terminated list */
/* "unknown key 'promt' WHERE (did you mean 'prompt'?)" */
void ld_unknown_key(struct ld *ld, const struct ld_kv *kv, const char *where,
                    const char *const *valid);
int ld_is_alias(struct fy_node *n);
/* Typed values: 0, or -1 after reporting "'KEY' must be WHAT". */
int ld_get_str(struct ld *ld, const struct ld_kv *kv, int nonempty, const char **out);
int ld_get_bool(struct ld *ld, const struct ld_kv *kv, int *out);
int ld_get_int(struct ld *ld, const struct ld_kv *kv, long long min, const char *what,
               long long *out);
int ld_get_num(struct ld *ld, const struct ld_kv *kv, double min, double max,
               const char *what, double *out);
/* A YAML node as JSON (plain scalars typed); NULL when out of memory. */
json_t *ld_node_json(struct ld *ld, struct fy_node *n);
int ld_need_mapping(struct ld *ld, const struct ld_kv *kv, const char *what);
/* [A-Za-z_][A-Za-z0-9_]* (and '-' when dash), at most LD_ID_MAX bytes. */
int ld_id_ok(const char *s, int dash);

/* --- the passes --- */

/* Parses ld->src as one YAML document; empty: what the file should hold. */
struct fy_document *ld_parse_yaml(struct ld *ld, struct fy_parser **fypp,
                                  struct fy_diag **diagp, const char *empty);
/* Hands ld's problems, sorted, to params->on_problem; returns WR_ESPEC. */
int ld_report_problems(struct ld *ld, const struct spec_params *params,
                       struct wr_err *err);
/* in merged with params' model and prompt overrides (overrides.c). */
int ld_apply_overrides(const char *path, const struct buf *in,
                       const struct spec_params *params, struct buf *out,
                       struct wr_err *err);
void ld_walk_budget(struct ld *ld, const struct ld_kv *top, struct spec_budget *b);
/* Finds, loads and applies the organisation policy (policy.c): narrows the
 * flow and reports what it forbids as problems of ld. 0, or WR_ESPEC after
 * reporting the policy file's own problems, or an error in err. */
int ld_policy(struct ld *ld, const struct spec_params *params, struct wr_err *err);

void ld_walk(struct ld *ld, struct fy_node *root);       /* walk.c */
void ld_walk_steps(struct ld *ld, const struct ld_kv *top); /* steps.c */
void ld_validate(struct ld *ld);                         /* validate.c */
void ld_walk_tools(struct ld *ld, const struct ld_kv *top); /* tools.c */
void ld_resolve_tools(struct ld *ld);                    /* tools.c */
void ld_walk_checks(struct ld *ld, const struct ld_kv *top, struct spec_step *st);
void ld_walk_output_schema(struct ld *ld, const struct ld_kv *kv, struct spec_step *st);
                                                         /* checks.c */

/* A string, or a non-empty list of strings, into a NULL-terminated array in
 * the flow's arena (checks.c). */
const char **ld_str_list(struct ld *ld, const struct ld_kv *kv, size_t *n);

#endif
