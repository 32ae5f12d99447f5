# warrant serve's trace waterfall (on the run page) and why page
# (/artifact/HASH): the token is required; the chain of custody is complete
# (run, inputs, workflow hash, the exact prompt, checks, ledger); planted
# script and HTML in model output and in a retrieved document read as text;
# the marked span is exactly the chunk's bytes in its document; a document
# changed or removed since the run is reported, never mis-marked.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/web/setup.sh"

mkdir -p docs
doc_planted='<script>alert(3)</script><b onmouseover=alert(4)>'
cat > docs/policy.md <<DOC
# Refunds

Refunds are paid within fourteen days of a written request. $doc_planted

# Deliveries

Deliveries leave the warehouse on weekdays only.
DOC
cat > docs/other.md <<'DOC'
# Zebras

Zebras have stripes and are not refunds.
DOC
quote="Refunds are paid within fourteen days of a written request."
cat > model.yaml <<YAML
responses:
  - text: '{"answer": "fourteen days", "quotes": ["$quote"], "note": "$planted"}'
YAML
cat > bad.yaml <<'YAML'
responses:
  - text: 'not json at all'
YAML
for m in model bad; do
	cat > "$m-flow.yaml" <<YAML
name: $m-why
contract:
  purpose: Answer from the policy.
inputs:
  question: {description: a question}
models:
  m: {provider: script, file: $m.yaml}
steps:
  - {id: find, kind: retrieve, query: "{{inputs.question}}", sources: [docs], top_k: 2}
  - id: answer
    kind: generate
    model: m
    prompt: |
      Question: {{inputs.question}}
      {{steps.find.quotes}}
  - id: verify
    kind: check
    of: answer
    checks:
      - json: true
  - {id: publish, kind: ship, of: answer, append: out/answers.jsonl}
YAML
done
expect_exit 0 "a run that retrieves, answers and ships" -- \
	"$WARRANT" run model-flow.yaml --input "question=When are refunds paid?" -q
run=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
hash=$(sql "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'answer'")
found=$(sql "SELECT hash FROM artifacts WHERE run_id = '$run' AND step_id = 'find'")
"$WARRANT" run bad-flow.yaml --input "question=When are refunds paid?" -q >/dev/null 2>&1
failed=$(sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1")
[ "$failed" != "$run" ] && ok "and a run that fails its check" || fail "no failed run"
sql "SELECT CAST(bytes AS TEXT) FROM blobs WHERE hash = '$found'" > find.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('find.json') AS TEXT), '$1')"; }
[ "$(j '$.results[0].source')" = "docs/policy.md" ] && ok "the policy is retrieved first" ||
	fail "first hit $(j '$.results[0].source')"
start=$(j '$.results[0].start'); end=$(j '$.results[0].end')
"$WARRANT" why "$hash" --json > why.json
wf_sha=$(sed -n 's/.*"workflow_sha256": "\([0-9a-f]*\)".*/\1/p' why.json | head -1)
in_sha=$(sed -n 's/.*"inputs_sha256": "\([0-9a-f]*\)".*/\1/p' why.json | head -1)

