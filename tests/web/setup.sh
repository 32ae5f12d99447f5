# setup.sh: sourced by the review desk's tests (tests/e2e/web*.sh). Makes a
# workflow whose scripted model plants script and HTML in its output, runs
# it so runs wait for approval, and starts `warrant serve` on 127.0.0.1 with
# a free port. The server stops by itself: it runs under `timeout`, and the
# EXIT trap sends it SIGTERM.
#   web_setup N       N runs waiting, one rejected run; sets $runs (ids)
#   web_start [OPT..] starts the server (the token in ./token, made when
#                     missing; OPTs go to warrant serve); sets $base, $token,
#                     $url, $serve_pid
#   web_stop          SIGTERM, waits; returns the server's exit status

planted='<script>alert(1)</script><img src=x onerror=alert(2)>'

web_setup() {
	local n=$1
	cat > model.yaml <<YAML
responses:
  - text: '{"total": 12, "note": "$planted"}'
YAML
	cat > broken.yaml <<YAML
responses:
  - text: '{"total": 12, "note": "$planted"'
YAML
	for m in model broken; do
		cat > "$m-flow.yaml" <<YAML
name: $m-flow
contract:
  purpose: Extract a total as JSON.
inputs:
  doc: {description: the document}
models:
  m: {provider: script, file: $m.yaml}
steps:
  - {id: draft, kind: generate, model: m, prompt: "Doc: {{inputs.doc}}"}
  - id: verify
    kind: check
    of: draft
    checks:
      - json: true
      - contains: '"total"'
  - {id: review, kind: approve, of: draft}
  - {id: publish, kind: ship, of: draft, append: out/shipped.jsonl}
YAML
	done
	runs=""
	for i in $(seq "$n"); do
		"$WARRANT" run model-flow.yaml --input doc="invoice $i" -q >/dev/null 2>&1
		[ $? -eq 4 ] || { echo "setup: run $i did not wait for approval"; exit 1; }
		runs="$runs $("$WARRANT" runs -n 1 | awk 'NR == 2 { print $1 }')"
	done
	"$WARRANT" run broken-flow.yaml --input doc=x -q >/dev/null 2>&1
	rejected=$("$WARRANT" runs -n 1 | awk 'NR == 2 { print $1 }')
}

web_start() {
	rm -f serve.out serve.err
	timeout -s TERM "${WEB_TIMEOUT:-120}" "$WARRANT" serve --listen 127.0.0.1:0 \
		--token-file token "$@" >serve.out 2>serve.err &
	serve_pid=$!
	trap 'kill -TERM $serve_pid 2>/dev/null || true' EXIT
	for _ in $(seq 100); do
		grep -q '^warrant serve: http' serve.out 2>/dev/null && break
		kill -0 $serve_pid 2>/dev/null || { cat serve.err; exit 1; }
		sleep 0.05
	done
	url=$(sed -n 's/^warrant serve: //p' serve.out | head -1)
	base=${url%%/\?token=*}
	token=$(cat token)
	[ -n "$url" ] && [ -n "$token" ] || { echo "setup: the server did not start"; exit 1; }
}

web_stop() {
	kill -TERM "$serve_pid" 2>/dev/null
	wait "$serve_pid"
}
