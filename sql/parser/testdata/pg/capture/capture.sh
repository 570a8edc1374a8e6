#!/usr/bin/env bash
# Captures the SQL that real PostgreSQL clients send, from a throwaway
# PostgreSQL 15 server logging every statement (log_statement = all,
# jsonlog), into ../<group>.sql. Run as root from anywhere:
#   sql/parser/testdata/pg/capture/capture.sh [group...]
# Needs Debian's postgresql-15, python3-psycopg2, python3-django,
# python3-sqlalchemy, libpostgresql-jdbc-java, a JDK and Go (for pgx).
# The server listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/.." && pwd)
bin=/usr/lib/postgresql/15/bin
port=${PGCAP_PORT:-55439}
groups=${*:-psql pgbench psycopg2 jdbc pgx django sqlalchemy}
tmp=$(mktemp -d /tmp/tessera-pgcap.XXXXXX)
chown postgres "$tmp"
stop() { su postgres -c "$bin/pg_ctl -D $tmp/data -m fast stop" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap stop EXIT
su postgres -c "$bin/initdb -D $tmp/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$tmp'
log_statement = 'all'
logging_collector = on
log_destination = 'jsonlog'
log_directory = '$tmp/log'
log_filename = 'pg.log'
CONF
su postgres -c "$bin/pg_ctl -D $tmp/data -l $tmp/server.out -w start" >/dev/null
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
psql -q -X -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE cap' >/dev/null
for g in $groups; do
	echo "capturing $g" >&2
	PGAPPNAME=cap_$g PGDATABASE=cap "$here/run_$g.sh" "$tmp" >/dev/null
done
# let the collector flush
psql -q -X -d postgres -c 'SELECT pg_rotate_logfile()' >/dev/null
for g in $groups; do
	/usr/bin/python3 "$here/extract.py" "$tmp/log/pg.json" "cap_$g" "$g" >"$out/$g.sql"
	echo "$g: $(grep -c '^-- stmt' "$out/$g.sql") statements" >&2
done
