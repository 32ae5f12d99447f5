# The summarize context rule: a model step whose summary carries the ids of
# the chunks it summarised, checked against what was retrieved.
. "$WR_ROOT/tests/lib.sh"

cp -r "$WR_ROOT/examples/contract-review/contract" contract
cat > m.yaml <<'YAML'
pick: match
responses:
  - match: "termination"
    text: '{"summary": "Ninety days notice for convenience; thirty days to remedy a breach.", "ids": ["contract/03-termination#3", "contract/03-termination#4"]}'
  - text: '{"summary": "Payment within thirty days.", "ids": ["contract/02-payment#3", "contract/99-side-letter#1"]}'
YAML
cat > f.yaml <<'YAML'
name: summarize
contract: {purpose: "summarise the clauses, naming each chunk summarised"}
inputs: {topic: {description: what to summarise}}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: find, kind: retrieve, query: "{{inputs.topic}}", sources: [contract], top_k: 4}
  - id: summary
    kind: generate
    model: m
    prompt: |
      Summarise these excerpts about {{inputs.topic}}; list the ids you used.
      {{steps.find.quotes}}
    output_schema: {type: object, required: [summary, ids], properties: {ids: {type: array, items: {type: string}}}}
  - id: verify
    kind: check
    of: summary
    checks:
      - chunks: 'ids[*]'
        retrieved: find
YAML
expect_exit 0 "a summary naming retrieved chunks" -- "$WARRANT" run f.yaml --input "topic=termination notice breach"
expect_out "verify +check +ok 1 checks passed" "passes"
expect_exit 3 "a summary naming a chunk it was not given" -- "$WARRANT" run f.yaml --input "topic=payment invoice"
expect_out "unsupported_claim" "fails as unsupported_claim"
expect_out 'contract/99-side-letter#1' "naming the id"
# {{context}}: every earlier retrieve step's chunks, quoted under their ids.
sed 's/{{steps.find.quotes}}/{{context}}/' f.yaml > g.yaml
expect_exit 0 "{{context}} quotes what was retrieved" -- "$WARRANT" run g.yaml -q --input "topic=termination notice breach"
sql "SELECT CAST(b.bytes AS TEXT) FROM calls c JOIN blobs b ON b.hash = c.request_hash ORDER BY c.rowid DESC LIMIT 1" > req.txt
grep -q '\[contract/03-termination#3\]' req.txt && ok "the request carries the chunks under their ids" || fail "request: $(head -c 300 req.txt)"
printf 'name: x\ncontract: {purpose: x}\nsteps:\n  - {id: a, kind: approve, of: a}\n  - id: c\n    kind: check\n    of: a\n    checks:\n      - chunks: ids\n' > bad.yaml
expect_exit 2 "chunks needs retrieved" -- "$WARRANT" check bad.yaml
expect_out "a chunks check needs 'retrieved'" "says so"
finish
