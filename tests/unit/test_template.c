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
	if (!strcmp(name, "steps.find.output"))
		return "{\"results\": [{\"id\": \"a#1\", \"n\": 1, \"t\": \"{{x}}\"}, "
		       "{\"id\": \"b#2\", \"n\": [2], \"t\": \"\"}, {\"id\": \"c#3\"}]}";
	if (!strcmp(name, "inputs.list"))
		return "[\"p\", \"q\"]";
	return NULL;
}

TEST(template_each_repeats_over_a_list)
{
	struct buf out = BUF_INIT;
	struct wr_err e;

	/* Item fields as text or compact JSON; a value's braces are never
	 * rendered again; a field an item lacks is an error. */
	EXPECT_INT(tpl_render("{{#each steps.find.output results}}[{{.id}}={{.n}}:{{.t}}] "
	                      "{{inputs.x}}; {{/each}}end", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_STR(out.data, "[a#1=1:{{x}}] X; [b#2=[2]:] X; [c#3=");
	buf_reset(&out);
	REQUIRE(tpl_render("{{#each steps.find.output results}}{{.id}} {{/each}}end", lookup, NULL,
	                   &out, &e) == 0);
	EXPECT_STR(out.data, "a#1 b#2 c#3 end");
	buf_reset(&out);
	REQUIRE(tpl_render("{{#each inputs.list}}<{{.}}>{{/each}}", lookup, NULL, &out, &e) == 0);
	EXPECT_STR(out.data, "<p><q>");
	buf_reset(&out);
	EXPECT_INT(tpl_render("{{#each inputs.list}}x", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "has no '{{/each}}'");
	EXPECT_INT(tpl_render("{{/each}}", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_INT(tpl_render("{{#each inputs.x}}{{/each}}", lookup, NULL, &out, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "not JSON");
	EXPECT_INT(tpl_render("{{#each steps.find.output nothere}}{{/each}}", lookup, NULL, &out,
	                      &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "no list at nothere");
	EXPECT_INT(tpl_render("{{#each inputs.list}}{{#each inputs.list}}{{/each}}{{/each}}",
	                      lookup, NULL, &out, &e), WR_ESPEC);
	buf_release(&out);
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
