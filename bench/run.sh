#!/usr/bin/env bash
# make bench: every benchmark, each the median of several runs.
#   1. engine overhead per step (target <= 20 us) and CLI start-up (<= 5 ms)
#   2. ledger verification: the hash chain, and with Ed25519 signatures
#   3. the source index: indexing MB/s and retrieval latency, 50 MB corpus
#   4. JSON Schema validation against ajv 8 (needs node and npm; skipped
#      with a note when they are missing)
#   5. the HTTP provider pool against the mock server on 127.0.0.1
#   6. sandbox start-up per tool call against fork/exec and bubblewrap
#   7. the review desk (warrant serve): page latency with 100 000 runs
#   8. spans: wr_trace_each over a 10 000-step run, and its run page
#   9. one tool call: the envelope decision, read_file, a sandboxed command
#  10. the local engine: tokens/s on the demo model and a 135M random model,
#      against llama.cpp when it is at hand (bench/local/run.sh)
# BENCH=core|ledger|sources|schema|providers|sandbox|web|spans|tools|local runs one of them.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
only=${BENCH:-all}
mkdir -p "$build/bench"
if [ "$only" = all ] || [ "$only" = core ]; then
	echo "== engine overhead (scripted instant provider, SQLite on disk) =="
	"$build/bench_steps" 10000 5 "$build/bench"
	echo "== CLI start-up (warrant --version, 200 runs) =="
	"$build/bench_startup" "$build/warrant" 200
fi
if [ "$only" = all ] || [ "$only" = ledger ]; then
	echo "== ledger verification (SQLite on disk) =="
	"$build/bench_ledger" 200000 5 "$build/bench"
fi
if [ "$only" = all ] || [ "$only" = sources ]; then
	echo "== source index: 50 MB of generated Markdown, SQLite FTS5 on disk =="
	"$build/bench_sources" 50 3 "$build/bench"
fi
if [ "$only" = all ] || [ "$only" = schema ]; then
	echo "== JSON Schema validation, warrant against ajv 8 =="
	if command -v node >/dev/null && command -v npm >/dev/null; then
		"$root/bench/schema/run.sh"
	else
		echo "skipped: node and npm are needed for ajv (apt-get install nodejs npm)"
	fi
fi
if [ "$only" = all ] || [ "$only" = providers ]; then
	echo "== provider pool against the mock server =="
	"$root/bench/providers/run.sh" "$build"
fi
if [ "$only" = all ] || [ "$only" = sandbox ]; then
	echo "== sandbox start-up: /bin/true plain, in wr_sandbox_run, in bwrap =="
	"$build/bench_sandbox" 500
fi
if [ "$only" = all ] || [ "$only" = tools ]; then
	echo "== one tool call: envelope decision, read_file, command in the sandbox =="
	"$build/bench_tools" 300 "$build/bench"
fi
if [ "$only" = all ] || [ "$only" = web ]; then
	echo "== review desk: page latency with 100 000 runs (warrant serve, curl) =="
	"$root/bench/web/run.sh" "$build"
fi
if [ "$only" = all ] || [ "$only" = spans ]; then
	echo "== trace spans: a 10 000-step run (25 001 spans), SQLite on disk =="
	"$root/bench/web/spans.sh" "$build"
fi
if [ "$only" = all ] || [ "$only" = local ]; then
	echo "== local engine: tokens/s, 2 threads (bench/local/run.sh) =="
	"$root/bench/local/run.sh" "$build"
fi
