#!/usr/bin/env bash
# pgbench initialisation and the built-in TPC-B script in each query mode.
set -euo pipefail
pgbench -i -s 1 -q >/dev/null 2>&1
for mode in simple extended prepared; do
	pgbench -n -c 1 -t 10 -M $mode >/dev/null 2>&1
done
pgbench -n -c 1 -t 5 -b simple-update >/dev/null 2>&1
pgbench -n -c 1 -t 5 -b select-only >/dev/null 2>&1
pgbench -i -s 1 -q -I dtgvpf >/dev/null 2>&1
