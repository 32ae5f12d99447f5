/* schema.h: JSON Schema draft 2020-12, compiled once and validated many times.
 *
 *     struct schema *s = NULL;
 *     struct schema_params p = schema_default_params();
 *     if (schema_compile(root, &p, &s, &err) < 0) ...;
 *     int ok = schema_validate(s, doc, errs, 8, &n);  // 1 valid, 0 invalid
 *     schema_free(s);
 *
 * The files: schema_compile.c turns the JSON into a graph of nodes (refs
 * resolved, patterns JIT-compiled, property names hashed); schema_uri.c
 * resolves URIs and JSON pointers; schema_validate.c walks a document
 * against the graph; schema_format.c checks "format" values;
 * schema_api.c is the public wr_schema_* face.
 *
 * A compiled schema is immutable: any number of threads may validate with
 * it at once. Validation allocates nothing unless a document has more than
 * 256 keys or items under an unevaluated* keyword, or a pattern runs. */
#ifndef WR_CHECK_SCHEMA_H
#define WR_CHECK_SCHEMA_H

#include <jansson.h>

#include "warrant.h"

struct schema;

struct schema_params {
	int format_assert;  /* 1: "format" fails invalid values; 0: annotation only */
};
struct schema_params schema_default_params(void);

/* Compiles root (borrowed; the schema keeps its own reference to the values
 * it needs). Errors: WR_ESPEC with the keyword's location for a malformed
 * keyword, a bad pattern or a $ref that resolves to nothing (no network);
 * WR_ENOMEM. *out is set only on success. */
int schema_compile(json_t *root, const struct schema_params *p, struct schema **out,
                   struct wr_err *err);
void schema_free(struct schema *s);

#define SCHEMA_PATH_MAX 256
#define SCHEMA_DEPTH_MAX 512  /* evaluation depth (schema and document) */

struct schema_error {
	char instance_path[SCHEMA_PATH_MAX]; /* JSON pointer into the document: "/items/3/price" */
	char schema_path[SCHEMA_PATH_MAX];   /* keywords followed, "$ref" included */
	char message[SCHEMA_PATH_MAX];       /* for people: "-1 is less than the minimum 0" */
};

/* Validates doc (borrowed). Returns 1 when valid, 0 when not, with up to
 * max_errors problems in errors and their count in *n_errors (n_errors may
 * be NULL). max_errors <= 1 stops at the first problem, which is fastest;
 * more reports every problem it finds up to that many. Nesting deeper than
 * SCHEMA_DEPTH_MAX is reported as a problem, never a crash. Returns
 * WR_ENOMEM when a scratch allocation fails. */
int schema_validate(const struct schema *s, json_t *doc, struct schema_error *errors,
                    int max_errors, int *n_errors);

#endif
