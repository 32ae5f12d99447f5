/* why.c: /artifact/HASH, an artifact's chain of custody (wr_why as JSON):
 * the run, its inputs and workflow hash, the model call with its exact
 * prompt, every check, every ledger entry; and, when the run retrieved
 * sources, each retrieved chunk in its document with its span marked.
 *
 * A chunk is marked only when the bytes now at its span in the file hash
 * to the chunk's recorded SHA-256; a file that changed since is reported as
 * changed, and the chunk's recorded text is shown instead, unmarked. The
 * documents, like model output, are untrusted: everything is escaped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "web/web.h"

#define DOC_MAX (4u << 20)      /* largest document read to check a span */
#define DOC_WHOLE (64u << 10)   /* documents up to this are shown whole */
#define DOC_CONTEXT 2048        /* bytes shown each side of a span otherwise */
#define CHUNKS_SHOWN 32         /* retrieved chunks shown per retrieve step */

/* --- small JSON readers: "" or 0 for what is absent --- */

static const char *js(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int64_t ji(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

static void pre_text(struct html *h, const char *s)
{
	html_raw(h, "<pre>");
	html_text(h, s);
	html_raw(h, "</pre>");
}

/* --- the chain --- */

static void why_run(struct html *h, const json_t *run, const json_t *inputs)
{
	const char *k;
	json_t *v;

	html_raw(h, "<div class=\"card\"><div>Run <a href=\"/runs/");
	html_url(h, js(run, "id"));
	html_raw(h, "\"><code>");
	html_text(h, js(run, "id"));
	html_raw(h, "</code></a> ");
	html_badge(h, js(run, "status"));
	html_raw(h, "</div><div>Workflow <b>");
	html_text(h, js(run, "workflow"));
	html_raw(h, "</b> <span class=\"meta\">");
	html_text(h, js(run, "workflow_path"));
	html_raw(h, "</span></div><div class=\"meta\">workflow sha256 <code>");
	html_text(h, js(run, "workflow_sha256"));
	html_raw(h, "</code></div><div class=\"meta\">inputs sha256 <code>");
	html_text(h, js(run, "inputs_sha256"));
	html_rawf(h, "</code>, seed %" PRIu64 "</div>",
	          (uint64_t)json_integer_value(json_object_get(run, "seed")));
	if (json_object_size(inputs)) {
		html_raw(h, "<table class=\"kv\"><thead><tr><th>Input</th><th>Value</th></tr></thead>"
		            "<tbody>");
		json_object_foreach((json_t *)inputs, k, v) {
			html_raw(h, "<tr><td><code>");
			html_text(h, k);
			html_raw(h, "</code></td><td>");
			if (json_is_string(v)) {
				html_text(h, json_string_value(v));
			} else {
				char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

				html_text(h, s ? s : "");
				free(s);
			}
			html_raw(h, "</td></tr>");
		}
		html_raw(h, "</tbody></table>");
	}
	html_raw(h, "</div>");
}

static void why_calls(struct html *h, const json_t *calls)
{
	size_t i;
	json_t *c;

	html_raw(h, "<h2>Made by</h2>");
	if (!json_array_size(calls))
		html_raw(h, "<p class=\"meta\">No model call recorded.</p>");
	json_array_foreach(calls, i, c) {
		const json_t *req = json_object_get(c, "request");

		html_raw(h, "<div class=\"card call\"><div>Step <b>");
		html_text(h, js(c, "step"));
		html_rawf(h, "</b>, attempt %" PRId64 ", call %" PRId64 ": model <b>", ji(c, "attempt"),
		          ji(c, "call_index") + 1);
		html_text(h, js(c, "model"));
		html_raw(h, "</b> <span class=\"meta\">(");
		html_text(h, js(c, "provider"));
		html_rawf(h, ")</span> %" PRId64 " &rarr; %" PRId64 " tokens, $%.6f, %.3f s, finish ",
		          ji(c, "tokens_in"), ji(c, "tokens_out"),
		          json_real_value(json_object_get(c, "cost_usd")),
		          json_number_value(json_object_get(c, "seconds")));
		html_text(h, js(c, "finish"));
		html_raw(h, " ");
		if (strcmp(js(c, "failure"), "none") && js(c, "failure")[0])
			html_badge(h, js(c, "failure"));
		html_raw(h, "</div><div class=\"meta\">request sha256 <code>");
		html_text(h, js(c, "request_hash"));
		html_raw(h, "</code></div>");
		if (json_is_object(req)) {
			if (js(req, "system")[0]) {
				html_raw(h, "<div class=\"meta\">System message</div>");
				pre_text(h, js(req, "system"));
			}
			html_raw(h, "<div class=\"meta\">Prompt, exactly as sent</div>");
			pre_text(h, js(req, "prompt"));
		}
		html_raw(h, "</div>");
	}
}

static void why_checks(struct html *h, const json_t *checks)
{
	size_t i;
	json_t *c;

	html_raw(h, "<h2>Checks</h2><table><thead><tr><th>Step</th><th>#</th><th>Check</th>"
	            "<th>Result</th><th>Failure class</th><th>Reason</th></tr></thead><tbody>");
	json_array_foreach(checks, i, c) {
		int passed = (int)ji(c, "passed");

		html_raw(h, "<tr><td>");
		html_text(h, js(c, "step"));
		html_rawf(h, "</td><td class=\"num\">%" PRId64 "</td><td>", ji(c, "number"));
		html_text(h, js(c, "kind"));
		html_raw(h, "</td><td>");
		html_badge(h, passed ? "pass" : "FAIL");
		html_raw(h, "</td><td>");
		if (!passed)
			html_text(h, js(c, "failure"));
		html_raw(h, "</td><td>");
		html_text(h, js(c, "reason"));
		html_raw(h, "</td></tr>");
	}
	html_raw(h, "</tbody></table>");
	if (!json_array_size(checks))
		html_raw(h, "<p class=\"meta\">No check judged it.</p>");
}

static void why_ledger(struct html *h, const json_t *ledger)
{
	size_t i;
	json_t *e;

	html_raw(h, "<h2>Ledger</h2><table><thead><tr><th>#</th><th>When</th><th>Actor</th>"
	            "<th>Action</th><th>Evidence</th><th>Entry hash</th></tr></thead><tbody>");
	json_array_foreach(ledger, i, e) {
		html_rawf(h, "<tr><td class=\"num\">%" PRId64 "</td><td>", ji(e, "seq"));
		html_time(h, ji(e, "at_ms"));
		html_raw(h, "</td><td>");
		html_text(h, js(e, "actor"));
		html_raw(h, "</td><td>");
		html_badge(h, js(e, "action"));
		html_raw(h, "</td><td class=\"ev\"><code>");
		html_text(h, js(e, "evidence"));
		html_raw(h, "</code></td><td><code>");
		html_textn(h, js(e, "hash"), strlen(js(e, "hash")) > 12 ? 12 : strlen(js(e, "hash")));
		html_raw(h, "</code></td></tr>");
	}
	html_raw(h, "</tbody></table>");
}

/* --- retrieved chunks in their documents --- */

/* The document a chunk came from: its source is relative to the workflow's
 * directory. That directory is the workflow path's (as the run was started,
 * relative to this server's directory, as a resume reads it) or, when that
 * is not there, the one holding the store's .warrant directory (where a
 * store is kept by default). Sources that are absolute or climb out with
 * ".." are refused. Returns 0 and the bytes, or -1 with why in msg. */
static int doc_read(const char *flow_path, const char *store_path, const char *source,
                    char **bytes, size_t *len, char *msg, size_t msg_size)
{
	char dirs[2][4096], path[8192];
	const char *slash;
	FILE *f = NULL;
	int rc = -1;

	*bytes = NULL;
	*len = 0;
	if (!source[0] || source[0] == '/' || !strcmp(source, "..") || !strncmp(source, "../", 3) ||
	    strstr(source, "/../") || (strlen(source) >= 3 && !strcmp(source + strlen(source) - 3, "/.."))) {
		snprintf(msg, msg_size, "not a path inside the workflow's directory");
		return -1;
	}
	slash = strrchr(flow_path, '/');
	snprintf(dirs[0], sizeof(dirs[0]), "%.*s", slash ? (int)(slash - flow_path) : 1,
	         slash ? flow_path : ".");
	if (slash == flow_path)
		snprintf(dirs[0], sizeof(dirs[0]), "/");
	/* The store's directory, or the one above when that is .warrant. */
	snprintf(dirs[1], sizeof(dirs[1]), "%s", store_path);
	for (int up = 0; up < 2; up++) {
		char *s = strrchr(dirs[1], '/');
		const char *name = s ? s + 1 : dirs[1];

		if (up == 1 && strcmp(name, ".warrant") != 0)
			break;
		if (s && s > dirs[1])
			*s = '\0';
		else
			snprintf(dirs[1], sizeof(dirs[1]), s ? "/" : ".");
	}
	for (int i = 0; i < 2 && !f; i++) {
		struct stat st;
		int fd;

		if (snprintf(path, sizeof(path), "%s/%s", dirs[i], source) >= (int)sizeof(path))
			continue;
		/* Non-blocking, and regular files only: a FIFO planted where a
		 * document was must not hang the request. */
		if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "rb")))
			close(fd);
	}
	if (!f) {
		snprintf(msg, msg_size, "the document is not there any more (looked beside the "
		         "workflow and beside the store)");
		return -1;
	}
	if (!(*bytes = malloc(DOC_MAX + 1))) {
		snprintf(msg, msg_size, "out of memory");
		goto out;
	}
	*len = fread(*bytes, 1, DOC_MAX + 1, f);
	if (ferror(f) || *len > DOC_MAX) {
		snprintf(msg, msg_size, ferror(f) ? "the document could not be read"
		                                  : "the document is larger than 4 MiB");
		goto out;
	}
	(*bytes)[*len] = '\0';
	rc = 0;
