-- Enum types, generated and identity columns, comments, as psql 15 shows
-- them (\dT, \d, \dt+ ... checked against PostgreSQL 15).
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE person (id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, m mood, name_len INT GENERATED ALWAYS AS (length(name)) STORED);
COMMENT ON TABLE person IS 'people and moods';
INSERT INTO person (name, m) VALUES ('ann', 'happy'), ('bob', 'sad');
SELECT * FROM person ORDER BY m;
\dT
\d person
SELECT obj_description('person'::regclass, 'pg_class');
\echo done
