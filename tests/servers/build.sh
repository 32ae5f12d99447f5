#!/bin/sh
# Builds the test servers into DIR (default build): DIR/mockllm.
# The unit tests, e2e tests and bench/providers call this; it rebuilds only
# when the source is newer than the binary.
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build}
mkdir -p "$out"
src="$root/tests/servers/mockllm.c"
if [ ! -x "$out/mockllm" ] || [ "$src" -nt "$out/mockllm" ]; then
	${CC:-cc} -O2 -std=c17 -Wall -Wextra -o "$out/mockllm.tmp.$$" "$src"
	mv "$out/mockllm.tmp.$$" "$out/mockllm"
fi
