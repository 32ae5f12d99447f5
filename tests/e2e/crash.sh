# Crash test: kill -9 a multi-step run at random points, at least 200 times
# across runs, resume each until done, then check from the outside that
# every run completed, no step ran twice, no effect happened twice, every
# artifact's bytes match its hash, and the ledger verifies.
. "$WR_ROOT/tests/lib.sh"

KILLS=${CRASH_KILLS:-200}
RANDOM=${CRASH_SEED:-20261124}
echo "seed ${CRASH_SEED:-20261124}, kills wanted $KILLS"

cat > model.yaml <<'YAML'
pick: match
responses:
  - {match: "round A", text: "{\"round\": \"A\"}\n", latency_ms: 25}
  - {match: "round B", text: "{\"round\": \"B\"}\n", latency_ms: 25}
  - {match: "round C", text: "{\"round\": \"C\"}\n", latency_ms: 25}
YAML
{
	cat <<'YAML'
name: crash
contract: {purpose: survive kill -9 anywhere}
inputs: {n: {description: run number}}
models: {m: {provider: script, file: model.yaml}}
steps:
YAML
	for r in A B C; do
		cat <<YAML
  - {id: gen$r, kind: generate, model: m, prompt: "round $r of run {{inputs.n}}"}
  - id: check$r
    kind: check
    of: gen$r
    checks: [{json: true}, {contains: '"$r"'}]
  - {id: ship$r, kind: ship, of: gen$r, append: effects.log}
YAML
	done
} > crash.yaml

pause() { printf '0.%03d' $((RANDOM % 110 + 1)); }
runs_count() { sql "SELECT count(*) FROM runs" 2>/dev/null || echo 0; }

kills=0 runs=0 started=0
# Bounded: a run that dies on its own (a bug) would otherwise never be
# killed and the loop would never end.
while [ "$kills" -lt "$KILLS" ] && [ "$started" -lt $((KILLS * 10)) ]; do
	started=$((started + 1))
	before=$(runs_count)
	"$WARRANT" run crash.yaml --input n=$started -q >/dev/null 2>&1 &
	pid=$!
	sleep "$(pause)"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	[ "$(runs_count)" -gt "$before" ] || continue  # killed before the run existed
	runs=$((runs + 1))
	for attempt in $(seq 1 100); do
		status=$(sql "SELECT status FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
		[ "$status" = done ] && break
		"$WARRANT" resume last -q >/dev/null 2>&1 &
		pid=$!
		if [ $((RANDOM % 3)) -ne 0 ]; then
			sleep "$(pause)"
			kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" 2>/dev/null
	done
done
echo "$kills kills over $runs runs ($started starts)"

[ "$(sql "SELECT count(*) FROM runs WHERE status != 'done'")" = 0 ] &&
	ok "every run completed" || fail "runs not done: $(sql "SELECT id, status FROM runs WHERE status != 'done'")"
[ "$(sql "SELECT count(*) FROM steps WHERE status != 'done'")" = 0 ] &&
	ok "every step done" || fail "steps not done"
# A completed step is never executed again: exactly one recorded model call
# per generate step of every run.
bad=$(sql "SELECT run_id, count(*) FROM calls GROUP BY run_id HAVING count(*) != 3")
[ -z "$bad" ] && ok "each generate step called its model once" || fail "repeated calls: $bad"
# No effect twice, judged from the file itself: the log is exactly
# A, B, C once per run, in order.
expected=$(for i in $(seq 1 "$runs"); do printf '{"round": "A"}\n{"round": "B"}\n{"round": "C"}\n'; done)
if [ "$(cat effects.log)" = "$expected" ]; then
	ok "effects.log holds each run's three ships exactly once ($((3 * runs)) lines)"
else
	fail "effects.log is not the expected $((3 * runs)) lines"
	diff <(echo "$expected") effects.log | head -10
fi
bad=$(sql "SELECT run_id, count(*) FROM ledger WHERE action = 'shipped' GROUP BY run_id HAVING count(*) != 3")
[ -z "$bad" ] && ok "three shipped entries per run in the ledger" || fail "ledger ships: $bad"
# Every stored blob's bytes hash to its name.
mkdir -p blobs
sql "SELECT writefile('blobs/' || hash, bytes) FROM blobs" >/dev/null
mism=0
for f in blobs/*; do
	[ "$(sha256sum < "$f" | cut -c1-64)" = "$(basename "$f")" ] || mism=$((mism + 1))
done
[ "$mism" = 0 ] && ok "every blob matches its hash ($(ls blobs | wc -l) blobs)" || fail "$mism blobs do not match"
bad=$(sql "SELECT a.run_id FROM artifacts a LEFT JOIN blobs b ON a.hash = b.hash WHERE b.hash IS NULL")
[ -z "$bad" ] && ok "every artifact has its bytes" || fail "artifacts without bytes: $bad"
expect_exit 0 "the ledger verifies" -- "$WARRANT" ledger verify
[ "$kills" -ge "$KILLS" ] && ok "$kills kills" || fail "only $kills kills"
finish
