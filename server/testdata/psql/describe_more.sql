-- More of psql's meta-commands (\d on views and sequences, \d+, \du, \dp)
-- and COPY TO STDOUT / \copy, as psql 15 uses them.
CREATE TABLE parts (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT CHECK (qty >= 0), price NUMERIC(10,2));
CREATE TABLE part_orders (id SERIAL PRIMARY KEY, item INT, note TEXT);
CREATE SEQUENCE ticket START 10 INCREMENT 5;
CREATE VIEW part_stock AS SELECT id, name, qty * 2 AS double_qty FROM parts;
INSERT INTO parts VALUES (1, 'bolt', 10, 0.25), (2, E'nut\twith tab', NULL, 0.10), (3, 'washer, flat', 0, NULL);
INSERT INTO part_orders (item, note) VALUES (1, 'first'), (3, NULL);
\d parts
\d+ parts
\d part_orders
\d part_stock
\d ticket
\d part_orders_id_seq
\du
\dp parts
COPY parts TO STDOUT;
COPY (SELECT id, name FROM parts ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
\copy part_orders (id, note) to stdout
\copy (select count(*) from part_orders) to stdout csv
ALTER TABLE parts ADD COLUMN added DATE NOT NULL DEFAULT '2024-01-31';
ALTER TABLE parts ADD COLUMN seq SERIAL;
SELECT id, added, seq FROM parts ORDER BY id;
\d parts
\echo done
