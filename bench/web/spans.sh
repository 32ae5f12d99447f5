#!/usr/bin/env bash
# Trace spans: how fast wr_trace_each produces a large run's spans
# (build/bench_spans: a 10 000-step run, 25 001 spans), then the review
# desk's page for that run (its waterfall draws the first 5 000 spans) timed
# with curl: the median and 90th percentile of REQUESTS, one at a time.
# Usage: bench/web/spans.sh [BUILD] [STEPS] [REQUESTS]   (defaults: build 10000 11)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
steps=${2:-10000}
reqs=${3:-11}
dir=$build/bench/spans
rm -rf "$dir"
mkdir -p "$dir"
out=$("$build/bench_spans" "$steps" 5 "$dir")
echo "$out" | grep -v '^run '
run=$(echo "$out" | sed -n 's/^run //p')
cd "$dir"
"$build/warrant" serve --store store.db --listen 127.0.0.1:0 --token-file token \
	> serve.out 2>serve.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^warrant serve: http' serve.out && break; sleep 0.05; done
base=$(sed -n 's/^warrant serve: \(http:[^?]*\)\/?token=.*/\1/p' serve.out)
auth="Authorization: Bearer $(cat token)"
curl -s -o page.html -H "$auth" "$base/runs/$run"
t=$(for _ in $(seq "$reqs"); do
	curl -s -o /dev/null -H "$auth" -w '%{http_code} %{time_total}\n' "$base/runs/$run"
done)
if grep -qv '^200 ' <<<"$t"; then
	echo "run page: a request failed: $(grep -v '^200 ' <<<"$t" | head -1)"
else
	awk '{ print $2 * 1000 }' <<<"$t" | sort -n | awk -v kb="$(($(wc -c < page.html) / 1024))" \
		'{ v[NR] = $1 } END { printf "run page with its waterfall (%d KiB): median %.1f ms, p90 %.1f ms (%d requests)\n",
		  kb, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], NR }'
fi
kill -TERM $pid
wait $pid || true
