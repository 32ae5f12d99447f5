# warrant why: an artifact's chain of custody, from inputs to the ship.
. "$WR_ROOT/tests/lib.sh"

script_model m.yaml "'{\"total\": 42}'"
cat > f.yaml <<'YAML'
name: custody
contract: {purpose: be accounted for}
inputs: {doc: {description: the document}}
models: {drafter: {provider: script, file: m.yaml}}
steps:
  - {id: draft, kind: generate, model: drafter, prompt: "Read this: {{inputs.doc}}"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}, {contains: total}]}
  - {id: review, kind: approve, of: draft}
  - {id: out, kind: ship, of: draft, append: out.jsonl}
YAML
expect_exit 4 "a run waits for approval" -- "$WARRANT" run f.yaml -q --input "doc=invoice 7 $(printf '\033[31m')red"
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
expect_exit 0 "approve" -- "$WARRANT" approve "$run" review --as alice --note "looks right"
hash=$(sql "SELECT hash FROM artifacts WHERE run_id = '$run'")
[ "$hash" = "$(printf '{"total": 42}' | sha256sum | cut -c1-64)" ] && ok "the artifact is its bytes' hash" || fail "hash $hash"

expect_exit 0 "why by prefix" -- "$WARRANT" why "${hash:0:10}"
expect_out "^artifact  $hash" "names the artifact"
expect_out "of step draft, now shipped" "its step and state"
expect_out "^run       $run  custody" "the run"
expect_out "workflow sha256 $(sha256sum < f.yaml | cut -c1-64)" "the workflow's hash is the file's"
expect_out "^made by   model drafter \(script\), step draft, call 1 attempt 1" "the model call"
expect_out "prompt  Read this: invoice 7 " "the prompt as sent"
expect_out "verify #1 json +pass" "each check"
expect_out "#[0-9]+ +human:alice +approved .*looks right" "the approval, by whom, with the note"
expect_out "engine +shipped .*out.jsonl" "the ship and where it went"
if grep -q "$(printf '\033')" last.out; then fail "a terminal escape got through"; else ok "control characters are shown as spaces"; fi

expect_exit 0 "json" -- "$WARRANT" why "$hash" --json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
[ "$(j '$[0].made_by[0].request.prompt')" = "Read this: invoice 7 $(printf '\033[31m')red" ] &&
	ok "json: the exact prompt" || fail "prompt $(j '$[0].made_by[0].request.prompt')"
[ "$(j '$[0].made_by[0].request_hash')" = "$(sql "SELECT request_hash FROM calls WHERE run_id = '$run'")" ] &&
	ok "json: the request hash" || fail "request hash"
[ "$(j '$[0].inputs.doc')" = "invoice 7 $(printf '\033[31m')red" ] && ok "json: the inputs" || fail "inputs"
[ "$(j '$[0].checks[1].kind')" = contains ] && [ "$(j '$[0].checks[1].passed')" = 1 ] && ok "json: the checks" || fail "checks"

# The same bytes made by a second run: one chain per run.
expect_exit 4 "a second run" -- "$WARRANT" run f.yaml -q --input doc=other
expect_exit 0 "why again" -- "$WARRANT" why "$hash" --json
[ "$(sqlite3 :memory: "SELECT json_array_length(CAST(readfile('last.out') AS TEXT))")" = 2 ] &&
	ok "two runs, two chains" || fail "$(head -c 300 last.out)"

expect_exit 2 "a short prefix" -- "$WARRANT" why abc
expect_out "first 8 digits" "says what it takes"
expect_exit 2 "an unknown artifact" -- "$WARRANT" why 0000000000000000
expect_out "no artifact" "says so"
finish
