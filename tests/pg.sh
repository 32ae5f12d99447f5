# pg.sh: a PostgreSQL server for one test, on 127.0.0.1 and a free port,
# its data and socket in the test's directory, stopped when the test ends.
#
#   . "$WR_ROOT/tests/pg.sh"; pg_start || exit 0   (0: prints SKIP when absent)
#   then $PG_URL is the server's postgres database; pg_createdb NAME makes
#   another and prints its URL.
# PostgreSQL refuses to run as root: as root the server runs as the
# postgres user (Debian's package creates it).
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop \
		>/dev/null 2>&1
	[ -n "${PG_TMP:-}" ] && rm -rf "$PG_TMP"
	PG_DIR= PG_TMP=
}

pg_start() {
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/postgres" ]; then
		echo "SKIP: no PostgreSQL server binaries (apt-get install postgresql)"
		return 1
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pg.XXXXXX")
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$PG_DIR"
		# The postgres user must reach the directory: a test directory under
		# a home that only root may enter is replaced by one in /tmp.
		if ! runuser -u postgres -- test -w "$PG_DIR"; then
			rmdir "$PG_DIR"
			PG_DIR=$(mktemp -d /tmp/wr-pg.XXXXXX)
			PG_TMP=$PG_DIR
			chown postgres "$PG_DIR"
		fi
	fi
	pg_as "$PG_BIN/initdb" -A trust -U postgres --no-sync -D "$PG_DIR/data" \
		>"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 2; }
	trap pg_stop EXIT
	local tries=0
	while :; do
		PG_PORT=$((20000 + RANDOM % 30000))
		# fsync off: the tests kill clients, never the server.
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off \
			    -c synchronous_commit=off -c max_connections=200" start \
			>/dev/null 2>&1 && break
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ]; then tail -5 "$PG_DIR/server.log"; return 2; fi
	done
	PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
	export PG_URL PG_PORT
}

pg_createdb() {
	"$PG_BIN/psql" -q -X -d "$PG_URL" -c "CREATE DATABASE \"$1\"" >/dev/null || return 1
	echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"
}

# psql on a database URL: one value per line, no headers.
pg_sql() {
	local url=$1; shift
	"$PG_BIN/psql" -X -q -A -t -d "$url" -c "$@"
}
