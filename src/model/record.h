/* record.h: model exchanges as bytes, for recording and replaying them.
 *
 * A request is recorded as canonical JSON (sorted keys, compact) of what was
 * asked of the model: the model id, system and prompt, the sampling settings
 * (temperature, top_p, max_tokens, seed, stop), the output schema and the
 * tools. Its SHA-256 keys the exchange in the store and in cassettes. What
 * only says how to reach the model (provider, base_url, timeouts, retries,
 * rate limits, the name of the key's variable) is left out, and so is every
 * secret: the same question asked through another endpoint or key hashes
 * the same.
 *
 * A response is recorded as JSON of everything a provider fills except its
 * timing: text, usage, failure class, finish reason, detail, the model the
 * server named, system_fingerprint and tool calls. */
#ifndef WR_MODEL_RECORD_H
#define WR_MODEL_RECORD_H

#include "core/buf.h"
#include "core/hash.h"
#include "model/provider.h"

/* Appends the canonical request for req to model m onto out. 0, or
 * WR_ENOMEM/WR_ETOOBIG. */
int record_request(const struct spec_model *m, const struct model_request *req,
                   struct buf *out, struct wr_err *err);
/* The same, hashed: hex SHA-256 of record_request's bytes into hash. */
int record_request_hash(const struct spec_model *m, const struct model_request *req,
                        char hash[HASH_HEX], struct wr_err *err);

/* Appends the response record of resp onto out (compact, sorted keys). */
int record_response(const struct model_response *resp, struct buf *out,
                    struct wr_err *err);
/* Fills resp (initialised by the caller) from a record: a JSON object as
 * record_response writes it, or a JSON string taken as the text of a
 * successful answer. WR_EINVAL when it is neither. */
int record_response_read(const char *json, size_t len, struct model_response *resp,
                         struct wr_err *err);

#endif
