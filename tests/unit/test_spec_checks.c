/* test_spec_checks.c: the loader on the check kinds and the generate
 * step's output_schema, revise and best_of (the bad cases are golden files
 * in tests/cases/spec). */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "harness.h"
#include "spec/spec.h"

static const char flow_text[] =
	"contract: {purpose: p}\n"
	"inputs: {notes: {description: n}}\n"
	"models:\n"
	"  m: {provider: script, file: data/responses.yaml}\n"
	"  critic: {provider: script, file: data/responses.yaml}\n"
	"steps:\n"
	"  - id: draft\n"
	"    kind: generate\n"
	"    model: m\n"
	"    prompt: hi\n"
	"    output_schema: data/total.schema.json\n"
	"    revise: 2\n"
	"  - id: verify\n"
	"    kind: check\n"
	"    of: draft\n"
	"    checks:\n"
	"      - schema: {type: object, properties: {total: {minimum: 0}}}\n"
	"      - expr: 'total >= 0 and length(items) < 10'\n"
	"        name: sane\n"
	"      - cites: ['quotes[*]', claims.*]\n"
	"        input: notes\n"
	"      - cites: q\n"
	"        source: data/good.prompt\n"
	"      - command: [./check.sh, '{artifact}']\n"
	"        timeout: 2.5\n"
	"      - command: exit 0\n"
	"      - critique: critic\n"
	"        rubric: data/good.prompt\n"
	"  - {id: ship, kind: ship, of: draft, to: out.json}\n";

TEST(spec_loads_every_check_kind)
{
	struct spec_flow *flow = NULL;
	struct wr_err err = { 0, "" };
	const struct spec_step *g, *c;

	REQUIRE(spec_load_bytes("tests/cases/spec/kinds.yaml", flow_text, strlen(flow_text),
	                        NULL, &flow, &err) == 0);
	g = &flow->steps[0];
	c = &flow->steps[1];
	EXPECT_INT(g->revise, 2);
	EXPECT_INT(g->best_of, 0);
	REQUIRE(g->output_schema != NULL);
	EXPECT(g->output_schema->compiled != NULL);
	EXPECT_STR(g->output_schema->file, "data/total.schema.json");
	REQUIRE(c->n_checks == 7);
	EXPECT_INT(c->checks[0].kind, CHECK_SCHEMA);
	EXPECT(c->checks[0].compiled != NULL);
	EXPECT_CONTAINS(c->checks[0].arg, "\"minimum\":0");
	EXPECT_INT(c->checks[1].kind, CHECK_EXPR);
	EXPECT(c->checks[1].compiled != NULL);
	EXPECT_STR(c->checks[1].label, "sane");
	EXPECT_INT(c->checks[2].kind, CHECK_CITES);
	EXPECT_INT((int)c->checks[2].n_paths, 2);
	EXPECT_STR(c->checks[2].paths[1], "claims.*");
	EXPECT_STR(c->checks[2].input, "notes");
	EXPECT(c->checks[3].source != NULL);
	EXPECT_INT(c->checks[4].kind, CHECK_COMMAND);
	EXPECT_STR(c->checks[4].argv[0], "./check.sh");
	EXPECT_STR(c->checks[4].argv[1], "{artifact}");
	EXPECT(c->checks[4].argv[2] == NULL);
	EXPECT(c->checks[4].timeout > 2.4 && c->checks[4].timeout < 2.6);
	EXPECT_STR(c->checks[5].argv[0], "/bin/sh");     /* a string is a shell line */
	EXPECT_STR(c->checks[5].argv[2], "exit 0");
	EXPECT_INT(c->checks[6].kind, CHECK_CRITIQUE);
	EXPECT_INT(c->checks[6].model_index, 1);
	EXPECT(c->checks[6].threshold > 0.49 && c->checks[6].threshold < 0.51);  /* default */
	EXPECT(c->checks[6].rubric != NULL);
	EXPECT(check_is_deterministic(&c->checks[5]));
	EXPECT(!check_is_deterministic(&c->checks[6]));
	EXPECT_STR(spec_check_kind_name(CHECK_CRITIQUE), "critique");
	spec_free(flow);
}

TEST(spec_named_check_files_change_the_hash)
{
	struct spec_flow *a = NULL, *b = NULL;
	struct wr_err err = { 0, "" };
	char *other = strdup(flow_text);
	char *at;

	REQUIRE(other != NULL);
	at = strstr(other, "source: data/good.prompt");
	REQUIRE(at != NULL);
	memcpy(at, "source: data/bad.prompt ", 24);
	REQUIRE(spec_load_bytes("tests/cases/spec/kinds.yaml", flow_text, strlen(flow_text),
	                        NULL, &a, &err) == 0);
	REQUIRE(spec_load_bytes("tests/cases/spec/kinds.yaml", other, strlen(other), NULL, &b,
	                        &err) == 0);
	EXPECT(strcmp(a->hash, b->hash) != 0);
	spec_free(a);
	spec_free(b);
	free(other);
}
