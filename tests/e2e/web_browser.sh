# The review desk in a real browser: Debian's chromium, driven headless by
# playwright-core from the npm registry (tests/web/browser.cjs). Installs
# what is missing: chromium with apt-get when root, playwright-core into
# $BUILD/npm-playwright/VERSION (git-ignored). Skips, saying why, only when these
# cannot be installed. Screenshots go to $BUILD/screenshots/.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/web/setup.sh"
build=$(cd "$(dirname "$WARRANT")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
skip() { echo "skipped: $*"; exit 0; }

if [ ! -x "$chromium" ]; then
	[ "$(id -u)" = 0 ] || skip "chromium is not installed (apt-get install chromium)"
	{ timeout 300 apt-get update -qq &&
	  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
		--no-install-recommends chromium; } >apt.log 2>&1 ||
		{ tail -5 apt.log; skip "chromium could not be installed"; }
fi
command -v node >/dev/null && command -v npm >/dev/null ||
	skip "node and npm are not installed (apt-get install nodejs npm)"
# playwright-core 1.58 and later need node 20; Debian 12's node is 18.
major=$(node -p 'process.versions.node.split(".")[0]')
version=${PLAYWRIGHT_CORE:-$([ "$major" -ge 20 ] && echo 1.65.1 || echo 1.57.0)}
pkg=playwright-core@$version
pw="$build/npm-playwright/$version"
if [ ! -f "$pw/node_modules/playwright-core/package.json" ]; then
	timeout 300 npm install --silent --no-audit --no-fund --prefix "$pw" "$pkg" >npm.log 2>&1 ||
		{ tail -5 npm.log; skip "$pkg could not be installed from the npm registry"; }
fi

web_setup 2
set -- $runs
a=$1 b=$2
# A run that retrieves from a document with planted markup, for the trace
# and why pages.
mkdir -p docs
cat > docs/policy.md <<'DOC'
# Refunds

Refunds are paid within fourteen days. <script>alert(3)</script><img src=x onerror=alert(4)>
DOC
cat > rmodel.yaml <<YAML
responses:
  - text: '{"answer": "fourteen days", "note": "$planted"}'
YAML
cat > retrieve-flow.yaml <<'YAML'
name: retrieve-flow
contract:
  purpose: Answer from the policy.
inputs:
  question: {description: a question}
models:
  m: {provider: script, file: rmodel.yaml}
steps:
  - {id: find, kind: retrieve, query: "{{inputs.question}}", sources: [docs], top_k: 1}
  - {id: answer, kind: generate, model: m, prompt: "{{inputs.question}} {{steps.find.quotes}}"}
  - {id: verify, kind: check, of: answer, checks: [{json: true}]}
YAML
"$WARRANT" run retrieve-flow.yaml --input "question=When are refunds paid?" -q >/dev/null 2>&1 ||
	fail "the retrieve run"
r=$("$WARRANT" runs -n 1 | awk 'NR == 2 { print $1 }')
rhash=$(sql "SELECT hash FROM artifacts WHERE run_id = '$r' AND step_id = 'answer'")
# An eval report with planted markup, for the Evals page.
mkdir -p reports
cat > reports/planted.json <<'JSON'
{"suite":"<script>alert(5)</script>","cases":1,"repeats":3,"runs":3,"passed":2,
 "pass_rate":0.667,"ci95":[0.208,0.939],"pass_at_1":0.667,"pass_at_k":1.0,"flaky":1,
 "threshold":0.5,"threshold_met":false,"failures":{"schema_invalid":1},
 "case_results":[{"name":"<img src=x onerror=alert(6)>","runs":3,"passed":2,
 "failure":"schema_invalid","example_run":"none"}]}
JSON
web_start --reports reports
mkdir -p "$build/screenshots"
if SHOTS="$build/screenshots" CHROMIUM="$chromium" timeout 120 \
	node "$WR_ROOT/tests/web/browser.cjs" "$pw" "$base" "$url" "$a" "$b" "$r" "$rhash" > browser.log 2>&1; then
	ok "the browser test"
else
	fail "the browser test"
fi
sed 's/^/  /' browser.log

# Judged from outside the browser too.
[ "$(grep -c total out/shipped.jsonl 2>/dev/null)" = 1 ] && ok "one artifact shipped" ||
	fail "shipped file"
expect_exit 0 "show the approved run" -- "$WARRANT" show "$a"
expect_out "status   done" "the run is done"
expect_exit 0 "its ledger" -- "$WARRANT" ledger show "$a"
expect_out "human:carol +approved" "approved under the reviewer's name"
if grep -q "mallory" last.out; then fail "the forged form left a mark"; else ok "no forged decision"; fi
expect_exit 0 "the other run" -- "$WARRANT" show "$b"
expect_out "status   waiting" "still waits"
n=$(ls "$build/screenshots"/*.png 2>/dev/null | wc -l)
[ "$n" -ge 11 ] && ok "$n screenshots in $build/screenshots" || fail "screenshots: $n"
web_stop || fail "the server did not stop cleanly"
finish
