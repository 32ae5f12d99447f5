# warrant eval: cases through a workflow, repeats, the statistics (checked
# here against a second implementation in awk), JUnit, thresholds, and no
# effects.
. "$WR_ROOT/tests/lib.sh"

# --- the invoices suite: every case's expectation met ---
cp -r "$WR_ROOT/examples/invoices" inv
rm -rf inv/out inv/.warrant
expect_exit 0 "the invoices suite" -- "$WARRANT" eval inv/eval.yaml --junit junit.xml
expect_out "7 cases x 3 = 21 runs" "seven cases, three runs each"
expect_out "pass rate 100.0% \(21/21\)" "every run met its case"
expect_out "^INV-1002 +3/3 +schema_invalid" "a malformed answer is expected to fail as schema_invalid"
expect_out "threshold 0.700 .*: met" "the threshold"
[ ! -e inv/out/payment-queue.jsonl ] && ok "nothing was shipped" || fail "an eval shipped something"
[ "$(grep -c '<testcase ' junit.xml)" = 7 ] && ! grep -q '<failure' junit.xml && ok "JUnit: seven passing tests" || fail "junit: $(cat junit.xml)"
[ "$(sqlite3 inv/.warrant/eval.db "SELECT count(*) FROM runs WHERE status = 'running'")" = 9 ] &&
	ok "runs stop before the approval: 9 passed their checks" || fail "runs: $(sqlite3 inv/.warrant/eval.db "SELECT status, count(*) FROM runs GROUP BY status")"

# --- a model that is right about 60% of the time ---
cat > m.yaml <<'YAML'
pick: random
responses:
  - {text: "{\"ok\": 1}"}
  - {text: "{\"ok\": 2}"}
  - {text: "{\"ok\": 3}"}
  - {text: "not json"}
  - {text: "{\"ok\": broken"}
YAML
cat > f.yaml <<'YAML'
name: coin
contract: {purpose: be right sometimes}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
{
	echo "name: coin-suite"; echo "workflow: f.yaml"; echo "repeats: 5"; echo "concurrency: 4"
	echo "cases:"
	for i in $(seq 1 12); do echo "  - {name: q$i, inputs: {q: \"question $i\"}}"; done
} > s.yaml
expect_exit 3 "a flaky model fails the suite" -- "$WARRANT" eval s.yaml --json
cp last.out report.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('report.json') AS TEXT), '$1')"; }
runs=$(sqlite3 .warrant/eval.db "SELECT count(*) FROM runs")
good=$(sqlite3 .warrant/eval.db "SELECT count(*) FROM runs WHERE status = 'running'")
[ "$runs" = 60 ] && [ "$(j '$.runs')" = 60 ] && ok "60 runs" || fail "runs $runs / $(j '$.runs')"
[ "$(j '$.passed')" = "$good" ] && ok "passed = the runs whose checks passed ($good)" || fail "passed $(j '$.passed') vs $good"
[ "$good" -gt 15 ] && [ "$good" -lt 55 ] && ok "the outcomes vary" || fail "$good of 60 is not varied"
[ ! -e answers.jsonl ] && ok "no effects" || fail "answers.jsonl was written"
# Wilson 95% and pass@1, computed again in awk.
read -r lo hi <<EOF2
$(awk -v k="$good" -v n=60 'BEGIN { z = 1.959964; p = k / n; d = 1 + z*z/n;
	m = (p + z*z/(2*n)) / d; h = z * sqrt(p*(1-p)/n + z*z/(4*n*n)) / d;
	printf "%.4f %.4f\n", m - h, m + h }')
EOF2
[ "$(printf '%.4f' "$(j '$.ci95[0]')")" = "$lo" ] && [ "$(printf '%.4f' "$(j '$.ci95[1]')")" = "$hi" ] &&
	ok "the Wilson interval agrees with awk ($lo..$hi)" || fail "interval $(j '$.ci95') vs $lo $hi"
p1=$(sqlite3 .warrant/eval.db "SELECT printf('%.4f', avg(x)) FROM (SELECT CAST(sum(status = 'running') AS REAL) / count(*) AS x FROM runs GROUP BY inputs_blob)")
[ "$(printf '%.4f' "$(j '$.pass_at_1')")" = "$p1" ] && ok "pass@1 is the mean per-case rate ($p1)" || fail "pass@1 $(j '$.pass_at_1') vs $p1"
flaky=$(sqlite3 .warrant/eval.db "SELECT count(*) FROM (SELECT sum(status = 'running') AS s, count(*) AS n FROM runs GROUP BY inputs_blob HAVING s > 0 AND s < n)")
[ "$(j '$.flaky')" = "$flaky" ] && ok "flaky cases counted ($flaky)" || fail "flaky $(j '$.flaky') vs $flaky"
[ "$(j '$.failures.schema_invalid')" = $((60 - good)) ] && ok "every failure classed schema_invalid" || fail "failures $(j '$.failures')"

# Seeds are the runs' places in the suite: the same suite, the same outcomes.
rm -rf .warrant
expect_exit 3 "again" -- "$WARRANT" eval s.yaml --json
[ "$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$.passed')")" = "$(j '$.passed')" ] &&
	ok "reproducible" || fail "a second run differs"
echo "threshold: 0.05" >> s.yaml
expect_exit 0 "a low threshold is met" -- "$WARRANT" eval s.yaml -n 2 -j 2
expect_out "24 runs" "--repeats overrides the suite"
expect_out "threshold 0.050 .*: met" "reports the threshold"

# --- bad suites ---
printf 'workflow: f.yaml\ncases:\n  - {name: a, expects: pass}\n' > bad1.yaml
expect_exit 2 "an unknown case key" -- "$WARRANT" eval bad1.yaml
expect_out "bad1.yaml:3:15: unknown key 'expects'" "at file:line:col"
printf 'workflow: f.yaml\ncases:\n  - {name: a, expect: maybe}\n' > bad2.yaml
expect_exit 2 "a bad expectation" -- "$WARRANT" eval bad2.yaml
expect_out "bad2.yaml:3:.*expect is pass, fail or a failure class" "says what it takes"
printf 'cases:\n  - {name: a}\n' > bad3.yaml
expect_exit 2 "no workflow" -- "$WARRANT" eval bad3.yaml
printf '{"name": "a", "inputs": {"q": "x"}}\n{"name": broken\n' > cases.jsonl
printf 'workflow: f.yaml\ncases: cases.jsonl\n' > bad4.yaml
expect_exit 2 "a bad JSONL line" -- "$WARRANT" eval bad4.yaml
expect_out "cases.jsonl:2:" "names the line"
printf 'q,expect\n"one, with a comma",pass\ntwo,fail\n' > cases.csv
printf 'workflow: f.yaml\ncases: cases.csv\n' > csv.yaml
"$WARRANT" eval csv.yaml --json > csv.json 2>&1
[ "$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('csv.json') AS TEXT), '$.cases')")" = 2 ] &&
	ok "cases from CSV" || fail "csv: $(cat csv.json)"
finish
