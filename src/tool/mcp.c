/* mcp.c: tools from MCP servers over stdio (JSON-RPC 2.0, one message a
 * line).
 *
 * A server is not trusted any more than a command tool: each exchange
 * starts it in the OS sandbox with only the envelope's folders (and its own
 * program's folder), sends initialize, notifications/initialized and one
 * request (tools/list or tools/call) on stdin, closes stdin, and reads the
 * answers from stdout. One process per exchange costs a start-up per call
 * but keeps no state between calls and needs no long-lived child. The
 * requests are written at once, without waiting for the initialize answer;
 * servers read stdin in order, so this is what a prompt client looks like
 * to them. Pagination of tools/list (nextCursor) is not followed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/schema.h"
#include "core/err.h"
#include "tool/tool.h"

#define MCP_PROTOCOL "2025-06-18"
#define MCP_OUTPUT_MAX ((size_t)4 << 20)

/* Runs server t with the requests, then finds the answer with id 2. */
static int exchange(struct tool_env *env, const struct spec_tool *t, json_t *request,
                    json_t **result, char *why, size_t size, struct wr_err *err)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	char **argv = NULL, **rd = NULL, **wr = NULL, prog_dir[PATH_MAX], *slash, *line, *next;
	char *init = NULL, *req = NULL;
	struct buf in = BUF_INIT;
	json_t *msg;
	int rc = WR_ENOMEM;

	memset(&r, 0, sizeof(r));
	*result = NULL;
	why[0] = '\0';
	if (!(argv = calloc(t->n_argv + 1, sizeof(*argv))))
		goto oom;
	for (size_t i = 0; i < t->n_argv; i++) {
		struct buf joined = BUF_INIT;

		/* a relative program path is the workflow's, as for every path */
		if (i == 0 && strchr(t->argv[0], '/') && t->argv[0][0] != '/' &&
		    buf_printf(&joined, "%s/", env->root) < 0)
			goto oom;
		if (buf_adds(&joined, t->argv[i]) < 0 || !(argv[i] = buf_detach(&joined, NULL))) {
			buf_release(&joined);
			goto oom;
		}
	}
	prog_dir[0] = '\0';
	if (strchr(argv[0], '/')) {
		snprintf(prog_dir, sizeof(prog_dir), "%s", argv[0]);
		slash = strrchr(prog_dir, '/');
		*(slash == prog_dir ? slash + 1 : slash) = '\0';
	}
	rd = tool_folders(env->root, t->read, t->n_read, prog_dir[0] ? prog_dir : NULL);
	wr = tool_folders(env->root, t->write, t->n_write, NULL);
	msg = json_pack("{s:s,s:i,s:s,s:{s:s,s:{},s:{s:s,s:s}}}", "jsonrpc", "2.0", "id", 1,
	                "method", "initialize", "params", "protocolVersion", MCP_PROTOCOL,
	                "capabilities", "clientInfo", "name", "warrant", "version", WR_VERSION);
	init = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	req = json_dumps(request, JSON_COMPACT);
	if (!rd || !wr || !init || !req ||
	    buf_printf(&in, "%s\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
	               "\n%s\n", init, req) < 0)
		goto oom;
	p.argv = (const char *const *)argv;
	p.read_paths = (const char *const *)rd;
	p.write_paths = (const char *const *)wr;
	p.cwd = wr[0] ? wr[0] : rd[0];
	p.net = t->effect == EFFECT_NETWORK;
	p.timeout_s = t->timeout > 0 ? t->timeout : 30;
	p.max_output = MCP_OUTPUT_MAX;
	p.allow_weaker = t->allow_weaker;
	if (t->memory_mb > 0)
		p.memory_bytes = (size_t)t->memory_mb << 20;
	p.stdin_data = in.data;
	p.stdin_len = in.len;
	if ((rc = wr_sandbox_run(&p, &r, err)) < 0) {
		err_wrap(err, "MCP server '%s'", t->name);
		goto out;
	}
	rc = 0;
	for (line = r.out; line && *line && !*result; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		msg = json_loads(line, 0, NULL);
		if (json_integer_value(json_object_get(msg, "id")) == 2) {
			json_t *res = json_object_get(msg, "result"), *e = json_object_get(msg, "error");

			if (json_is_object(res))
				*result = json_incref(res);
			else
				snprintf(why, size, "the server answered with error %lld: %.150s",
				         (long long)json_integer_value(json_object_get(e, "code")),
				         json_string_value(json_object_get(e, "message"))
				         ? json_string_value(json_object_get(e, "message")) : "?");
		}
		json_decref(msg);
	}
	if (!*result && !why[0])
		snprintf(why, size, "the server gave no answer (%s %d): %.120s",
		         r.timed_out ? "timed out" : r.signal ? "signal" : "exit status",
		         r.signal ? r.signal : r.status, r.err ? r.err : "");
	goto out;
