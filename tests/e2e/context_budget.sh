# context.max_tokens with a drop order: the lowest-ranked retrieved chunks
# give way until the prompt fits, and the ledger says which.
. "$WR_ROOT/tests/lib.sh"

mkdir docs
for i in 1 2 3 4 5; do
	{ printf '# Part %d\n\n' "$i"; for k in $(seq 1 $((12 - i))); do printf 'Payment clause %d sentence %d about payment terms. ' "$i" "$k"; done; echo; } > docs/part$i.md
done
script_model m.yaml "'{\"ok\": true}'"
flow() {  # max_tokens
	cat > f.yaml <<YAML
name: budgeted
contract: {purpose: answer}
models: {m: {provider: script, file: m.yaml}}
context: {max_tokens: $1, drop: [find]}
steps:
  - {id: find, kind: retrieve, query: "payment payment terms", sources: [docs], top_k: 5}
  - {id: answer, kind: generate, model: m, prompt: "{{steps.find.quotes}}"}
YAML
}
flow 100000
expect_exit 0 "a generous budget keeps every chunk" -- "$WARRANT" run f.yaml -q
[ "$(sql "SELECT count(*) FROM ledger WHERE action = 'context_dropped'")" = 0 ] && ok "nothing dropped" || fail "dropped under a generous budget"
sql "SELECT CAST(b.bytes AS TEXT) FROM calls c JOIN blobs b ON b.hash = c.request_hash ORDER BY c.rowid DESC LIMIT 1" > all.txt
full=$(grep -o '\[docs/part[0-9]#1\]' all.txt | wc -l)
[ "$full" = 5 ] && ok "five chunks quoted" || fail "$full chunks quoted"

flow 230
expect_exit 0 "a tight budget" -- "$WARRANT" run f.yaml -q
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
sql "SELECT CAST(b.bytes AS TEXT) FROM calls c JOIN blobs b ON b.hash = c.request_hash WHERE c.run_id = '$run'" > some.txt
kept=$(grep -o '\[docs/part[0-9]#1\]' some.txt | wc -l)
[ "$kept" -ge 1 ] && [ "$kept" -lt 5 ] && ok "some chunks give way ($kept kept)" || fail "$kept kept"
find=$(sql "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'find'")
sql "SELECT CAST(bytes AS TEXT) FROM blobs WHERE hash = '$find'" > find.json
last=$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('find.json') AS TEXT), '\$.results[4].id')")
ev=$(sql "SELECT evidence FROM ledger WHERE run_id = '$run' AND action = 'context_dropped'")
case "$ev" in "{\"dropped\":[\"$last\""*) ok "the lowest-ranked chunk went first ($last)" ;; *) fail "evidence $ev, last $last" ;; esac
n=$(echo "$ev" | grep -o 'docs/part' | wc -l)
[ "$n" = $((5 - kept)) ] && ok "the ledger lists every chunk left out ($n)" || fail "ledger lists $n, $((5 - kept)) left out"
first=$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('find.json') AS TEXT), '\$.results[0].id')")
grep -q "\[$first\]" some.txt && ok "the best chunk stayed" || fail "the best chunk was dropped"

flow 1
expect_exit 5 "a budget nothing fits" -- "$WARRANT" run f.yaml
expect_out "budget_exceeded" "fails as budget_exceeded"
expect_out "context.max_tokens 1" "naming the budget"
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
[ "$(sql "SELECT count(*) FROM calls WHERE run_id = '$run'")" = 0 ] && ok "no call was made" || fail "a call was made"

sed 's/drop: \[find\]/drop: [answer]/' f.yaml > bad.yaml
expect_exit 2 "drop must name a retrieve step" -- "$WARRANT" check bad.yaml
expect_out "only a retrieve step's chunks can be dropped" "says so"
finish
