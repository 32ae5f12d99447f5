# warrant index / search: documents into chunks with stable ids and byte
# spans, BM25 retrieval, and re-indexing that reads only what changed.
. "$WR_ROOT/tests/lib.sh"

mkdir -p docs/sub docs/.hidden
cat > docs/contract.md <<'MD'
# Master Services Agreement

This agreement is made between Acme Corp and Globex Ltd.

## Payment terms

Invoices are payable within thirty (30) days of receipt. Late payments accrue
interest at 1.5% per month.

## Termination

Either party may terminate this agreement with ninety days' written notice.
MD
printf 'The supplier delivers the goods to the café.\n\nWarranty lasts twelve months.\n' > docs/sub/notes.txt
printf '[{"clause": "confidentiality", "text": "Both parties keep secrets"}, {"clause": "liability", "text": "capped at fees paid"}]' > docs/clauses.json
printf 'id,term\n1,"governing law: England"\n2,arbitration in London\n' > docs/terms.csv
printf 'the hidden payment file\n' > docs/.hidden/x.txt
printf 'payment\0binary' > docs/blob.txt

expect_exit 0 "index a folder" -- "$WARRANT" index --root docs docs
expect_out "^5 files: 4 indexed, 0 unchanged, 0 removed; 9 chunks" "four documents, nine chunks"
expect_out "skipped: binary +blob.txt" "a binary file is skipped"
if grep -q hidden last.out; then fail "a hidden folder was read"; else ok "hidden folders are left out"; fi

expect_exit 0 "search" -- "$WARRANT" search late payment terms
expect_out "^contract#2 " "the payment clause comes first, as contract#2"
head -1 last.out | grep -q "contract.md \[" && ok "with its file and span" || fail "no span: $(head -1 last.out)"
expect_exit 0 "accents and word forms fold" -- "$WARRANT" search cafe deliver
expect_out "^sub/notes#1 " "café and delivers are found"
expect_exit 0 "json rows" -- "$WARRANT" search liability --json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
[ "$(j '$[0].id')" = "clauses#2" ] && ok "a JSON element is a chunk" || fail "json id $(j '$[0].id')"
# The span is exact: the bytes at [start, end) of the file are the chunk.
start=$(j '$[0].start'); end=$(j '$[0].end')
[ "$(dd if=docs/clauses.json bs=1 skip="$start" count=$((end - start)) 2>/dev/null)" = "$(j '$[0].text')" ] &&
	ok "the chunk is the file's bytes at its span" || fail "span [$start, $end) does not hold the text"
[ "$(dd if=docs/clauses.json bs=1 skip="$start" count=$((end - start)) 2>/dev/null | sha256sum | cut -c1-64)" = "$(j '$[0].sha256')" ] &&
	ok "its hash is the hash of those bytes" || fail "chunk hash"
expect_exit 0 "only some sources" -- "$WARRANT" search terminate OR governing --source '*.csv'
expect_out "^terms#1 " "a CSV row"
if grep -q contract last.out; then fail "--source let another file through"; else ok "--source filters"; fi
expect_exit 0 "top k" -- "$WARRANT" search the -k 1
[ "$(grep -c '^[a-z/]*#' last.out)" = 1 ] && ok "-k 1 gives one" || fail "$(cat last.out)"

# Again: nothing read. Then one change, one removal.
expect_exit 0 "index again" -- "$WARRANT" index --root docs docs -q
expect_out "0 indexed, 4 unchanged, 0 removed" "nothing changed, nothing read"
before=$(sql "SELECT group_concat(id) FROM chunks WHERE source = 'contract.md'")
echo "Termination fees apply." >> docs/sub/notes.txt
rm docs/terms.csv
expect_exit 0 "index after a change" -- "$WARRANT" index --root docs docs
expect_out "1 indexed, 2 unchanged, 1 removed" "one re-read, one forgotten"
[ "$(sql "SELECT group_concat(id) FROM chunks WHERE source = 'contract.md'")" = "$before" ] &&
	ok "unchanged files keep their chunks" || fail "contract.md was re-chunked"
[ "$(sql "SELECT count(*) FROM chunks WHERE source = 'terms.csv'")" = 0 ] && ok "the removed file's chunks are gone" || fail "terms.csv chunks remain"
expect_exit 0 "the change is searchable" -- "$WARRANT" search termination fees
expect_out "^sub/notes#2 " "the new sentence is found"
touch docs/contract.md
expect_exit 0 "a touched file" -- "$WARRANT" index --root docs docs -q
expect_out "0 indexed, 3 unchanged" "is read, hashed, and left alone"

# Heading chunks: one per section.
expect_exit 0 "heading chunks" -- "$WARRANT" index --root docs --chunk heading docs/contract.md -q
[ "$(sql "SELECT count(*) FROM chunks WHERE source = 'contract.md'")" = 3 ] && ok "three sections" || fail "$(sql "SELECT count(*) FROM chunks WHERE source = 'contract.md'") chunks"

# Bad input.
expect_exit 2 "a path outside the root" -- "$WARRANT" index --root docs/sub docs/contract.md
expect_out "outside the index root" "says so"
expect_exit 2 "a missing path" -- "$WARRANT" index nope
expect_exit 2 "an unknown chunking" -- "$WARRANT" index --chunk sentence docs
expect_exit 2 "a query with no words" -- "$WARRANT" search '***'
expect_out "no words" "says so"
expect_exit 2 "a bad --top" -- "$WARRANT" search x -k 0
finish
