/* probe.c: one or many model calls from the command line, for e2e tests.
 *
 *     probe PROVIDER MODEL OPTIONS_JSON PROMPT [SYSTEM] [N]
 *
 * Opens the provider as a workflow would (options is the model mapping as
 * JSON), sends PROMPT (N copies as one batch when N > 1), and prints one
 * compact JSON line per response. Exit 0 when the calls ran, 1 when the
 * provider could not be set up. Built by tests/servers/build.sh against the
 * static library; it uses the internal headers, as unit tests do. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/provider.h"

static void print(const struct model_response *r)
{
	json_t *o = json_object(), *att = json_array();
	char *s;

	json_object_set_new(o, "failure", json_string(wr_failure_name(r->failure)));
	json_object_set_new(o, "text", json_string(r->text.data));
	json_object_set_new(o, "finish", json_string(r->finish));
	json_object_set_new(o, "detail", json_string(r->detail));
	json_object_set_new(o, "model", json_string(r->model));
	json_object_set_new(o, "tokens_in", json_integer(r->tokens_in));
	json_object_set_new(o, "tokens_out", json_integer(r->tokens_out));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	for (int i = 0; i < r->attempts; i++)
		json_array_append_new(att, json_integer(r->attempt[i].status));
	json_object_set_new(o, "statuses", att);
	s = json_dumps(o, JSON_COMPACT);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	const struct provider_ops *ops;
	struct spec_model m = { 0 };
	struct model_request *reqs;
	struct model_response *resps;
	struct wr_err err = { 0 };
	void *st = NULL;
	long n = argc > 6 ? strtol(argv[6], NULL, 10) : 1;
	int rc = 1;

	if (argc < 5 || n < 1 || n > 100000) {
		fprintf(stderr, "usage: probe PROVIDER MODEL OPTIONS_JSON PROMPT [SYSTEM] [N]\n");
		return 2;
	}
	if (!(ops = provider_find(argv[1]))) {
		fprintf(stderr, "probe: no provider '%s'\n", argv[1]);
		return 1;
	}
	m.name = "probe";
	m.provider = argv[1];
	m.model = *argv[2] ? argv[2] : NULL;
	m.temperature = -1;
	m.options = argv[3];
	reqs = calloc((size_t)n, sizeof(*reqs));
	resps = calloc((size_t)n, sizeof(*resps));
	if (!reqs || !resps || ops->open(&m, ".", &st, &err) < 0) {
		fprintf(stderr, "probe: %s\n", err.msg);
		goto out;
	}
	for (long i = 0; i < n; i++) {
		reqs[i].prompt = argv[4];
		reqs[i].system = argc > 5 && *argv[5] ? argv[5] : NULL;
		reqs[i].attempt = 1;
		reqs[i].call_index = i;
		model_response_init(&resps[i]);
	}
	if (provider_complete_batch(ops, st, reqs, resps, (size_t)n, &err) < 0) {
		fprintf(stderr, "probe: %s\n", err.msg);
		goto out;
	}
	for (long i = 0; i < n; i++)
		print(&resps[i]);
	rc = 0;
out:
	for (long i = 0; resps && i < n; i++)
		model_response_release(&resps[i]);
	if (st)
		ops->close(st);
	free(reqs);
	free(resps);
	return rc;
}
