/* test_prices.c: the price table. */
#include <stdio.h>

#include "harness.h"
#include "mock.h"
#include "model/prices.h"

TEST(prices_shipped_table_loads_and_matches_prefixes)
{
	struct prices *p = NULL;
	struct wr_err err;
	double in, out;

	REQUIRE(prices_load("data/prices.yaml", &p, &err) == 0);
	EXPECT_INT(prices_lookup(p, "gpt-4o-mini", &in, &out), 0);
	EXPECT(in == 0.15 && out == 0.60);
	EXPECT_INT(prices_lookup(p, "gpt-4o-2024-08-06", &in, &out), 0);
	EXPECT(in == 2.50 && out == 10.00);
	EXPECT_INT(prices_lookup(p, "gpt-4o-mini-2024-07-18", &in, &out), 0);
	EXPECT(in == 0.15);
	EXPECT_INT(prices_lookup(p, "o3-mini-2025-01-31", &in, &out), 0);
	EXPECT(in == 1.10);
	EXPECT_INT(prices_lookup(p, "claude-sonnet-4-5-20250929", &in, &out), 0);
	EXPECT(in == 3.00 && out == 15.00);
	EXPECT_INT(prices_lookup(p, "gpt-4oops", &in, &out), WR_ENOTFOUND);
	EXPECT_INT(prices_lookup(p, "llama3", &in, &out), WR_ENOTFOUND);
	EXPECT(in == 0 && out == 0);
	prices_free(p);
}

TEST(prices_explicit_price_wins)
{
	struct prices *p = NULL;
	struct spec_model m = mock_model("openai", "gpt-4o", NULL);
	double in, out;

	REQUIRE(prices_load("data/prices.yaml", &p, NULL) == 0);
	EXPECT_INT(prices_resolve(p, &m, &in, &out), 0);
	EXPECT(in == 2.50);
	m.price_in = 1;
	m.price_out = 2;
	EXPECT_INT(prices_resolve(p, &m, &in, &out), 0);
	EXPECT(in == 1 && out == 2);
	EXPECT(prices_cost(2.5, 10, 1000000, 500000) == 7.5);
	m = mock_model("command", NULL, NULL);
	EXPECT_INT(prices_resolve(p, &m, &in, &out), WR_ENOTFOUND);
	EXPECT_INT(prices_resolve(NULL, &m, &in, &out), WR_ENOTFOUND);
	prices_free(p);
}

TEST(prices_bad_file_names_the_line)
{
	char path[700];
	struct prices *p = NULL;
	struct wr_err err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/prices.yaml", t_tmpdir());
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("models:\n  a: { in: 1, out: 2 }\n  b: { in: -1, out: 2 }\n", f);
	fclose(f);
	EXPECT_INT(prices_load(path, &p, &err), WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "prices.yaml:3:");
	EXPECT_CONTAINS(err.msg, "'b'");
	EXPECT(p == NULL);
	EXPECT_INT(prices_load("/nonexistent/prices.yaml", &p, &err), WR_EIO);
}

TEST(prices_builtin_table_is_the_shipped_file)
{
	struct prices *p = NULL;
	struct wr_err err;
	double in, out;

	REQUIRE(prices_load_builtin(&p, &err) == 0);
	EXPECT_INT(prices_lookup(p, "gpt-4o-mini", &in, &out), 0);
	EXPECT(in == 0.15 && out == 0.60);
	EXPECT_INT(prices_lookup(p, "claude-sonnet-4-5-20250929", &in, &out), 0);
	prices_free(p);
	EXPECT_INT(prices_load_bytes("x.yaml", "models: [1]", 11, &p, &err), WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "x.yaml");
	EXPECT_INT(prices_load("no/such/prices.yaml", &p, &err), WR_EIO);
}
