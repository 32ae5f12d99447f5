/* test_record.c: canonical requests, response records, the replay provider
 * and the store's exchanges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/os.h"
#include "harness.h"
#include "mock.h"
#include "model/record.h"
#include "store/store.h"

static struct model_request request(const char *prompt)
{
	struct model_request r;

	memset(&r, 0, sizeof(r));
	r.system = "be brief";
	r.prompt = prompt;
	r.seed = 42;
	r.attempt = 1;
	return r;
}

static void hash_of(const struct spec_model *m, const struct model_request *r,
                    char out[HASH_HEX])
{
	struct wr_err e;

	out[0] = '\0';
	if (record_request_hash(m, r, out, &e) < 0)
		t_fail(__FILE__, __LINE__, "record_request_hash: %s", e.msg);
}

TEST(record_request_is_canonical_and_leaves_transport_out)
{
	struct spec_model a = mock_model("openai", "gpt-4o-mini",
	                                 "{\"base_url\":\"http://a:1/v1\",\"top_p\":0.5,"
	                                 "\"stop\":[\"END\"],\"timeout\":3}");
	struct spec_model b = mock_model("replay", "gpt-4o-mini",
	                                 "{\"stop\":[\"END\"],\"top_p\":0.5,"
	                                 "\"base_url\":\"http://b:2/v1\",\"max_attempts\":9}");
	struct model_request r = request("hi");
	struct buf txt = BUF_INIT;
	char ha[HASH_HEX], hb[HASH_HEX], hc[HASH_HEX];
	struct wr_err e;

	a.temperature = b.temperature = 0.25;
	a.max_tokens = b.max_tokens = 100;
	REQUIRE(record_request(&a, &r, &txt, &e) == 0);
	EXPECT_STR(txt.data, "{\"max_tokens\":100,\"model\":\"gpt-4o-mini\",\"prompt\":\"hi\","
	                     "\"seed\":42,\"stop\":[\"END\"],\"system\":\"be brief\","
	                     "\"temperature\":0.25,\"top_p\":0.5}");
	hash_of(&a, &r, ha);
	hash_of(&b, &r, hb);
	EXPECT_STR(ha, hb);  /* another provider, endpoint and retry policy: same question */
	r.prompt = "hi!";
	hash_of(&a, &r, hc);
	EXPECT(strcmp(ha, hc) != 0);
	r.prompt = "hi";
	r.seed = 43;
	hash_of(&a, &r, hc);
	EXPECT(strcmp(ha, hc) != 0);
	a.temperature = 0.5;
	r.seed = 42;
	hash_of(&a, &r, hc);
	EXPECT(strcmp(ha, hc) != 0);
	buf_release(&txt);
}

TEST(record_request_model_seed_wins_and_no_secret)
{
	struct spec_model m = mock_model("openai", "gpt-4o",
	                                 "{\"seed\":7,\"api_key_env\":\"WR_TEST_RECORD_KEY\"}");
	struct model_request r = request("x");
	struct buf txt = BUF_INIT;
	struct wr_err e;

	setenv("WR_TEST_RECORD_KEY", "sk-very-secret-value", 1);
	REQUIRE(record_request(&m, &r, &txt, &e) == 0);
	EXPECT_CONTAINS(txt.data, "\"seed\":7");
	EXPECT(!strstr(txt.data, "sk-very-secret-value"));
	EXPECT(!strstr(txt.data, "WR_TEST_RECORD_KEY"));
	EXPECT(!strstr(txt.data, "provider"));
	unsetenv("WR_TEST_RECORD_KEY");
	m = mock_model("anthropic", "claude-x", NULL);
	buf_reset(&txt);
	REQUIRE(record_request(&m, &r, &txt, &e) == 0);
	EXPECT(!strstr(txt.data, "\"seed\""));  /* the Messages API takes none */
	buf_release(&txt);
}

