#!/usr/bin/env bash
# Side-by-side SQL benchmark (issue 8): a 3-node Tessera cluster on 3 local
# processes and a PostgreSQL 15 server (Debian package, default settings
# plus synchronous_commit=on), both started here on 127.0.0.1 with data
# under $WORK (default /tmp/sqlbench), driven by `tessera workload sql` with
# the same schema and prepared statements. Prints one line per (system, op,
# conns) with the workload's summary and the 1-minute load average, and
# stops everything it started on exit.
#
#   deploy/bench-sql.sh                       # every op at 1 and 16 conns, 20 s each
#   OPS="point insert" CONNS=16 DURATION=10s deploy/bench-sql.sh
#   KEEP=1 deploy/bench-sql.sh                # leave both running (Ctrl-C stops)
#   SERVER_BIN=/tmp/old,bin/tessera,/tmp/old,bin/tessera deploy/bench-sql.sh
#                                             # A/B: the whole run once per listed server
#                                             # binary, in order, each on a fresh cluster
#                                             # (and a fresh PostgreSQL); BIN drives all
#
# PostgreSQL refuses to run as root; then it runs as the "postgres" user.
set -euo pipefail
if [[ "${SERVER_BIN:-}" == *,* ]]; then
  self=$(realpath "$0")
  IFS=, read -ra bins <<<"$SERVER_BIN"
  for b in "${bins[@]}"; do
    echo "== server binary $b"
    SERVER_BIN=$b "$self"
  done
  exit 0
fi
cd "$(dirname "$0")/.."
BIN=${BIN:-./bin/tessera}                # the workload driver (and the server unless SERVER_BIN)
SERVER_BIN=${SERVER_BIN:-$BIN}           # the tessera server binary (e.g. an older build to compare)
WORK=${WORK:-/tmp/sqlbench}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
OPS=${OPS:-insert point point-secondary update scan100 join}
CONNS=${CONNS:-1 16}
DURATION=${DURATION:-20s}
ROWS=${ROWS:-10000}
SYSTEMS=${SYSTEMS:-tessera postgres}
HOST=127.0.0.1
BASE=${BASE:-7433}                       # RPC ports BASE..BASE+2, SQL +100
HTTPBASE=${HTTPBASE:-$((BASE + 1000))}   # HTTP (pprof) ports HTTPBASE..HTTPBASE+2
RPC=($BASE $((BASE + 1)) $((BASE + 2)))
SQL=($((BASE + 100)) $((BASE + 101)) $((BASE + 102)))
PGPORT=${PGPORT:-7555}
TURL="postgresql://root@$HOST:${SQL[0]}/defaultdb?sslmode=disable"
PURL="postgresql://postgres@$HOST:$PGPORT/postgres?sslmode=disable"

rm -rf "$WORK"
mkdir -p "$WORK"
pids=()
pg_started=
asuser=()
if [ "$(id -u)" = 0 ]; then asuser=(runuser -u postgres --); chown postgres "$WORK"; fi
stop() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$pg_started" ]; then "${asuser[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null || true; fi
}
trap stop INT TERM EXIT

case " $SYSTEMS " in *" tessera "*)
  JOIN=$(printf "$HOST:%s," "${RPC[@]}"); JOIN=${JOIN%,}
  for i in 1 2 3; do
    "$SERVER_BIN" start --store "$WORK/n$i" --listen "$HOST:${RPC[$((i-1))]}" --join "$JOIN" \
      --http-addr "$HOST:$((HTTPBASE + i - 1))" --sql-addr "$HOST:${SQL[$((i-1))]}" --insecure \
      >>"$WORK/n$i.log" 2>&1 &
    pids+=($!)
  done
  "$BIN" init --host "$HOST:${RPC[0]}" --timeout 60s >/dev/null
  for _ in $(seq 120); do
    up=$("$BIN" node status --host "$HOST:${RPC[0]}" --format json --timeout 5s 2>/dev/null | grep -c '"liveness": "up"' || true)
    [ "${up:-0}" -ge 3 ] && break
    sleep 0.5
  done
  echo "tessera: 3 nodes (pids ${pids[*]}), sql $TURL, pprof http://$HOST:$HTTPBASE/debug/pprof/"
;; esac

case " $SYSTEMS " in *" postgres "*)
  "${asuser[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust >/dev/null
  "${asuser[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
    -o "-p $PGPORT -k $WORK -c listen_addresses=$HOST -c synchronous_commit=on" start >/dev/null
  pg_started=1
  echo "postgres: $("$PGBIN/postgres" --version), $PURL"
;; esac

echo "server binary $SERVER_BIN, driver commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty), $(nproc) cores, $(date -u +%FT%TZ)"
for sys in $SYSTEMS; do
  url=$TURL; [ "$sys" = postgres ] && url=$PURL
  "$BIN" workload sql --url "$url" --init --rows "$ROWS" --duration 0
done
if [ -n "${KEEP:-}" ]; then echo "running; Ctrl-C stops"; wait -n "${pids[@]}" || true; exit 0; fi
for op in $OPS; do
  for c in $CONNS; do
    for sys in $SYSTEMS; do
      url=$TURL; [ "$sys" = postgres ] && url=$PURL
      out=$("$BIN" workload sql --url "$url" --op "$op" --conns "$c" --duration "$DURATION" --rows "$ROWS" 2>"$WORK/last.err") \
        || { echo "$sys $op conns=$c FAILED: $(tail -3 "$WORK/last.err")"; continue; }
      grep -h "operations failed" "$WORK/last.err" || true
      printf '%-8s %-15s conns=%-2s %s load=%s\n' "$sys" "$op" "$c" "$out" "$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