out:
	if (rc < 0) {
		free(*bytes);
		*bytes = NULL;
	}
	fclose(f);
	return rc;
}

/* True when the n bytes at p hash to hex (64 lowercase digits). */
static int span_matches(const char *p, size_t n, const char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char got[2 * EVP_MAX_MD_SIZE + 1];

	if (!EVP_Digest(p, n, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		return 0;
	for (unsigned i = 0; i < md_len; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	return !strcmp(got, hex);
}

/* The artifact's strings (when it is JSON) that may quote a document: at
 * least QUOTE_MIN bytes, QUOTES_MAX of them, in document order of the
 * artifact. Borrowed from the parsed artifact. */
#define QUOTE_MIN 8
#define QUOTES_MAX 64

struct quotes {
	const char *s[QUOTES_MAX];
	size_t len[QUOTES_MAX];
	int n;
};

static void quotes_collect(struct quotes *q, const json_t *v, int depth)
{
	const char *k;
	size_t i;
	json_t *x;

	if (depth > 16 || q->n == QUOTES_MAX)
		return;
	if (json_is_string(v) && json_string_length(v) >= QUOTE_MIN) {
		q->s[q->n] = json_string_value(v);
		q->len[q->n++] = json_string_length(v);
	} else if (json_is_array(v)) {
		json_array_foreach((json_t *)v, i, x) {
			quotes_collect(q, x, depth + 1);
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			quotes_collect(q, x, depth + 1);
		}
	}
}

struct range {
	size_t from, to;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (x->from > y->from) - (x->from < y->from);
}

/* The span's bytes, with each of the artifact's strings found in them word
 * for word in <strong class="quote">. */
static void span_text(struct html *h, const char *p, size_t n, const struct quotes *q)
{
	struct range r[QUOTES_MAX] = { { 0, 0 } };
	size_t at = 0;
	int nr = 0, m = 0;

	for (int i = 0; i < q->n; i++) {
		const char *hit = memmem(p, n, q->s[i], q->len[i]);

		if (hit)
			r[nr++] = (struct range){ (size_t)(hit - p), (size_t)(hit - p) + q->len[i] };
	}
	qsort(r, (size_t)nr, sizeof(*r), range_cmp);
	for (int i = 0; i < nr; i++) {  /* overlapping finds become one */
		if (m && r[i].from <= r[m - 1].to) {
			if (r[i].to > r[m - 1].to)
				r[m - 1].to = r[i].to;
		} else {
			r[m++] = r[i];
		}
	}
	for (int i = 0; i < m; i++) {
		html_textn(h, p + at, r[i].from - at);
		html_raw(h, "<strong class=\"quote\">");
		html_textn(h, p + r[i].from, r[i].to - r[i].from);
		html_raw(h, "</strong>");
		at = r[i].to;
	}
	html_textn(h, p + at, n - at);
}

static void why_chunk(struct html *h, const json_t *c, const char *flow_path,
                      const char *store_path, const struct quotes *q)
{
	const char *source = js(c, "source"), *hash = js(c, "sha256");
	int64_t start = ji(c, "start"), end = ji(c, "end");
	char *doc = NULL, msg[160];
	size_t len = 0, from, to;

	html_raw(h, "<div class=\"card chunk\"><div><b><code>");
	html_text(h, js(c, "id"));
	html_raw(h, "</code></b> <span class=\"meta\">");
	html_text(h, source);
	html_rawf(h, ", bytes %" PRId64 "&ndash;%" PRId64 ", score %.3f</span></div>", start, end,
	          json_number_value(json_object_get(c, "score")));
	if (doc_read(flow_path, store_path, source, &doc, &len, msg, sizeof(msg)) < 0) {
		html_raw(h, "<p class=\"changed\">Not shown in its document: ");
		html_text(h, msg);
		html_raw(h, ". The text as retrieved:</p>");
		pre_text(h, js(c, "text"));
		goto out;
	}
	if (start < 0 || end < start || (size_t)end > len ||
	    !span_matches(doc + start, (size_t)(end - start), hash)) {
		html_raw(h, "<p class=\"changed\">The document changed since this run retrieved it: "
		            "the bytes at this span no longer hash to the chunk's sha256 <code>");
		html_textn(h, hash, 12);
		html_raw(h, "</code>, so nothing is marked. The text as retrieved:</p>");
		pre_text(h, js(c, "text"));
		goto out;
	}
	/* Verified: the document around the span, the span marked. */
	from = len <= DOC_WHOLE || start <= DOC_CONTEXT ? 0 : (size_t)start - DOC_CONTEXT;
	to = len <= DOC_WHOLE || len - (size_t)end <= DOC_CONTEXT ? len : (size_t)end + DOC_CONTEXT;
	html_raw(h, "<div class=\"meta\">The span's bytes match the chunk's sha256 <code>");
	html_textn(h, hash, 12);
	html_raw(h, "</code>: marked in the document as it is now; what the artifact quotes "
	            "from it word for word is in bold.</div><pre class=\"doc\">");
	if (from > 0)
		html_raw(h, "<span class=\"meta\">&hellip;</span>");
	html_textn(h, doc + from, (size_t)start - from);
	html_raw(h, "<mark>");
	span_text(h, doc + start, (size_t)(end - start), q);
	html_raw(h, "</mark>");
	html_textn(h, doc + end, to - (size_t)end);
	if (to < len)
		html_raw(h, "<span class=\"meta\">&hellip;</span>");
	html_raw(h, "</pre>");
out:
	free(doc);
	html_raw(h, "</div>");
}

struct retrieve_steps {
	char ids[8][WR_ID_MAX];
	char artifacts[8][WR_HASH_HEX];
	int n;
};

static int retrieve_step(void *ud, const struct wr_step_info *st)
{
	struct retrieve_steps *r = ud;

	if (!strcmp(st->kind, "retrieve") && st->artifact[0] && r->n < 8) {
		snprintf(r->ids[r->n], WR_ID_MAX, "%s", st->id);
		snprintf(r->artifacts[r->n++], WR_HASH_HEX, "%s", st->artifact);
	}
	return 0;
}

static void why_retrieved(struct html *h, struct web_req *r, const json_t *run,
                          const struct quotes *q)
{
	struct retrieve_steps steps = { .n = 0 };
	struct wr_err err;

	if (wr_run_steps(r->store, js(run, "id"), retrieve_step, &steps, &err) < 0 || !steps.n)
		return;
	for (int i = 0; i < steps.n; i++) {
		char *bytes = NULL;
		size_t len = 0, k;
		json_t *doc, *c;

		html_raw(h, "<h2>Retrieved by step ");
		html_text(h, steps.ids[i]);
		html_raw(h, "</h2>");
		if (wr_artifact_read(r->store, steps.artifacts[i], 0, &bytes, &len, &err) < 0) {
			html_raw(h, "<p class=\"error\">");
			html_text(h, err.msg);
			html_raw(h, "</p>");
			continue;
		}
		doc = json_loadb(bytes, len, 0, NULL);
		free(bytes);
		html_raw(h, "<div class=\"meta\">Query: <code>");
		html_text(h, js(doc, "query"));
		html_raw(h, "</code></div>");
		json_array_foreach(json_object_get(doc, "results"), k, c) {
			if (k == CHUNKS_SHOWN)
				break;
			why_chunk(h, c, js(run, "workflow_path"), r->store_path, q);
		}
		json_decref(doc);
	}
}

int page_why(struct web_req *r, const char *ref, struct html *h)
{
	struct wr_err err;
	char *out = NULL;
	json_t *chains = NULL, *ch, *quoted = NULL;
	struct quotes q = { .n = 0 };
	char *bytes = NULL;
	size_t i, len = 0;
	int status = 200;

	if (wr_why(r->store, ref, 1, &out, &err) < 0)
		return page_error(h, err.code == WR_ENOTFOUND ? 404 : err.code == WR_EINVAL ? 400 : 500,
		                  "Artifact not found", err.msg);
	if (!(chains = json_loads(out, 0, NULL)) || !json_is_array(chains)) {
		status = page_error(h, 500, "Why", "the chain of custody could not be read");
		goto out;
	}
	ch = json_array_get(chains, 0);
	/* The artifact's strings, to show where it quotes what was retrieved. */
	if (wr_artifact_read(r->store, js(ch, "artifact"), 256u << 10, &bytes, &len, &err) == 0)
		quoted = json_loadb(bytes, len, 0, NULL);
	quotes_collect(&q, quoted, 0);
	html_page_start(h, "Why", "/runs");
	html_raw(h, "<h1>Why this artifact <code>");
	html_textn(h, js(ch, "artifact"), 12);
	html_raw(h, "</code></h1><p class=\"meta\">Its chain of custody: the run that made it, "
	            "the model call with its exact prompt, every check and every ledger entry"
	            ". sha256 <code>");
	html_text(h, js(ch, "artifact"));
	html_raw(h, "</code></p>");
	html_artifact(h, r->store, js(ch, "artifact"));
	json_array_foreach(chains, i, ch) {
		html_raw(h, "<section class=\"chain\"><h2>In run ");
		html_text(h, js(json_object_get(ch, "run"), "id"));
		html_raw(h, ", step ");
		html_text(h, js(ch, "step"));
		html_raw(h, " ");
		html_badge(h, js(ch, "state"));
		html_raw(h, "</h2>");
		why_run(h, json_object_get(ch, "run"), json_object_get(ch, "inputs"));
		why_calls(h, json_object_get(ch, "made_by"));
		why_checks(h, json_object_get(ch, "checks"));
		why_ledger(h, json_object_get(ch, "ledger"));
		why_retrieved(h, r, json_object_get(ch, "run"), &q);
		html_raw(h, "</section>");
	}
	html_page_end(h);
out:
	json_decref(quoted);
	json_decref(chains);
	free(bytes);
	free(out);
	return status;
}
