-- psql's describe meta-commands, which read pg_catalog through the queries psql 15 sends.
CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL DEFAULT 'none', price NUMERIC(10,2), tags VARCHAR(20), added TIMESTAMPTZ);
CREATE INDEX items_name_idx ON items (name);
CREATE UNIQUE INDEX items_tags_key ON items (tags DESC);
CREATE TABLE notes (body TEXT);
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
CREATE SCHEMA extra;
\d
\dt
\dv
\di
\d items
\d items_name_idx
\d notes
\dn
\l
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name;
SELECT column_name, ordinal_position, is_nullable, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position;
SELECT schema_name FROM information_schema.schemata ORDER BY 1;
SELECT relname, relkind FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname;
SELECT 'items'::regclass = (SELECT oid FROM pg_class WHERE relname = 'items') AS same_oid;
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 ORDER BY attnum;
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'items'::regclass ORDER BY conname;
SELECT pg_get_indexdef('items_name_idx'::regclass), current_schemas(true), obj_description('items'::regclass, 'pg_class') IS NULL AS no_comment;
SELECT count(*) > 0 AS has_types FROM pg_type WHERE typname = 'int4';
\set ON_ERROR_STOP 0
INSERT INTO pg_catalog.pg_class (relname) VALUES ('x');
DELETE FROM information_schema.tables;
\set ON_ERROR_STOP 1
\echo done