oom:
	rc = err_set(err, WR_ENOMEM, "out of memory");
out:
	wr_sandbox_result_release(&r);
	tool_argv_free(argv);
	tool_argv_free(rd);
	tool_argv_free(wr);
	free(init);
	free(req);
	buf_release(&in);
	return rc;
}

static int offered(const struct spec_tool *t, const char *name)
{
	if (!t->n_only)
		return 1;
	for (size_t i = 0; i < t->n_only; i++)
		if (!strcmp(t->only[i], name))
			return 1;
	return 0;
}

int tool_mcp_list(struct tool_env *env, int ti, struct wr_err *err)
{
	const struct spec_tool *t = &env->flow->tools[ti];
	struct schema_params sp = schema_default_params();
	json_t *req = json_pack("{s:s,s:i,s:s}", "jsonrpc", "2.0", "id", 2, "method",
	                        "tools/list");
	json_t *res = NULL, *tool;
	char why[256], full[160];
	size_t i;
	int rc;

	if (!req)
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = exchange(env, t, req, &res, why, sizeof(why), err)) < 0)
		goto out;
	if (!res) {
		rc = err_set(err, WR_EIO, "MCP server '%s': tools/list: %s", t->name, why);
		goto out;
	}
	json_array_foreach(json_object_get(res, "tools"), i, tool) {
		const char *name = json_string_value(json_object_get(tool, "name"));
		json_t *schema = json_object_get(tool, "inputSchema");
		struct schema *compiled = NULL;
		struct wr_err e2 = { 0, "" };
		char *params;

		if (!name || !offered(t, name) ||
		    snprintf(full, sizeof(full), "%s__%s", t->name, name) >= 64)
			continue;
		if (!json_is_object(schema) || schema_compile(schema, &sp, &compiled, &e2) < 0)
			continue;   /* a tool whose arguments cannot be checked is not offered */
		if (!(params = json_dumps(schema, JSON_COMPACT | JSON_SORT_KEYS))) {
			schema_free(compiled);
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
		rc = tool_offer_add(env, full, ti, name,
		                    json_string_value(json_object_get(tool, "description")), params,
		                    compiled);
		free(params);
		if (rc < 0) {
			err_set(err, rc, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(req);
	json_decref(res);
	return rc;
}

int tool_mcp_call(struct tool_env *env, const struct spec_tool *t, const char *remote,
                  json_t *args, struct buf *out, int *truncated, int *failed,
                  struct wr_err *err)
{
	json_t *req = json_pack("{s:s,s:i,s:s,s:{s:s,s:O}}", "jsonrpc", "2.0", "id", 2,
	                        "method", "tools/call", "params", "name", remote, "arguments",
	                        args);
	json_t *res = NULL, *item;
	char why[256];
	size_t i, room;
	int rc;

	if (!req)
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = exchange(env, t, req, &res, why, sizeof(why), err)) < 0)
		goto out;
	rc = 0;
	if (!res) {
		*failed = 1;
		rc = buf_adds(out, why) < 0 ? err_set(err, WR_ENOMEM, "out of memory") : 0;
		goto out;
	}
	*failed = json_is_true(json_object_get(res, "isError"));
	json_array_foreach(json_object_get(res, "content"), i, item) {
		const char *type = json_string_value(json_object_get(item, "type"));
		const char *text = json_string_value(json_object_get(item, "text"));
		size_t n;

		if (!type || strcmp(type, "text") || !text)
			text = "[non-text content omitted]";
		n = strlen(text);
		room = out->len < TOOL_OUTPUT_MAX ? TOOL_OUTPUT_MAX - out->len : 0;
		if (n + 1 > room) {
			n = room ? room - 1 : 0;
			*truncated = 1;
		}
		if ((out->len && room && buf_addc(out, '\n') < 0) || buf_add(out, text, n) < 0) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	json_decref(req);
	json_decref(res);
	return rc;
}
