/* test_chunk.c: documents into byte-span chunks. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "source/chunk.h"

struct got {
	const char *text;
	size_t start[32], end[32];
	int n;
};

static int collect(void *ud, size_t start, size_t end)
{
	struct got *g = ud;

	if (g->n < 32) {
		g->start[g->n] = start;
		g->end[g->n++] = end;
	}
	return 0;
}

static int is(const struct got *g, int i, const char *want)
{
	return i < g->n && g->end[i] - g->start[i] == strlen(want) &&
	       !memcmp(g->text + g->start[i], want, strlen(want));
}

static struct got cut(const char *text, enum chunk_format f, enum chunk_mode m, size_t max)
{
	struct chunk_params p = { m, max };
	struct got g;

	memset(&g, 0, sizeof(g));
	g.text = text;
	chunk_text(text, strlen(text), f, &p, collect, &g);
	return g;
}

TEST(chunk_paragraphs_are_trimmed_spans)
{
	struct got g = cut("\n  First one,\nstill first.\n\n\n Second.  \n", FORMAT_TEXT,
	                   CHUNK_PARAGRAPH, 0);

	EXPECT_INT(g.n, 2);
	EXPECT(is(&g, 0, "First one,\nstill first."));
	EXPECT(is(&g, 1, "Second."));
}

TEST(chunk_markdown_headings_start_chunks_outside_fences)
{
	const char *md = "# Title\n\nIntro text.\n\nMore intro.\n## Part\n\n```\n# not a heading\n"
	                 "\n```\nAfter.\n";
	struct got g = cut(md, FORMAT_MARKDOWN, CHUNK_PARAGRAPH, 0);

	EXPECT_INT(g.n, 3);
	EXPECT(is(&g, 0, "# Title\n\nIntro text."));  /* a heading stays with what follows */
	EXPECT(is(&g, 1, "More intro."));
	EXPECT(is(&g, 2, "## Part\n\n```\n# not a heading\n\n```\nAfter."));
	g = cut(md, FORMAT_MARKDOWN, CHUNK_HEADING, 0);
	EXPECT_INT(g.n, 2);
	EXPECT(is(&g, 0, "# Title\n\nIntro text.\n\nMore intro."));
}

TEST(chunk_long_text_is_cut_after_a_sentence_or_at_space)
{
	char text[400];
	struct got g;

	snprintf(text, sizeof(text), "%s", "Alpha beta gamma delta epsilon zeta eta theta iota "
	         "kappa. Lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega.");
	g = cut(text, FORMAT_TEXT, CHUNK_SIZE, 80);
	REQUIRE(g.n == 2);
	EXPECT(is(&g, 0, "Alpha beta gamma delta epsilon zeta eta theta iota kappa."));
	for (int i = 0; i < g.n; i++)
		EXPECT(g.end[i] - g.start[i] <= 80);
	memset(text, 'a', 63);  /* 63 bytes, then 'é's of two bytes each */
	snprintf(text + 63, sizeof(text) - 63, "\xc3\xa9\xc3\xa9\xc3\xa9");
	g = cut(text, FORMAT_TEXT, CHUNK_SIZE, 64);
	REQUIRE(g.n == 2);
	EXPECT_INT(g.end[0], 63);  /* not inside the two bytes of an 'é' */
}

TEST(chunk_json_elements_and_members)
{
	struct got g = cut(" [ {\"a\": \"x,]\"}, 2 ,\"s\\\"}\" ] ", FORMAT_JSON, CHUNK_PARAGRAPH, 0);

	EXPECT_INT(g.n, 3);
	EXPECT(is(&g, 0, "{\"a\": \"x,]\"}"));
	EXPECT(is(&g, 1, "2"));
	EXPECT(is(&g, 2, "\"s\\\"}\""));
	g = cut("{\"k\": [1, 2], \"m\": {\"n\": null}}", FORMAT_JSON, CHUNK_PARAGRAPH, 0);
	EXPECT_INT(g.n, 2);
	EXPECT(is(&g, 0, "\"k\": [1, 2]"));
	EXPECT(is(&g, 1, "\"m\": {\"n\": null}"));
	g = cut("not json\n\nat all", FORMAT_JSON, CHUNK_PARAGRAPH, 0);
	EXPECT_INT(g.n, 2);  /* cut as text */
}

TEST(chunk_csv_rows_after_the_header)
{
	struct got g = cut("id,note\n1,\"two\nlines\"\n2,plain\n", FORMAT_CSV, CHUNK_PARAGRAPH, 0);

	EXPECT_INT(g.n, 2);
	EXPECT(is(&g, 0, "1,\"two\nlines\""));
	EXPECT(is(&g, 1, "2,plain"));
}

TEST(chunk_formats_and_modes_by_name)
{
	EXPECT_INT(chunk_format_of("a/b.MD"), FORMAT_MARKDOWN);
	EXPECT_INT(chunk_format_of("x.json"), FORMAT_JSON);
	EXPECT_INT(chunk_format_of("dir.d/file"), FORMAT_TEXT);
	EXPECT_INT(chunk_mode_parse("heading"), CHUNK_HEADING);
	EXPECT_INT(chunk_mode_parse("sentence"), -1);
}
