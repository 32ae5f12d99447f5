/* chunk.c: documents into byte-span chunks (see chunk.h). */
#include "source/chunk.h"

#include <string.h>
#include <strings.h>

struct cut {
	const char *t;
	size_t len, max;
	int (*fn)(void *ud, size_t start, size_t end);
	void *ud;
	size_t n;
	int stop;
};

static int space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

enum chunk_format chunk_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return FORMAT_TEXT;
	if (!strcasecmp(dot, ".md") || !strcasecmp(dot, ".markdown"))
		return FORMAT_MARKDOWN;
	if (!strcasecmp(dot, ".json"))
		return FORMAT_JSON;
	if (!strcasecmp(dot, ".csv"))
		return FORMAT_CSV;
	return FORMAT_TEXT;
}

int chunk_mode_parse(const char *name)
{
	if (!strcmp(name, "paragraph"))
		return CHUNK_PARAGRAPH;
	if (!strcmp(name, "heading"))
		return CHUNK_HEADING;
	if (!strcmp(name, "size"))
		return CHUNK_SIZE;
	return -1;
}

/* Where to end a window [a, a + max): after a sentence in its second half,
 * else after the last white space, else at a UTF-8 boundary. */
static size_t cut_point(const struct cut *c, size_t a)
{
	size_t w = a + c->max, i;

	for (i = w; i > a + c->max / 2; i--)
		if (space(c->t[i]) && strchr(".!?\n", c->t[i - 1]))
			return i;
	for (i = w; i > a + c->max / 4; i--)
		if (space(c->t[i]))
			return i;
	while (w > a + 1 && ((unsigned char)c->t[w] & 0xC0) == 0x80)
		w--;
	return w;
}

/* Emits [a, b), trimmed, cut into pieces of at most max bytes. */
static void emit(struct cut *c, size_t a, size_t b)
{
	while (!c->stop) {
		size_t e;

		while (a < b && space(c->t[a]))
			a++;
		while (b > a && space(c->t[b - 1]))
			b--;
		if (a >= b)
			return;
		e = b - a > c->max ? cut_point(c, a) : b;
		c->n++;
		if (c->fn(c->ud, a, e))
			c->stop = 1;
		a = e;
	}
}

static size_t line_end(const struct cut *c, size_t i)
{
	const char *nl = memchr(c->t + i, '\n', c->len - i);

	return nl ? (size_t)(nl - c->t) + 1 : c->len;
}

static int blank_line(const struct cut *c, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!space(c->t[i]))
			return 0;
	return 1;
}

/* A Markdown ATX heading: up to three spaces, 1-6 '#', then space or end. */
static int heading_line(const struct cut *c, size_t a, size_t b)
{
	size_t i = a, h = 0;

	while (i < b && i - a < 3 && c->t[i] == ' ')
		i++;
	while (i < b && c->t[i] == '#' && h < 7) {
		i++;
		h++;
	}
	return h >= 1 && h <= 6 && (i == b || space(c->t[i]));
}

static int fence_line(const struct cut *c, size_t a, size_t b)
{
	while (a < b && c->t[a] == ' ')
		a++;
	return b - a >= 3 && (!strncmp(c->t + a, "```", 3) || !strncmp(c->t + a, "~~~", 3));
}

/* Paragraphs (and, in Markdown, headings) of text. A heading stays with
 * the paragraph after it; in heading mode, everything to the next one. */
static void by_lines(struct cut *c, int markdown, int heading_mode)
{
	size_t start = 0, i = 0;
	int fenced = 0, only_heading = 0, any = 0;

	while (i < c->len && !c->stop) {
		size_t e = line_end(c, i);
		int is_fence = markdown && fence_line(c, i, e);
		int is_heading = markdown && !fenced && heading_line(c, i, e);

		if (is_heading) {
			if (any)
				emit(c, start, i);
			start = i;
			any = 1;
			only_heading = 1;
		} else if (!fenced && blank_line(c, i, e)) {
			if (any && !only_heading && !heading_mode) {
				emit(c, start, i);
				any = 0;
			}
		} else {
			if (!any)
				start = i;
			any = 1;
			only_heading = 0;
		}
		if (is_fence)
			fenced = !fenced;
		i = e;
	}
	if (any)
		emit(c, start, c->len);
}

