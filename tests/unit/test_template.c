/* test_template.c: {{ variable }} rendering and scanning. */
#include <string.h>

#include "context/template.h"
#include "harness.h"

static const char *lookup(void *ud, const char *name)
{
	if (!strcmp(name, "inputs.x"))
		return "X";
	if (!strcmp(name, "contract"))
		return "C{{not a var}}";
	return NULL;
}

TEST(template_renders_variables)
{
	struct buf out = BUF_INIT;
	struct wr_err e;

	REQUIRE(tpl_render("a {{inputs.x}} b {{ contract }}.", lookup, NULL, &out, &e) == 0);
	/* A value is never rendered again: braces in it stay as they are. */
	EXPECT_STR(out.data, "a X b C{{not a var}}.");
	buf_release(&out);
}

TEST(template_escapes_and_errors)
{
	struct buf out = BUF_INIT;
	struct wr_err e;

	REQUIRE(tpl_render("lit {{{{ and {{inputs.x}}", lookup, NULL, &out, &e) == 0);
	EXPECT_STR(out.data, "lit {{ and X");
	buf_reset(&out);
	EXPECT_INT(tpl_render("{{nope}}", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "unknown variable 'nope'");
	EXPECT_INT(tpl_render("x {{inputs.x", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "unterminated");
	buf_release(&out);
}

struct seen {
	char names[8][32];
	size_t offsets[8];
	int n;
};

static int collect(void *ud, const char *name, size_t len, size_t offset)
{
	struct seen *s = ud;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%.*s", (int)len, name);
		s->offsets[s->n++] = offset;
	}
	return 0;
}

TEST(template_scans_variables_with_offsets)
{
	struct seen s = { 0 };

	EXPECT_INT(tpl_each_var("ab {{ x.y }}\n{{{{z}} {{q", collect, &s), 0);
	REQUIRE(s.n == 2);
	EXPECT_STR(s.names[0], "x.y");
	EXPECT_INT(s.offsets[0], 6);
	EXPECT_STR(s.names[1], "");  /* the unterminated "{{", at its braces */
	EXPECT_INT(s.offsets[1], 21);
}
