#!/bin/sh
# Builds the test programs into DIR (default: build):
#   DIR/mockllm   the mock LLM server (no dependencies)
#   DIR/mcp_echo  a tiny MCP server over stdio (no dependencies)
#   DIR/probe     a command-line model caller, when DIR/libwarrant.a exists
# Unit tests, e2e tests and bench/providers call this; it rebuilds only what
# is older than its sources. The Makefile rules it stands in for:
#   $(BUILD)/mockllm: tests/servers/mockllm.c
#   	$(CC) -O2 -std=c17 -Wall -Wextra -o $@ $<
#   $(BUILD)/probe: tests/servers/probe.c $(BUILD)/libwarrant.a
#   	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libwarrant.a $(LDLIBS)
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build}
mkdir -p "$out"
cc=${CC:-cc}

src="$root/tests/servers/mockllm.c"
if [ ! -x "$out/mockllm" ] || [ "$src" -nt "$out/mockllm" ]; then
	$cc -O2 -std=c17 -Wall -Wextra -o "$out/mockllm.tmp.$$" "$src"
	mv "$out/mockllm.tmp.$$" "$out/mockllm"
fi

src="$root/tests/servers/mcp_echo.c"
if [ ! -x "$out/mcp_echo" ] || [ "$src" -nt "$out/mcp_echo" ]; then
	$cc -O2 -std=c17 -Wall -Wextra -o "$out/mcp_echo.tmp.$$" "$src"
	mv "$out/mcp_echo.tmp.$$" "$out/mcp_echo"
fi

src="$root/tests/servers/probe.c"
lib="$out/libwarrant.a"
if [ -f "$lib" ] && { [ ! -x "$out/probe" ] || [ "$src" -nt "$out/probe" ] ||
                      [ "$lib" -nt "$out/probe" ]; }; then
	pkgs="libfyaml jansson sqlite3 libcrypto libpcre2-8 libcurl"
	san=""  # a sanitizer build's library needs the sanitizer runtimes
	nm "$lib" 2>/dev/null | grep -q __asan_init && san="-fsanitize=address,undefined"
	# shellcheck disable=SC2046
	$cc -O2 -g -std=c17 -D_GNU_SOURCE -Wall -Wextra $san -I"$root/include" -I"$root/src" \
		$(pkg-config --cflags $pkgs) -o "$out/probe.tmp.$$" "$src" "$lib" \
		$(pkg-config --libs $pkgs) -lpthread -lm
	mv "$out/probe.tmp.$$" "$out/probe"
fi
