/* replay.c: the replay provider, which answers from a cassette file.
 *
 *     models:
 *       drafter: { provider: replay, model: gpt-4o-mini, file: drafter.cassette.json }
 *
 * A cassette is a JSON object mapping request hashes (record.h) to response
 * records, or to plain strings taken as the text of a successful answer;
 * 'warrant show RUN --cassette' writes one from a recorded run. The request
 * hash leaves the provider out, so a run recorded with the openai provider
 * is answered for a replay model with the same model id and settings. A
 * request the cassette lacks is a provider_error; nothing is ever sent. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "model/record.h"

struct cassette {
	const struct spec_model *m;  /* borrowed: lives as long as the flow */
	json_t *answers;             /* hash -> record */
	char file[256];              /* as written, for messages */
};

static int replay_open(const struct spec_model *m, const char *flow_dir, void **state,
                       struct wr_err *err)
{
	struct cassette *c = calloc(1, sizeof(*c));
	struct buf b = BUF_INIT;
	char path[4096];
	json_error_t je;
	int rc = WR_ENOMEM;

	*state = NULL;
	if (!c)
		return err_set(err, rc, "out of memory");
	c->m = m;
	snprintf(c->file, sizeof(c->file), "%s", m->file ? m->file : "");
	if (!m->file) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': the replay provider needs 'file' "
		             "(a cassette)", m->name);
		goto out;
	}
	if ((rc = os_join(flow_dir, m->file, path, sizeof(path))) < 0) {
		rc = err_set(err, WR_EPROVIDER, "model '%s': cassette path too long", m->name);
		goto out;
	}
	if ((rc = os_read_file(path, (size_t)1 << 30, &b, err)) < 0) {
		err_wrap(err, "model '%s'", m->name);
		goto out;
	}
	c->answers = json_loadb(b.data, b.len, 0, &je);
	if (!json_is_object(c->answers)) {
		rc = err_set(err, WR_EPROVIDER, "%s:%d:%d: a cassette is a JSON object of request "
		             "hashes to answers%s%s", m->file, je.line, je.column,
		             c->answers ? "" : ": ", c->answers ? "" : je.text);
		goto out;
	}
	*state = c;
	c = NULL;
	rc = 0;
out:
	buf_release(&b);
	if (c) {
		json_decref(c->answers);
		free(c);
	}
	return rc;
}

static int replay_complete(void *state, const struct model_request *req,
                           struct model_response *resp, struct wr_err *err)
{
	struct cassette *c = state;
	char hash[HASH_HEX], *txt = NULL;
	json_t *rec;
	int rc;

	if ((rc = record_request_hash(c->m, req, hash, err)) < 0)
		return rc;
	rec = json_object_get(c->answers, hash);
	if (!rec) {
		resp->failure = WR_FAIL_PROVIDER_ERROR;
		snprintf(resp->finish, sizeof(resp->finish), "error");
		snprintf(resp->detail, sizeof(resp->detail),
		         "replay: cassette %.160s has no answer for request %.12s", c->file, hash);
		return 0;
	}
	if (!(txt = json_dumps(rec, JSON_COMPACT | JSON_ENCODE_ANY)))
		return err_set(err, WR_ENOMEM, "out of memory");
	rc = record_response_read(txt, strlen(txt), resp, err);
	free(txt);
	if (rc < 0)
		return err_wrap(err, "%s: request %.12s", c->file, hash);
	return 0;
}

static void replay_close(void *state)
{
	struct cassette *c = state;

	if (!c)
		return;
	json_decref(c->answers);
	free(c);
}

const struct provider_ops provider_replay = {
	.name = "replay",
	.open = replay_open,
	.complete = replay_complete,
	.close = replay_close,
};
