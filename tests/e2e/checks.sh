# Every check kind through the CLI, passing and failing, each failure with
# its one failure class in the record.
. "$WR_ROOT/tests/lib.sh"

cat > notes.txt <<'TXT'
Minutes, 3 March. The board agreed that the "budget is final"
and that hiring pauses until Q3 — no exceptions.
TXT
cat > invoice.schema.json <<'JSON'
{"type": "object", "required": ["total", "items"],
 "properties": {"total": {"type": "number", "minimum": 0},
                "items": {"type": "array", "items": {"type": "object", "required": ["amount"]}}}}
JSON
cat > rubric.md <<'TXT'
The answer must state the total and list every item.
TXT
cat > has_total.sh <<'SH'
#!/bin/sh
# reads the artifact on stdin, and finds the same bytes in the file
grep -q '"total"' && grep -q '"total"' "$1"
SH
chmod +x has_total.sh

good='{"total": 30, "items": [{"amount": 10}, {"amount": 20}], "quotes": ["the \u201cbudget is final\u201d", "hiring pauses until Q3 \u2013 no exceptions"]}'
bad='{"total": 31, "items": [{"amount": 10}, {"amount": 20}, {}], "quotes": ["the budget is doubled"]}'
printf 'responses:\n  - text: %s\n' "'$good'" > good.yaml
printf 'responses:\n  - text: %s\n' "'$bad'" > bad.yaml
printf 'responses:\n  - text: %s\n' "'not json'" > text.yaml
printf 'responses:\n  - text: %s\n' "'{\"score\": 0.9, \"findings\": [\"complete\"]}'" > critic_hi.yaml
printf 'responses:\n  - text: %s\n' "'{\"score\": 0.3, \"findings\": [\"no total\"]}'" > critic_lo.yaml

# flow NAME MODEL-FILE CHECK-YAML...: one check step with the given checks.
flow() {
	local name=$1 model=$2; shift 2
	{
		cat <<YAML
name: $name
contract: {purpose: test one check}
inputs:
  notes: {description: the minutes, default: 'The board agreed that the "budget is final".'}
models:
  m: {provider: script, file: $model}
  critic: {provider: script, file: critic_hi.yaml}
  harsh: {provider: script, file: critic_lo.yaml}
steps:
  - {id: draft, kind: generate, model: m, prompt: go}
  - id: verify
    kind: check
    of: draft
    checks:
YAML
		for c in "$@"; do printf '      - %s\n' "$c"; done
	} > "$name.yaml"
}

# case NAME CHECK [CHECK...]: passes on good.yaml, fails on bad.yaml with CLASS.
run_case() {
	local name=$1 class=$2; shift 2
	flow "$name-pass" good.yaml "$@"
	flow "$name-fail" bad.yaml "$@"
	expect_exit 0 "$name passes" -- "$WARRANT" run "$name-pass.yaml"
	expect_exit 3 "$name fails" -- "$WARRANT" run "$name-fail.yaml"
	"$WARRANT" show last --json > last.out 2>&1
	expect_out "\"failure\": \"$class\"" "$name failure is $class"
}

run_case schema_file schema_invalid "schema: invoice.schema.json"
expect_out 'at /items/2: .*required' "the reason has the instance path"
expect_out '/properties/items/items/required' "the reason has the schema path"
run_case schema_inline schema_invalid "{schema: {type: object, properties: {total: {maximum: 30}}}}"
run_case expr check_failed "expr: 'sum(items[*].amount) == total and length(items) >= 1'"
expect_out 'sum\(items\[\*\]\.amount\) == total and length\(items\) >= 1 is false' "expr says it is false"
run_case cites unsupported_claim "{cites: 'quotes[*]', source: notes.txt}"
expect_out 'claims not found in notes.txt; first: \\"the budget is doubled\\"' "cites names the claim"
run_case command check_failed 'command: [./has_total.sh, "{artifact}"]' \
	'command: "\"$WARRANT_FLOW_DIR/has_total.sh\" \"$WARRANT_ARTIFACT\" < \"$WARRANT_ARTIFACT\""' \
	"command: [python3, -c, \"import json,sys; sys.exit(json.load(sys.stdin)['total'] != 30)\"]"
expect_out "exited with 1" "a failing program's exit code is the reason"

