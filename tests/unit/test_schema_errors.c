/* test_schema_errors.c: where errors point (instance and keyword paths),
 * what they say, and the public wr_schema_* API. */
#include <stdio.h>
#include <stdlib.h>

#include "check/schema.h"
#include "harness.h"

static struct schema *compile(const char *text, int format_assert)
{
	struct schema_params p = schema_default_params();
	struct schema *s = NULL;
	json_t *root = json_loads(text, JSON_DECODE_ANY, NULL);

	p.format_assert = format_assert;
	if (!root || schema_compile(root, &p, &s, NULL) < 0)
		s = NULL;
	json_decref(root);
	return s;
}

/* Validates doc (JSON text) collecting up to 8 errors. */
static int check(const struct schema *s, const char *doc, struct schema_error *errs, int *n)
{
	json_t *d = json_loads(doc, JSON_DECODE_ANY, NULL);
	int rc = d ? schema_validate(s, d, errs, 8, n) : -100;

	json_decref(d);
	return rc;
}

TEST(schema_error_paths_nested)
{
	struct schema *s = compile(
		"{\"properties\": {\"items\": {\"type\": \"array\", \"items\": {"
		"\"properties\": {\"price\": {\"type\": \"number\", \"minimum\": 0}}}}}}", 0);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "{\"items\": [{\"price\": 1}, {}, {}, {\"price\": -1}]}", e, &n), 0);
	REQUIRE(n == 1);
	EXPECT_STR(e[0].instance_path, "/items/3/price");
	EXPECT_STR(e[0].schema_path, "/properties/items/items/properties/price/minimum");
	EXPECT_STR(e[0].message, "-1 is less than the minimum 0");
	schema_free(s);
}

TEST(schema_error_paths_escape_keys)
{
	struct schema *s = compile("{\"properties\": {\"a/b\": {\"properties\": {\"c~d\": "
	                           "{\"type\": \"string\"}}}}}", 0);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "{\"a/b\": {\"c~d\": 1}}", e, &n), 0);
	REQUIRE(n == 1);
	EXPECT_STR(e[0].instance_path, "/a~1b/c~0d");
	EXPECT_STR(e[0].schema_path, "/properties/a~1b/properties/c~0d/type");
	EXPECT_STR(e[0].message, "expected string, got integer");
	schema_free(s);
}

TEST(schema_error_paths_through_ref)
{
	struct schema *s = compile("{\"$defs\": {\"pos\": {\"exclusiveMinimum\": 0}}, "
	                           "\"properties\": {\"n\": {\"$ref\": \"#/$defs/pos\"}}}", 0);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "{\"n\": 0}", e, &n), 0);
	REQUIRE(n == 1);
	EXPECT_STR(e[0].instance_path, "/n");
	EXPECT_STR(e[0].schema_path, "/properties/n/$ref/exclusiveMinimum");
	EXPECT_STR(e[0].message, "0 is not greater than the exclusive minimum 0");
	schema_free(s);
}

TEST(schema_error_collects_all_up_to_max)
{
	struct schema *s = compile("{\"type\": \"object\", \"required\": [\"id\", \"name\"], "
	                           "\"properties\": {\"tags\": {\"uniqueItems\": true, "
	                           "\"maxItems\": 2}}, \"additionalProperties\": false}", 0);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "{\"tags\": [1, 2, 1], \"extra\": true}", e, &n), 0);
	REQUIRE(n == 5);
	EXPECT_STR(e[0].message, "missing required property \"id\"");
	EXPECT_STR(e[0].instance_path, "");
	EXPECT_STR(e[0].schema_path, "/required");
	EXPECT_STR(e[1].message, "missing required property \"name\"");
	EXPECT_STR(e[2].instance_path, "/tags");
	EXPECT_STR(e[2].message, "array has 3 items, more than 2");
	EXPECT_STR(e[3].message, "items 0 and 2 are equal");
	EXPECT_STR(e[4].instance_path, "/extra");
	EXPECT_STR(e[4].schema_path, "/additionalProperties");
	EXPECT_STR(e[4].message, "property \"extra\" is not allowed");
	/* max_errors 1 stops at the first */
	json_t *d = json_loads("{\"tags\": [1, 2, 1], \"extra\": true}", 0, NULL);
	EXPECT_INT(schema_validate(s, d, e, 1, &n), 0);
	EXPECT_INT(n, 1);
	json_decref(d);
	schema_free(s);
}

TEST(schema_error_messages)
{
	struct schema *s = compile(
		"{\"properties\": {\"s\": {\"maxLength\": 2, \"pattern\": \"^a\"}, "
		"\"e\": {\"enum\": [\"x\", \"y\"]}, \"m\": {\"multipleOf\": 0.01}, "
		"\"o\": {\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 0}]}, "
		"\"c\": {\"contains\": {\"const\": 1}}, \"d\": {\"format\": \"date\"}, "
		"\"u\": {\"unevaluatedProperties\": false, \"properties\": {\"k\": true}}}}", 1);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "{\"s\": \"bcd\", \"e\": \"z\", \"m\": 0.075, \"o\": 3, \"c\": [2], "
	                 "\"d\": \"2024-02-30\", \"u\": {\"k\": 1, \"q\": 2}}", e, &n), 0);
	REQUIRE(n == 8);
	EXPECT_STR(e[0].message, "\"bcd\" is longer than 2 characters");
	EXPECT_STR(e[1].message, "\"bcd\" does not match the pattern ^a");
	EXPECT_STR(e[2].message, "\"z\" is not one of the allowed values");
	EXPECT_STR(e[3].message, "0.075 is not a multiple of 0.01");
	EXPECT_STR(e[4].message, "value matches oneOf schemas 0 and 1, expected exactly one");
	EXPECT_STR(e[4].schema_path, "/properties/o/oneOf");
	EXPECT_STR(e[5].message, "no item matches the contains schema");
	EXPECT_STR(e[6].message, "\"2024-02-30\" is not a valid date");
	EXPECT_STR(e[7].instance_path, "/u/q");
	EXPECT_STR(e[7].schema_path, "/properties/u/unevaluatedProperties");
	schema_free(s);
}

