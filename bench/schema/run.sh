#!/usr/bin/env bash
# bench/schema/run.sh: warrant's JSON Schema validator against ajv 8.
# Builds the library, the C driver and (first time) installs ajv with npm
# into bench/schema/node_modules, generates the documents, then prints a
# table of documents per second (median of RUNS runs, default 5).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${RUNS:-5}
cd "$root"
make -j2 all >/dev/null
pkgs="jansson libpcre2-8 libfyaml sqlite3 libcrypto libcurl"
cc -O2 -std=c17 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags $pkgs) \
	-o build/bench_schema bench/schema/bench_schema.c build/libwarrant.a \
	$(pkg-config --libs $pkgs) -lpthread -lm
[ -d "$here/node_modules/ajv" ] || (cd "$here" && npm install --no-audit --no-fund >/dev/null)
[ -f "$here/data/thread.json" ] || node "$here/gen.js" "${DOCS:-4000}"

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
printf '%-8s %6s %6s | %14s %14s %6s | %14s %14s %6s\n' schema docs valid \
	"warrant v/s" "ajv v/s" ratio "warrant p+v/s" "ajv p+v/s" ratio
for s in invoice api thread; do
	w=$(build/bench_schema "$here/schemas/$s.json" "$here/data/$s.json" "$runs")
	a=$(node "$here/ajv_bench.js" "$here/schemas/$s.json" "$here/data/$s.json" "$runs")
	wv=$(field "$w" validate_per_s); av=$(field "$a" validate_per_s)
	wp=$(field "$w" parse_validate_per_s); ap=$(field "$a" parse_validate_per_s)
	if [ "$(field "$w" valid)" != "$(field "$a" valid)" ]; then
		echo "$s: verdicts differ: warrant $(field "$w" valid), ajv $(field "$a" valid) valid" >&2
	fi
	printf '%-8s %6s %6s | %14s %14s %6.2f | %14s %14s %6.2f\n' "$s" "$(field "$w" docs)" \
		"$(field "$w" valid)" "$wv" "$av" "$(echo "$wv / $av" | bc -l)" \
		"$wp" "$ap" "$(echo "$wp / $ap" | bc -l)"
done
