# Every route to shipping an artifact that has not earned it fails: at load
# time, at run time, through the CLI, and by editing the store by hand.
# Success is judged by the destination: it must not exist afterwards.
. "$WR_ROOT/tests/lib.sh"

script_model good.yaml "'{\"total\": 1}'"
script_model bad.yaml "'not json'"
head='name: routes
contract: {purpose: try to ship}
models: {m: {provider: script, file: good.yaml}, b: {provider: script, file: bad.yaml}}
steps:'
gen='  - {id: draft, kind: generate, model: m, prompt: "go"}'
genbad='  - {id: draft, kind: generate, model: b, prompt: "go"}'
check='  - {id: verify, kind: check, of: draft, checks: [{json: true}]}'
approve='  - {id: review, kind: approve, of: draft}'
ship='  - {id: out, kind: ship, of: draft, to: shipped.txt}'

not_shipped() {
	if [ -e shipped.txt ]; then fail "$1: shipped.txt exists"; rm -f shipped.txt; else ok "$1: nothing shipped"; fi
}

# 1. Load time: the workflow itself cannot say "ship a candidate".
printf '%s\n%s\n%s\n' "$head" "$gen" "$ship" > r1.yaml
expect_exit 2 "ship without any check does not load" -- "$WARRANT" run r1.yaml
expect_out "r1.yaml:[0-9]+:[0-9]+: .*check" "says it is never checked, with line:col"
printf '%s\n%s\n%s\n%s\n' "$head" "$gen" "$ship" "$check" > r2.yaml
expect_exit 2 "ship before its check does not load" -- "$WARRANT" run r2.yaml
printf '%s\n%s\n%s\n  - {id: out, kind: ship, of: draft, to: shipped.txt, requires: candidate}\n' \
	"$head" "$gen" "$check" > r3.yaml
expect_exit 2 "requires: candidate does not load" -- "$WARRANT" run r3.yaml
printf '%s\n%s\n%s\n%s\n%s\n' "$head" "$gen" "$check" "$ship" "$approve" > r4.yaml
expect_exit 2 "ship before its approval does not load" -- "$WARRANT" run r4.yaml
printf '%s\n%s\n%s\n  - {id: out, kind: ship, of: draft, to: shipped.txt, requires: approved}\n' \
	"$head" "$gen" "$check" > r5.yaml
expect_exit 2 "requires: approved without an approve step does not load" -- "$WARRANT" run r5.yaml
not_shipped "load-time routes"

# 2. Run time: a failed check rejects; nothing after it can ship it.
printf '%s\n%s\n%s\n%s\n%s\n' "$head" "$genbad" "$check" "$approve" "$ship" > r6.yaml
expect_exit 3 "a failing check rejects the artifact" -- "$WARRANT" run r6.yaml
rejected=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
expect_exit 2 "a rejected run does not resume" -- "$WARRANT" resume "$rejected"
expect_exit 2 "a rejected artifact cannot be approved" -- "$WARRANT" approve "$rejected" review
not_shipped "rejected by a check"

# 3. Edits behind warrant's back: make the rejected run look runnable again.
sql "UPDATE runs SET status = 'running' WHERE id = '$rejected';
     UPDATE artifacts SET state = 'approved', failure = 'none' WHERE run_id = '$rejected';
     UPDATE steps SET status = 'done' WHERE run_id = '$rejected' AND id IN ('verify', 'review')"
expect_exit 1 "a hand-approved rejected artifact is refused at the gate" -- "$WARRANT" resume "$rejected"
expect_out "permission_denied" "the refusal is permission_denied"
not_shipped "state edited by hand"

# 4. A verified artifact waiting for a person, approved by editing the store.
printf '%s\n%s\n%s\n%s\n%s\n' "$head" "$gen" "$check" "$approve" "$ship" > r7.yaml
expect_exit 4 "waits for approval" -- "$WARRANT" run r7.yaml
waiting=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
sql "UPDATE artifacts SET state = 'approved' WHERE run_id = '$waiting';
     UPDATE steps SET status = 'done' WHERE run_id = '$waiting' AND id = 'review'"
expect_exit 1 "an approval the ledger does not show is refused" -- "$WARRANT" resume "$waiting"
expect_out "does not show it approved" "says the ledger lacks the approval"
not_shipped "approval edited by hand"

# 5. Bytes changed after verification and approval.
expect_exit 4 "waits for approval" -- "$WARRANT" run r7.yaml
waiting=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
h=$(sql "SELECT hash FROM artifacts WHERE run_id = '$waiting'")
sql "UPDATE blobs SET bytes = CAST('{\"total\": 1000000}' AS BLOB) WHERE hash = '$h'"
expect_exit 1 "changed bytes are refused at the gate" -- "$WARRANT" approve "$waiting" review
expect_out "tampered" "says the bytes were tampered with"
not_shipped "bytes edited by hand"
sql "UPDATE blobs SET bytes = CAST('{\"total\": 1}' AS BLOB) WHERE hash = '$h'"

# 6. The approve command on things that are not waiting approve steps.
expect_exit 4 "waits for approval" -- "$WARRANT" run r7.yaml
expect_exit 2 "approving a check step is refused" -- "$WARRANT" approve last verify
expect_exit 2 "approving an unknown step is refused" -- "$WARRANT" approve last nosuch
expect_exit 0 "approving the waiting step ships" -- "$WARRANT" approve last review
[ -e shipped.txt ] && ok "the one legitimate route shipped" || fail "legitimate ship missing"
finish
