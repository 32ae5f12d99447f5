# Tamper test: edit, delete and reorder ledger rows with sqlite3, and
# change stored bytes; `warrant ledger verify` and the engine notice each.
. "$WR_ROOT/tests/lib.sh"

script_model m.yaml "'{\"total\": 1}'"
cat > f.yaml <<'YAML'
name: tamper
contract: {purpose: be tampered with}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: draft, kind: generate, model: m, prompt: "go"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}]}
  - {id: out, kind: ship, of: draft, to: out.json, overwrite: true}
YAML
for i in 1 2 3; do "$WARRANT" run f.yaml -q >/dev/null || fail "run $i"; done
expect_exit 0 "an untouched ledger verifies" -- "$WARRANT" ledger verify
n=$(sql "SELECT count(*) FROM ledger")
cp .warrant/warrant.db pristine.db
restore() { rm -f .warrant/warrant.db-wal .warrant/warrant.db-shm; cp pristine.db .warrant/warrant.db; }

sql "UPDATE ledger SET actor = 'human:mallory' WHERE seq = 5"
expect_exit 3 "an edited actor is caught" -- "$WARRANT" ledger verify
expect_out "entry 5 .*edited" "names the edited entry"
restore
sql "UPDATE ledger SET evidence = '{}' WHERE seq = 2"
expect_exit 3 "edited evidence is caught" -- "$WARRANT" ledger verify
expect_out "entry 2 " "names entry 2"
restore
sql "UPDATE ledger SET hash = '$(printf '0%.0s' $(seq 64))' WHERE seq = 3"
expect_exit 3 "an edited hash is caught" -- "$WARRANT" ledger verify
restore
sql "DELETE FROM ledger WHERE seq = 4"
expect_exit 3 "a deleted entry is caught" -- "$WARRANT" ledger verify
expect_out "missing \\(deleted\\)" "says entries are missing"
restore
sql "DELETE FROM ledger WHERE seq = $n"
expect_exit 3 "a deleted last entry is caught" -- "$WARRANT" ledger verify
expect_out "recorded head" "says the head does not match"
restore
# Reorder: swap the contents of entries 3 and 4 (each keeps its own hash).
sql "UPDATE ledger SET seq = -3 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4;
     UPDATE ledger SET seq = 4 WHERE seq = -3;"
expect_exit 3 "reordered entries are caught" -- "$WARRANT" ledger verify
expect_out "does not follow" "says the chain is broken"
restore
sql "INSERT INTO ledger SELECT seq + 1000, at_ms, run_id, 'human:mallory', 'approved', subject,
     evidence, prev, hash FROM ledger WHERE seq = 2"
expect_exit 3 "an inserted entry is caught" -- "$WARRANT" ledger verify
restore
expect_exit 0 "the restored copy verifies again" -- "$WARRANT" ledger verify
# Changed bytes behind an artifact hash.
h=$(sql "SELECT hash FROM artifacts LIMIT 1")
sql "UPDATE blobs SET bytes = CAST('{\"total\": 999}' AS BLOB) WHERE hash = '$h'"
expect_exit 0 "show still works" -- "$WARRANT" show last --artifacts
expect_out "tampered" "show reports the artifact as tampered"
restore
finish
