/* local_grammar.h: constrained decoding for the local provider, the glue
 * between the engine (src/local/local.h) and the grammar matcher
 * (src/local/grammar.h).
 *
 *     struct lgram *lg;
 *     lgram_new(model, &lg, &err);                 // the vocabulary, once per model
 *     struct lgram_entry *e;
 *     lgram_schema(lg, schema_json, &e, &err);     // compiled once per schema text
 *     struct lgram_stats st;
 *     lgram_generate(lg, e, model, prompt, n, &params, &out, &res, &st, &err);
 *     lgram_free(lg);
 *
 * The vocabulary is each token's bytes; control tokens count as empty, so
 * the mask never allows them, except the end token, allowed where the
 * grammar may end. Compiled schemas are kept in a small cache keyed by a
 * hash of their text (LGRAM_CACHE entries, the least recently used evicted),
 * each with its matcher, which is reset per call and keeps its state and mask
 * caches across calls. One thread at a time, as the model. */
#ifndef WR_MODEL_LOCAL_GRAMMAR_H
#define WR_MODEL_LOCAL_GRAMMAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "local/local.h"
#include "warrant.h"

#define LGRAM_CACHE 8

struct lgram;
struct lgram_entry;

/* Builds the grammar vocabulary from m (borrowed; it must outlive lg).
 * Errors: WR_ENOMEM. */
int lgram_new(const struct local_model *m, struct lgram **out, struct wr_err *err);
void lgram_free(struct lgram *lg);

/* The entry for the JSON Schema schema_json, compiled on first use.
 * Errors: WR_ESPEC (not JSON, or a schema the grammar cannot express, with
 * the schema location), WR_ENOMEM. *out belongs to lg. */
int lgram_schema(struct lgram *lg, const char *schema_json, struct lgram_entry **out,
                 struct wr_err *err);

/* Parses the GBNF text[0..len) (name in messages: "flow.gbnf:3:7: ...") into
 * an entry kept for lg's life, outside the cache. Errors: as grammar_parse. */
int lgram_gbnf(struct lgram *lg, const char *text, size_t len, const char *name,
               struct lgram_entry **out, struct wr_err *err);

struct lgram_stats {
	int complete;        /* 1: the output is a whole sentence of the grammar */
	long masks;          /* mask hook calls */
	uint64_t mask_ns;    /* time spent in them */
};

/* local_generate under e's grammar: p's own mask/accept hooks are replaced;
 * generation ends when the grammar is done or at the end token. How it
 * ended is in res->finish as local_generate's; st says whether the output
 * is complete (a "length" finish leaves it cut short). Returns as
 * local_generate. */
int lgram_generate(struct lgram *lg, struct lgram_entry *e, struct local_model *m,
                   const int *prompt, int n_prompt, const struct local_gen_params *p,
                   struct buf *out, struct local_gen_result *res, struct lgram_stats *st,
                   struct wr_err *err);

#endif
