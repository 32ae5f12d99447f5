#!/usr/bin/env bash
# make bench: the core's figures. Engine overhead per step (target <= 20 us)
# and CLI start-up time (target <= 5 ms), each the median of several runs.
set -eu
build=${1:-build}
mkdir -p "$build/bench"
echo "== engine overhead (scripted instant provider, SQLite on disk) =="
"$build/bench_steps" 10000 5 "$build/bench"
echo "== CLI start-up (warrant --version, 200 runs) =="
"$build/bench_startup" "$build/warrant" 200