TEST(schema_depth_is_capped)
{
	struct schema *s = compile("{\"$defs\": {\"t\": {\"items\": {\"$ref\": \"#/$defs/t\"}}}, "
	                           "\"$ref\": \"#/$defs/t\"}", 0);
	struct schema_error e[8];
	char *doc = malloc(4000);
	int n = 0, len = 0;

	REQUIRE(s != NULL);
	REQUIRE(doc != NULL);
	for (int i = 0; i < 1000; i++)
		doc[len++] = '[';
	for (int i = 0; i < 1000; i++)
		doc[len++] = ']';
	doc[len] = '\0';
	EXPECT_INT(check(s, doc, e, &n), 0);
	REQUIRE(n >= 1);
	EXPECT_CONTAINS(e[0].message, "nested deeper than");
	/* shallow documents are fine */
	EXPECT_INT(check(s, "[[[[]]]]", e, &n), 1);
	free(doc);
	schema_free(s);
}

TEST(schema_depth_cap_cannot_pass_a_not)
{
	struct schema *s = compile("{\"not\": {\"$ref\": \"#/$defs/loop\"}, "
	                           "\"$defs\": {\"loop\": {\"$ref\": \"#/$defs/loop\"}}}", 0);
	struct schema_error e[8];
	int n = 0;

	REQUIRE(s != NULL);
	EXPECT_INT(check(s, "1", e, &n), 0);
	EXPECT_INT(n, 1);
	schema_free(s);
}

TEST(schema_compile_error_names_the_place)
{
	struct schema *s = NULL;
	struct wr_err err = { 0 };
	json_t *root = json_loads("{\"properties\": {\"a\": {\"minimum\": \"x\"}}}", 0, NULL);

	EXPECT_INT(schema_compile(root, NULL, &s, &err), WR_ESPEC);
	EXPECT(s == NULL);
	EXPECT_STR(err.msg, "schema #/properties/a/minimum: must be a number");
	json_decref(root);
	root = json_loads("{\"items\": {\"$ref\": \"#/$defs/nope\"}}", 0, NULL);
	EXPECT_INT(schema_compile(root, NULL, &s, &err), WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "#/items/$ref: cannot resolve '#/$defs/nope'");
	json_decref(root);
}

TEST(schema_compiled_outlives_its_source)
{
	json_t *root = json_loads("{\"enum\": [\"a\", {\"b\": 1}], \"properties\": "
	                          "{\"k\": {\"const\": 2}}}", 0, NULL);
	struct schema *s = NULL;
	json_t *doc;

	REQUIRE(schema_compile(root, NULL, &s, NULL) == 0);
	json_decref(root);
	doc = json_loads("{\"b\": 1}", 0, NULL);
	EXPECT_INT(schema_validate(s, doc, NULL, 0, NULL), 1);
	json_decref(doc);
	schema_free(s);
	schema_free(NULL);
}

/* --- the public API --- */

struct collected {
	int n;
	char first[512];
};

static void collect(void *ud, const char *ip, const char *sp, const char *msg)
{
	struct collected *c = ud;

	if (c->n++ == 0)
		snprintf(c->first, sizeof(c->first), "%s|%s|%s", ip, sp, msg);
}

static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

TEST(schema_api_load_and_validate)
{
	const char *path = write_file("s.json", "{\"type\": \"object\", \"properties\": "
	                              "{\"when\": {\"format\": \"date\"}}}");
	struct wr_schema *s = NULL;
	struct wr_err err = { 0 };
	struct collected c = { 0 };
	const char *bad = "{\"when\": \"2024-13-01\"}";

	REQUIRE(wr_schema_load(path, 1, &s, &err) == 0);
	EXPECT_INT(wr_schema_validate_json(s, "{}", 2, collect, &c, &err), 1);
	EXPECT_INT(wr_schema_validate_json(s, bad, strlen(bad), collect, &c, &err), 0);
	EXPECT_INT(c.n, 1);
	EXPECT_STR(c.first, "/when|/properties/when/format|\"2024-13-01\" is not a valid date");
	EXPECT_INT(wr_schema_validate_json(s, bad, strlen(bad), NULL, NULL, &err), 0);
	EXPECT_INT(wr_schema_validate_json(s, "{\n  \"a\": }", 10, collect, &c, &err), WR_EINVAL);
	EXPECT_CONTAINS(err.msg, "2:");
	/* integers beyond 64 bits are numbers, not parse errors */
	EXPECT_INT(wr_schema_validate_json(s, "123456789012345678901234567890", 30, NULL, NULL,
	                                   &err), 0);
	wr_schema_free(s);
	wr_schema_free(NULL);
}

TEST(schema_api_load_errors)
{
	struct wr_schema *s = NULL;
	struct wr_err err = { 0 };
	const char *path = write_file("bad.json", "{\n  \"type\": \"object\",\n  \"x\": ]\n}");

	EXPECT_INT(wr_schema_load(path, 0, &s, &err), WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "bad.json:3:");
	path = write_file("bad2.json", "{\"minLength\": -2}");
	EXPECT_INT(wr_schema_load(path, 0, &s, &err), WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "bad2.json: schema #/minLength: must be a non-negative integer");
	EXPECT_INT(wr_schema_load("/nonexistent/x.json", 0, &s, &err), WR_EIO);
	EXPECT(s == NULL);
}
