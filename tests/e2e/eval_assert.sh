# Per-case assertions in eval suites: equals (at a JSON path, or the whole
# text), number within a tolerance (absolute or a percentage), similar
# (edit-distance similarity over a threshold), the check vocabulary
# (contains, regex, schema, expr...), of: another step, and suite-wide
# assertions. Each outcome is decided here again with python3's json and an
# independent edit distance.
. "$WR_ROOT/tests/lib.sh"

cat > m.yaml <<'YAML'
pick: match
responses:
  - {match: "OUTLINE", text: 'first, the vendor'}
  - {match: "A1", text: '{"vendor": "ACME Ltd", "total": 120.5, "note": "the invoice is overdue"}'}
  - {match: "B2", text: '{"vendor": "Acme", "total": 121.9, "note": "this invoice is late"}'}
YAML
cat > f.yaml <<'YAML'
name: fields
contract: {purpose: extract fields}
inputs: {doc: {description: a document}}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: outline, kind: generate, model: m, prompt: "OUTLINE {{inputs.doc}}"}
  - {id: extract, kind: generate, model: m, prompt: "{{inputs.doc}}"}
  - {id: c, kind: check, of: extract, checks: [{json: true}]}
YAML
cat > s.yaml <<'YAML'
name: asserts
workflow: f.yaml
assert:
  - {schema: {type: object, required: [vendor, total]}}
cases:
  - name: exact
    inputs: {doc: A1}
    assert:
      - {equals: ACME Ltd, path: vendor}
      - {number: 120.5, path: total}
      - {similar: "the invoice is overdue!", threshold: 0.9, path: note}
      - {regex: '"total": 12', of: extract}
      - {contains: vendor, of: outline}
      - {expr: 'total > 100'}
  - name: wrong vendor
    inputs: {doc: B2}
    assert: [{equals: ACME Ltd, path: vendor}]
  - name: total off by 1.4
    inputs: {doc: B2}
    assert: [{number: 120.5, tolerance: 1, path: total}]
  - name: total within 2%
    inputs: {doc: B2}
    assert: [{number: 120.5, tolerance: "2%", path: total}]
  - name: note not similar enough
    inputs: {doc: B2}
    assert: [{similar: "the invoice is overdue", threshold: 0.8, path: note}]
  - name: whole text of another step
    inputs: {doc: A1}
    assert: [{equals: "first, the vendor", of: outline}]
YAML
expect_exit 3 "a suite with failing assertions" -- "$WARRANT" eval s.yaml --json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
met() { j "\$.case_results[$1].passed"; }
[ "$(met 0)" = 1 ] && ok "every kind of assertion holds on the exact case" || fail "exact: $(j '$.case_results[0]')"
[ "$(met 1)" = 0 ] && j '$.case_results[1].detail' | grep -q '"Acme" is not "ACME Ltd"' &&
	ok "equals fails, and says what it saw" || fail "vendor: $(j '$.case_results[1]')"
[ "$(met 2)" = 0 ] && j '$.case_results[2].detail' | grep -q 'is not within 1 of 120.5' &&
	ok "an absolute tolerance" || fail "tolerance: $(j '$.case_results[2]')"