web_start
code() { curl -s -o body.html -D headers.txt -w '%{http_code}' "$@"; }
want() {
	local w=$1 what=$2 got; shift 3
	got=$(code "$@")
	[ "$got" = "$w" ] && ok "$what" || fail "$what: HTTP $got, expected $w"
}
has() { grep -qF -- "$1" body.html && ok "$2" || fail "$2: the page lacks '$1'"; }
hasnt() { grep -qF -- "$1" body.html && fail "$2: the page has '$1'" || ok "$2"; }
unescape() { sed -z 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g'; }

# --- the token ---
want 401 "the why page needs the token" -- "$base/artifact/$hash"
want 401 "so does a prefix" -- "$base/artifact/${hash%????????????????????????????????????????????????????????}"
want 303 "sign in" -- -c jar "$url"
s="-b jar"

# --- the trace waterfall on the run page ---
want 200 "the run page" -- $s "$base/runs/$run"
has '<h2 id="trace">Trace</h2>' "has a trace section"
has '<rect class="k-run" x="0.0" y="0" width="1000.0"' "the run's bar spans the scale"
for k in step call check; do has "<rect class=\"k-$k\"" "a $k span is drawn"; done
has 'class="name d2">call 1 attempt 1' "the model call is nested under its step"
has 'find <span class="meta">(retrieve)</span>' "the retrieve step is a span"
grep -qE '<td class="num">[0-9]+ &rarr; [0-9]+</td>' body.html && ok "tokens per span" ||
	fail "no tokens column"
grep -qE '<td class="num">[0-9.]+ (us|ms|s)</td>' body.html && ok "durations per span" ||
	fail "no durations"
has "href=\"/artifact/$hash\"" "the run page links the artifact's why page"
hasnt '<script' "no script element on the run page"
want 200 "the failed run's page" -- $s "$base/runs/$failed"
has '<tr class="span failed">' "failed spans are highlighted"
has '<rect class="k-failed"' "with a red bar"
grep -q 'class="span failed">.*badge b-schema_invalid' body.html &&
	ok "the failure class is on the failed span" || fail "no failure class in the trace"

# --- the why page ---
want 200 "the why page" -- $s "$base/artifact/$hash"
has "Why this artifact" "titled"
has "href=\"/runs/$run\"" "links its run"
has "$wf_sha" "the workflow's hash"
has "$in_sha" "the inputs' hash"
has "When are refunds paid?" "the inputs"
has "Question: When are refunds paid?" "the exact prompt"
has "[docs/policy#" "the prompt as sent, with the chunk's id"
has "valid JSON" "every check"
for a in generated check_passed verified shipped; do has "b-$a\">$a" "ledger entry $a"; done
has '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;' \
	"planted markup in model output is escaped"
has '&lt;script&gt;alert(3)&lt;/script&gt;&lt;b onmouseover=alert(4)&gt;' \
	"planted markup in the document is escaped"
hasnt '<script' "no script element on the why page"
hasnt '<img' "no img element"
hasnt '<b onmouseover' "no planted b element"
grep -qi "^content-security-policy: default-src 'none'" headers.txt && ok "the same CSP" ||
	fail "CSP header"
[ "$(grep -o '<mark>' body.html | wc -l)" = 2 ] && ok "both chunks marked" ||
	fail "marks: $(grep -o '<mark>' body.html | wc -l)"
sed -z 's/.*Retrieved by step find//' body.html > chunks.html
sed -z 's/<strong class="quote">//g; s/<\/strong>//g' chunks.html |
	sed -z 's/<\/mark>.*//; s/.*<mark>//' | unescape > marked.txt
dd if=docs/policy.md bs=1 skip="$start" count=$((end - start)) 2>/dev/null > span.txt
[ -s span.txt ] && cmp -s marked.txt span.txt && ok "the marked text is exactly the chunk's span" ||
	fail "marked [$(cat marked.txt)] vs span [$(cat span.txt)]"
j '$.results[0].text' > text.txt
printf '%s' "$(cat span.txt)" | cmp -s - <(printf '%s' "$(cat text.txt)") &&
	ok "which is the text the run retrieved" || fail "span and chunk text differ"
grep -q "Refunds are paid within fourteen days" marked.txt && ok "the quoted clause is marked" ||
	fail "the clause is not in the mark"
[ "$(grep -o '<strong class="quote">' chunks.html | wc -l)" = 1 ] &&
	ok "one quote in bold in the marked span" || fail "quotes: $(grep -o '<strong class="quote">' chunks.html | wc -l)"
[ "$(sed -z 's/.*<strong class="quote">//; s/<\/strong>.*//' chunks.html | unescape)" = "$quote" ] &&
	ok "the bold text is exactly the artifact's quote" ||
	fail "bold: $(sed -z 's/.*<strong class="quote">//; s/<\/strong>.*//' chunks.html)"
want 200 "a prefix of the hash" -- $s "$base/artifact/${hash:0:8}"
has "$hash" "finds the artifact"
want 404 "an unknown artifact" -- $s "$base/artifact/0123456789abcdef"
want 404 "not a hash" -- $s "$base/artifact/..%2f..%2fetc"
want 404 "upper-case or short" -- $s "$base/artifact/ABC"

# --- a document that changed since ---
sed -i 's/fourteen days/forty days  /' docs/policy.md
want 200 "the why page after the document changed" -- $s "$base/artifact/$hash"
has "The document changed since this run retrieved it" "says the document changed"
[ "$(grep -o '<mark>' body.html | wc -l)" = 1 ] && ok "the changed document is not marked" ||
	fail "marks after the change: $(grep -o '<mark>' body.html | wc -l)"
has "Refunds are paid within fourteen days" "the text as retrieved is shown instead"
hasnt '<strong class="quote">' "and no quote is marked"
sed -z 's/.*Retrieved by step find//' body.html | grep -q '<mark>Refunds' &&
	fail "the changed file's span is marked" || ok "nothing marked in the changed document"
rm docs/other.md
want 200 "after a document was removed" -- $s "$base/artifact/$hash"
has "not there any more" "says so"
hasnt "<mark>" "and marks nothing"
mkfifo docs/other.md
want 200 "a FIFO where a document was does not hang the page" -- --max-time 10 $s "$base/artifact/$hash"
has "not there any more" "it is not read as a document"
rm -f docs/other.md
web_stop || fail "stop"

# --- a server started elsewhere finds the documents beside the store ---
sed -i 's/forty days  /fourteen days/' docs/policy.md
mkdir -p elsewhere
cd elsewhere
WARRANT_STORE=$PWD/../.warrant/warrant.db web_start
cd ..
want 303 "sign in to a server started in another directory" -- -c jar2 "$url"
want 200 "the why page there" -- -b jar2 "$base/artifact/$hash"
has "The span's bytes match the chunk's sha256" "the restored document is found beside the store"
[ "$(grep -o '<mark>' body.html | wc -l)" = 1 ] && ok "and its span marked again" ||
	fail "marks: $(grep -o '<mark>' body.html | wc -l)"
web_stop || fail "stop"
finish
