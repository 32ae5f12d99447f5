# The CLI over a PostgreSQL store (--store URL and WARRANT_STORE): run,
# runs, show, approve, trace, failures, ledger verify, a run killed with
# kill -9 and resumed (its effect once), and warrant serve's pages.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/web/setup.sh"
. "$WR_ROOT/tests/pg.sh"
pg_start || exit 0
db=$(pg_createdb cli) || { echo "createdb failed"; exit 1; }
export WARRANT_STORE=$db

web_setup 2
set -- $runs
a=$1 b=$2
[ -n "$a" ] && [ -n "$b" ] && ok "runs wait for approval on PostgreSQL" || fail "no runs: $runs"
[ ! -e .warrant ] && ok "no SQLite file was made" || fail ".warrant exists"
[ "$(pg_sql "$db" "SELECT count(*) FROM runs")" = 3 ] && ok "three runs in the database" ||
	fail "runs in the database: $(pg_sql "$db" "SELECT count(*) FROM runs")"
expect_exit 0 "warrant runs" -- "$WARRANT" runs
expect_out "^$a +model-flow +waiting" "lists a waiting run"
expect_out "broken-flow +rejected +schema_invalid" "and the rejected one"
expect_exit 0 "show" -- "$WARRANT" show "$a"
expect_out "status +waiting" "its status"
expect_exit 0 "approve" -- "$WARRANT" approve "$a" review --as ana --note fine -q
expect_exit 0 "show after approval" -- "$WARRANT" show "$a"
expect_out "status +done" "the run finished"
[ "$(wc -l < out/shipped.jsonl)" = 1 ] && ok "shipped once" || fail "shipped: $(cat out/shipped.jsonl)"
hash=$(pg_sql "$db" "SELECT hash FROM artifacts WHERE run_id = '$a'")
expect_exit 0 "why" -- "$WARRANT" why "${hash:0:12}"
expect_out "^artifact  $hash" "names the artifact"
expect_out "^made by   model m \(script\), step draft" "the model call"
expect_out "human:ana +approved .*fine" "the approval"
expect_out "engine +shipped .*shipped.jsonl" "the ship"
expect_exit 0 "why --json" -- "$WARRANT" why "$hash" --json
expect_out '"passed": 1' "checks as JSON, numbers as numbers"
expect_exit 0 "trace" -- "$WARRANT" trace "$a"
expect_out "^  draft \(generate\)" "the waterfall's generate step"
expect_out "^    call 1 attempt 1" "and its call"
expect_exit 0 "trace --json" -- "$WARRANT" trace "$a" --json
expect_out '"kind":"call"' "spans as JSON"
expect_exit 0 "failures" -- "$WARRANT" failures
expect_out "schema_invalid +1" "counts the rejected run"
expect_exit 0 "ledger verify" -- "$WARRANT" ledger verify
expect_out "^ledger: ok: [1-9][0-9]* entries" "the chain verifies"
expect_exit 0 "--store overrides the environment" -- \
	env WARRANT_STORE=/nonexistent/x.db "$WARRANT" runs --store "$db"
expect_out "model-flow" "the same runs"
expect_exit 6 "a server that is not there" -- \
	"$WARRANT" runs --store "postgresql://postgres@127.0.0.1:1/none"
expect_out "connecting to PostgreSQL" "says so"

# Replay and the cache read the recorded exchanges back.
expect_exit 4 "replay a run" -- "$WARRANT" run model-flow.yaml --replay "$b" -q
r=$(pg_sql "$db" "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
[ "$(pg_sql "$db" "SELECT hash FROM artifacts WHERE run_id = '$r'")" = \
  "$(pg_sql "$db" "SELECT hash FROM artifacts WHERE run_id = '$b'")" ] &&
	ok "the replay's artifact is the recorded one" || fail "replay artifact differs"
"$WARRANT" run model-flow.yaml --input doc=cached --seed 7 -q >/dev/null 2>&1
expect_exit 4 "a cached run" -- "$WARRANT" run model-flow.yaml --input doc=cached --seed 7 --cache -q
r=$(pg_sql "$db" "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
[ "$(pg_sql "$db" "SELECT served FROM exchanges WHERE run_id = '$r'")" = cache ] &&
	ok "answered from the cache" || fail "served: $(pg_sql "$db" "SELECT served FROM exchanges WHERE run_id = '$r'")"

echo "some text" > doc.md
expect_exit 6 "the source index on PostgreSQL" -- "$WARRANT" index doc.md
expect_out "needs a SQLite store" "says it needs SQLite"

# kill -9 in the middle of a run, then resume: every step once, one effect.
cat > slow.yaml <<'YAML'
responses:
  - {text: "one", latency_ms: 500}
YAML
cat > slow-flow.yaml <<'YAML'
name: slow
contract: {purpose: be killed}
models: {m: {provider: script, file: slow.yaml}}
steps:
  - {id: first, kind: generate, model: m, prompt: "a"}
  - {id: c1, kind: check, of: first, checks: [{contains: one}]}
  - {id: out1, kind: ship, of: first, append: slow.log}
  - {id: second, kind: generate, model: m, prompt: "b"}
  - {id: c2, kind: check, of: second, checks: [{contains: one}]}
  - {id: out2, kind: ship, of: second, append: slow.log}
YAML
"$WARRANT" run slow-flow.yaml -q >/dev/null 2>&1 &
pid=$!
sleep 0.6
kill -9 $pid; wait $pid 2>/dev/null
expect_exit 0 "resume the killed run" -- "$WARRANT" resume last -q
[ "$(wc -l < slow.log)" = 2 ] && ok "each ship once" || fail "slow.log: $(cat slow.log)"
[ "$(pg_sql "$db" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id
   WHERE r.flow_name = 'slow' AND s.status = 'done'")" = 6 ] &&
	ok "six steps done" || fail "steps: $(pg_sql "$db" "SELECT id, status FROM steps")"

# The review desk over the same database.
web_start
trap 'kill -TERM $serve_pid 2>/dev/null; pg_stop' EXIT
curl -s -H "Authorization: Bearer $token" "$base/runs" > runs.html
grep -q "$b" runs.html && ok "serve lists the runs" || fail "serve: $(head -c 300 runs.html)"
curl -s -H "Authorization: Bearer $token" "$base/runs/$a" > run.html
grep -q "shipped" run.html && ok "serve shows a run" || fail "serve run page: $(head -c 300 run.html)"
web_stop
finish
