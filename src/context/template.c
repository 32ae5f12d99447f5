/* template.c: {{ variable }} substitution, nothing more. */
#include "context/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Finds the next variable at or after *pos. Returns 1 and fills the name
 * span and the span of the whole "{{...}}"; 0 at the end; -1 on an
 * unterminated "{{" (start set). A "{{{{" is an escaped "{{" (name_len 0,
 * literal 1). */
static int next_var(const char *tpl, size_t pos, size_t *start, size_t *end,
                    size_t *name, size_t *name_len, int *literal)
{
	const char *open = strstr(tpl + pos, "{{"), *close;
	size_t a, b;

	if (!open)
		return 0;
	*start = (size_t)(open - tpl);
	*literal = 0;
	if (open[2] == '{' && open[3] == '{') {
		*literal = 1;
		*end = *start + 4;
		*name = *start;
		*name_len = 0;
		return 1;
	}
	close = strstr(open + 2, "}}");
	if (!close)
		return -1;
	a = *start + 2;
	b = (size_t)(close - tpl);
	while (a < b && is_space(tpl[a]))
		a++;
	while (b > a && is_space(tpl[b - 1]))
		b--;
	*name = a;
	*name_len = b - a;
	*end = (size_t)(close - tpl) + 2;
	return 1;
}

int tpl_each_var(const char *tpl,
                 int (*fn)(void *ud, const char *name, size_t len, size_t offset),
                 void *ud)
{
	size_t pos = 0, start, end, name, len;
	int literal, r, rc;

	while ((r = next_var(tpl, pos, &start, &end, &name, &len, &literal)) != 0) {
		if (r < 0)
			return fn(ud, tpl + start, 0, start);
		if (!literal) {
			/* An empty "{{}}" is reported with its offset, len 0. */
			rc = fn(ud, tpl + name, len, len ? name : start);
			if (rc)
				return rc;
		}
		pos = end;
	}
	return 0;
}

/* The "{{/each}}" that closes a block whose body starts at from: its start
 * in *body_end and the offset after it in *after; NULL when there is none
 * (or another block opens first). */
static const char *find_close(const char *tpl, size_t from, size_t *body_end, size_t *after)
{
	size_t pos = from, start, end, name, len;
	int literal, r;

	while ((r = next_var(tpl, pos, &start, &end, &name, &len, &literal)) > 0) {
		if (!literal && len == 5 && !strncmp(tpl + name, "/each", 5)) {
			*body_end = start;
			*after = end;
			return tpl + start;
		}
		if (!literal && len > 6 && !strncmp(tpl + name, "#each ", 6))
			return NULL;
		pos = end;
	}
	return NULL;
}

static int render(const char *tpl, const char *(*lookup)(void *ud, const char *name),
                  void *ud, struct buf *out, int blocks, struct wr_err *err);
static int tpl_render_flat(const char *tpl, const char *(*lookup)(void *ud, const char *name),
                           void *ud, struct buf *out, struct wr_err *err);

/* --- #each blocks --- */

struct item_lookup {
	const char *(*outer)(void *ud, const char *name);
	void *ud;
	json_t *item;
	char *held;          /* the last value given, freed at the next */
};

static const char *item_var(void *ud, const char *name)
{
	struct item_lookup *l = ud;
	json_t *v;

	if (name[0] != '.')
		return l->outer(l->ud, name);
	v = name[1] ? json_object_get(l->item, name + 1) : l->item;
	if (!v)
		return NULL;
	free(l->held);
	l->held = json_is_string(v) ? strdup(json_string_value(v))
	                            : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return l->held;
}

