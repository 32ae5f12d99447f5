# An API key set in the environment appears in no artifact of a run: not in
# the store (database, WAL and all), the ledger, the shipped outputs, the
# cassette, 'show --json', or the CLI's stdout and stderr, even when the
# server echoes the key back in its answer and quotes it in an error body.
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
unset OPENAI_BASE_URL WARRANT_STORE WARRANT_PRICES
key="sk-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export OPENAI_API_KEY="$key"

"$build/mockllm" --require-key "$key" --log mock.log > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat port)/v1"

cat > ok.yaml <<EOF2
name: secrets
contract: {purpose: do not leak}
models:
  m: {provider: openai, model: gpt-4o-mini, base_url: "$base", backoff_ms: 5}
steps:
  - {id: draft, kind: generate, model: m, prompt: "show me [mock:echo-key]"}
  - {id: verify, kind: check, of: draft, checks: [{contains: "echo"}]}
  - {id: out, kind: ship, of: draft, to: out.txt}
EOF2
sed -e 's/\[mock:echo-key\]/[mock:status=500]/' -e 's/backoff_ms: 5/backoff_ms: 5, max_attempts: 2/' \
	ok.yaml > bad.yaml

"$WARRANT" run ok.yaml > run1.out 2> run1.err
[ $? = 0 ] && ok "a run whose answer echoes the key succeeds" || fail "run: $(cat run1.err)"
grep -q "redacted" out.txt && ok "the echoed key was redacted from the output" ||
	fail "no redaction in: $(cat out.txt)"
"$WARRANT" run bad.yaml > run2.out 2> run2.err
[ $? = 1 ] && ok "a run whose server fails with the key in its error body fails" ||
	fail "failing run: $(cat run2.out run2.err)"
grep -q "provider_error" run2.out run2.err && ok "classed provider_error" || fail "class"
# mockllm --require-key answers 401 to a wrong or missing key.
grep -q " 200 " mock.log && ! grep -q " 401 " mock.log && ok "the key was presented" ||
	fail "the key was not presented: $(cat mock.log)"

run1=$(sql "SELECT id FROM runs ORDER BY created_ms, rowid LIMIT 1")
"$WARRANT" show last --json > show.json 2>&1
"$WARRANT" show "$run1" --json >> show.json 2>&1
"$WARRANT" show "$run1" --artifacts > show.txt 2>&1
"$WARRANT" show "$run1" --cassette > cassette.json 2>&1
"$WARRANT" ledger show > ledger.txt 2>&1
"$WARRANT" ledger verify >> ledger.txt 2>&1
sqlite3 .warrant/warrant.db .dump > dump.sql
"$WARRANT" run ok.yaml --replay "$run1" > run3.out 2> run3.err || fail "replay failed"

leaks=$(grep -rlaF -- "$key" . || true)
if [ -n "$leaks" ]; then
	fail "the key appears in: $leaks"
else
	ok "the key appears in none of: $(find . -type f ! -name mock.log | sort | tr '\n' ' ')"
fi
# The check is only worth something if the files it read hold the run.
grep -q "model_calls" show.json && grep -q "generated" ledger.txt && grep -q "INSERT INTO exchanges" dump.sql &&
	ok "the searched files hold the run's records" || fail "searched files are empty"
finish