# A source given as an input.
flow cites-input good.yaml "{cites: 'quotes[0]', input: notes}"
expect_exit 3 "cites against an input: the quote is not in it" -- "$WARRANT" run cites-input.yaml --input notes="nothing relevant"
"$WARRANT" show last --json > last.out 2>&1
expect_out '"failure": "unsupported_claim"' "an unsupported claim from an input"
expect_exit 0 "cites against an input that holds it" -- "$WARRANT" run cites-input.yaml

# Non-JSON output fails the JSON-reading checks as schema_invalid.
flow expr-text text.yaml "expr: 'total > 0'"
expect_exit 3 "expr on text" -- "$WARRANT" run expr-text.yaml
"$WARRANT" show last --json > last.out 2>&1
expect_out '"failure": "schema_invalid"' "text is schema_invalid for expr"

# A command that cannot run is tool_error; one that runs too long, timeout.
flow cmd-missing good.yaml "command: [no-such-checker-warrant]"
expect_exit 3 "a missing program" -- "$WARRANT" run cmd-missing.yaml
"$WARRANT" show last --json > last.out 2>&1
expect_out '"failure": "tool_error"' "a program that cannot run is tool_error"
flow cmd-slow good.yaml "{command: 'sleep 5', timeout: 0.3}"
expect_exit 3 "a slow program" -- "$WARRANT" run cmd-slow.yaml
"$WARRANT" show last --json > last.out 2>&1
expect_out '"failure": "timeout"' "a program past its timeout is timeout"
# The sandbox: clean environment (no secrets), temporary working directory.
flow cmd-env good.yaml "command: 'test -z \"\$OPENAI_API_KEY\" && test \"\$(pwd)\" = \"\$HOME\" && test \"\$(pwd)\" != \"\$WARRANT_FLOW_DIR\"'"
OPENAI_API_KEY=sk-test-secret expect_exit 0 "a command sees no secrets and runs in a temp dir" -- "$WARRANT" run cmd-env.yaml

# Critique: a score under the threshold fails the step; the score and the
# findings are in the ledger as procedural evidence.
flow critique-pass good.yaml "{critique: critic, rubric: rubric.md, threshold: 0.7}"
expect_exit 0 "a critique above its threshold" -- "$WARRANT" run critique-pass.yaml
flow critique-fail good.yaml "{critique: harsh, rubric: rubric.md, threshold: 0.7}"
expect_exit 3 "a critique below its threshold fails the step" -- "$WARRANT" run critique-fail.yaml
expect_out "score 0.30 < threshold 0.70; findings: no total" "the score and findings are the reason"
expect_exit 0 "ledger" -- "$WARRANT" ledger show last
expect_out '"procedural":true' "a critique is procedural evidence in the ledger"
[ "$(sql "SELECT count(*) FROM calls WHERE model = 'harsh'")" = 1 ] &&
	ok "the critique's model call is recorded" || fail "critique call not recorded"

# A critique that gives no score fails rather than passes.
printf 'responses:\n  - text: %s\n' "'I think it is fine.'" > critic_vague.yaml
flow critique-vague good.yaml "{critique: vague, rubric: rubric.md}"
sed -i 's|^  harsh:|  vague: {provider: script, file: critic_vague.yaml}\n  harsh:|' critique-vague.yaml
expect_exit 3 "a critique without a score fails the check" -- "$WARRANT" run critique-vague.yaml
expect_out "gave no score from 0 to 1" "and says why"

# A passing critique cannot rescue a failing deterministic check.
flow rescue bad.yaml "{critique: critic, rubric: rubric.md, threshold: 0.5}" "expr: 'total == 30'"
expect_exit 3 "a failing check with a passing critique is rejected" -- "$WARRANT" run rescue.yaml
"$WARRANT" show last --json > last.out 2>&1
expect_out '"kind": "critique", "passed": true' "the critique passed"
expect_out '"failure": "check_failed"' "the run is rejected by the deterministic check"
expect_out '"state": "rejected"' "the artifact is rejected"

# The briefing example: a draft that misquotes the notes is sent back and
# the revised one, quoting them exactly, ships.
cp -r "$WR_ROOT/examples/briefing" .
rm -rf briefing/.warrant briefing/out
expect_exit 0 "the briefing example runs" -- "$WARRANT" run briefing/flow.yaml --input notes=@briefing/notes.txt
"$WARRANT" show last --store briefing/.warrant/warrant.db > last.out 2>&1
expect_out 'draft +#1 +rejected +unsupported_claim' "its first draft is rejected for a misquote"
expect_out 'draft +#2 +shipped .*\(kept\)' "its revision ships"
finish
