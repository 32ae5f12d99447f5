/* test_tool.c: the permission envelope (src/tool/envelope.c): paths after
 * symlinks and "..", globs, budgets, schemas, allow-lists and command
 * argument templates, decided without running anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "spec/spec.h"
#include "tool/tool.h"

static void put(const char *dir, const char *name, const char *text)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(tool_path_resolves_before_matching)
{
	char root[4096], out[4096], why[TOOL_REASON_MAX], p[4200];
	const char *read[] = { "docs/**", NULL }, *write[] = { "out/*.txt", NULL };

	REQUIRE(realpath(t_tmpdir(), root));
	snprintf(p, sizeof(p), "%s/docs", root); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/docs/sub", root); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out", root); mkdir(p, 0755);
	put(root, "docs/a.md", "a");
	put(root, "docs/sub/b.md", "b");
	put(root, "secret", "s");
	snprintf(p, sizeof(p), "%s/docs/out", root);
	unlink(p);   /* left by an earlier run in the same folder */
	EXPECT(symlink("../secret", p) == 0);

	EXPECT_INT(tool_path_allowed(root, read, "docs/a.md", 9, 0, out, sizeof(out), why,
	                             sizeof(why)), 1);
	EXPECT_INT(tool_path_allowed(root, read, "docs/sub/b.md", 13, 0, out, sizeof(out), why,
	                             sizeof(why)), 1);
	EXPECT_INT(tool_path_allowed(root, read, "docs", 4, 0, out, sizeof(out), why,
	                             sizeof(why)), 1);
	EXPECT_INT(tool_path_allowed(root, read, "docs/../secret", 14, 0, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_CONTAINS(why, "beneath the tool's read paths");
	EXPECT_INT(tool_path_allowed(root, read, "docs/out", 8, 0, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_INT(tool_path_allowed(root, read, "docs/missing", 12, 0, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_CONTAINS(why, "not an existing file or folder");
	EXPECT_INT(tool_path_allowed(root, read, "docs/a.md", 3, 0, out, sizeof(out), why,
	                             sizeof(why)), 0);   /* a NUL inside */
	EXPECT_INT(tool_path_allowed(root, write, "out/new.txt", 11, 1, out, sizeof(out), why,
	                             sizeof(why)), 1);
	EXPECT_INT(tool_path_allowed(root, write, "out/new.md", 10, 1, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_INT(tool_path_allowed(root, write, "out/..", 6, 1, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_INT(tool_path_allowed(root, write, "docs/../out/x.txt", 17, 1, out, sizeof(out),
	                             why, sizeof(why)), 1);
	snprintf(p, sizeof(p), "%s/out/l.txt", root);
	unlink(p);   /* left by an earlier run in the same folder */
	EXPECT(symlink("../secret", p) == 0);
	EXPECT_INT(tool_path_allowed(root, write, "out/l.txt", 9, 1, out, sizeof(out), why,
	                             sizeof(why)), 0);
	EXPECT_CONTAINS(why, "symbolic link");
}

static struct spec_flow *flow_with(struct spec_tool *tools, size_t n, struct spec_step *st,
                                   int *idx)
{
	static struct spec_flow f;

	memset(&f, 0, sizeof(f));
	f.dir = ".";
	f.tools = tools;
	f.n_tools = n;
	for (size_t i = 0; i < n; i++)
		idx[i] = (int)i;
	st->id = "draft";
	st->tools = idx;
	st->n_tools = n;
	return &f;
}

TEST(tool_check_rules_in_order)
{
	const char *argv[] = { "echo", "--", "{{args.w}}", NULL };
	struct spec_tool tools[3];
	struct spec_step st;
	struct tool_env env;
	struct wr_err err = { 0, "" };
	char why[TOOL_REASON_MAX];
	int idx[3], ti;
	json_t *args;

	memset(tools, 0, sizeof(tools));
	memset(&st, 0, sizeof(st));
	tools[0].name = "echo";
	tools[0].kind = TOOL_COMMAND;
	tools[0].allow = 1;
	tools[0].argv = argv;
	tools[0].n_argv = 3;
	tools[0].max_calls = 2;
	tools[0].values_json = "{\"w\":[\"a\",\"b\",\"-rf\"]}";
	tools[0].schema_json = "{\"type\":\"object\",\"required\":[\"w\"]}";
	tools[1].name = "off";
	tools[1].kind = TOOL_SEARCH_SOURCE;
	tools[2].name = "ask";
	tools[2].kind = TOOL_SEARCH_SOURCE;
	tools[2].allow = 1;
	tools[2].approval = 1;
	REQUIRE(tool_env_init(&env, flow_with(tools, 3, &st, idx), &st, NULL, &err) == 0);

	EXPECT_INT(tool_check(&env, "nope", "{}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "is not offered");
	EXPECT_INT(ti, -1);
	EXPECT_INT(tool_check(&env, "off", "{\"query\":\"x\"}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "allow: false");
	/* the envelope passes it; the engine then waits for a person */
	EXPECT_INT(tool_check(&env, "ask", "{\"query\":\"x\"}", &ti, &args, why, sizeof(why)), 1);
	json_decref(args);
	EXPECT_INT(tool_check(&env, "echo", "{}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "fail the schema");
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"c\"}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "not one of the allowed values");
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"-rf\"}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "starts with '-'");
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"a\",\"w\":\"b\"}", &ti, &args, why,
	                      sizeof(why)), 0);  /* duplicate keys */
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"a\"}", &ti, &args, why, sizeof(why)), 1);
	json_decref(args);
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"b\"}", &ti, &args, why, sizeof(why)), 1);
	json_decref(args);
	EXPECT_INT(tool_check(&env, "echo", "{\"w\":\"a\"}", &ti, &args, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "at most 2 times");
	tool_env_release(&env);
}

TEST(tool_command_argv_stays_in_one_element)
{
	const char *tpl[] = { "grep", "-e", "x{{args.p}}y", "{{args.n}}", NULL };
	struct spec_tool t;
	char why[TOOL_REASON_MAX], **argv = NULL;
	json_t *args = json_pack("{s:s,s:i}", "p", "a b; rm -rf /", "n", 3);

	memset(&t, 0, sizeof(t));
	t.argv = tpl;
	t.n_argv = 4;
	REQUIRE(tool_command_argv(&t, args, &argv, why, sizeof(why)) == 1);
	EXPECT_STR(argv[2], "xa b; rm -rf /y");
	EXPECT_STR(argv[3], "3");
	EXPECT(argv[4] == NULL);
	tool_argv_free(argv);
	json_object_del(args, "n");
	EXPECT_INT(tool_command_argv(&t, args, &argv, why, sizeof(why)), 0);
	EXPECT_CONTAINS(why, "'n' is missing");
	json_decref(args);
}
