# warrant eval --cache against tests/servers/mockllm --json-echo on
# 127.0.0.1: a re-run of an unchanged suite makes no model calls (the server
# counts them), gives the same outcomes, and records its calls as served
# from the cache; without --cache every call reaches the server again. The
# suite is bench/promptfoo's in small: per-case expectations through a cites
# check against an input, some cases built to fail.
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
"$WR_ROOT/tests/servers/build.sh" "$build"
unset OPENAI_API_KEY OPENAI_BASE_URL WARRANT_STORE WARRANT_PRICES

"$build/mockllm" --json-echo > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat port)"
served() { curl -s "$base/stats" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'; }

# --json-echo's answer is JSON whose echo is the prompt, quotes and
# backslashes included.
curl -s "$base/v1/chat/completions" -d '{"messages":[{"role":"user","content":"say \"hi\" \\ ok"}]}' > echo.json
got=$(sqlite3 :memory: "SELECT json_extract(json_extract(CAST(readfile('echo.json') AS TEXT),
	'\$.choices[0].message.content'), '\$.echo')")
[ "$got" = 'say "hi" \ ok' ] && ok "mockllm --json-echo echoes the prompt as JSON" || fail "echo: $(cat echo.json)"
curl -s -X POST "$base/reset" > /dev/null

cat > f.yaml <<EOF2
name: echo
contract: {purpose: repeat the case back as JSON}
inputs: {id: {description: the case number}, word: {description: a word},
         expected: {description: the echo the answer must carry}}
models: {m: {provider: openai, model: mock-1, base_url: "$base/v1"}}
steps:
  - {id: a, kind: generate, model: m, prompt: "Case {{inputs.id}}: {{inputs.word}}"}
  - id: c
    kind: check
    of: a
    checks:
      - json: true
      - contains: '"echo":"Case '
      - regex: '^\{"echo":"Case [0-9]+: [a-z]+"\}$'
      - {cites: echo, input: expected}
EOF2
{
	echo "name: cached"; echo "workflow: f.yaml"; echo "repeats: 2"; echo "concurrency: 3"
	echo "cases:"
	for i in $(seq 1 10); do
		w=word; exp="Case $i: word"
		[ "$i" = 4 ] && exp="Case 4: other"   # the answer differs from the expectation
		[ "$i" = 7 ] && w=Word                 # the regex rejects the answer
		echo "  - {name: c$i, inputs: {id: \"$i\", word: $w, expected: \"$exp\"}}"
	done
} > s.yaml
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }

[ "$(served)" = 0 ] || fail "the server is not fresh: $(served) requests"
expect_exit 3 "the first eval (two cases built to fail)" -- "$WARRANT" eval s.yaml --cache --json
[ "$(j '$.passed')" = 16 ] && [ "$(j '$.runs')" = 20 ] && ok "16 of 20 runs pass" ||
	fail "passed $(j '$.passed') of $(j '$.runs')"
[ "$(j '$.failures.unsupported_claim')" = 2 ] && [ "$(j '$.failures.check_failed')" = 2 ] &&
	ok "the per-case expectation and the regex each failed their case" || fail "failures $(j '$.failures')"
[ "$(served)" = 20 ] && ok "the first eval asked the server 20 times" || fail "$(served) requests"
cp last.out first.json

expect_exit 3 "the same suite again, with --cache" -- "$WARRANT" eval s.yaml --cache --json
[ "$(served)" = 20 ] && ok "the re-run made no model calls" || fail "the re-run made $(( $(served) - 20 )) calls"
[ "$(j '$.passed')" = 16 ] && ok "the same outcomes" || fail "passed $(j '$.passed')"
cached=$(sqlite3 .warrant/eval.db "SELECT count(*) FROM exchanges WHERE served = 'cache'")
[ "$cached" = 20 ] && ok "its 20 calls were served from the cache" || fail "$cached calls cached"

expect_exit 3 "without --cache" -- "$WARRANT" eval s.yaml --json
[ "$(served)" = 40 ] && ok "without --cache every call reaches the server" || fail "$(served) requests"

# A changed case is a new request: only it reaches the server.
sed -i 's/id: "9", word: word, expected: "Case 9: word"/id: "9", word: other, expected: "Case 9: other"/' s.yaml
expect_exit 3 "one case changed, with --cache" -- "$WARRANT" eval s.yaml --cache --json
[ "$(served)" = 42 ] && ok "only the changed case's two runs asked the server" ||
	fail "$(( $(served) - 40 )) calls, expected 2"
finish
