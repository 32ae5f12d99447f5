# The organisation policy: found beside or above a workflow (or named by
# $WARRANT_POLICY or --policy), applied to every run. What it forbids is a
# load-time error at the workflow's line naming the policy's rule; what can
# be narrowed (unset budgets, tool envelopes, data never to send) is.
. "$WR_ROOT/tests/lib.sh"

mkdir -p org/team/notes org/team/private org/team/out
echo "the notes say hello" > org/team/notes/a.txt
echo "private plans" > org/team/private/p.txt
script_model org/team/m.yaml '"{\"ok\": 1}"'
cat > org/team/f.yaml <<'YAML'
name: governed
contract: {purpose: answer in JSON}
inputs: {q: {description: a question}}
models:
  m: {provider: script, file: m.yaml, model: small-1}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: out/answers.jsonl}
YAML

# --- no policy: it runs ---
expect_exit 0 "without a policy the workflow runs" -- "$WARRANT" run org/team/f.yaml -i q=x -q

# --- a policy two folders up applies; its violations are load-time errors ---
cat > org/warrant.policy.yaml <<'YAML'
version: 1
providers: [openai, script]
models: ["big-*"]
budget: {calls: 3}
ship:
  approval: required
  checks: {"*.jsonl": [schema, json]}
YAML
expect_exit 2 "a workflow the policy forbids does not load" -- "$WARRANT" run org/team/f.yaml -i q=x
expect_out "org/team/f.yaml:5:3: model 'm': model id 'small-1' is not allowed by the organisation policy \(.*org/warrant.policy.yaml:3:11\), which allows big-\*" "a model id off the list, at the model's line"
expect_out "f.yaml:9:6: ship 'out' needs an approve step of 'a' before it: the organisation policy \(.*warrant.policy.yaml:6:3\)" "a ship without the approval it requires"
expect_out "ship 'out' \(.*answers.jsonl\) needs a 'schema' check of 'a' before it: .*requires it for '\*.jsonl'" "a ship without a required check kind"
if grep -q "'json' check" last.out; then fail "a present check was reported missing"; else ok "a present check is not reported"; fi
[ "$(sqlite3 org/team/.warrant/warrant.db "SELECT count(*) FROM runs")" = 1 ] && ok "nothing ran" || fail "a run started"
expect_exit 2 "lint reports the same problems" -- "$WARRANT" lint org/team/f.yaml
expect_out "model id 'small-1' is not allowed" "lint names the model"
expect_out "f.yaml: 3 problems" "and counts them"
expect_exit 0 "--policy none runs it as written" -- "$WARRANT" run org/team/f.yaml --policy none -i q=x -q

# --- the same workflow, made compliant ---
cat > org/team/ok.yaml <<'YAML'
name: governed
contract: {purpose: answer in JSON}
inputs: {q: {description: a question}}
models:
  m: {provider: script, file: m.yaml, model: big-1}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}", output_schema: {type: object}}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: r, kind: approve, of: a}
  - {id: out, kind: ship, of: a, append: out/answers.jsonl}
YAML
expect_exit 4 "a compliant workflow runs to its approval" -- "$WARRANT" run org/team/ok.yaml -i q=x
"$WARRANT" show last --store org/team/.warrant/warrant.db --json > show.json 2>&1
# the unset budget took the policy's maximum
cat > org/team/m3.yaml <<'YAML'
responses:
  - text: 'not json'
YAML
sed -e 's/m.yaml/m3.yaml/' -e 's/output_schema: {type: object}}/output_schema: {type: object}, revise: 5}/' org/team/ok.yaml > org/team/loop.yaml
expect_exit 5 "an unset budget takes the policy's maximum (3 calls)" -- "$WARRANT" run org/team/loop.yaml -i q=x
[ "$(sqlite3 org/team/.warrant/warrant.db "SELECT calls FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")" = 3 ] &&
	ok "the run stopped after 3 calls" || fail "calls: $(sqlite3 org/team/.warrant/warrant.db "SELECT calls FROM runs ORDER BY created_ms DESC LIMIT 1")"
sed -i 's/^steps:/budget: {calls: 10}\nsteps:/' org/team/loop.yaml
expect_exit 2 "a budget above the maximum is refused" -- "$WARRANT" run org/team/loop.yaml -i q=x
expect_out "loop.yaml:6:10: budget calls 10 is above the maximum 3 set by the organisation policy" "at the budget's line"

# --- $WARRANT_POLICY names another policy; its problems have positions ---
printf 'version: 1\nprovider: [openai]\nship: {checks: {"*": [shema]}}\n' > bad.yaml
WARRANT_POLICY=bad.yaml expect_exit 2 "a bad policy file" -- "$WARRANT" run org/team/ok.yaml -i q=x
expect_out "bad.yaml:2:1: unknown key 'provider' in the policy \(did you mean 'providers'\?\)" "a typo, with the key meant"
expect_out "bad.yaml:3:23: unknown check kind 'shema' \(did you mean 'schema'\?\)" "an unknown check kind"
WARRANT_POLICY=missing.yaml expect_exit 2 "a missing policy file" -- "$WARRANT" run org/team/ok.yaml -i q=x
expect_out "policy missing.yaml: No such file" "says so"

