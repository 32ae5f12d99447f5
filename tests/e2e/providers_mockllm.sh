#!/usr/bin/env bash
# The providers end to end against tests/servers/mockllm on 127.0.0.1:
# openai and anthropic answers, a retried 503, a refusal, a batch.
set -eu
build=$(dirname "$WARRANT")
"$WR_ROOT/tests/servers/build.sh" "$build"
probe="$build/probe"

"$build/mockllm" --log mock.log > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat port)"
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL

fail() { echo "FAIL: $*"; exit 1; }
has() { grep -qF -- "$2" <<<"$1" || fail "expected $2 in: $1"; }

out=$("$probe" openai gpt-4o-mini "{\"base_url\":\"$base/v1\"}" "hello there" "be brief")
has "$out" '"failure":"none"'
has "$out" '"text":"echo: hello there"'
has "$out" '"statuses":[200]'

out=$("$probe" openai gpt-4o-mini "{\"base_url\":\"$base/v1\",\"backoff_ms\":10}" \
	"x [mock:fail=1,status=503]")
has "$out" '"failure":"none"'
has "$out" '"statuses":[503,200]'

out=$("$probe" openai gpt-4o-mini "{\"base_url\":\"$base/v1\"}" "x [mock:refusal]")
has "$out" '"failure":"refusal"'

out=$("$probe" anthropic claude-x "{\"base_url\":\"$base\"}" "hi claude")
has "$out" '"text":"echo: hi claude"'
has "$out" '"model":"mock-claude"'

n=$("$probe" openai gpt-4o-mini "{\"base_url\":\"$base/v1\",\"max_concurrency\":8}" \
	"batch" "" 50 | grep -c '"failure":"none"')
[ "$n" = 50 ] || fail "batch: $n of 50 succeeded"
echo "ok: $(wc -l < mock.log) requests served"
