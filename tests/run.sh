#!/usr/bin/env bash
# Runs every test: the unit binary, then each end-to-end script in tests/e2e.
# Each e2e script is one test (exit 0 = pass) and may print its own details.
# Ends with the line "N passed, N failed".
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
export WARRANT="$root/$build/warrant"
export WR_TEST_TMP="$root/$build/tmp/unit"
export WR_ROOT="$root"
passed=0 failed=0
cd "$root"
rm -rf "$root/$build/tmp"
mkdir -p "$WR_TEST_TMP"

out=$("$root/$build/unit" 2>&1); echo "$out" | grep -v '^unit:' | sed 's/^/  /'
line=$(echo "$out" | grep '^unit:' | tail -1)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
	echo "$line"
else
	echo "unit: did not finish"; failed=$((failed + 1))
fi

for t in "$root"/tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	dir="$root/$build/tmp/e2e/$name"
	mkdir -p "$dir"
	start=$(date +%s.%N)
	# No test may hang CI: each script gets a wall-clock limit.
	if (cd "$dir" && TMPDIR="$dir" timeout -k 5 "${E2E_TIMEOUT:-600}" bash "$t" >"$dir/log" 2>&1); then
		passed=$((passed + 1)); res=ok
	else
		failed=$((failed + 1)); res=FAIL
		sed 's/^/    /' "$dir/log" | tail -40
	fi
	printf '%-4s e2e %s (%.1fs)\n' "$res" "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
