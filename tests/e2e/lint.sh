# warrant lint: workflow problems (file:line:col), and the maturity report
# against the skill tree, node by node, with the line to add; a workflow
# that has every node reaches level 4 once an eval has locked it.
. "$WR_ROOT/tests/lib.sh"

script_model m.yaml '"{\"answer\": \"net 30\", \"quotes\": [\"payment is due within 30 days\"]}"'
cat > bare.yaml <<'YAML'
name: bare
contract: {purpose: answer}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
expect_exit 0 "lint a bare workflow" -- "$WARRANT" lint bare.yaml
expect_out "^maturity: level 0 of 4 \(2 of 12 nodes present\)" "level 0: two built-in nodes only"
expect_out "weak +intent +contract has 1 of purpose, audience, constraints, stop" "intent is weak"
expect_out "add: contract: \{audience:" "with the line to add"
expect_out "weak +verification +0 of 1 generated artifacts" "'is JSON' alone is weak verification"
expect_out "missing +permissions +0 of 1 effects" "an unapproved ship"
expect_out "missing +evaluation +no eval suite" "no suite"
expect_out "missing +drift governance +no warrant.lock" "no lock"
expect_exit 3 "--min-level 1 fails it" -- "$WARRANT" lint bare.yaml --min-level 1
expect_out "is at level 0, below --min-level 1" "says why"

mkdir -p docs
echo "Northwind: payment is due within 30 days of the invoice." > docs/terms.txt
cat > full.yaml <<'YAML'
name: full
contract:
  purpose: Answer questions about the terms, quoting them.
  audience: the finance team
  constraints: [Quote the terms word for word]
  stop: when every quote is found in the terms
inputs: {q: {description: a question}}
models: {m: {provider: script, file: m.yaml}}
budget: {calls: 10}
context:
  exclude: {patterns: ['(?i)password']}
steps:
  - {id: find, kind: retrieve, query: "{{inputs.q}}", sources: [docs]}
  - id: a
    kind: generate
    model: m
    prompt: "{{inputs.q}}\n{{steps.find.quotes}}"
    output_schema: {type: object, required: [answer, quotes]}
    revise: 1
  - id: c
    kind: check
    of: a
    checks:
      - {cites: 'quotes[*]', retrieved: find}
  - {id: r, kind: approve, of: a}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
printf 'name: s\nworkflow: full.yaml\nthreshold: 0.1\ncases:\n  - {name: one, inputs: {q: when is payment due}}\n' > suite.yaml
expect_exit 0 "lint a full workflow before it is locked" -- "$WARRANT" lint full.yaml
expect_out "^maturity: level 3 of 4 \(11 of 12 nodes present\)" "level 3: only the lock is missing"
expect_out "present +evaluation +suite suite.yaml with a threshold" "finds the suite beside it"
expect_exit 0 "an eval locks it" -- "$WARRANT" lock suite.yaml
expect_exit 0 "lint after the lock" -- "$WARRANT" lint full.yaml --min-level 4
expect_out "^maturity: level 4 of 4 \(12 of 12 nodes present\)" "level 4"
"$WARRANT" lint full.yaml --json > r.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('r.json') AS TEXT), '$1')"; }
[ "$(j '$.level')" = 4 ] && [ "$(j '$.nodes[11].node')" = "drift governance" ] && [ "$(j '$.nodes[11].status')" = present ] &&
	ok "--json carries the level and every node" || fail "json: $(cat r.json)"
sed -i 's/revise: 1/revise: 2/' full.yaml
expect_exit 0 "lint after a change" -- "$WARRANT" lint full.yaml
expect_out "weak +drift governance +warrant.lock pins an older version" "a stale lock is weak"

# problems are reported with positions and a non-zero exit
sed 's/kind: generate/kind: generat/' full.yaml > broken.yaml
expect_exit 2 "a broken workflow" -- "$WARRANT" lint broken.yaml
expect_out "broken.yaml:[0-9]+:[0-9]+: .*generat" "the problem at its line and column"
expect_exit 2 "no workflow" -- "$WARRANT" lint
expect_exit 0 "--help" -- "$WARRANT" lint --help
expect_out "usage: warrant lint FLOW.yaml" "usage"
finish
