# context.exclude: files and patterns that must never reach a model. A
# secret planted in a source never appears in any recorded request, and a
# prompt that would carry one is not sent at all.
. "$WR_ROOT/tests/lib.sh"

mkdir -p docs/secrets
printf '# Payments\n\nInvoices are paid within thirty days.\n' > docs/terms.md
printf '# Keys\n\nThe payment gateway key is sk-live-Zx81Qw77PlanTed00 for payments.\n' > docs/secrets/keys.md
printf '# Notes\n\nPayment queries for the customer with SSN 123-45-6789 go to finance.\n' > docs/notes.md
script_model m.yaml "'{\"answer\": \"thirty days\"}'"
cat > f.yaml <<'YAML'
name: guarded
contract: {purpose: answer about payments}
inputs: {note: {description: a note, default: "none"}}
models: {m: {provider: script, file: m.yaml}}
context:
  exclude:
    files: ["docs/secrets/*"]
    patterns: ['sk-live-[A-Za-z0-9]+', '\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b']
steps:
  - {id: find, kind: retrieve, query: "payment payments paid", sources: [docs], top_k: 5}
  - id: answer
    kind: generate
    model: m
    prompt: "Note: {{inputs.note}}\n{{steps.find.quotes}}"
YAML
expect_exit 0 "a run over sources with secrets" -- "$WARRANT" run f.yaml -q
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
find=$(sql "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'find'")
sql "SELECT CAST(bytes AS TEXT) FROM blobs WHERE hash = '$find'" > find.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('find.json') AS TEXT), '$1')"; }
[ "$(j '$.results[0].id')" = "docs/terms#1" ] &&
	ok "the clean chunk is kept" || fail "results $(j '$.results')"
grep -q '"docs/secrets/keys#1","reason":"excluded file pattern 1"' find.json &&
	ok "the secrets file is excluded, with the reason" || fail "excluded: $(j '$.excluded')"
grep -q '"docs/notes#1","reason":"excluded text pattern 2"' find.json &&
	ok "the chunk with an SSN is excluded, with the reason" || fail "excluded: $(j '$.excluded')"
# Every request recorded (and every answer): none carries a secret.
sql "SELECT CAST(b.bytes AS TEXT) FROM calls c JOIN blobs b ON b.hash = c.request_hash" > requests.txt
[ -s requests.txt ] && ok "the request is recorded" || fail "no request recorded"
if grep -q "sk-live\|123-45-6789" requests.txt; then fail "a secret reached a request"; else ok "no secret in any recorded request"; fi
grep -q "thirty days" requests.txt && ok "the clean text did reach the model" || fail "the clean chunk is missing from the request"

# A prompt that would carry a secret is not sent.
expect_exit 1 "a secret in an input" -- "$WARRANT" run f.yaml --input "note=use sk-live-AAAA1111"
expect_out "permission_denied" "fails as permission_denied"
expect_out "excluded pattern 1" "naming the pattern"
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
[ "$(sql "SELECT count(*) FROM calls WHERE run_id = '$run'")" = 0 ] && ok "no call was made" || fail "a call was made"
sql "SELECT CAST(b.bytes AS TEXT) FROM calls c JOIN blobs b ON b.hash = c.request_hash" | grep -q "sk-live-AAAA1111" &&
	fail "the secret input reached a request" || ok "the secret input is in no request"

printf 'name: bad\ncontract: {purpose: x}\ncontext:\n  exclude:\n    patterns: ["(unclosed"]\nsteps:\n  - {id: a, kind: approve, of: a}\n' > bad.yaml
expect_exit 2 "a bad pattern" -- "$WARRANT" check bad.yaml
expect_out "bad.yaml:5:17: exclude pattern 1" "at file:line:col"
finish
