# lib.sh: helpers for the end-to-end tests. Each test runs in its own empty
# directory with $WARRANT set to the CLI and $WR_ROOT to the repository.
set -u
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect_exit CODE DESCRIPTION -- command...: runs it, output to ./last.out
expect_exit() {
	local want=$1 what=$2; shift 3
	"$@" >last.out 2>&1
	local got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$what: exit $got, expected $want"; sed 's/^/    /' last.out | tail -15
	else
		ok "$what"
	fi
}

# expect_out PATTERN DESCRIPTION: last.out matches the extended regex
expect_out() {
	if grep -Eq -- "$1" last.out; then ok "$2"; else
		fail "$2: output lacks /$1/"; sed 's/^/    /' last.out | tail -15
	fi
}

sql() { sqlite3 .warrant/warrant.db "$@"; }

# A script model file: one response per argument, chosen in sequence.
script_model() {  # file text...
	local f=$1; shift
	echo "responses:" > "$f"
	for t in "$@"; do printf '  - text: %s\n' "$t" >> "$f"; done
}

finish() {
	if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
	echo "all passed"
}
