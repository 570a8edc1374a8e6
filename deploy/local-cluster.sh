#!/usr/bin/env bash
# Starts a local three-node Tessera cluster in the foreground: RPC on
# 127.0.0.1:6433, :6434 and :6435, SQL (PostgreSQL wire protocol, --insecure:
# trust, no TLS, loopback only) on 127.0.0.1:5433, :5434 and :5435, stores under ./data/n1 … ./data/n3, logs
# under ./data/n*.log. A new cluster is bootstrapped with `tessera init`
# once; an existing one just restarts from its stores. Ctrl-C stops all
# three nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./bin/tessera}
DATA=${DATA:-./data}
HOST=127.0.0.1
PORTS=(6433 6434 6435)
SQL_PORTS=(5433 5434 5435)
JOIN=$(printf "$HOST:%s," "${PORTS[@]}"); JOIN=${JOIN%,}
mkdir -p "$DATA"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping nodes ${pids[*]:-}"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "stopped"
  exit 0
}
trap stop INT TERM EXIT

for i in 1 2 3; do
  port=${PORTS[$((i-1))]}
  sql=${SQL_PORTS[$((i-1))]}
  "$BIN" start --store "$DATA/n$i" --listen "$HOST:$port" --join "$JOIN" --http-addr "$HOST:$((port + 2000))" \
    --sql-addr "$HOST:$sql" --insecure >>"$DATA/n$i.log" 2>&1 &
  pids+=($!)
  echo "node $i: pid $! rpc $HOST:$port sql $HOST:$sql http $HOST:$((port + 2000)) store $DATA/n$i log $DATA/n$i.log"
done

# Bootstrap once: on a cluster that exists, init exits with status 3.
"$BIN" init --host "$HOST:${PORTS[0]}" --timeout 30s && rc=0 || rc=$?
case $rc in
  0) ;;
  3) echo "(cluster already initialized: restarted from $DATA)" ;;
  *) echo "init failed (exit $rc); see $DATA/n*.log" >&2; exit 1 ;;
esac

# Wait (up to ~20s) until all three nodes have joined and answer.
for _ in $(seq 40); do
  up=$("$BIN" node status --host "$HOST:${PORTS[0]}" --format json --timeout 5s 2>/dev/null | grep -c '"liveness": "up"' || true)
  [ "${up:-0}" -ge 3 ] && break
  sleep 0.5
done
"$BIN" node status --host "$HOST:${PORTS[0]}" --timeout 10s || true
cat <<MSG

Tessera is running (3 nodes). Connect with:
  psql postgresql://root@$HOST:${SQL_PORTS[0]}/defaultdb?sslmode=disable
  $BIN sql --url postgresql://root@$HOST:${SQL_PORTS[1]}/defaultdb?sslmode=disable   (no psql needed)
Or try:
  $BIN kv put hello world --host $HOST:${PORTS[0]}
  $BIN kv get hello --host $HOST:${PORTS[1]}
  $BIN kv scan a z --host $HOST:${PORTS[2]}
  $BIN node status --host $HOST:${PORTS[0]}
  $BIN workload kv --host $JOIN --concurrency 16 --duration 10s
Ctrl-C stops the cluster; data stays in $DATA (rm -rf $DATA for a new one).
MSG
# Wait until Ctrl-C, or until a node exits on its own.
wait -n "${pids[@]}" || true
echo "a node exited; see $DATA/n*.log" >&2
