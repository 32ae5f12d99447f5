# warrant trace: the waterfall, --json, and OTLP/HTTP export to a collector
# that checks every span against the official OpenTelemetry JS serializer
# (@opentelemetry/otlp-transformer from the npm registry, installed into
# $BUILD/npm-otel when missing). The export part is skipped, saying so,
# only when npm or the registry cannot be reached.
. "$WR_ROOT/tests/lib.sh"
pkg="@opentelemetry/otlp-transformer@0.223.1"
build=$(cd "$(dirname "$WARRANT")" && pwd)
prefix="$build/npm-otel"

cat > m.yaml <<'YAML'
pick: match
responses:
  - {match: "case good", text: "{\"ok\": true}", tokens_in: 30, tokens_out: 5, latency_ms: 20}
  - {match: "case bad", text: "no json here", tokens_in: 31, tokens_out: 4}
YAML
cat > f.yaml <<'YAML'
name: traced
contract: {purpose: be traced}
inputs: {case: {description: which answer}}
models: {drafter: {provider: script, file: m.yaml}}
steps:
  - {id: draft, kind: generate, model: drafter, prompt: "case {{inputs.case}}"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}, {contains: ok}]}
  - {id: out, kind: ship, of: draft, append: out.jsonl}
YAML
"$WARRANT" run f.yaml -q --input case=bad >/dev/null 2>&1
bad=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
"$WARRANT" run f.yaml -q --input case=good >/dev/null 2>&1
good=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")

[ "$(wc -l < out.jsonl)" = 1 ] && [ "$(cat out.jsonl)" = '{"ok": true}' ] &&
	ok "an appended record gets its newline" || fail "out.jsonl: $(od -c out.jsonl | head -3)"
expect_exit 0 "a waterfall" -- "$WARRANT" trace "$good"
expect_out "^traced  done" "heads it with the run"
expect_out "^  draft \(generate\) +\|.*\| +[0-9.]+ ms" "the generate step, with its duration"
expect_out "^    call 1 attempt 1 .* drafter 30->5" "the model call, with model and tokens"
expect_out "^    #2 contains" "each check"
expect_out "^  out \(ship\)" "the ship"
expect_exit 0 "a failed run" -- "$WARRANT" trace "$bad"
expect_out "^  verify \(check\) .*schema_invalid" "the failing step shows its class"
if grep -q "out (ship)" last.out; then fail "a step that never ran is drawn"; else ok "steps that never ran are left out"; fi

expect_exit 0 "json" -- "$WARRANT" trace "$good" --json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
[ "$(j '$[0].kind')" = run ] && [ "$(j '$[0].parent')" = 0 ] && ok "json: the run is the root" || fail "root $(j '$[0]')"
[ "$(j '$[2].kind')" = call ] && [ "$(j '$[2].parent')" = 2 ] && [ "$(j '$[2].tokens_in')" = 30 ] &&
	ok "json: the call is the generate step's child" || fail "call $(j '$[2]')"
n=$(j 'json_array_length($)' 2>/dev/null || sqlite3 :memory: "SELECT json_array_length(CAST(readfile('last.out') AS TEXT))")
[ "$n" = 7 ] && ok "json: 7 spans (run, 3 steps, 1 call, 2 checks)" || fail "$n spans"
[ "$(j '$[2].bytes_in')" = "$(sql "SELECT length(b.bytes) FROM calls c JOIN blobs b ON b.hash = c.request_hash WHERE c.run_id = '$good'")" ] &&
	[ "$(j '$[2].bytes_out')" = 12 ] && ok "json: the call's request and output sizes" || fail "sizes $(j '$[2].bytes_in') $(j '$[2].bytes_out')"
[ "$(j '$[2].params.seed')" = "$(sql "SELECT seed FROM runs WHERE id = '$good'")" ] &&
	ok "json: the call's sampling settings (the run's seed)" || fail "params $(j '$[2].params')"
