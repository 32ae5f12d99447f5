# warrant failures: failed runs counted by class, by step and by model, each
# count checked against the runs made here.
. "$WR_ROOT/tests/lib.sh"

cat > m.yaml <<'YAML'
pick: match
responses:
  - {match: "case bad", text: "not json at all"}
  - {match: "case refuse", text: "I cannot help with that.", refusal: true}
  - {match: "case good", text: "{\"ok\": true}"}
YAML
cat > f.yaml <<'YAML'
name: sorter
contract: {purpose: be counted}
inputs: {case: {description: which answer}}
models: {drafter: {provider: script, file: m.yaml}}
steps:
  - {id: draft, kind: generate, model: drafter, prompt: "case {{inputs.case}}"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}]}
YAML
for c in bad bad bad refuse refuse good; do "$WARRANT" run f.yaml -q --input case=$c >/dev/null 2>&1; done
sed 's/name: sorter/name: other/' f.yaml > g.yaml
"$WARRANT" run g.yaml -q --input case=bad >/dev/null 2>&1

expect_exit 0 "failures" -- "$WARRANT" failures
expect_out "^6 failed runs" "counts every failed run"
expect_out "^  schema_invalid +4 +67%" "schema_invalid, 4 of 6"
expect_out "^  refusal +2 +33%" "refusal, 2 of 6"
expect_out "^  sorter/verify +3 .*\(schema_invalid 3\)" "by step: sorter/verify"
expect_out "^  other/verify +1 " "by step: other/verify"
expect_out "^  sorter/draft +2 .*\(refusal 2\)" "by step: sorter/draft"
expect_out "^  drafter +6 .*\(schema_invalid 4, refusal 2\)" "by model: the model that drafted"
example=$(sed -n 's/^  refusal .*e\.g\. \([^ ]*\).*/\1/p' last.out)
[ "$(sql "SELECT failure FROM runs WHERE id = '$example'")" = refusal ] &&
	ok "the example run is one of its class" || fail "example $example"

expect_exit 0 "one workflow" -- "$WARRANT" failures --flow other
expect_out "^1 failed run of other" "only its runs"
expect_exit 0 "json" -- "$WARRANT" failures --json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
[ "$(j '$.failed_runs')" = 6 ] && ok "json: failed_runs" || fail "json failed_runs $(j '$.failed_runs')"
[ "$(j '$.by_class[0].key')" = schema_invalid ] && [ "$(j '$.by_class[0].count')" = 4 ] &&
	ok "json: the largest class first" || fail "json by_class $(j '$.by_class[0]')"
expect_exit 0 "since an hour ago" -- "$WARRANT" failures --since 1h
expect_out "^6 failed runs since 1h" "all of them are recent"
expect_exit 0 "since a later date" -- "$WARRANT" failures --since 2099-01-01
expect_out "^no failed runs since 2099-01-01" "none"
expect_exit 2 "a bad --since" -- "$WARRANT" failures --since yesterday
expect_out "30m, 24h, 7d" "says what it takes"
finish
