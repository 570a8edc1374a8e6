-- psycopg2: statements captured from a real client against PostgreSQL 15
-- tessera-corpus: must
-- (log_statement = all); regenerate with capture/capture.sh psycopg2

-- stmt 1
BEGIN
;

-- stmt 2
CREATE TABLE IF NOT EXISTS pyt (id serial PRIMARY KEY, name text, amount numeric(12,2), at timestamptz DEFAULT now(), data jsonb, tags text[])
;

-- stmt 3
INSERT INTO pyt (name, amount, data, tags) VALUES ('a''b', 1.5, '{"k": 1}', ARRAY['x','y']) RETURNING id
;

-- stmt 4
INSERT INTO pyt (name, amount) VALUES ('n0', 0)
;

-- stmt 5
INSERT INTO pyt (name, amount) VALUES ('n1', 1)
;

-- stmt 6
INSERT INTO pyt (name, amount) VALUES ('n2', 2)
;

-- stmt 7
INSERT INTO pyt (name, amount) VALUES ('v1',1),('v2',2)
;

-- stmt 8
SELECT id, name, amount, at FROM pyt WHERE name = 'a''b' OR id = ANY(ARRAY[1,2])
;

-- stmt 9
UPDATE pyt SET amount = amount + 1 WHERE id = 1
;

-- stmt 10
DELETE FROM pyt WHERE id = 3
;

-- stmt 11
COMMIT
;

-- stmt 12
BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY
;

-- stmt 13
SELECT count(*) FROM pyt
;

-- stmt 14
ROLLBACK
;

-- stmt 15
SHOW server_version
;

-- stmt 16
SELECT version()
;

-- stmt 17
SELECT current_setting('server_version_num')
;

-- stmt 18
COPY "pyt"("id","name","amount") FROM stdin WITH DELIMITER AS '	' NULL AS '\N'
;

-- stmt 19
COPY pyt (id, name) TO STDOUT WITH CSV HEADER
;

-- stmt 20
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid
;

-- stmt 21
SELECT oid, typarray FROM pg_type WHERE typname = 'jsonb'
;
