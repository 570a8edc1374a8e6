#!/usr/bin/env bash
# Starts a local Tessera node (growing into a 3-node cluster as layers land)
# with its data under ./data, in the foreground. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./bin/tessera}
DATA=${DATA:-./data}
mkdir -p "$DATA"
exec "$BIN" start --store "$DATA/n1" --listen 127.0.0.1:6433
