-- pgx: statements captured from a real client against PostgreSQL 15
-- tessera-corpus: must
-- (log_statement = all); regenerate with capture/capture.sh pgx

-- stmt 1
CREATE TABLE IF NOT EXISTS gt (id bigint PRIMARY KEY, name text, score float8, born date, ids int8[])
;

-- stmt 2
DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'ok'); EXCEPTION WHEN duplicate_object THEN NULL; END $$
;

-- stmt 3
INSERT INTO gt (id, name, score, ids) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING
;

-- stmt 4
SELECT name FROM gt WHERE id = $1
;

-- stmt 5
SELECT id, name FROM gt WHERE id = ANY($1) ORDER BY id
;

-- stmt 6
UPDATE gt SET score = score + $1 WHERE id = $2
;

-- stmt 7
SELECT count(*) FROM gt
;

-- stmt 8
copy "gt" ( "id", "name" ) from stdin binary
;

-- stmt 9
begin isolation level serializable read only
;

-- stmt 10
rollback
;

-- stmt 11
begin
;

-- stmt 12
DELETE FROM gt WHERE id = $1
;

-- stmt 13
savepoint sp_1
;

-- stmt 14
rollback to savepoint sp_1
;

-- stmt 15
commit
;

-- stmt 16
select $1::text::regtype::oid
;

-- stmt 17
select typtype::text, typbasetype from pg_type where oid=$1
;

-- stmt 18
SELECT  'simple' ::text
;

-- stmt 19
SELECT $1::int8
;