TEST(record_response_round_trips)
{
	struct model_response a, b;
	struct buf rec = BUF_INIT;
	struct wr_err e;

	model_response_init(&a);
	model_response_init(&b);
	buf_adds(&a.text, "hello \"world\"\n");
	a.tokens_in = 12;
	a.tokens_out = 3;
	a.failure = WR_FAIL_REFUSAL;
	snprintf(a.finish, sizeof(a.finish), "content_filter");
	snprintf(a.detail, sizeof(a.detail), "withheld");
	snprintf(a.model, sizeof(a.model), "gpt-x");
	snprintf(a.system_fingerprint, sizeof(a.system_fingerprint), "fp_1");
	a.tool_calls = calloc(1, sizeof(*a.tool_calls));
	REQUIRE(a.tool_calls);
	a.n_tool_calls = 1;
	snprintf(a.tool_calls[0].id, sizeof(a.tool_calls[0].id), "call_1");
	snprintf(a.tool_calls[0].name, sizeof(a.tool_calls[0].name), "lookup");
	a.tool_calls[0].arguments = strdup("{\"q\":1}");
	REQUIRE(record_response(&a, &rec, &e) == 0);
	REQUIRE(record_response_read(rec.data, rec.len, &b, &e) == 0);
	EXPECT_STR(b.text.data, a.text.data);
	EXPECT_INT(b.tokens_in, 12);
	EXPECT_INT(b.tokens_out, 3);
	EXPECT_INT(b.failure, WR_FAIL_REFUSAL);
	EXPECT_STR(b.finish, "content_filter");
	EXPECT_STR(b.detail, "withheld");
	EXPECT_STR(b.model, "gpt-x");
	EXPECT_STR(b.system_fingerprint, "fp_1");
	REQUIRE(b.n_tool_calls == 1);
	EXPECT_STR(b.tool_calls[0].name, "lookup");
	EXPECT_STR(b.tool_calls[0].arguments, "{\"q\":1}");
	model_response_release(&b);
	model_response_init(&b);
	REQUIRE(record_response_read("\"just text\"", 11, &b, &e) == 0);
	EXPECT_STR(b.text.data, "just text");
	EXPECT_INT(b.failure, WR_FAIL_NONE);
	model_response_release(&b);
	model_response_init(&b);
	EXPECT_INT(record_response_read("[1]", 3, &b, &e), WR_EINVAL);
	EXPECT_INT(record_response_read("{oops", 5, &b, &e), WR_EINVAL);
	model_response_release(&a);
	model_response_release(&b);
	buf_release(&rec);
}

