#!/usr/bin/env bash
# Constrained decoding in a workflow: a local model on the committed random
# fixture, a generate step with output_schema and a schema check. Under the
# schema's grammar every run's artifact is schema-valid and ships; with
# `constrain: false` the same seeds give output the check rejects (the mask
# is what made it valid). A `grammar:` file holds free text to a GBNF, and a
# bad grammar file is refused with its place.
. "$WR_ROOT/tests/lib.sh"
cp "$WR_ROOT/tests/local/tiny.gguf" tiny.gguf
cat > schema.json <<'EOF2'
{"type": "object", "required": ["vendor", "total", "currency"], "additionalProperties": false,
 "properties": {"vendor": {"type": "string", "minLength": 1, "maxLength": 16},
                "total": {"type": "number", "minimum": 0},
                "currency": {"enum": ["USD", "EUR"]},
                "lines": {"type": "array", "maxItems": 3, "items": {"type": "integer"}}}}
EOF2
flow() {  # file seed extra-model-keys
	cat > "$1" <<EOF2
name: local-constrain
contract: {purpose: extract the invoice}
models:
  m: {provider: local, path: tiny.gguf, temperature: 1.0, top_k: 0, max_tokens: 300,
      context: 512, seed: $2$3}
steps:
  - {id: draft, kind: generate, model: m, prompt: "The invoice total", output_schema: schema.json}
  - {id: verify, kind: check, of: draft, checks: [{schema: schema.json}]}
  - {id: out, kind: ship, of: draft, to: out.json}
EOF2
}
last_run() { sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1"; }

flow a.yaml 1 ""
expect_exit 0 "validate accepts constrain and grammar keys" -- "$WARRANT" check a.yaml
good=0
for s in 1 2 3 4 5 6; do
	flow a.yaml $s ""
	rm -f out.json
	"$WARRANT" run a.yaml >last.out 2>&1 && python3 - out.json schema.json <<'PY' && good=$((good + 1))
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) <= {"vendor", "total", "currency", "lines"}, d
assert isinstance(d["vendor"], str) and 1 <= len(d["vendor"]) <= 16, d
assert isinstance(d["total"], (int, float)) and d["total"] >= 0, d
assert d["currency"] in ("USD", "EUR"), d
PY
done
[ $good = 6 ] && ok "6 of 6 constrained runs ship a schema-valid artifact" || fail "only $good of 6"
expect_exit 0 "show --json" -- "$WARRANT" show "$(last_run)" --json
python3 - last.out <<'PY' && ok "the call records that it was constrained" || fail "call record"
import json, sys
c = json.load(open(sys.argv[1]))["model_calls"][0]
assert c["finish"] == "stop", c
assert c["detail"].startswith("constrained by the output schema (complete"), c
PY

bad=0
for s in 1 2 3 4 5 6; do
	flow b.yaml $s ", constrain: false"
	"$WARRANT" run b.yaml >last.out 2>&1 || bad=$((bad + 1))
done
[ $bad -ge 1 ] && ok "unconstrained, $bad of 6 runs fail the schema" || fail "raw output passed"
expect_out "schema_invalid" "the raw output is rejected by the schema"

# a user grammar for free text
cat > yn.gbnf <<'EOF2'
root ::= ("yes" | "no") ", " [a-z]{1,8} "."
EOF2
cat > g.yaml <<'EOF2'
name: local-grammar
contract: {purpose: answer}
models:
  m: {provider: local, path: tiny.gguf, temperature: 1.0, top_k: 0, seed: 4, grammar: yn.gbnf}
steps:
  - {id: draft, kind: generate, model: m, prompt: "Is it paid?"}
  - {id: verify, kind: check, of: draft, checks: [{regex: "^(yes|no), [a-z]{1,8}\\.$"}]}
  - {id: out, kind: ship, of: draft, to: out.txt}
EOF2
rm -f out.txt
expect_exit 0 "a run under a grammar file" -- "$WARRANT" run g.yaml
grep -Eq '^(yes|no), [a-z]{1,8}\.$' out.txt && ok "the output follows the grammar" ||
	fail "output: $(cat out.txt)"
expect_exit 0 "show --json" -- "$WARRANT" show "$(last_run)" --json
expect_out 'constrained by grammar yn.gbnf' "the call names the grammar"

printf 'root ::= "a" [b-\n' > bad.gbnf
sed 's/yn.gbnf/bad.gbnf/' g.yaml > bad.yaml
expect_exit 2 "a bad grammar file is refused by check" -- "$WARRANT" check bad.yaml
expect_out "bad.yaml:[0-9]+:[0-9]+: grammar bad.gbnf:1:[0-9]+" "the error names both places"
sed 's/yn.gbnf/none.gbnf/' g.yaml > none.yaml
expect_exit 2 "a missing grammar file is refused" -- "$WARRANT" check none.yaml
expect_out "none.gbnf" "the error names the file"
sed 's/seed: 4,/seed: 4, constrain: maybe,/' g.yaml > badkey.yaml
expect_exit 2 "constrain must be a boolean" -- "$WARRANT" check badkey.yaml
finish
