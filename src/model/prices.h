/* prices.h: what a model costs, from data/prices.yaml.
 *
 * The file maps model ids to USD per million input and output tokens:
 *
 *     models:
 *       gpt-4o-mini: { in: 0.15, out: 0.60 }
 *
 * A workflow's explicit price: for a model always wins (prices_resolve). */
#ifndef WR_MODEL_PRICES_H
#define WR_MODEL_PRICES_H

#include "spec/spec.h"
#include "warrant.h"

struct prices;

/* Loads path. Errors name the file and line: WR_EIO, WR_ESPEC (bad
 * entries), WR_ENOMEM. *out is the caller's (prices_free). */
int prices_load(const char *path, struct prices **out, struct wr_err *err);
/* The same from bytes in memory; name is used in messages. */
int prices_load_bytes(const char *name, const char *bytes, size_t len,
                      struct prices **out, struct wr_err *err);
/* The table shipped in data/prices.yaml, compiled in: parsed once per
 * process and shared (read-only); prices_free of it does nothing. */
int prices_load_builtin(struct prices **out, struct wr_err *err);
void prices_free(struct prices *p);

/* The price of model: its exact entry, else the longest entry that is a
 * prefix of it followed by '-'. 0, or WR_ENOTFOUND (in and out left 0). */
int prices_lookup(const struct prices *p, const char *model, double *in, double *out);

/* The price to charge for m: its explicit price_in/price_out when either is
 * set, else the table's (p may be NULL). 0, or WR_ENOTFOUND when neither
 * knows (both 0: the model is treated as free). */
int prices_resolve(const struct prices *p, const struct spec_model *m, double *in,
                   double *out);

/* Cost in USD of tokens at the given per-million prices. */
double prices_cost(double in, double out, int64_t tokens_in, int64_t tokens_out);

#endif
