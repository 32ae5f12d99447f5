# The contract-review example: retrieve -> quote -> generate -> cites ->
# ship, with the scripted model; a hallucinated quote is caught as
# unsupported_claim and never shipped.
. "$WR_ROOT/tests/lib.sh"

cp -r "$WR_ROOT/examples/contract-review" cr
rm -rf cr/out cr/.warrant
store=cr/.warrant/warrant.db
q() { sqlite3 "$store" "$@"; }

expect_exit 0 "a question answered with exact quotes ships" -- \
	"$WARRANT" run cr/flow.yaml --input "question=How long does Northwind have to pay an invoice?"
grep -q '"Northwind shall pay each undisputed invoice within thirty (30) days of receipt."' cr/out/answers.jsonl &&
	ok "the answer is in the output" || fail "out: $(cat cr/out/answers.jsonl 2>&1)"
run=$(q "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
hash=$(q "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'find'")
q "SELECT CAST(bytes AS TEXT) FROM blobs WHERE hash = '$hash'" > find.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('find.json') AS TEXT), '$1')"; }
[ "$(j '$.results[0].id')" = "contract/02-payment#3" ] && ok "the payment clause is retrieved first, by its stable id" || fail "first hit $(j '$.results[0].id')"
start=$(j '$.results[0].start'); end=$(j '$.results[0].end')
[ "$(dd if=cr/contract/02-payment.md bs=1 skip="$start" count=$((end - start)) 2>/dev/null)" = "$(j '$.results[0].text')" ] &&
	ok "its span holds its text in the file" || fail "span [$start, $end)"
req=$(q "SELECT request_hash FROM calls WHERE run_id = '$run'")
q "SELECT CAST(bytes AS TEXT) FROM blobs WHERE hash = '$req'" > request.json
grep -q '\[contract/02-payment#3\] ## Payment terms' request.json &&
	ok "the model was shown the chunk under its id" || fail "request lacks the labelled quote"
[ "$(q "SELECT count(*) FROM ledger WHERE run_id = '$run' AND action = 'retrieved'")" = 1 ] &&
	ok "the retrieval is in the ledger" || fail "no ledger entry"

answer=$(q "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'answer'")
expect_exit 0 "why the answer" -- "$WARRANT" why "$answer" --store "$store"
expect_out "^sources   step find, query \"How long does Northwind" "names the retrieval and its query"
expect_out "contract/02-payment#3 +contract/02-payment.md \[$start\.\.$end\) $(j '$.results[0].sha256' | cut -c1-12)" \
	"and each chunk the model saw, with its span and hash"

expect_exit 3 "an invented quote is rejected" -- \
	"$WARRANT" run cr/flow.yaml --input "question=What is each party's liability limited to?"
expect_out "unsupported_claim" "as unsupported_claim"
expect_out "limited to twice the fees paid" "naming the claim"
! grep -q "twice the fees" cr/out/answers.jsonl && ok "and never shipped" || fail "the invented answer shipped"

expect_exit 1 "a question nothing matches" -- \
	"$WARRANT" run cr/flow.yaml --input "question=zebra xylophone"
expect_out "retrieval_miss" "fails as retrieval_miss"

# The index is kept up to date, reading only what changed.
before=$(q "SELECT indexed_ms FROM sources WHERE path = 'contract/04-liability.md'")
echo "Northwind's liability for data loss is unlimited." >> cr/contract/04-liability.md
sleep 0.01
expect_exit 3 "after the contract changes" -- \
	"$WARRANT" run cr/flow.yaml --input "question=What is each party's liability limited to?"
[ "$(q "SELECT indexed_ms FROM sources WHERE path = 'contract/04-liability.md'")" != "$before" ] &&
	[ "$(q "SELECT count(*) FROM chunks WHERE text LIKE '%unlimited%'")" = 1 ] &&
	ok "the changed file was indexed again" || fail "the change was not indexed"
finish