TEST(replay_provider_serves_a_cassette)
{
	struct spec_model m = mock_model("replay", "gpt-4o-mini", NULL);
	const struct provider_ops *ops = provider_find("replay");
	struct model_request r = request("cassette please");
	struct model_response resp;
	char hash[HASH_HEX], path[700], body[400];
	void *st = NULL;
	struct wr_err e;
	char dir[600];

	REQUIRE(ops);
	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	hash_of(&m, &r, hash);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	snprintf(body, sizeof(body), "{\"%s\": {\"text\": \"recorded\", \"tokens_in\": 5, "
	         "\"tokens_out\": 1, \"finish\": \"stop\"}}", hash);
	REQUIRE(os_write_atomic(path, body, strlen(body), 1, &e) == 0);
	m.file = "c.json";
	REQUIRE(ops->open(&m, dir, &st, &e) == 0);
	model_response_init(&resp);
	REQUIRE(ops->complete(st, &r, &resp, &e) == 0);
	EXPECT_INT(resp.failure, WR_FAIL_NONE);
	EXPECT_STR(resp.text.data, "recorded");
	EXPECT_INT(resp.tokens_in, 5);
	model_response_release(&resp);
	model_response_init(&resp);
	r.prompt = "not recorded";
	REQUIRE(ops->complete(st, &r, &resp, &e) == 0);
	EXPECT_INT(resp.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(resp.detail, "has no answer");
	model_response_release(&resp);
	ops->close(st);

	REQUIRE(os_write_atomic(path, "[]", 2, 1, &e) == 0);
	EXPECT_INT(ops->open(&m, dir, &st, &e), WR_EPROVIDER);
	EXPECT_CONTAINS(e.msg, "c.json");
	m.file = "missing.json";
	EXPECT(ops->open(&m, dir, &st, &e) < 0);
}

static int count_calls(void *ud, const struct store_call *c, const struct store_exchange *x)
{
	int *n = ud;

	if (*n == 0 && (strcmp(x->served, "provider") || x->attempts != 2 ||
	                strcmp(x->system_fingerprint, "fp")))
		*n = -1000;
	(*n)++;
	return 0;
}

static int count_attempts(void *ud, const struct store_attempt *a)
{
	int *n = ud;

	*n = *n * 1000 + a->status;
	return 0;
}

TEST(store_exchanges_replay_in_order)
{
	char path[700], blob1[HASH_HEX], blob2[HASH_HEX], got[HASH_HEX];
	struct store *st = NULL;
	struct store_exchange x;
	struct store_call c;
	struct store_attempt a;
	struct wr_err e;
	int64_t n;
	double cost;
	int calls = 0, attempts = 0;
	const char *req = "0123456789012345678901234567890123456789012345678901234567890123";

	snprintf(path, sizeof(path), "%s/x.db", t_tmpdir());
	REQUIRE(store_open(path, &st, &e) == 0);
	REQUIRE(store_blob_put(st, "one", 3, blob1, &e) == 0);
	REQUIRE(store_blob_put(st, "two", 3, blob2, &e) == 0);
	for (int i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		memset(&x, 0, sizeof(x));
		snprintf(c.run_id, sizeof(c.run_id), "r1");
		c.call_index = i;
		memcpy(c.request_hash, req, HASH_HEX);
		c.cost_usd = 0.5 + i;
		c.failure = i ? WR_FAIL_REFUSAL : WR_FAIL_NONE;
		REQUIRE(store_call_put(st, &c, &e) == 0);
		memcpy(x.run_id, c.run_id, sizeof(x.run_id));
		x.call_index = i;
		memcpy(x.request_hash, req, HASH_HEX);
		memcpy(x.record_blob, i ? blob2 : blob1, HASH_HEX);
		snprintf(x.served, sizeof(x.served), "provider");
		snprintf(x.system_fingerprint, sizeof(x.system_fingerprint), "fp");
		x.attempts = 2;
		REQUIRE(store_exchange_put(st, &x, &e) == 0);
	}
	memset(&a, 0, sizeof(a));
	snprintf(a.run_id, sizeof(a.run_id), "r1");
	a.n = 1;
	a.status = 429;
	REQUIRE(store_attempt_put(st, &a, &e) == 0);
	a.n = 2;
	a.status = 200;
	REQUIRE(store_attempt_put(st, &a, &e) == 0);

	REQUIRE(store_exchange_count(st, "r1", req, &n, &e) == 0);
	EXPECT_INT(n, 2);
	REQUIRE(store_exchange_replay(st, "r1", req, 1, got, &cost, &e) == 0);
	EXPECT_STR(got, blob2);
	EXPECT(cost == 1.5);
	EXPECT_INT(store_exchange_replay(st, "r1", req, 2, got, &cost, &e), WR_ENOTFOUND);
	EXPECT_INT(store_exchange_replay(st, "r2", req, 0, got, &cost, &e), WR_ENOTFOUND);
	REQUIRE(store_exchange_cached(st, req, got, &e) == 0);
	EXPECT_STR(got, blob1);  /* the refusal is never served from the cache */
	REQUIRE(store_calls_each(st, "r1", count_calls, &calls, &e) == 0);
	EXPECT_INT(calls, 2);
	REQUIRE(store_attempts_each(st, "r1", count_attempts, &attempts, &e) == 0);
	EXPECT_INT(attempts, 429200);
	store_free(st);
}
