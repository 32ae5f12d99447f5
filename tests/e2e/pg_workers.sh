# Workers on PostgreSQL: 500 jobs, 4 workers, workers killed with kill -9 at
# random and replaced; then every job is done exactly once (each job's line
# once in the shared append file, each run's decisions once in the ledger),
# some jobs were taken over from a dead worker, and the ledger verifies.
# Then SIGTERM: a worker finishes the job in hand and exits 0.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/pg.sh"
pg_start || exit 0
JOBS=${PG_JOBS:-500}
RANDOM=${PG_SEED:-20261205}
db=$(pg_createdb jobs) || { echo "createdb failed"; exit 1; }
export WARRANT_STORE=$db
q() { pg_sql "$db" "$@"; }

# The model echoes its prompt, so each job's artifact names the job.
cat > echo.sh <<'SH'
#!/bin/sh
sed -e 's/.*"prompt": *"\([^"]*\)".*/\1/'
SH
chmod +x echo.sh
cat > job.yaml <<'YAML'
name: job
contract: {purpose: one job of many}
inputs: {n: {description: the job number}}
models: {m: {provider: command, command: ["./echo.sh"]}}
steps:
  - {id: gen, kind: generate, model: m, prompt: "job {{inputs.n}}"}
  - {id: chk, kind: check, of: gen, checks: [{contains: job}]}
  - {id: out, kind: ship, of: gen, append: done.log}
YAML
expect_exit 0 "submit $JOBS jobs" -- "$WARRANT" submit job.yaml --count "$JOBS" --number n -q
[ "$(q "SELECT count(*) FROM jobs WHERE status = 'queued'")" = "$JOBS" ] &&
	ok "$JOBS queued" || fail "queued: $(q "SELECT count(*) FROM jobs")"

start_worker() {  # slot
	"$WARRANT" worker --name "w$1-$RANDOM" --lease 2 --poll 20 --drain -q \
		>>"worker$1.log" 2>&1 &
	pids[$1]=$!
}
pids=()
for w in 0 1 2 3; do start_worker $w; done
kills=0 rounds=0
# Kill one worker at random every so often and start another in its slot,
# until the queue is empty; bounded so a bug cannot loop forever.
while [ "$rounds" -lt 2000 ]; do
	rounds=$((rounds + 1))
	left=$(q "SELECT count(*) FROM jobs WHERE status <> 'done'")
	[ "$left" = 0 ] && break
	sleep "$(printf '0.%02d' $((RANDOM % 15 + 5)))"
	w=$((RANDOM % 4))
	if [ "$kills" -lt 60 ] && kill -0 "${pids[$w]}" 2>/dev/null; then
		kill -9 "${pids[$w]}" 2>/dev/null && kills=$((kills + 1))
		wait "${pids[$w]}" 2>/dev/null
	fi
	# A drained worker exits; one is needed again while jobs wait on a lease.
	for s in 0 1 2 3; do kill -0 "${pids[$s]}" 2>/dev/null || start_worker $s; done
done
for s in 0 1 2 3; do wait "${pids[$s]}" 2>/dev/null; done
echo "kills: $kills, rounds: $rounds"
[ "$kills" -ge 5 ] && ok "$kills workers killed with kill -9" || fail "only $kills kills"

[ "$(q "SELECT count(*) FROM jobs WHERE status = 'done' AND result = 'done'")" = "$JOBS" ] &&
	ok "every job done" || fail "jobs: $(q "SELECT status, result, count(*) FROM jobs GROUP BY 1, 2")"
[ "$(q "SELECT count(*) FROM runs WHERE status = 'done'")" = "$JOBS" ] &&
	ok "one finished run per job" || fail "runs: $(q "SELECT status, count(*) FROM runs GROUP BY 1")"
[ "$(wc -l < done.log)" = "$JOBS" ] && ok "$JOBS lines shipped" ||
	fail "done.log has $(wc -l < done.log) lines"
dups=$(sort done.log | uniq -d | head -5)
missing=$(for i in $(seq "$JOBS"); do echo "job $i"; done | sort | comm -23 - <(sort -u done.log) | head -5)
[ -z "$dups" ] && [ -z "$missing" ] && ok "each job's effect exactly once" ||
	fail "duplicated: [$dups] missing: [$missing]"
twice=$(q "SELECT run_id || ' ' || action FROM ledger WHERE action IN ('run_started',
	'generated', 'check_passed', 'verified', 'shipped', 'run_finished')
	GROUP BY run_id, action HAVING count(*) > 1 LIMIT 5")
[ -z "$twice" ] && ok "no step decided twice in the ledger" || fail "twice: $twice"
[ "$(q "SELECT count(DISTINCT run_id) FROM ledger WHERE action = 'shipped'")" = "$JOBS" ] &&
	ok "a ship in the ledger for every run" || fail "ships: $(q "SELECT count(*) FROM ledger WHERE action = 'shipped'")"
again=$(q "SELECT count(*) FROM jobs WHERE claims > 1")
[ "$again" -ge 1 ] && ok "$again jobs taken over from a dead worker" || fail "no job was taken over"
expect_exit 0 "the ledger verifies" -- "$WARRANT" ledger verify
expect_out "^ledger: ok" "ok"

# SIGTERM: the job in hand ends, then the worker does.
cat > slow.sh <<'SH'
#!/bin/sh
sleep 1; echo slow
SH
chmod +x slow.sh
sed -e 's|./echo.sh|./slow.sh|' -e 's|done.log|slow.log|' -e 's|contains: job|contains: slow|' \
	job.yaml > slow.yaml
"$WARRANT" submit slow.yaml --count 3 --number n -q
"$WARRANT" worker --name term >term.log 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc ($(cat term.log))"
[ "$(q "SELECT count(*) FROM jobs WHERE worker = 'term' AND status = 'done'")" = 1 ] &&
	[ "$(wc -l < slow.log)" = 1 ] && ok "the job in hand was finished, no other begun" ||
	fail "after SIGTERM: $(q "SELECT id, status, worker FROM jobs WHERE flow_path LIKE '%slow%'")"
grep -q "stopped by a signal" term.log && ok "says why it stopped" || fail "term.log: $(cat term.log)"
finish