# --- never_send joins context.exclude: nothing is sent ---
printf 'never_send:\n  patterns: ["sk-[A-Za-z0-9]{20,}"]\n  files: ["*.pem"]\n' > never.yaml
expect_exit 1 "a prompt carrying a key never reaches the model" -- \
	"$WARRANT" run org/team/f.yaml --policy never.yaml -i q="use sk-abcdefghijklmnopqrstuvwx please"
expect_out "excluded pattern 1 \(context.exclude\); nothing was sent" "the step fails before the call"
[ "$(sqlite3 org/team/.warrant/warrant.db "SELECT count(*) FROM calls WHERE run_id = (SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1)")" = 0 ] &&
	ok "no model call was made" || fail "a call was made"

# --- tools: the policy narrows envelopes, never widens them ---
cat > org/team/tm.yaml <<'YAML'
responses:
  - tool_calls:
      - {name: read, arguments: '{"path": "notes/a.txt"}'}
      - {name: read, arguments: '{"path": "private/p.txt"}'}
      - {name: fetch, arguments: '{"url": "http://127.0.0.1:9/"}'}
      - {name: save, arguments: '{"path": "out/s.txt", "content": "x"}'}
  - text: '{"ok": 1}'
YAML
cat > org/team/tools.yaml <<'YAML'
name: tools
contract: {purpose: read notes}
models: {m: {provider: script, file: tm.yaml}}
tools:
  read: {kind: read_file, read: ["**"]}
  save: {kind: write_file, write: [out/*.txt]}
  fetch:
    kind: command
    argv: [/bin/true, '{{args.url}}']
    effect: network
    allow_weaker: true
steps:
  - {id: a, kind: generate, model: m, prompt: go, tools: [read, save, fetch]}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
YAML
cat > tools-policy.yaml <<'YAML'
tools:
  deny: [network]
  approval: [write]
  read: [org/team/notes]
YAML
expect_exit 4 "tools narrowed by the policy" -- "$WARRANT" run org/team/tools.yaml --policy tools-policy.yaml
db=org/team/.warrant/warrant.db
run=$(sqlite3 $db "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
ev() { sqlite3 $db "SELECT evidence FROM ledger WHERE run_id = '$run' AND action = '$1'"; }
[ "$(ev tool_allowed | grep -c '"tool":"read"')" = 1 ] && ok "a read inside both envelopes is allowed" || fail "allowed: $(ev tool_allowed)"
ev tool_denied | grep -q "private/p.txt. is outside the paths the organisation policy lets tools read" &&
	ok "a read the workflow allows but the policy does not is denied" || fail "denied: $(ev tool_denied)"
ev tool_denied | grep -q "tool 'fetch' is denied by the organisation policy (.*tools-policy.yaml:2:10)" &&
	ok "a network tool the policy denies is denied, naming the rule" || fail "denied: $(ev tool_denied)"
[ "$(sqlite3 $db "SELECT count(*) FROM ledger WHERE run_id = '$run' AND action = 'tool_approval_requested'")" = 1 ] &&
	ok "a write the policy wants approved waits for a person" || fail "no approval request"
[ ! -e org/team/out/s.txt ] && ok "nothing was written" || fail "s.txt written"
cat > cmd-policy.yaml <<'YAML'
tools: {read: [org/team/notes]}
YAML
sed -i 's|    allow_weaker: true|    allow_weaker: true\n    read: [private]|' org/team/tools.yaml
expect_exit 2 "a command tool reaching outside the policy's paths does not load" -- \
	"$WARRANT" run org/team/tools.yaml --policy cmd-policy.yaml
expect_out "tool 'fetch' may read 'private', outside the paths the organisation policy" "names the folder"

# --- a run keeps the policy it started under: resumed or decided later,
# its workflow loads under the same one ---
db=org/team/.warrant/warrant.db
sed 's/^  - {id: out, kind: ship/  - {id: r, kind: approve, of: a}\n  - {id: out, kind: ship/' org/team/f.yaml > org/team/wait.yaml
expect_exit 4 "started with --policy none, a run waits for approval" -- \
	"$WARRANT" run org/team/wait.yaml --policy none -i q=x
run=$(sqlite3 $db "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
expect_exit 0 "approved later, it is not judged by the policy found beside it" -- \
	"$WARRANT" approve "$run" r --store $db
[ "$(sqlite3 $db "SELECT status FROM runs WHERE id = '$run'")" = done ] && ok "and it finishes" || fail "status"
expect_exit 4 "a run under the found policy" -- "$WARRANT" run org/team/ok.yaml -i q=y
run=$(sqlite3 $db "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
h=$(sha256sum org/warrant.policy.yaml | cut -d' ' -f1)
sqlite3 $db "SELECT evidence FROM ledger WHERE run_id = '$run' AND action = 'run_started'" | grep -q "\"policy\":\"$h\"" &&
	ok "the ledger's run_started entry names the policy's hash" || fail "evidence: $(sqlite3 $db "SELECT evidence FROM ledger WHERE run_id = '$run' AND action = 'run_started'")"

# --- lock: required makes every run --locked ---
printf 'lock: required\n' > lock-policy.yaml
expect_exit 3 "lock: required refuses an unlocked workflow" -- "$WARRANT" run org/team/f.yaml --policy lock-policy.yaml -i q=x
expect_out "locked: refusing to run: .*no lock file" "as --locked would"
finish
