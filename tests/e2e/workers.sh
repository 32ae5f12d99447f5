# warrant submit and worker on a SQLite store: workers share the file, one
# is killed with kill -9 while it holds a job, and another takes the job
# over when its lease lapses; every job's effect happens exactly once.
. "$WR_ROOT/tests/lib.sh"
cat > echo.sh <<'SH'
#!/bin/sh
sleep 0.1; sed -e 's/.*"prompt": *"\([^"]*\)".*/\1/'
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
expect_exit 0 "submit" -- "$WARRANT" submit job.yaml --count 30 --number n
expect_out "^job 30$" "prints the job ids"
export WARRANT_STORE=.warrant/warrant.db
expect_exit 0 "jobs" -- "$WARRANT" jobs
expect_out "^queued 30$" "30 queued"
"$WARRANT" worker --name b --lease 1 --poll 20 --drain -q >b.log 2>&1 &
b=$!
# Kill a worker while it holds a job (the row says so once it is dead).
held=0
for i in 1 2 3 4 5 6 7 8; do
	"$WARRANT" worker --name "a$i" --lease 1 --poll 20 -q >a.log 2>&1 &
	a=$!
	for _ in $(seq 50); do
		[ "$(sql "SELECT count(*) FROM jobs WHERE worker = 'a$i' AND status = 'running'")" = 1 ] && break
		sleep 0.02
	done
	kill -9 $a; wait $a 2>/dev/null
	held=$(sql "SELECT count(*) FROM jobs WHERE worker = 'a$i' AND status = 'running'")
	[ "$held" = 1 ] && break
done
[ "$held" = 1 ] && ok "a worker killed holding a job" || fail "no worker was killed holding a job"
wait $b
expect_exit 0 "a third worker drains the rest" -- "$WARRANT" worker --name c --lease 1 --drain
sleep 1.2  # a's lease lapses if c finished before it did
"$WARRANT" worker --name d --drain -q
expect_exit 0 "jobs after" -- "$WARRANT" jobs
expect_out "^done 30$" "all 30 done"
[ "$(sort -u done.log | wc -l)" = 30 ] && [ "$(wc -l < done.log)" = 30 ] &&
	ok "each effect once" || fail "done.log: $(sort done.log | uniq -c | sort -rn | head -3)"
[ "$(sql "SELECT count(*) FROM jobs WHERE claims > 1")" -ge 1 ] &&
	ok "the dead worker's job was taken over" || fail "no job claimed twice"
expect_exit 0 "ledger verify" -- "$WARRANT" ledger verify
printf 'name: x\nsteps:\n  - {id: a, kind: genrate}\n' > bad.yaml
expect_exit 2 "submit refuses a bad workflow" -- "$WARRANT" submit bad.yaml
expect_out "^bad.yaml:3:[0-9]+: unknown step kind 'genrate'" "with file:line:col"
expect_exit 2 "worker rejects a bad lease" -- "$WARRANT" worker --lease 0
expect_exit 0 "worker --help" -- "$WARRANT" worker --help
expect_out "SKIP LOCKED" "explains claims"
finish