[ "$(met 3)" = 1 ] && ok "a relative tolerance (2% of 120.5 covers 1.4)" || fail "2%: $(j '$.case_results[3]')"
[ "$(met 5)" = 1 ] && ok "of: another step's artifact, as text" || fail "of: $(j '$.case_results[5]')"
[ "$(j '$.case_results[1].failure')" = check_failed ] && ok "a failed assertion is check_failed" || fail "class"
# similarity decided again in python, independently
sim=$(python3 -c '
a, b = "this invoice is late", "the invoice is overdue"
d = list(range(len(b) + 1))
for i in range(1, len(a) + 1):
    p, d[0] = d[0], i
    for k in range(1, len(b) + 1):
        p, d[k] = d[k], min(d[k] + 1, d[k - 1] + 1, p + (a[i - 1] != b[k - 1]))
print("%.2f" % (1 - d[len(b)] / max(len(a), len(b))))')
j '$.case_results[4].detail' | grep -q "similarity $sim to" && [ "$(met 4)" = "$(python3 -c "print(int($sim >= 0.8))")" ] &&
	ok "similarity $sim agrees with python" || fail "similar: $(j '$.case_results[4]') vs $sim"
expect_exit 3 "the table names the failed assertion" -- "$WARRANT" eval s.yaml
expect_out "^    assertion 1: \"Acme\" is not \"ACME Ltd\"" "under the case"
expect_out "^    assertion 1: 121.9 is not within 1 of 120.5" "numbers shown as written"
# a suite-wide assertion applies to every case
sed -i 's/required: \[vendor, total\]/required: [vendor, total, currency]/' s.yaml
"$WARRANT" eval s.yaml --json > last.out 2>&1
[ "$(j '$.passed')" = 0 ] && j '$.case_results[0].detail' | grep -q "suite assertion 1: .*currency" &&
	ok "a suite-wide assertion fails every case" || fail "suite-wide: $(j '$.case_results[0]')"
# bad assertions are load errors with positions
printf 'name: b\nworkflow: f.yaml\ncases:\n  - name: x\n    inputs: {doc: A1}\n    assert: [{number: "12"}]\n' > bad.yaml
expect_exit 2 "a bad assertion" -- "$WARRANT" eval bad.yaml
expect_out "bad.yaml:6:15: assertion 1: number is a number" "at its line"
printf 'name: b\nworkflow: f.yaml\ncases:\n  - name: x\n    inputs: {doc: A1}\n    assert: [{regex: "("}]\n' > bad.yaml
expect_exit 2 "a bad regex" -- "$WARRANT" eval bad.yaml
expect_out "assertion 1: regex: " "says the pattern is bad"
printf '{"name": "x", "inputs": {"doc": "A1"}, "assert": [{"equals": "ACME Ltd", "path": "vendor"}]}\n{"name": "y", "inputs": {"doc": "B2"}, "assert": [{"equals": "ACME Ltd", "path": "vendor"}]}\n' > cases.jsonl
printf 'name: j\nworkflow: f.yaml\ncases: cases.jsonl\n' > j.yaml
"$WARRANT" eval j.yaml --json > last.out 2>&1
[ "$(j '$.case_results[0].passed')" = 1 ] && [ "$(j '$.case_results[1].passed')" = 0 ] &&
	ok "assertions from a JSONL case file" || fail "jsonl: $(cat last.out)"
# --- a suite of a single prompt and model, no workflow; cases from CSV
# with an assert column ---
cat > hello.yaml <<'YAML'
pick: match
responses:
  - {match: "Ada", text: '{"greeting": "Hello, Ada"}'}
  - {match: "Bob", text: '{"greeting": "Hi"}'}
YAML
cat > single.yaml <<'YAML'
name: greet
prompt: "Greet {{inputs.who}} as JSON."
model: {provider: script, file: hello.yaml}
schema: {type: object, required: [greeting]}
cases: greet.csv
YAML
printf 'name,who,assert\nada,Ada,"[{""contains"": ""Ada""}]"\nbob,Bob,"[{""equals"": ""Hello, Bob"", ""path"": ""greeting""}]"\n' > greet.csv
"$WARRANT" eval single.yaml --json > last.out 2>&1
[ "$(j '$.case_results[0].passed')" = 1 ] && [ "$(j '$.case_results[1].passed')" = 0 ] &&
	j '$.case_results[1].detail' | grep -q '"Hi" is not "Hello, Bob"' &&
	ok "a prompt and a model, judged by CSV assertions" || fail "single: $(cat last.out)"
[ -f .single.flow.yaml ] && "$WARRANT" check .single.flow.yaml > /dev/null 2>&1 &&
	grep -q '"output_schema"' .single.flow.yaml && ok "the workflow it built is beside the suite, and valid" ||
	fail "built flow: $(cat .single.flow.yaml 2>&1)"
printf 'name: both\nworkflow: f.yaml\nprompt: hi\nmodel: {provider: script, file: hello.yaml}\ncases:\n  - {inputs: {who: x}}\n' > both.yaml
expect_exit 2 "a workflow and a prompt" -- "$WARRANT" eval both.yaml
expect_out "both.yaml:3:9: a suite tests a workflow or a prompt and model, not both" "is refused"
finish