ms=$(sqlite3 :memory: "SELECT (json_extract(v, '\$[2].end_us') - json_extract(v, '\$[2].start_us')) FROM (SELECT CAST(readfile('last.out') AS TEXT) v)")
[ "$ms" -ge 20000 ] && ok "the call lasted its scripted 20 ms ($ms us)" || fail "call lasted $ms us"
expect_exit 2 "an unknown run" -- "$WARRANT" trace nope

# A remote model's HTTP attempts are spans of the call.
"$build/mockllm" > mock.port &
mpid=$!
for _ in $(seq 50); do [ -s mock.port ] && break; sleep 0.1; done
cat > r.yaml <<YAML
name: retried
contract: {purpose: be retried}
models: {m: {provider: openai, model: gpt-4o-mini, base_url: "http://127.0.0.1:$(cat mock.port)/v1", backoff_ms: 10}}
steps:
  - {id: g, kind: generate, model: m, prompt: "hi [mock:status=429,fail=2]"}
YAML
OPENAI_API_KEY=k "$WARRANT" run r.yaml -q >/dev/null 2>&1
kill $mpid; wait $mpid 2>/dev/null
expect_exit 0 "trace a retried call" -- "$WARRANT" trace last
expect_out "^      HTTP attempt 1: 429 .*failed" "the first attempt, refused"
expect_out "^      HTTP attempt 3: 200 " "the third, answered"

# --- OTLP export ---
expect_exit 1 "a collector that is down fails the export, not the run" -- \
	"$WARRANT" trace "$good" --otlp http://127.0.0.1:9/v1/traces
expect_out "OTLP export to .* failed" "says so"
expect_exit 2 "a bad endpoint" -- "$WARRANT" trace "$good" --otlp ftp://x
if [ ! -d "$prefix/node_modules/@opentelemetry/otlp-transformer" ]; then
	if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
		echo "skipped OTLP decoding: node/npm not installed"; finish; exit
	fi
	if ! timeout 60 npm view "$pkg" version >/dev/null 2>&1; then
		echo "skipped OTLP decoding: the npm registry cannot be reached"; finish; exit
	fi
	timeout 300 npm install --silent --no-audit --no-fund --prefix "$prefix" "$pkg" ||
		fail "npm install $pkg"
fi
NODE_PATH="$prefix/node_modules" node "$WR_ROOT/tests/servers/otlp_collector.js" \
	--fail-first 1 --out collector.log > port &
cpid=$!
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat port)/v1/traces"
expect_exit 0 "export to a collector that fails once" -- \
	env OTEL_EXPORTER_OTLP_HEADERS="x-api-key=sekrit-otlp-key" "$WARRANT" trace "$bad" --otlp "$url"
expect_out "sent 6 spans" "sends every span"
grep -q "^refused 503" collector.log && ok "the first attempt was refused" || fail "no 503 seen"
grep -q "^ok spans=6 auth=sekrit-otlp-key " collector.log &&
	ok "the retry matched the official serializer, headers passed" ||
	{ fail "collector: $(cat collector.log)"; }
r() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('collector.log.json') AS TEXT), '$1')"; }
call='$.resourceSpans[0].scopeSpans[0].spans[2]'
[ "$(r "$call.name")" = "chat drafter" ] && [ "$(r "$call.kind")" = 3 ] && ok "the model call is a client span named 'chat drafter'" || fail "call span $(r "$call")"
attrs=$(r "$call.attributes")
for kv in '"gen_ai.operation.name","value":{"stringValue":"chat"' '"gen_ai.request.model","value":{"stringValue":"drafter"' \
	'"gen_ai.usage.input_tokens","value":{"intValue":"31"' '"gen_ai.provider.name","value":{"stringValue":"script"' \
	'"gen_ai.request.seed","value":{"intValue":"'; do
	case "$attrs" in *"$kv"*) ok "GenAI attribute: $kv" ;; *) fail "missing $kv in $attrs" ;; esac
done
[ "$(r '$.resourceSpans[0].scopeSpans[0].spans[3].status.code')" = 2 ] && ok "the failing check step has an error status" || fail "status"
kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
if grep -rq "sekrit-otlp-key" .warrant/ 2>/dev/null; then fail "the OTLP header reached the store"; else ok "the OTLP header is written nowhere"; fi
finish
