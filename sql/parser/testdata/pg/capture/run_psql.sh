#!/usr/bin/env bash
# psql's describe commands against a small schema.
set -euo pipefail
PGAPPNAME=setup psql -q -X -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, name text NOT NULL, v numeric(10,2) DEFAULT 0, created timestamptz);
CREATE INDEX IF NOT EXISTS t_name_idx ON t (name);
CREATE TABLE IF NOT EXISTS u (id serial PRIMARY KEY, t_id bigint REFERENCES t (id), tag varchar(20) UNIQUE);
CREATE SEQUENCE IF NOT EXISTS s;
CREATE OR REPLACE VIEW tv AS SELECT id, name FROM t;
SQL
for cmd in '\d' '\dt' '\di' '\l' '\dn' '\du' '\d t' '\d+ t' '\d u' '\d+ u' '\ds' '\dv' '\d tv' '\d s' '\dt+' '\df' '\dT' '\conninfo' 'SELECT 1' '\x' ; do
	psql -X -c "$cmd" >/dev/null
done
