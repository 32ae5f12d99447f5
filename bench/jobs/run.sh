#!/usr/bin/env bash
# The job queue on PostgreSQL (a server started for the benchmark on
# 127.0.0.1, as the tests start one):
#   1. claim latency: bench_jobs, 1 and 4 processes claiming instant jobs
#      (claim and end, no run), p50/p99 of wr_job_claim; the same on SQLite
#   2. jobs/s: JOBS instant jobs (a one-step workflow, scripted model with
#      no latency) run by 1, 2, 4 and 8 `warrant worker --drain` processes,
#      from the first worker's start to the last one's exit
# Usage: bench/jobs/run.sh [BUILD] [JOBS]   (defaults: build 1000)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
jobs=${2:-1000}
dir=$build/bench/jobs
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
export TMPDIR=$dir
. "$root/tests/pg.sh"
pg_start || exit 0
echo "cores: $(nproc), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')" \
     "(fsync off, as in the tests)"

echo "-- claim latency (instant jobs, no run) --"
for p in 1 4; do
	url=$(pg_createdb "claim$p")
	echo -n "PostgreSQL: "; "$build/bench_jobs" "$url" 5000 "$p"
	echo -n "SQLite:     "; "$build/bench_jobs" "$dir/claim$p.db" 5000 "$p"
done

echo "-- jobs/s, $jobs instant one-step runs --"
cat > model.yaml <<'YAML'
responses:
  - text: 'ok'
YAML
cat > instant.yaml <<'YAML'
name: instant
contract: {purpose: a job that takes no time}
inputs: {n: {description: the job number}}
models: {m: {provider: script, file: model.yaml}}
steps:
  - {id: gen, kind: generate, model: m, prompt: "job {{inputs.n}}"}
YAML
for w in 1 2 4 8; do
	url=$(pg_createdb "workers$w")
	"$build/warrant" submit instant.yaml --store "$url" --count "$jobs" --number n -q
	start=$(date +%s.%N)
	pids=""
	for i in $(seq "$w"); do
		"$build/warrant" worker --store "$url" --name "w$i" --drain -q 2>/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	end=$(date +%s.%N)
	done_n=$(pg_sql "$url" "SELECT count(*) FROM jobs WHERE status = 'done'")
	echo "$w worker(s): $done_n jobs in $(echo "$end - $start" | bc | cut -c1-5) s:" \
	     "$(echo "$done_n / ($end - $start)" | bc) jobs/s"
done
