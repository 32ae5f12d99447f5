# The database layer's and the store's unit tests (db_*, store_*, ledger_*)
# again, on a PostgreSQL server
# started for the test: each test on a fresh database.
. "$WR_ROOT/tests/lib.sh"
. "$WR_ROOT/tests/pg.sh"
pg_start || exit 0
unit="$(dirname "$WARRANT")/unit"
export WR_TEST_TMP="$PWD/unit"
mkdir -p "$WR_TEST_TMP"
for filter in db_ store_ ledger_; do
	WR_TEST_PG="postgresql://postgres@127.0.0.1:$PG_PORT/" "$unit" "$filter" >unit.out 2>&1
	rc=$?
	line=$(grep '^unit:' unit.out | tail -1)
	if [ "$rc" -eq 0 ] && [[ $line =~ ([1-9][0-9]*)\ passed,\ 0\ failed ]]; then
		ok "$filter tests on PostgreSQL: $line"
	else
		fail "$filter tests on PostgreSQL (exit $rc)"; sed 's/^/    /' unit.out | tail -20
	fi
done
finish
