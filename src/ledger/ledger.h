/* ledger.h: the append-only, hash-chained record of every decision.
 *
 * Entry n's hash is SHA-256 over its fields (length-prefixed) and entry
 * n-1's hash, so editing, deleting or reordering any entry breaks the chain
 * from there on. The head (last seq and hash) is kept in meta as well, so a
 * deleted tail is noticed too. Appending must happen inside the caller's
 * transaction, so a decision and its record commit together. */
#ifndef WR_LEDGER_LEDGER_H
#define WR_LEDGER_LEDGER_H

#include "store/store.h"
#include "warrant.h"

/* Appends an entry; fills *out (when not NULL) with the entry as stored. */
int ledger_append(struct store *st, const char *run_id, const char *actor,
                  const char *action, const char *subject, const char *evidence,
                  struct wr_ledger_entry *out, struct wr_err *err);

/* The hash an entry should have given its fields and e->prev. */
void ledger_entry_hash(const struct wr_ledger_entry *e, char out[HASH_HEX]);

#endif
