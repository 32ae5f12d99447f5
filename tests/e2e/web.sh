# warrant serve with curl: the access token, sessions, CSRF, Origin and Host
# checks, the security headers, escaping of planted script, and an approval
# through the web form that ships the run (judged by the shipped file and
# `warrant show`).
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/web/setup.sh"

web_setup 3
set -- $runs
a=$1 b=$2 c=$3
web_start
ok "serve started at $base"

code() { curl -s -o body.html -D headers.txt -w '%{http_code}' "$@"; }
want() {  # code description -- curl args...
	local w=$1 what=$2 got; shift 3
	got=$(code "$@")
	[ "$got" = "$w" ] && ok "$what" || fail "$what: HTTP $got, expected $w"
}
has() { grep -qF -- "$1" body.html && ok "$2" || fail "$2: the page lacks '$1'"; }
hasnt() { grep -qF -- "$1" body.html && fail "$2: the page has '$1'" || ok "$2"; }
still_waiting() {
	"$WARRANT" show "$1" --json > show.json
	grep -q '"status": "waiting"' show.json && [ ! -s out/shipped.jsonl ] &&
		ok "$2: nothing changed" || fail "$2: the run moved"
}

# --- the token ---
want 401 "no token: 401" -- "$base/runs"
want 401 "no token on the queue" -- "$base/queue"
want 401 "no token on the stylesheet" -- "$base/static/app.css"
other() { echo "$1" | tr '0-9a-f' '1-9a-f0'; }  # every hex digit changed
want 401 "a wrong token" -- "$base/runs?token=$(other "$token")"
want 401 "a wrong bearer" -- -H "Authorization: Bearer nope" "$base/runs"
want 401 "a session cookie made up" -- -b "wr_session_${base##*:}=$token" "$base/runs"
want 200 "the bearer token" -- -H "Authorization: Bearer $token" "$base/runs"
grep -qi "^content-security-policy: default-src 'none'; style-src 'self'" headers.txt &&
	ok "CSP: no script at all" || fail "CSP header"
grep -qi '^x-frame-options: DENY' headers.txt && ok "X-Frame-Options" || fail "X-Frame-Options"
grep -qi '^x-content-type-options: nosniff' headers.txt && ok "nosniff" || fail "nosniff"
grep -qi '^referrer-policy: no-referrer' headers.txt && ok "no-referrer" || fail "Referrer-Policy"
want 403 "a foreign Host (DNS rebinding)" -- -H "Host: evil.example:${base##*:}" \
	-H "Authorization: Bearer $token" "$base/runs"
want 405 "PUT is refused" -- -X PUT -H "Authorization: Bearer $token" "$base/runs"

# --- a session from the address printed ---
want 303 "the token address signs in" -- -c jar "$url"
grep -qi '^set-cookie: wr_session_[0-9]*=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' headers.txt &&
	ok "an HttpOnly, SameSite=Strict session cookie" || fail "the cookie: $(grep -i set-cookie headers.txt)"
grep -qi '^location: /runs' headers.txt && ok "redirected without the token" || fail "location"
s="-b jar"

# --- pages ---
want 200 "runs" -- $s "$base/runs"
has "$a" "the runs list shows a run"
has "$rejected" "and the rejected one"
want 200 "filter by status" -- $s "$base/runs?status=waiting"
has "$b" "a waiting run is listed"
hasnt "$rejected" "a rejected run is not"
want 200 "filter by failure class" -- $s "$base/runs?failure=schema_invalid"
has "$rejected" "the schema_invalid run is listed"
hasnt "$a" "a waiting run is not"
want 200 "filter by workflow" -- $s "$base/runs?flow=broken-flow"
hasnt "$a" "another workflow's run is not listed"
want 400 "an unknown status" -- $s "$base/runs?status=bogus"
want 200 "the page after a run" -- $s "$base/runs?after=$b"
has "$a" "lists the older run"
hasnt "$c" "and not the newer ones"
hasnt "$rejected" "nor the newest"
want 404 "paging after an unknown run" -- $s "$base/runs?after=nope"
want 200 "a run" -- $s "$base/runs/$a"
has "badge b-verified" "the artifact's state badge"
has "approval_requested" "ledger entries are shown"
want 404 "an unknown run" -- $s "$base/runs/doesnotexist"
want 200 "failures" -- $s "$base/failures"
has "schema_invalid" "the failures dashboard counts the class"
want 200 "the queue" -- $s "$base/queue"
for r in $a $b $c; do has "$r" "run $r is in the queue"; done
has 'name="csrf"' "the queue's forms carry a CSRF token"

# --- planted script and HTML are text ---
has '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;' \
	"the planted markup is escaped"
hasnt '<script' "no script element on the queue page"
hasnt '<img' "no img element on the queue page"
want 200 "the run page" -- $s "$base/runs/$a"
hasnt '<script' "no script element on the run page"
has '&lt;img src=x onerror=alert(2)&gt;' "escaped there too"

csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' body.html | head -1 | sed 's/.*value="//; s/"//')
[ ${#csrf} = 64 ] && ok "a 64-hex CSRF token" || fail "CSRF token '$csrf'"
form="step=review&decision=approve&reviewer=alice&note=looks+right"
post() { want "$@"; }

# --- forged forms are refused ---
post 403 "approve without CSRF" -- $s -X POST -d "$form" "$base/runs/$a/decide"
still_waiting "$a" "without CSRF"
post 403 "approve with a wrong CSRF" -- $s -d "$form&csrf=$(other "$csrf")" "$base/runs/$a/decide"
post 403 "approve with a forged Origin" -- $s -H "Origin: http://evil.example" \
	-d "$form&csrf=$csrf" "$base/runs/$a/decide"
still_waiting "$a" "a forged Origin"
post 403 "a cross-site fetch" -- $s -H "Sec-Fetch-Site: cross-site" \
	-d "$form&csrf=$csrf" "$base/runs/$a/decide"
post 403 "a bearer token alone cannot post" -- -H "Authorization: Bearer $token" \
	-d "$form&csrf=$csrf" "$base/runs/$a/decide"
post 401 "no token, no post" -- -d "$form&csrf=$csrf" "$base/runs/$a/decide"
head -c 20000 /dev/zero | tr '\0' a > big.txt
post 413 "a body over 16 KiB" -- $s --data-binary @big.txt "$base/runs/$a/decide"
post 415 "not a form" -- $s -H "Content-Type: application/json" \
	-d "$form&csrf=$csrf" "$base/runs/$a/decide"
post 400 "a reviewer name with markup" -- $s \
	-d "step=review&decision=approve&reviewer=%3Cb%3E&csrf=$csrf" "$base/runs/$a/decide"
post 400 "a rejection without a reason" -- $s \
	-d "step=review&decision=reject&reviewer=bob&csrf=$csrf" "$base/runs/$b/decide"
still_waiting "$a" "after every refused form"

# --- the real thing ---
post 303 "approve with the session and its CSRF token" -- $s -H "Origin: $base" \
	-d "$form&csrf=$csrf" "$base/runs/$a/decide"
grep -qi "^location: /runs/$a?decided=approved" headers.txt && ok "back to the run" ||
	fail "location: $(grep -i location headers.txt)"
[ "$(grep -c total out/shipped.jsonl 2>/dev/null)" = 1 ] && grep -qF "$planted" out/shipped.jsonl &&
	ok "the approved artifact shipped" || fail "shipped file"
expect_exit 0 "show the approved run" -- "$WARRANT" show "$a"
expect_out "status   done" "the run is done"
expect_out "draft +generate +done +shipped" "its artifact is shipped"
expect_exit 0 "its ledger" -- "$WARRANT" ledger show "$a"
expect_out "human:alice +approved" "the approval is under the reviewer's name"
expect_exit 0 "the ledger verifies" -- "$WARRANT" ledger verify
want 200 "the run page after" -- $s "$base/runs/$a?decided=approved"
has "Your decision was recorded" "a notice"
has "badge b-shipped" "shown shipped"
post 409 "a second approval is refused" -- $s -d "$form&csrf=$csrf" "$base/runs/$a/decide"
[ "$(grep -c total out/shipped.jsonl)" = 1 ] && ok "shipped once" || fail "shipped twice"

sql "UPDATE runs SET owner_pid = $$ WHERE id = '$c'"   # another process holds it
post 409 "a run another process is executing" -- $s -d "$form&csrf=$csrf" "$base/runs/$c/decide"
has "is being executed by process $$" "the page says who holds it"
sql "UPDATE runs SET owner_pid = 0 WHERE id = '$c'"
"$WARRANT" show "$c" | grep -q "status   waiting" && ok "the busy run still waits" ||
	fail "the busy run moved"
post 303 "reject with a reason" -- $s \
	-d "step=review&decision=reject&reviewer=bob&note=wrong+%3Ci%3Evendor%3C%2Fi%3E&csrf=$csrf" \
	"$base/runs/$b/decide"
expect_exit 0 "show the rejected run" -- "$WARRANT" show "$b"
expect_out "failure: rejected_by_human" "rejected_by_human"
want 200 "the queue after" -- $s "$base/queue"
hasnt "$a" "the approved run left the queue"
has "$c" "the other one waits"
want 200 "the rejected run's page" -- $s "$base/runs/$b"
has 'wrong &lt;i&gt;vendor&lt;/i&gt;' "the note is escaped in the ledger"
want 200 "the queue again" -- $s "$base/queue"
has 'value="bob"' "the session remembers the reviewer"

# --- concurrent readers ---
for i in $(seq 24); do
	curl -s -o /dev/null -w '%{http_code}\n' $s "$base/runs/$c" &
done > par.txt
wait $(jobs -p | grep -v "^$serve_pid$") 2>/dev/null
sleep 0.2
[ "$(grep -c '^200$' par.txt)" = 24 ] && ok "24 concurrent requests" ||
	fail "concurrent: $(sort par.txt | uniq -c | tr '\n' ' ')"

# --- signing out, stopping ---
post 200 "sign out" -- $s -d "csrf=$csrf" "$base/logout"
want 401 "the old session is gone" -- $s "$base/runs"
web_stop; rc=$?
[ $rc = 0 ] && ok "SIGTERM stops it cleanly" || fail "exit $rc after SIGTERM"
grep -q "stopping (SIGTERM)" serve.err && ok "says so" || fail "stop message"

# --- the token file keeps the token across restarts; bad options ---
old=$token
web_start
[ "$token" = "$old" ] && ok "the token file's token is used again" || fail "a new token"
[ "$(stat -c %a token)" = 600 ] && ok "the token file is 0600" || fail "token file mode"
want 200 "the old token still opens it" -- -H "Authorization: Bearer $old" "$base/queue"
want 200 "HEAD" -- -I -H "Authorization: Bearer $old" "$base/runs"
web_stop || fail "second stop"
expect_exit 2 "a bad --listen" -- "$WARRANT" serve --listen nowhere
expect_out "HOST:PORT" "says what it takes"
echo short > short.tok
expect_exit 2 "a token file with a short token" -- "$WARRANT" serve --token-file short.tok
expect_exit 0 "serve --help" -- "$WARRANT" serve --help
expect_out "access token" "the help explains the token"
finish
