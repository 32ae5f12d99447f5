# Feedback loops: revise and best_of draw candidates until one passes,
# record every attempt, stay inside the budget and survive kill -9.
. "$WR_ROOT/tests/lib.sh"

# flow NAME MODEL-FILE LOOP-KEYS [BUDGET]: a generate step with loop keys,
# a check step, a ship step.
flow() {
	cat > "$1.yaml" <<YAML
name: $1
contract: {purpose: a positive total as JSON}
models:
  m: {provider: script, file: $2}
  critic: {provider: script, file: critic.yaml}
budget: {calls: ${4:-20}}
steps:
  - id: draft
    kind: generate
    model: m
    prompt: Give the total.
$(printf '%s\n' "$3" | sed 's/^/    /')
  - id: verify
    kind: check
    of: draft
    checks:
      - expr: 'total > 0'
  - {id: publish, kind: ship, of: draft, to: out/$1.json}
YAML
}

last_run() { sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1"; }

cat > critic.yaml <<'YAML'
pick: match
responses:
  - {match: '"v": 1', text: '{"score": 0.2, "findings": ["v1 is too vague"]}'}
  - {match: '"v": 2', text: '{"score": 0.9, "findings": []}'}
  - {match: 'Rubric', text: '{"score": 0.9, "findings": []}'}
YAML
echo "The total must be positive and precise." > rubric.md
script_model twice.yaml "'not json'" "'{\"total\": -1}'" "'{\"total\": 12}'"

# revise: fails twice (bad JSON, then a failing check), passes the third time.
flow revise twice.yaml "revise: 3
output_schema: {type: object, required: [total]}"
expect_exit 0 "revise: a draft that fails twice then passes is shipped" -- "$WARRANT" run revise.yaml
[ "$(cat out/revise.json)" = '{"total": 12}' ] && ok "the passing candidate shipped" || fail "shipped: $(cat out/revise.json)"
"$WARRANT" show last --json > last.out
expect_out '"attempt": 1, "artifact": "[0-9a-f]{64}", "size": 8, "state": "rejected", "failure": "schema_invalid", "kept": false' "attempt 1 recorded: rejected, schema_invalid"
expect_out '"attempt": 2, "artifact": "[0-9a-f]{64}", "size": 13, "state": "rejected", "failure": "check_failed", "kept": false' "attempt 2 recorded: rejected, check_failed"
expect_out '"attempt": 3, "artifact": "[0-9a-f]{64}", "size": 13, "state": "shipped", "failure": "none", "kept": true' "attempt 3 recorded: kept and shipped"
expect_out '"step": "draft#2", "index": 1, "kind": "expr", "passed": false' "each attempt's checks are in the record"
[ "$(sql "SELECT group_concat(attempt) FROM calls")" = "1,2,3" ] && ok "three model calls, attempts 1-3" || fail "calls: $(sql "SELECT attempt FROM calls")"
req=$(sql "SELECT request_hash FROM calls WHERE attempt = 3")
sql "SELECT bytes FROM blobs WHERE hash = '$req'" > last.out
expect_out 'Your previous answer \(attempt 2\) was' "the revision request quotes the previous answer"
expect_out 'total > 0 is false' "and the failing check's reason"
expect_out '"schema":\{"required":\["total"\],"type":"object"\}' "the output schema is part of the request"
# A replay of the loop asks no model and draws the same candidates.
first=$(last_run)
sed 's|out/revise.json|out/revise-replay.json|' revise.yaml > revise-replay.yaml
expect_exit 0 "the loop replays" -- "$WARRANT" run revise-replay.yaml --replay "$first"
[ "$(cat out/revise-replay.json)" = '{"total": 12}' ] && ok "the replay shipped the same bytes" || fail "replay shipped: $(cat out/revise-replay.json)"
[ "$(sql "SELECT group_concat(served) FROM exchanges WHERE run_id = '$(last_run)'")" = "replay,replay,replay" ] &&
	ok "all three attempts served from the record" || fail "served: $(sql "SELECT served FROM exchanges WHERE run_id = '$(last_run)'")"
[ "$(sql "SELECT group_concat(hash) FROM (SELECT hash FROM artifacts WHERE run_id = '$first' ORDER BY step_id)")" = \
  "$(sql "SELECT group_concat(hash) FROM (SELECT hash FROM artifacts WHERE run_id = '$(last_run)' ORDER BY step_id)")" ] &&
	ok "every candidate's hash is the same" || fail "candidates differ"
"$WARRANT" show "$first" --json > /dev/null
expect_exit 0 "show" -- "$WARRANT" show "$first"
expect_out 'draft +#2 +rejected +check_failed' "show lists the rejected attempts"
expect_out 'draft +#3 +shipped .*\(kept\)' "and the kept one"
expect_exit 0 "the ledger verifies" -- "$WARRANT" ledger verify

# revise runs out: the last candidate goes to the check step, which rejects it.
script_model never.yaml "'{\"total\": -1}'" "'{\"total\": -2}'"
flow exhausted never.yaml "revise: 1"
expect_exit 3 "revise: every attempt fails, the run is rejected" -- "$WARRANT" run exhausted.yaml
"$WARRANT" show last --json > last.out
expect_out '"attempt": 1, .*"state": "rejected", "failure": "check_failed", "kept": false' "attempt 1 rejected"
expect_out '"attempt": 2, .*"state": "rejected", "failure": "check_failed", "kept": true' "attempt 2 rejected by the check step"

# best_of: the first passing candidate of up to 3 is kept; no more are drawn.
script_model bestm.yaml "'{\"total\": 0}'" "'{\"total\": 7}'" "'{\"total\": 9}'"
flow best bestm.yaml "best_of: 3"
expect_exit 0 "best_of: keeps the first candidate that passes" -- "$WARRANT" run best.yaml
[ "$(cat out/best.json)" = '{"total": 7}' ] && ok "the first passing candidate shipped" || fail "best_of shipped $(cat out/best.json)"
[ "$(sql "SELECT count(*) FROM calls WHERE run_id = '$(last_run)'")" = 2 ] &&
	ok "best_of stops drawing once one passes" || fail "best_of drew too many"
req=$(sql "SELECT request_hash FROM calls ORDER BY rowid DESC LIMIT 1")
sql "SELECT bytes FROM blobs WHERE hash = '$req'" > last.out
grep -q 'previous answer' last.out && fail "best_of fed back a previous answer" || ok "best_of asks afresh"

# The budget bounds the loop.
script_model neg.yaml "'{\"total\": -1}'"
flow broke neg.yaml "revise: 10" 3
expect_exit 5 "a loop stops at the budget" -- "$WARRANT" run broke.yaml
expect_out 'budget' "the reason is the budget"
"$WARRANT" show last --json > last.out
expect_out '"failure": "budget_exceeded"' "budget_exceeded"
expect_out '"calls": 3' "exactly the budgeted calls were made"

# output_schema without a loop: a breaking candidate is rejected at once.
script_model loose.yaml "'{\"sum\": 3}'"
flow strict loose.yaml "output_schema: {type: object, required: [total]}"
expect_exit 3 "output_schema rejects a candidate that breaks it" -- "$WARRANT" run strict.yaml
expect_out "output_schema: at the root: .*total" "the reason names the schema problem"
"$WARRANT" show last --json > last.out
expect_out '"failure": "schema_invalid"' "schema_invalid"

# draft -> critique -> revise -> verify: the critique's findings are fed back.
cat > crit.yaml <<'YAML'
pick: match
responses:
  - {match: Give the total, attempt: 1, text: '{"total": 3, "v": 1}'}
  - {match: Give the total, attempt: 2, text: '{"total": 3, "v": 2}'}
YAML
cat > critiqued.yaml <<'YAML'
name: critiqued
contract: {purpose: a positive total}
models:
  m: {provider: script, file: crit.yaml}
  critic: {provider: script, file: critic.yaml}
steps:
  - {id: draft, kind: generate, model: m, prompt: Give the total., revise: 2}
  - id: verify
    kind: check
    of: draft
    checks:
      - expr: 'total > 0'
      - {critique: critic, rubric: rubric.md, threshold: 0.6}
  - {id: publish, kind: ship, of: draft, to: out/critiqued.json}
YAML
expect_exit 0 "a critique in the loop sends the draft back for revision" -- "$WARRANT" run critiqued.yaml
[ "$(cat out/critiqued.json)" = '{"total": 3, "v": 2}' ] && ok "the revised draft shipped" || fail "shipped $(cat out/critiqued.json)"
req=$(sql "SELECT request_hash FROM calls WHERE step_id = 'draft' AND attempt = 2 AND run_id = '$(last_run)'")
sql "SELECT bytes FROM blobs WHERE hash = '$req'" > last.out
expect_out 'v1 is too vague' "the critique's findings were fed back"
[ "$(sql "SELECT count(*) FROM calls WHERE model = 'critic' AND run_id = '$(last_run)'")" = 2 ] &&
	ok "the kept draft's critique is not asked twice" || fail "critic calls: $(sql "SELECT step_id FROM calls WHERE model = 'critic'")"
"$WARRANT" show last --json > last.out
expect_out '"step": "verify", "index": 1, "kind": "critique", "passed": true' "the check step records the critique it reused"

# kill -9 mid-loop: a resumed run never redraws a recorded attempt and
# never ships twice.
cat > slowm.yaml <<'YAML'
responses:
  - {text: '{"total": -1}', latency_ms: 150}
  - {text: '{"total": -2}', latency_ms: 150}
  - {text: '{"total": 5}', latency_ms: 150}
YAML
flow slow slowm.yaml "revise: 4"
sed -i 's|to: out/slow.json|append: out/slow.log|' slow.yaml
runs=0
for i in 1 2 3 4 5 6; do
	"$WARRANT" run slow.yaml -q >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((i * 70 + 50))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for try in 1 2 3 4 5 6 7 8; do
		[ "$(sql "SELECT status FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")" = done ] && break
		"$WARRANT" resume last -q >/dev/null 2>&1 &
		pid=$!
		[ $((try % 2)) = 1 ] && { sleep 0.2; kill -9 "$pid" 2>/dev/null; }
		wait "$pid" 2>/dev/null
	done
	runs=$((runs + 1))
done
[ "$(sql "SELECT count(*) FROM runs WHERE flow_name = 'slow' AND status != 'done'")" = 0 ] &&
	ok "every killed loop finished on resume" || fail "loops not done"
bad=$(sql "SELECT r.id FROM runs r WHERE r.flow_name = 'slow' AND (SELECT count(*) FROM calls c WHERE c.run_id = r.id) != 3")
[ -z "$bad" ] && ok "each run made exactly three model calls" || fail "redrawn attempts in $bad"
bad=$(sql "SELECT r.id FROM runs r WHERE r.flow_name = 'slow' AND (SELECT count(*) FROM artifacts a WHERE a.run_id = r.id AND a.state = 'rejected') != 2")
[ -z "$bad" ] && ok "each run recorded two rejected attempts" || fail "attempts in $bad"
[ "$(cat out/slow.log)" = "$(for i in $(seq "$runs"); do printf '{"total": 5}\n'; done)" ] &&
	ok "each of $runs runs shipped exactly once" || fail "ships: $(cat out/slow.log)"
expect_exit 0 "the ledger verifies after the kills" -- "$WARRANT" ledger verify
finish
