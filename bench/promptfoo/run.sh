#!/usr/bin/env bash
# bench/promptfoo/run.sh [BUILD]: `warrant eval` against `promptfoo eval` on
# the same N-case suite (gen.sh; N=1000), the same mock OpenAI-compatible
# server (tests/servers/mockllm --json-echo on 127.0.0.1), the same checks and
# the same concurrency (CONC=8), RUNS times each (default 3), alternating.
# Prints each run's wall time (end to end: start-up, every call, every check,
# the report) and peak RSS (/usr/bin/time -v), then the medians as cases/s and
# MiB, and the ratios. Both tools must report the same pass count (N - N/5:
# the suite has failing cases built in) and the server must see N requests
# per run, else it stops with exit 1.
#
# promptfoo comes from npm, pinned (PROMPTFOO_VERSION), installed once into
# $WARRANT_BENCH_CACHE/promptfoo (default ~/.cache/warrant-bench); without
# node, npm or the registry it prints SKIP and exits 0. Its cache, telemetry,
# update check and sharing are off, and its home is a fresh directory per run;
# warrant runs without --cache into a fresh store per run.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
n=${N:-1000} conc=${CONC:-8} runs=${RUNS:-3}
version=${PROMPTFOO_VERSION:-0.121.20}   # the last release that supports node 20
cache=${WARRANT_BENCH_CACHE:-$HOME/.cache/warrant-bench}/promptfoo
cd "$root"

skip() { echo "SKIP: $*"; exit 0; }
command -v node >/dev/null && command -v npm >/dev/null ||
	skip "node and npm are needed for promptfoo (apt-get install nodejs npm)"
[ -x /usr/bin/time ] || skip "/usr/bin/time is needed for peak RSS (apt-get install time)"
pf=$cache/node_modules/.bin/promptfoo
if [ ! -x "$pf" ] || ! grep -q "\"version\": \"$version\"" "$cache/node_modules/promptfoo/package.json"; then
	echo "installing promptfoo@$version into $cache (once)"
	mkdir -p "$cache"
	[ -f "$cache/package.json" ] || echo '{"private": true}' > "$cache/package.json"
	(cd "$cache" && npm install --no-audit --no-fund --loglevel=error "promptfoo@$version" \
		>"$cache/install.log" 2>&1) || skip "npm install promptfoo@$version failed: $(tail -3 "$cache/install.log")"
fi
make --no-print-directory -s -j2 BUILD="${1:-build}" all >/dev/null
tests/servers/build.sh "$build"

tmp=$(mktemp -d)
"$build/mockllm" --json-echo > "$tmp/port" &
mock=$!
trap 'kill $mock 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$tmp/port")"
bench/promptfoo/gen.sh "$tmp" "$base/v1" "$n"
export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_CACHE_ENABLED=false \
	PROMPTFOO_DISABLE_SHARING=1 PROMPTFOO_DISABLE_REMOTE_GENERATION=1 NO_COLOR=1
unset OPENAI_API_KEY OPENAI_BASE_URL WARRANT_STORE WARRANT_PRICES

requests() { curl -s "$base/stats" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'; }
now() { date +%s.%N; }
rss_mib() { awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$1"; }
field() { node -e "const d = JSON.parse(require('fs').readFileSync(process.argv[1]));
	console.log(process.argv[2].split('.').reduce((o, k) => o[k], d))" "$1" "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
want=$((n - n / 5))

check() {  # tool passed total requests
	if [ "$2" != "$want" ] || [ "$3" != "$n" ] || [ "$4" != "$n" ]; then
		echo "$1: $2 of $3 cases passed with $4 model calls; expected $want of $n with $n calls" >&2
		exit 1
	fi
}

echo "suite: $n cases, 4 checks each, concurrency $conc; promptfoo $version on node $(node --version)"
: > "$tmp/w" ; : > "$tmp/p"
for r in $(seq "$runs"); do
	rm -rf "$tmp/warrant/.warrant"
	before=$(requests); t0=$(now)
	rc=0
	/usr/bin/time -v -o "$tmp/w.time" "$build/warrant" eval "$tmp/warrant/suite.yaml" \
		-j "$conc" --json > "$tmp/w.json" 2> "$tmp/w.err" || rc=$?
	t1=$(now)
	[ "$rc" = 3 ] || { echo "warrant eval exited $rc:" >&2; cat "$tmp/w.err" >&2; exit 1; }
	wt=$(echo "$t1 - $t0" | bc -l); wm=$(rss_mib "$tmp/w.time")
	wp=$(field "$tmp/w.json" passed); check warrant "$wp" "$(field "$tmp/w.json" runs)" \
		$(( $(requests) - before ))

	rm -rf "$tmp/pfhome" "$tmp/promptfoo/out.json"
	before=$(requests); t0=$(now)
	rc=0
	(cd "$tmp/promptfoo" && PROMPTFOO_CONFIG_DIR="$tmp/pfhome" /usr/bin/time -v -o "$tmp/p.time" \
		"$pf" eval -c promptfooconfig.yaml --no-cache -j "$conc" --no-table --no-progress-bar \
		-o out.json > "$tmp/p.log" 2>&1) || rc=$?
	t1=$(now)
	# promptfoo exits 100 when a test fails
	[ "$rc" = 100 ] || { echo "promptfoo eval exited $rc:" >&2; tail -20 "$tmp/p.log" >&2; exit 1; }
	pt=$(echo "$t1 - $t0" | bc -l); pm=$(rss_mib "$tmp/p.time")
	pp=$(field "$tmp/promptfoo/out.json" results.stats.successes)
	check promptfoo "$pp" $(( pp + $(field "$tmp/promptfoo/out.json" results.stats.failures) +
		$(field "$tmp/promptfoo/out.json" results.stats.errors) )) $(( $(requests) - before ))

	printf 'run %d: warrant %6.2f s %7.1f MiB %d/%d passed | promptfoo %6.2f s %7.1f MiB %d/%d passed\n' \
		"$r" "$wt" "$wm" "$wp" "$n" "$pt" "$pm" "$pp" "$n"
	echo "$wt $wm" >> "$tmp/w"; echo "$pt $pm" >> "$tmp/p"
done
wt=$(cut -d' ' -f1 "$tmp/w" | median); wm=$(cut -d' ' -f2 "$tmp/w" | median)
pt=$(cut -d' ' -f1 "$tmp/p" | median); pm=$(cut -d' ' -f2 "$tmp/p" | median)
printf 'median of %d: warrant %.0f cases/s, %.1f MiB peak RSS; promptfoo %.0f cases/s, %.1f MiB\n' \
	"$runs" "$(echo "$n / $wt" | bc -l)" "$wm" "$(echo "$n / $pt" | bc -l)" "$pm"
printf 'warrant: %.1fx the throughput (target >= 5x) at 1/%.1f the memory (target <= 1/5)\n' \
	"$(echo "$pt / $wt" | bc -l)" "$(echo "$pm / $wm" | bc -l)"
