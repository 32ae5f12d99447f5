# warrant eval --submit: a suite's runs (three variants x 10 cases x 4
# repeats) fanned out as jobs on PostgreSQL to two workers; the report is
# the same as the suite run in-process on SQLite (same seeds, same outcomes).
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/pg.sh"
pg_start || exit 0
db=$(pg_createdb evals) || { echo "createdb failed"; exit 1; }

cat > bad.yaml <<'YAML'
pick: random
responses:
  - {text: "{\"ok\": 1}"}
  - {text: "not json"}
  - {text: "{\"ok\": broken"}
YAML
cat > good.yaml <<'YAML'
pick: random
responses:
  - {text: "{\"ok\": 1}"}
  - {text: "{\"ok\": 2}"}
YAML
cat > f.yaml <<'YAML'
name: coin
contract: {purpose: be right sometimes}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: good.yaml, temperature: 0.5}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
{
	echo "name: v"; echo "workflow: f.yaml"; echo "repeats: 4"
	echo "variants:"
	echo "  - {name: base, models: {}}"
	echo "  - name: worse"
	echo "    models: {m: {file: bad.yaml, temperature: 0.9}}"
	echo "cases:"
	for i in $(seq 1 10); do echo "  - {name: q$i, inputs: {q: \"question $i\"}}"; done
} > s.yaml

"$WARRANT" eval s.yaml --store local.db > local.txt 2>&1
"$WARRANT" worker --store "$db" --name w1 --poll 20 -q 2>/dev/null &
w1=$!
"$WARRANT" worker --store "$db" --name w2 --poll 20 -q 2>/dev/null &
w2=$!
trap 'kill $w1 $w2 2>/dev/null; pg_stop' EXIT
"$WARRANT" eval s.yaml --store "$db" --submit > jobs.txt 2>&1
kill -TERM $w1 $w2; wait $w1 $w2
# Less what differs by design: run ids, times, the store's name.
strip() {
	grep -v -E "runs? in|seconds|store|^$|tokens" "$1" |
		sed -E 's/[0-9]{8}-[0-9]{6}-[0-9a-z]+/RUN/g'
}
if diff <(strip local.txt) <(strip jobs.txt) >report.diff; then
	ok "the same report through workers as in-process"
else
	fail "reports differ:"; cat report.diff
fi
grep -q "^worse " jobs.txt && ok "per-variant lines" || fail "jobs.txt: $(head -20 jobs.txt)"
[ "$(pg_sql "$db" "SELECT count(*) FROM jobs WHERE kind = 'eval' AND status = 'done'")" = 80 ] &&
	ok "80 eval jobs done" || fail "jobs: $(pg_sql "$db" "SELECT kind, status, count(*) FROM jobs GROUP BY 1, 2")"
[ "$(pg_sql "$db" "SELECT count(DISTINCT worker) FROM jobs")" = 2 ] &&
	ok "both workers took cases" || fail "workers: $(pg_sql "$db" "SELECT worker, count(*) FROM jobs GROUP BY 1")"
[ ! -e answers.jsonl ] && ok "no effects" || fail "an eval job shipped"
[ "$(pg_sql "$db" "SELECT count(*) FROM runs WHERE status = 'running'")" = \
  "$(sqlite3 local.db "SELECT count(*) FROM runs WHERE status = 'running'")" ] &&
	ok "the same runs passed their checks" || fail "runs differ"
finish
