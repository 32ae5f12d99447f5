# Every command has --help; bad command lines get exit 2 and a message.
. "$WR_ROOT/tests/lib.sh"

for c in run resume approve reject runs show ledger check version; do
	"$WARRANT" "$c" --help >last.out 2>&1
	code=$?
	if [ "$c" = version ]; then continue; fi
	[ "$code" -eq 0 ] && grep -q "usage: warrant $c" last.out && ok "$c --help" ||
		fail "$c --help (exit $code)"
done
expect_exit 0 "warrant --help" -- "$WARRANT" --help
expect_out "approve" "the overview lists commands"
expect_exit 2 "no command" -- "$WARRANT"
expect_exit 2 "unknown command" -- "$WARRANT" frobnicate
expect_exit 2 "run without a workflow" -- "$WARRANT" run
expect_exit 2 "run with a bad option" -- "$WARRANT" run --bogus x.yaml
expect_exit 2 "a workflow that does not exist" -- "$WARRANT" run nope.yaml
expect_out "nope.yaml" "names the missing file"
expect_exit 2 "show without a store here" -- "$WARRANT" show last
expect_out "no store here" "says where it looked"
mkdir -p .warrant
expect_exit 2 "a bad --seed" -- "$WARRANT" run x.yaml --seed -4
expect_exit 2 "a bad --limit" -- "$WARRANT" runs --limit x
expect_exit 2 "ledger with an unknown subcommand" -- "$WARRANT" ledger frob
expect_exit 0 "version" -- "$WARRANT" --version
expect_out "^warrant [0-9]" "prints the version"
finish
