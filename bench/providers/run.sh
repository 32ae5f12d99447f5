#!/usr/bin/env bash
# Benchmarks the openai provider's concurrent pool against tests/servers/mockllm
# on 127.0.0.1. Usage: bench/providers/run.sh [BUILD]   (default: build)
#   1. 1000 requests to an instant server at concurrency 64: requests/s, peak RSS
#   2. 5120 requests with 200 ms of server latency at concurrency 256: the
#      fraction of the ideal 256 / 0.2 s = 1280 requests/s achieved (target 90%)
# Each runs RUNS times (default 3) against a fresh server.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
cd "$root"
make --no-print-directory -s -j2 BUILD="${1:-build}" "$build/libwarrant.a" >/dev/null
tests/servers/build.sh "$build"
pkgs="libfyaml jansson sqlite3 libcrypto libpcre2-8 libcurl"
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Iinclude -Isrc -o "$build/bench_providers" \
	bench/providers/driver.c "$build/libwarrant.a" $(pkg-config --libs $pkgs) -lpthread -lm
ulimit -n 4096 2>/dev/null || true

run() {  # latency_ms n concurrency
	local tmp pid port
	tmp=$(mktemp -d)
	"$build/mockllm" --latency-ms "$1" > "$tmp/port" &
	pid=$!
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/port")
	"$build/bench_providers" "http://127.0.0.1:$port/v1" "$2" "$3" "$1" || true
	kill $pid; wait $pid 2>/dev/null || true
	rm -rf "$tmp"
}

for _ in $(seq "${RUNS:-3}"); do echo "instant server:  $(run 0 1000 64)"; done
for _ in $(seq "${RUNS:-3}"); do echo "200 ms latency:  $(run 200 5120 256)"; done
