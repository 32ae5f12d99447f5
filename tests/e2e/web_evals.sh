# warrant serve --reports DIR: the Evals page lists the eval reports saved
# there (warrant eval --json) and shows each: the token is required; the
# figures are the report's; planted markup in a suite or case name is
# escaped; only NAME.json files in DIR are read, a broken one is reported,
# a FIFO does not hang the page, and no name reaches outside DIR.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/web/setup.sh"

cp -r "$WR_ROOT/examples/invoices" inv
rm -rf inv/out inv/.warrant
mkdir -p reports
"$WARRANT" eval inv/eval.yaml --json -n 2 > reports/invoices.json 2>eval.err
[ -s reports/invoices.json ] && ok "a saved eval report" || fail "eval: $(cat eval.err)"
cat > reports/planted.json <<'JSON'
{"suite":"<script>alert(1)</script>","cases":1,"repeats":1,"runs":1,"passed":0,
 "pass_rate":0.0,"ci95":[0.0,0.79],"failures":{"<b>x</b>":1},
 "case_results":[{"name":"<img src=x onerror=alert(2)>","runs":1,"passed":0,
 "failure":"schema_invalid","example_run":"<i>nope</i>"}]}
JSON
echo '{"suite": "broken"' > reports/broken.json
echo "not a report" > reports/notes.txt
echo '{"suite":"hidden"}' > reports/.hidden.json
echo '{"suite":"outside-secret"}' > secret.json
mkfifo reports/fifo.json
export WARRANT_STORE=$PWD/inv/.warrant/eval.db   # the suite's runs
web_start --reports reports
code() { curl -s --max-time 10 -o body.html -D headers.txt -w '%{http_code}' "$@"; }
want() {
	local w=$1 what=$2 got; shift 3
	got=$(code "$@")
	[ "$got" = "$w" ] && ok "$what" || fail "$what: HTTP $got, expected $w"
}
has() { grep -qF -- "$1" body.html && ok "$2" || fail "$2: the page lacks '$1'"; }
hasnt() { grep -qF -- "$1" body.html && fail "$2: the page has '$1'" || ok "$2"; }

want 401 "the Evals page needs the token" -- "$base/evals"
want 401 "so does a report" -- "$base/evals/invoices.json"
want 303 "sign in" -- -c jar "$url"
s="-b jar"
want 200 "the Evals page" -- $s "$base/evals"
has 'href="/evals/invoices.json"' "lists the saved report"
has "invoice-extract" "with its suite"
has "<b>100.0%</b>" "and its pass rate"
has "7 &times; 2" "cases times repeats"
has "not an eval report" "a broken report is said to be one"
has "not a report file" "a FIFO is not read"
hasnt "notes.txt" "other files are not listed"
hasnt "hidden" "nor hidden ones"
has '&lt;script&gt;alert(1)&lt;/script&gt;' "a planted suite name is escaped"
hasnt '<script' "no script element"
has 'href="/evals" class="on"' "the navigation has Evals"
want 200 "a report" -- $s "$base/evals/invoices.json"
has "pass@1 1.000" "pass@1"
has "threshold 0.700" "the threshold"
for c in INV-1001 INV-1007; do has "$c" "case $c"; done
has "<td>schema_invalid</td>" "the failure classes"
has "<td class=\"num\">2/2</td>" "each case's runs"
ex=$(grep -o 'href="/runs/[^"]*"' body.html | head -1 | sed 's/href="//; s/"//')
[ -n "$ex" ] && ok "example runs are linked" || fail "no example run link"
want 200 "an example run opens (the desk serves the suite's store)" -- $s "$base$ex"
want 200 "the planted report" -- $s "$base/evals/planted.json"
has '&lt;img src=x onerror=alert(2)&gt;' "a planted case name is escaped"
has '&lt;b&gt;x&lt;/b&gt;' "a planted failure class is escaped"
hasnt '<img' "no img element"
hasnt '<i>nope' "a planted run id is neither a link nor markup"
want 404 "a broken report" -- $s "$base/evals/broken.json"
want 404 "a report that is not there" -- $s "$base/evals/gone.json"
want 404 "a name outside the folder" -- $s "$base/evals/..%2Fsecret.json"
want 404 "a hidden file" -- $s "$base/evals/.hidden.json"
want 404 "not a .json name" -- $s "$base/evals/notes.txt"
hasnt "outside-secret" "nothing outside the folder was read"
web_stop || fail "stop"

# Without --reports the page says how to have them.
web_start
want 200 "Evals without a folder" -- -H "Authorization: Bearer $token" "$base/evals"
has "warrant serve --reports DIR" "says how"
want 404 "and no report" -- -H "Authorization: Bearer $token" "$base/evals/invoices.json"
web_stop || fail "stop"
finish
