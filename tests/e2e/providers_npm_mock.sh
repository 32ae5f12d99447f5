#!/usr/bin/env bash
# The openai provider against a third-party OpenAI-compatible mock server,
# @dwmkerr/mock-llm from the npm registry, on 127.0.0.1: its answers are not
# shaped by us, so this checks we read what compatible servers really send
# (no usage, no system_fingerprint, errors as {"error": {...}}).
#
# The package is installed into $BUILD/npm-mock-llm (git-ignored) when
# missing. Skipped, saying so, only when npm or the registry is unreachable.
set -eu
pkg="@dwmkerr/mock-llm@0.1.29"
build=$(cd "$(dirname "$WARRANT")" && pwd)
prefix="$build/npm-mock-llm"
main="$prefix/node_modules/@dwmkerr/mock-llm/dist/main.js"
"$WR_ROOT/tests/servers/build.sh" "$build"
probe="$build/probe"

if [ ! -f "$main" ]; then
	if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
		echo "skipped: node/npm not installed"; exit 0
	fi
	if ! timeout 60 npm view "$pkg" version >/dev/null 2>&1; then
		echo "skipped: the npm registry cannot be reached"; exit 0
	fi
	timeout 300 npm install --silent --no-audit --no-fund --prefix "$prefix" "$pkg"
fi

# Rules: last match wins. Echo with usage; a refusal; a 401; a 503 once.
cat > mock-llm.yaml <<'YAML'
rules:
  - path: "/v1/chat/completions"
    match: "@"
    response:
      status: 200
      content: |
        {"id": "chatcmpl-{{timestamp}}", "object": "chat.completion",
         "model": "{{jmes request body.model}}",
         "choices": [{"index": 0, "message": {"role": "assistant",
           "content": "{{jmes request body.messages[-1].content}}"},
           "finish_reason": "stop"}]}
  - path: "/v1/chat/completions"
    match: "contains(body.messages[-1].content, 'with-usage')"
    response:
      status: 200
      content: |
        {"choices": [{"message": {"role": "assistant", "content": "counted"},
           "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}
  - path: "/v1/chat/completions"
    match: "contains(body.messages[-1].content, 'please-refuse')"
    response:
      status: 200
      content: |
        {"choices": [{"message": {"role": "assistant", "content": null,
           "refusal": "I cannot help with that."}, "finish_reason": "stop"}]}
  - path: "/v1/chat/completions"
    match: "contains(body.messages[-1].content, 'error-401')"
    response:
      status: 401
      content: |
        {"error": {"message": "Incorrect API key provided.",
           "type": "invalid_request_error", "code": "invalid_api_key"}}
  - path: "/v1/chat/completions"
    match: "contains(body.messages[-1].content, 'flaky')"
    sequence: 0
    response:
      status: 503
      content: '{"error": {"message": "overloaded"}}'
YAML

port=$(node -e 'const s=require("net").createServer();
s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
HOST=127.0.0.1 PORT=$port node "$main" > server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	grep -q "server running" server.log && break
	kill -0 $pid 2>/dev/null || { cat server.log; exit 1; }
	sleep 0.1
done
opts="{\"base_url\":\"http://127.0.0.1:$port/v1\",\"backoff_ms\":10}"
unset OPENAI_API_KEY OPENAI_BASE_URL

fail() { echo "FAIL: $*"; exit 1; }
has() { grep -qF -- "$2" <<<"$1" || fail "expected $2 in: $1"; }

out=$("$probe" openai gpt-4o-mini "$opts" "hello from warrant" "be brief")
has "$out" '"failure":"none"'
has "$out" '"text":"hello from warrant"'
has "$out" '"model":"gpt-4o-mini"'
has "$out" '"tokens_out":5'            # no usage sent: estimated

out=$("$probe" openai gpt-4o-mini "$opts" "with-usage")
has "$out" '"text":"counted"'
has "$out" '"tokens_in":11'
has "$out" '"tokens_out":7'

out=$("$probe" openai gpt-4o-mini "$opts" "please-refuse")
has "$out" '"failure":"refusal"'

out=$("$probe" openai gpt-4o-mini "$opts" "error-401")
has "$out" '"failure":"provider_error"'
has "$out" 'HTTP 401: Incorrect API key provided.'
has "$out" '"statuses":[401]'

out=$("$probe" openai gpt-4o-mini "$opts" "flaky")
has "$out" '"failure":"none"'
has "$out" '"statuses":[503,200]'

n=$("$probe" openai gpt-4o-mini "${opts%\}},\"max_concurrency\":8}" "many" "" 40 |
	grep -c '"text":"many"')
[ "$n" = 40 ] || fail "batch: $n of 40"
echo "ok: openai provider against $pkg"
