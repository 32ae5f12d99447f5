# The artifact lifecycle through the CLI: checks decide, people approve,
# and every outcome has its exit code and one failure class.
. "$WR_ROOT/tests/lib.sh"

flow() {  # name model-file [extra steps...]
	cat > "$1" <<YAML
name: ${1%.yaml}
contract:
  purpose: Extract a total as JSON.
  constraints: [Answer with JSON only]
inputs:
  doc: {description: the document}
models:
  m: {provider: script, file: $2, price: {input: 1000000, output: 0}}
budget: {calls: 5}
steps:
  - {id: draft, kind: generate, model: m, prompt: "Doc: {{inputs.doc}}"}
  - id: verify
    kind: check
    of: draft
    checks:
      - json: true
      - regex: '"total":\\s*[0-9]'
  - {id: review, kind: approve, of: draft}
  - {id: publish, kind: ship, of: draft, to: out/result.json}
YAML
}

script_model good.yaml "'{\"total\": 12}'"
script_model broken.yaml "'{\"total\": 12'"
script_model words.yaml "'{\"total\": \"twelve\"}'"
printf 'responses:\n  - text: "no"\n    refusal: true\n' > refuse.yaml
flow good-flow.yaml good.yaml
flow broken-flow.yaml broken.yaml
flow words-flow.yaml words.yaml
flow refuse-flow.yaml refuse.yaml

# Happy path: waits for approval, ships only after it.
expect_exit 4 "a verified artifact waits for approval" -- "$WARRANT" run good-flow.yaml --input doc=x
expect_out "waiting for approval at step 'review'" "the wait is explained"
[ ! -e out/result.json ] && ok "nothing shipped before approval" || fail "shipped before approval"
expect_exit 0 "approve resumes the run to done" -- "$WARRANT" approve last review --as alice --note "looks right"
[ "$(cat out/result.json)" = '{"total": 12}' ] && ok "the approved artifact shipped" || fail "ship content"
expect_exit 0 "show a done run" -- "$WARRANT" show last
expect_out "status   done" "show says done"
expect_out "draft +generate +done +shipped" "the artifact is shipped"
expect_exit 0 "ledger verifies" -- "$WARRANT" ledger verify
expect_exit 0 "ledger show" -- "$WARRANT" ledger show last
expect_out "human:alice +approved" "the approval is in the ledger under alice's name"
expect_out "engine +shipped" "the ship is in the ledger"

# Each failure gets exactly one class and its exit code.
expect_exit 3 "malformed JSON is rejected" -- "$WARRANT" run broken-flow.yaml --input doc=x
expect_exit 0 "show" -- "$WARRANT" show last
expect_out "failure: schema_invalid" "malformed JSON is schema_invalid"
expect_exit 3 "a failed regex is rejected" -- "$WARRANT" run words-flow.yaml --input doc=x
expect_exit 0 "show json" -- "$WARRANT" show last --json
expect_out '"failure": "check_failed"' "a failed regex is check_failed"
expect_exit 1 "a refusal fails the run" -- "$WARRANT" run refuse-flow.yaml --input doc=x
expect_out "refusal" "a refusal is classed refusal"

# A person's rejection.
expect_exit 4 "waits again" -- "$WARRANT" run good-flow.yaml --input doc=y
expect_exit 2 "reject needs a reason" -- "$WARRANT" reject last review
expect_exit 3 "a person rejects" -- "$WARRANT" reject last review --reason "wrong vendor" --as bob
expect_exit 0 "show" -- "$WARRANT" show last
expect_out "failure: rejected_by_human" "rejected_by_human"
expect_exit 2 "a decided step takes no second decision" -- "$WARRANT" approve last review
expect_exit 2 "a finished run does not resume" -- "$WARRANT" resume last

# Budgets: the price makes one call cost more than any budget allows.
sed 's/budget: {calls: 5}/budget: {cost_usd: 0.5}/' good-flow.yaml > costly.yaml
expect_exit 5 "a budget stops the run" -- "$WARRANT" run costly.yaml --input doc=x
expect_out "budget_exceeded" "budget_exceeded class"
sed 's/budget: {calls: 5}/budget: {calls: 0, tokens: 3}/' good-flow.yaml > tokens.yaml
expect_exit 5 "a token budget is checked before the call" -- "$WARRANT" run tokens.yaml --input doc=x
[ "$(sql "SELECT calls FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")" = 0 ] &&
	ok "no call was made over budget" || fail "a call was made over budget"

# Inputs.
expect_exit 2 "a missing input is bad input" -- "$WARRANT" run good-flow.yaml
expect_out "input 'doc' is required" "names the missing input"
expect_exit 2 "an unknown input is bad input" -- "$WARRANT" run good-flow.yaml --input dc=1
expect_out "did you mean 'doc'" "suggests the input"
echo "from a file" > doc.txt
expect_exit 4 "an input from a file" -- "$WARRANT" run good-flow.yaml --input doc=@doc.txt
expect_exit 2 "a missing input file" -- "$WARRANT" run good-flow.yaml --input doc=@nope.txt

finish
