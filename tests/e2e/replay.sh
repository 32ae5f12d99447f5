# Record and replay against tests/servers/mockllm on 127.0.0.1: a run whose
# first HTTP attempt gets a 429 records both attempts; with the server
# killed and the workflow pointed at a closed port, 'run --replay' ships
# byte-identical output with zero model calls; a request the record lacks
# fails as provider_error; a cassette from 'show --cassette' serves the
# replay provider; --cache answers a repeated request without the server.
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
unset OPENAI_API_KEY OPENAI_BASE_URL WARRANT_STORE WARRANT_PRICES

"$build/mockllm" --log mock.log > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
port=$(cat port)
served() { wc -l < mock.log | tr -d ' '; }

flow() {  # file base_url prompt-suffix
	cat > "$1" <<EOF2
name: replayed
contract: {purpose: greet}
inputs: {who: {default: world}}
models:
  m: {provider: openai, model: gpt-4o-mini, base_url: "$2", temperature: 0.2,
      max_tokens: 64, seed: 7, stop: ["END"], backoff_ms: 5}
steps:
  - {id: draft, kind: generate, model: m, prompt: "hello {{inputs.who}}$3"}
  - {id: verify, kind: check, of: draft, checks: [{contains: "echo:"}]}
  - {id: second, kind: generate, model: m, prompt: "again: {{steps.draft.output}}"}
  - {id: verify2, kind: check, of: second, checks: [{contains: "again"}]}
  - {id: out, kind: ship, of: draft, to: out.txt}
  - {id: out2, kind: ship, of: second, to: out2.txt}
EOF2
}
last_run() { sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1"; }
hashes() { sql "SELECT step_id || ' ' || hash FROM artifacts WHERE run_id = '$1' ORDER BY step_id"; }

# 1. Record, with a 429 before the first answer.
flow rec.yaml "http://127.0.0.1:$port/v1" " [mock:fail=1,status=429]"
expect_exit 0 "a run against mockllm succeeds" -- "$WARRANT" run rec.yaml --input who=replay
rec=$(last_run)
[ -s out.txt ] && [ -s out2.txt ] && ok "both outputs shipped" || fail "outputs missing"
mkdir recorded && mv out.txt out2.txt recorded/
# The second prompt quotes the first answer, marker included: it too gets a 429 first.
before=$(served)
[ "$before" = 4 ] && ok "4 HTTP requests (429, 200, 429, 200)" || fail "server saw $before requests"

expect_exit 0 "show --json" -- "$WARRANT" show "$rec" --json
python3 - last.out <<'PY' && ok "show --json lists the calls with their attempts" || fail "show --json calls"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["model_calls"]
assert len(c) == 2, c
assert [a["status"] for a in c[0]["attempts"]] == [429, 200], c[0]["attempts"]
assert [a["status"] for a in c[1]["attempts"]] == [429, 200]
assert [a["kind"] for a in c[0]["attempts"]] == ["rate_limited", "ok"]
assert c[0]["served"] == "provider" and c[0]["system_fingerprint"] == "fp_mock"
assert c[0]["finish"] == "stop" and c[0]["tokens_in"] > 0 and c[0]["tokens_out"] > 0
assert c[0]["cost_usd"] > 0, "gpt-4o-mini has a price in the built-in table"
assert len(c[0]["request_hash"]) == 64
PY
expect_exit 0 "show" -- "$WARRANT" show "$rec"
expect_out "attempt 1: rate_limited, HTTP 429" "show prints the 429 attempt"
expect_out "attempt 2: ok, HTTP 200" "show prints the retry that succeeded"
expect_out 'fingerprint fp_mock' "show prints the system fingerprint"
n=$(sql "SELECT count(*) FROM attempts WHERE run_id = '$rec'")
[ "$n" = 4 ] && ok "4 attempts stored" || fail "$n attempts stored"

# 2. The server is gone and the workflow points at a closed port.
kill $pid; wait $pid 2>/dev/null
flow gone.yaml "http://127.0.0.1:9/v1" " [mock:fail=1,status=429]"
expect_exit 0 "replay succeeds with no server" -- "$WARRANT" run gone.yaml --replay "$rec"
rep=$(last_run)
cmp -s out.txt recorded/out.txt && cmp -s out2.txt recorded/out2.txt &&
	ok "replayed outputs are byte-identical" || fail "replayed outputs differ"
[ "$(hashes "$rec")" = "$(hashes "$rep")" ] && ok "artifact hashes identical" ||
	fail "artifact hashes differ: $(hashes "$rec") / $(hashes "$rep")"
n=$(sql "SELECT count(*) FROM exchanges WHERE run_id = '$rep' AND served = 'replay'")
[ "$n" = 2 ] && ok "both calls served by replay" || fail "$n calls replayed"
n=$(sql "SELECT count(*) FROM attempts WHERE run_id = '$rep'")
[ "$n" = 0 ] && ok "no HTTP attempt in the replay" || fail "$n attempts in the replay"
[ "$(sql "SELECT seed FROM runs WHERE id = '$rep'")" = "$(sql "SELECT seed FROM runs WHERE id = '$rec'")" ] &&
	ok "the replay uses the recorded seed" || fail "seed differs"
[ "$(sql "SELECT inputs_blob FROM runs WHERE id = '$rep'")" = "$(sql "SELECT inputs_blob FROM runs WHERE id = '$rec'")" ] &&
	ok "the replay uses the recorded inputs" || fail "inputs differ"

# A replay stopped half way resumes as a replay.
rm -f out.txt out2.txt
expect_exit 6 "a replay stopped after 2 steps (paused: exit 6)" -- "$WARRANT" run gone.yaml --replay "$rec" --max-steps 2
expect_exit 0 "resumes, still replaying" -- "$WARRANT" resume last
cmp -s out.txt recorded/out.txt && cmp -s out2.txt recorded/out2.txt &&
	ok "resumed replay outputs are byte-identical" || fail "resumed replay outputs differ"
n=$(sql "SELECT count(*) FROM exchanges WHERE run_id = '$(last_run)' AND served = 'replay'")
[ "$n" = 2 ] && ok "both calls of the resumed replay were replayed" || fail "$n replayed"

# 3. A request the record lacks is an error, not a network call.
rm -f out.txt out2.txt
expect_exit 1 "a changed input is not in the record" -- "$WARRANT" run gone.yaml --replay "$rec" --input who=else
expect_out "provider_error" "classed provider_error"
expect_out "recorded no answer for this request" "says the record lacks it"
[ ! -e out.txt ] && ok "nothing shipped" || fail "shipped without an answer"
expect_exit 2 "an unknown run to replay" -- "$WARRANT" run gone.yaml --replay nosuchrun

# 4. A cassette serves the replay provider.
expect_exit 0 "show --cassette" -- "$WARRANT" show "$rec" --cassette
cp last.out cassette.json
python3 -c 'import json,sys; d=json.load(open("cassette.json")); assert len(d)==2' &&
	ok "the cassette holds both exchanges" || fail "cassette: $(head -c 300 cassette.json)"
sed -e 's/provider: openai/provider: replay, file: cassette.json/' gone.yaml > cas.yaml
rm -f out.txt out2.txt
expect_exit 0 "the replay provider answers from the cassette" -- \
	"$WARRANT" run cas.yaml --input who=replay --seed "$(sql "SELECT seed FROM runs WHERE id = '$rec'")"
cmp -s out.txt recorded/out.txt && ok "cassette output identical" || fail "cassette output differs"
rm -f out.txt out2.txt
expect_exit 1 "a request the cassette lacks" -- "$WARRANT" run cas.yaml --input who=other
expect_out "cassette cassette.json has no answer" "says the cassette lacks it"

# 5. The cache: a second identical run asks no model.
"$build/mockllm" --log mock2.log > port2 &
pid=$!
for _ in $(seq 50); do [ -s port2 ] && break; sleep 0.1; done
flow c.yaml "http://127.0.0.1:$(cat port2)/v1" ""
rm -f out.txt out2.txt
expect_exit 0 "first cached run asks the server" -- "$WARRANT" run c.yaml --cache --seed 1
rm -f out.txt out2.txt
expect_exit 0 "second cached run" -- "$WARRANT" run c.yaml --cache --seed 1
c2=$(last_run)
[ "$(wc -l < mock2.log)" = 2 ] && ok "the cache answered the second run" || fail "server saw $(wc -l < mock2.log) requests"
n=$(sql "SELECT count(*) FROM exchanges WHERE run_id = '$c2' AND served = 'cache'")
[ "$n" = 2 ] && ok "both calls served from the cache" || fail "$n calls cached"
[ "$(sql "SELECT cost_usd FROM runs WHERE id = '$c2'")" = 0.0 ] && ok "cached calls cost nothing" ||
	fail "cached run cost $(sql "SELECT cost_usd FROM runs WHERE id = '$c2'")"
rm -f out.txt out2.txt
expect_exit 0 "without --cache the server is asked" -- "$WARRANT" run c.yaml --seed 1
[ "$(wc -l < mock2.log)" = 4 ] && ok "no cache unless asked" || fail "server saw $(wc -l < mock2.log) requests"

# 6. The anthropic provider through the engine, recorded and replayed.
cat > claude.yaml <<EOF2
name: claude
contract: {purpose: greet}
models:
  c: {provider: anthropic, model: claude-sonnet-4-5, base_url: "http://127.0.0.1:$(cat port2)", max_tokens: 100}
steps:
  - {id: draft, kind: generate, model: c, prompt: "bonjour"}
  - {id: verify, kind: check, of: draft, checks: [{contains: "bonjour"}]}
  - {id: out, kind: ship, of: draft, to: claude.txt}
EOF2
expect_exit 0 "an anthropic model through the engine" -- "$WARRANT" run claude.yaml
crun=$(last_run)
[ "$(sql "SELECT api_model FROM exchanges WHERE run_id = '$crun'")" = mock-claude ] &&
	ok "the answering model is recorded" || fail "api_model: $(sql "SELECT * FROM exchanges WHERE run_id = '$crun'")"
mv claude.txt claude1.txt
kill $pid; wait $pid 2>/dev/null
expect_exit 0 "replayed without the server" -- "$WARRANT" run claude.yaml --replay "$crun"
cmp -s claude.txt claude1.txt && ok "anthropic replay identical" || fail "anthropic replay differs"
finish
