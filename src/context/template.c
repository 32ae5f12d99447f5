/* template.c: {{ variable }} substitution, nothing more. */
#include "context/template.h"

#include <string.h>

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

int tpl_render(const char *tpl, const char *(*lookup)(void *ud, const char *name),
               void *ud, struct buf *out, struct wr_err *err)
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
