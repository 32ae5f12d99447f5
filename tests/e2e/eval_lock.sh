# The lock file: 'warrant lock' pins what a passing eval accepted, 'warrant
# run --locked' refuses a workflow that changed since (naming the change,
# before anything runs), 'warrant diff' shows the change.
. "$WR_ROOT/tests/lib.sh"

script_model good.yaml '"{\"ok\": 1}"'
script_model bad.yaml '"no json here"'
cat > f.yaml <<'YAML'
name: locked
contract: {purpose: answer in JSON}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: good.yaml, model: m-1, temperature: 0.5}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
cp f.yaml f.orig
printf 'name: s\nworkflow: f.yaml\nrepeats: 2\ncases:\n  - {name: one, inputs: {q: x}}\n  - {name: two, inputs: {q: y}}\n' > s.yaml

expect_exit 3 "no lock: --locked refuses" -- "$WARRANT" run --locked f.yaml -i q=x
expect_out "no lock file" "says there is none"
[ ! -e answers.jsonl ] && [ ! -e .warrant/warrant.db ] && ok "nothing ran, nothing recorded" || fail "ran"

expect_exit 0 "a passing suite locks" -- "$WARRANT" lock s.yaml
expect_out "4/4 runs met" "the eval ran"
expect_out "locked .*f.yaml in .*warrant.lock" "says where"
l() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('warrant.lock') AS TEXT), '$1')"; }
hash=$(sqlite3 .warrant/eval.db "SELECT flow_hash FROM runs LIMIT 1")
[ "$(l '$.workflows."f.yaml".flow_hash')" = "$hash" ] && ok "pins the version the eval ran" || fail "lock: $(cat warrant.lock)"
[ "$(l '$.workflows."f.yaml".models.m.model')" = m-1 ] && [ "$(l '$.workflows."f.yaml".models.m.temperature')" = 0.5 ] &&
	ok "pins the model id and its parameters" || fail "models: $(l '$.workflows."f.yaml".models')"
[ "$(l '$.workflows."f.yaml".accepted_by.suite')" = s ] && [ "$(l '$.workflows."f.yaml".accepted_by.passed')" = 4 ] &&
	ok "tied to the eval result that accepted it" || fail "accepted_by: $(l '$.workflows."f.yaml".accepted_by')"

expect_exit 0 "unchanged: --locked runs" -- "$WARRANT" run --locked f.yaml -i q=x
[ "$(grep -c ok answers.jsonl)" = 1 ] && ok "and ships" || fail "answers: $(cat answers.jsonl 2>&1)"
expect_exit 0 "diff: nothing changed" -- "$WARRANT" diff f.yaml
expect_out "unchanged since the lock" "says so"

# A parameter changes without an eval.
sed -i 's/temperature: 0.5/temperature: 0.9/' f.yaml
runs=$(sqlite3 .warrant/warrant.db "SELECT count(*) FROM runs")
expect_exit 3 "a changed temperature is refused" -- "$WARRANT" run --locked f.yaml -i q=x
expect_out "refusing to run: .*f.yaml changed since the eval that accepted it \(suite 's', .*4/4 runs met\)" "names the eval"
expect_out "model 'm': temperature 0.5 then, 0.9 now" "names the change"
[ "$(sqlite3 .warrant/warrant.db "SELECT count(*) FROM runs")" = "$runs" ] && [ "$(grep -c ok answers.jsonl)" = 1 ] &&
	ok "refused at start: no run, no effect" || fail "a run happened"
expect_exit 1 "diff shows it" -- "$WARRANT" diff f.yaml
expect_out "temperature 0.5 then, 0.9 now" "the parameter"
expect_exit 0 "without --locked it runs" -- "$WARRANT" run f.yaml -i q=x

# A model id changes, a model is added.
cp f.orig f.yaml
sed -i 's/model: m-1,/model: m-2,/; s/^models: {m:/models: {n: {provider: script, file: good.yaml}, m:/' f.yaml
expect_exit 3 "a changed model id is refused" -- "$WARRANT" run --locked f.yaml -i q=x
expect_out "model 'm': model \"m-1\" then, \"m-2\" now" "the model id"
expect_out "model 'n' was added" "the new model"

# A file the workflow names changes (the model's script), the workflow file not.
cp f.orig f.yaml
echo "  - text: '{\"ok\": 2}'" >> good.yaml
expect_exit 3 "a changed named file is refused" -- "$WARRANT" run --locked f.yaml -i q=x
expect_out "a file f.yaml names changed" "says which kind of change"

# A failing eval locks nothing: the old lock stays.
cp warrant.lock lock.before
sed -i 's/file: good.yaml/file: bad.yaml/' f.yaml
expect_exit 3 "a failing suite does not lock" -- "$WARRANT" lock s.yaml
expect_out "did not pass" "says why"
cmp -s warrant.lock lock.before && ok "the lock is unchanged" || fail "the lock changed"

# Locking again after a passing eval accepts the change.
cp f.orig f.yaml
sed -i 's/temperature: 0.5/temperature: 0.9/' f.yaml
expect_exit 0 "the change passes an eval and is locked" -- "$WARRANT" lock s.yaml
expect_exit 0 "--locked runs it" -- "$WARRANT" run --locked f.yaml -i q=z
# Another workflow in the same folder is not pinned by this lock.
cp f.yaml g.yaml
expect_exit 3 "an unlocked workflow beside a lock is refused" -- "$WARRANT" run --locked g.yaml -i q=x
expect_out "g.yaml is not locked" "says so"

# --- prompts and schemas are pinned too: diff shows their text, line by line ---
cat > p.yaml <<'YAML'
name: prompted
contract: {purpose: answer in JSON}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: good.yaml}}
steps:
  - id: a
    kind: generate
    model: m
    prompt: |
      You answer questions.
      Question: {{inputs.q}}
      Answer in JSON.
    output_schema: {type: object, required: [ok]}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
YAML
printf 'name: ps\nworkflow: p.yaml\ncases:\n  - {name: one, inputs: {q: x}}\n' > ps.yaml
expect_exit 0 "a prompted workflow is locked" -- "$WARRANT" lock ps.yaml
sed -i 's/Answer in JSON./Answer in one JSON object.\n      Be brief./; s/required: \[ok\]/required: [ok, why]/' p.yaml
expect_exit 1 "diff after a prompt and schema change" -- "$WARRANT" diff p.yaml
expect_out "^the prompt of 'a' changed:" "names the prompt"
expect_out "^      Question: \{\{inputs.q\}\}$" "an unchanged line as context"
expect_out "^    - Answer in JSON.$" "the removed line"
expect_out "^    \+ Answer in one JSON object.$" "the added lines"
expect_out "^    \+ Be brief.$" "every added line"
expect_out "^the schema of 'a' changed:" "names the schema"
expect_out '^    \+     "why"$' "the schema's new line"
finish
