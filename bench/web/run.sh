#!/usr/bin/env bash
# The review desk's page latency with 100 000 runs in the store.
# Usage: bench/web/run.sh [BUILD] [RUNS] [REQUESTS]   (defaults: build 100000 21)
#
# Makes a store with one real run (a scripted model) waiting for approval,
# copies it RUNS times with direct SQL (ids, times, statuses and failure
# classes varied: 70 % done, 10 % each rejected/schema_invalid,
# failed/provider_error, and waiting, these with the real run's steps,
# artifact and checks, so the queue has something to show), starts
# `warrant serve` on 127.0.0.1 and times REQUESTS requests of each page with
# curl (after 3 warm-up requests): the median and the 90th percentile of
# curl's time_total, one request at a time.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
n=${2:-100000}
reqs=${3:-21}
dir=$build/bench/web
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

cat > model.yaml <<'YAML'
responses:
  - text: '{"total": 12}'
YAML
cat > flow.yaml <<'YAML'
name: bench-flow
contract: {purpose: Extract a total as JSON.}
inputs:
  doc: {description: the document}
models:
  m: {provider: script, file: model.yaml}
steps:
  - {id: draft, kind: generate, model: m, prompt: "Doc: {{inputs.doc}}"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}, {contains: total}]}
  - {id: review, kind: approve, of: draft}
  - {id: publish, kind: ship, of: draft, to: out/total.json}
YAML
export WARRANT_STORE=$dir/.warrant/warrant.db
"$build/warrant" run flow.yaml --input doc=x -q >/dev/null || [ $? = 4 ]
start=$(date +%s.%N)
sqlite3 "$WARRANT_STORE" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
INSERT INTO runs(id, flow_name, flow_path, flow_hash, flow_blob, status, failure,
                 failed_step, message, inputs_blob, seed, created_ms, updated_ms,
                 tokens_in, tokens_out, calls, cost_usd, seconds, steps_total)
SELECT printf('bench-%07d', i), r.flow_name || (i % 3), r.flow_path, r.flow_hash, r.flow_blob,
       CASE i % 10 WHEN 0 THEN 'rejected' WHEN 1 THEN 'failed' WHEN 2 THEN 'waiting'
                   ELSE 'done' END,
       CASE i % 10 WHEN 0 THEN 'schema_invalid' WHEN 1 THEN 'provider_error' ELSE 'none' END,
       CASE i % 10 WHEN 0 THEN 'verify' WHEN 1 THEN 'draft' ELSE '' END,
       CASE i % 10 WHEN 0 THEN 'not valid JSON' ELSE '' END,
       r.inputs_blob, i, r.created_ms - ($n - i) * 1000, r.created_ms - ($n - i) * 1000,
       120, 40, 1, 0.0001, 0.01, r.steps_total
FROM n, (SELECT * FROM runs LIMIT 1) r;
-- The waiting copies get the real run's steps, artifact and checks, so the
-- queue renders what a person would see.
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 10 FROM n WHERE i + 10 <= $n)
INSERT INTO steps SELECT printf('bench-%07d', i), s.idx, s.id, s.kind, s.status, s.failure,
       s.message, s.artifact, s.started_ms, s.ended_ms, s.seconds, s.ledger_seq
FROM n, steps s WHERE s.run_id = (SELECT id FROM runs WHERE id NOT LIKE 'bench-%');
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 10 FROM n WHERE i + 10 <= $n)
INSERT INTO artifacts SELECT printf('bench-%07d', i), a.step_id, a.hash, a.size, a.state,
       a.failure, a.checks_passed
FROM n, artifacts a WHERE a.run_id = (SELECT id FROM runs WHERE id NOT LIKE 'bench-%');
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 10 FROM n WHERE i + 10 <= $n)
INSERT INTO checks SELECT printf('bench-%07d', i), c.step_id, c.idx, c.kind, c.artifact,
       c.passed, c.failure, c.reason, c.seconds
FROM n, checks c WHERE c.run_id = (SELECT id FROM runs WHERE id NOT LIKE 'bench-%');
SQL
echo "store: $(sqlite3 "$WARRANT_STORE" 'SELECT count(*) FROM runs') runs," \
     "filled in $(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)") s"

"$build/warrant" serve --listen 127.0.0.1:0 --token-file token > serve.out 2>serve.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^warrant serve: http' serve.out && break; sleep 0.05; done
base=$(sed -n 's/^warrant serve: \(http:[^?]*\)\/?token=.*/\1/p' serve.out)
auth="Authorization: Bearer $(cat token)"
mid=$(printf 'bench-%07d' $((n / 2)))

page() {  # label path
	local t
	for _ in 1 2 3; do curl -s -o /dev/null -H "$auth" "$base$2"; done
	t=$(for _ in $(seq "$reqs"); do
		curl -s -o /dev/null -H "$auth" -w '%{http_code} %{time_total}\n' "$base$2"
	done)
	if grep -qv '^200 ' <<<"$t"; then echo "$1: a request failed: $(grep -v '^200 ' <<<"$t" | head -1)"; return; fi
	awk -v label="$1" '{ print $2 * 1000 }' <<<"$t" | sort -n | awk -v label="$1" \
		'{ v[NR] = $1 } END { printf "%-44s median %7.2f ms   p90 %7.2f ms   (%d requests)\n",
		  label, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], NR }'
}
page "run list, first page (50 of $n)" "/runs"
page "run list, a page in the middle" "/runs?after=$mid"
page "run list, status=rejected" "/runs?status=rejected"
page "run list, failure=schema_invalid, one flow" "/runs?failure=schema_invalid&flow=bench-flow1"
page "run list, a filter nothing matches" "/runs?failure=refusal"
page "approval queue (50 of $((n / 10)) waiting)" "/queue"
page "one run" "/runs/$mid"
page "failures dashboard ($((n / 5)) failed runs)" "/failures"
kill -TERM $pid
wait $pid || true