/* The list a "#each NAME KEY.KEY" header names. */
static json_t *each_list(const char *head, const char *(*lookup)(void *ud, const char *name),
                         void *ud, struct wr_err *err)
{
	char name[256], *path;
	const char *text;
	json_t *doc, *v;

	snprintf(name, sizeof(name), "%s", head);
	if ((path = strchr(name, ' ')) != NULL) {
		*path++ = '\0';
		while (*path == ' ')
			path++;
	}
	if (!(text = lookup(ud, name))) {
		err_set(err, WR_ESPEC, "unknown variable '%s'", name);
		return NULL;
	}
	if (!(doc = json_loads(text, JSON_DECODE_ANY, NULL))) {
		err_set(err, WR_ESPEC, "#each %s: the value is not JSON", name);
		return NULL;
	}
	v = doc;
	for (char *key = path; key && *key && v;) {
		char *dot = strchr(key, '.');

		if (dot)
			*dot = '\0';
		v = json_object_get(v, key);
		key = dot ? dot + 1 : NULL;
	}
	if (!json_is_array(v)) {
		err_set(err, WR_ESPEC, "#each %s: no list %s%s", name, path ? "at " : "",
		        path ? path : "");
		json_decref(doc);
		return NULL;
	}
	json_incref(v);
	json_decref(doc);
	return v;
}

static int render_each(const char *head, const char *body, size_t body_len,
                       const char *(*lookup)(void *ud, const char *name), void *ud,
                       struct buf *out, struct wr_err *err)
{
	struct item_lookup il = { lookup, ud, NULL, NULL };
	json_t *list = each_list(head, lookup, ud, err);
	char *tpl = strndup(body, body_len);
	int rc = 0;

	if (!list || !tpl) {
		rc = list ? err_set(err, WR_ENOMEM, "out of memory") : WR_ESPEC;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list) && rc == 0; i++) {
		il.item = json_array_get(list, i);
		rc = tpl_render_flat(tpl, item_var, &il, out, err);
	}
out:
	free(il.held);
	free(tpl);
	json_decref(list);
	return rc;
}

/* Variables only: a block inside a block is an error. */
static int tpl_render_flat(const char *tpl, const char *(*lookup)(void *ud, const char *name),
                           void *ud, struct buf *out, struct wr_err *err)
{
	return render(tpl, lookup, ud, out, 0, err);
}

int tpl_render(const char *tpl, const char *(*lookup)(void *ud, const char *name),
               void *ud, struct buf *out, struct wr_err *err)
{
	return render(tpl, lookup, ud, out, 1, err);
}

static int render(const char *tpl, const char *(*lookup)(void *ud, const char *name),
                  void *ud, struct buf *out, int blocks, struct wr_err *err)
{
	size_t pos = 0, start, end, name, len;
	int literal, r, rc;
	char key[256];
	const char *val;

	while ((r = next_var(tpl, pos, &start, &end, &name, &len, &literal)) != 0) {
		if (r < 0)
			return err_set(err, WR_ESPEC, "unterminated '{{' at offset %zu", start);
		if ((rc = buf_add(out, tpl + pos, start - pos)) < 0)
			return err_set(err, rc, "prompt too large");
		if (literal) {
			rc = buf_adds(out, "{{");
		} else {
			if (len == 0 || len >= sizeof(key))
				return err_set(err, WR_ESPEC, "bad variable at offset %zu", start);
			memcpy(key, tpl + name, len);
			key[len] = '\0';
			if (!strncmp(key, "#each ", 6) || !strcmp(key, "/each")) {
				const char *close;
				size_t body_end, after;

				if (!blocks || key[0] == '/')
					return err_set(err, WR_ESPEC, "'{{%s}}' at offset %zu: %s", key,
					               start, key[0] == '/' ? "no #each is open"
					                                    : "blocks do not nest");
				if (!(close = find_close(tpl, end, &body_end, &after)))
					return err_set(err, WR_ESPEC, "'{{%s}}' at offset %zu has no "
					               "'{{/each}}'", key, start);
				(void)close;
				if ((rc = render_each(key + 6, tpl + end, body_end - end, lookup, ud,
				                      out, err)) < 0)
					return rc;
				pos = after;
				continue;
			}
			val = lookup(ud, key);
			if (!val)
				return err_set(err, WR_ESPEC, "unknown variable '%s'", key);
			rc = buf_adds(out, val);
		}
		if (rc < 0)
			return err_set(err, rc, "prompt too large");
		pos = end;
	}
	if ((rc = buf_adds(out, tpl + pos)) < 0)
		return err_set(err, rc, "prompt too large");
	return 0;
}