/* The end of the JSON value starting at i (strings and nesting aware), or
 * 0 when the text is not well formed. */
static size_t json_value_end(const struct cut *c, size_t i)
{
	int depth = 0;

	for (; i < c->len; i++) {
		char ch = c->t[i];

		if (ch == '"') {
			for (i++; i < c->len && c->t[i] != '"'; i++)
				if (c->t[i] == '\\')
					i++;
			if (i >= c->len)
				return 0;
			if (!depth)
				return i + 1;
		} else if (ch == '[' || ch == '{') {
			depth++;
		} else if (ch == ']' || ch == '}') {
			if (--depth < 0)
				return 0;
			if (!depth)
				return i + 1;
		} else if (!depth && (ch == ',' || space(ch))) {
			return i;
		}
	}
	return depth ? 0 : i;
}

/* Elements of a top-level array or members of a top-level object; with
 * dry, only whether the text is shaped so (0) or not (-1). */
static int by_json(struct cut *c, int dry)
{
	size_t i = 0, e;
	char open;

	while (i < c->len && space(c->t[i]))
		i++;
	if (i >= c->len || (c->t[i] != '[' && c->t[i] != '{'))
		return -1;
	open = c->t[i++];
	for (;;) {
		size_t start;

		while (i < c->len && space(c->t[i]))
			i++;
		if (i < c->len && c->t[i] == (open == '[' ? ']' : '}'))
			return 0;
		start = i;
		if (open == '{') {  /* "key": value */
			if (!(e = json_value_end(c, i)))
				return -1;
			for (i = e; i < c->len && (space(c->t[i]) || c->t[i] == ':'); i++)
				;
		}
		if (!(e = json_value_end(c, i)) || e <= start)
			return -1;
		if (!dry)
			emit(c, start, e);
		for (i = e; i < c->len && space(c->t[i]); i++)
			;
		if (c->stop || i >= c->len)
			return c->stop ? 0 : -1;
		if (c->t[i] == ',')
			i++;
	}
}

/* CSV rows after the header; a quoted field may hold newlines. */
static void by_rows(struct cut *c)
{
	size_t i = 0, start = 0;
	int quoted = 0, row = 0;

	for (; i < c->len && !c->stop; i++) {
		if (c->t[i] == '"')
			quoted = !quoted;
		else if (c->t[i] == '\n' && !quoted) {
			if (row++)
				emit(c, start, i);
			start = i + 1;
		}
	}
	if (row && start < c->len)
		emit(c, start, c->len);
}

size_t chunk_text(const char *text, size_t len, enum chunk_format format,
                  const struct chunk_params *p,
                  int (*fn)(void *ud, size_t start, size_t end), void *ud)
{
	struct cut c = { text, len, CHUNK_MAX_DEFAULT, fn, ud, 0, 0 };
	enum chunk_mode mode = p ? p->mode : CHUNK_PARAGRAPH;

	if (p && p->max_bytes)
		c.max = p->max_bytes < 64 ? 64 : p->max_bytes;
	if (mode == CHUNK_SIZE) {
		emit(&c, 0, len);
	} else if (format == FORMAT_JSON) {
		/* A file that is not JSON after all is cut as text. */
		if (by_json(&c, 1) < 0)
			by_lines(&c, 0, 0);
		else
			by_json(&c, 0);
	} else if (format == FORMAT_CSV) {
		by_rows(&c);
	} else {
		by_lines(&c, format == FORMAT_MARKDOWN, mode == CHUNK_HEADING);
	}
	return c.n;
}
