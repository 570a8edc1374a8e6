-- More of psql's meta-commands (\d on views and sequences, \d+, \du, \dp)
-- and COPY TO STDOUT / \copy, as psql 15 uses them.
CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT CHECK (qty >= 0), price NUMERIC(10,2));
CREATE TABLE orders (id SERIAL PRIMARY KEY, item INT, note TEXT);
CREATE SEQUENCE counter START 10 INCREMENT 5;
CREATE VIEW stock AS SELECT id, name, qty * 2 AS double_qty FROM items;
INSERT INTO items VALUES (1, 'bolt', 10, 0.25), (2, E'nut\twith tab', NULL, 0.10), (3, 'washer, flat', 0, NULL);
INSERT INTO orders (item, note) VALUES (1, 'first'), (3, NULL);
\d items
\d+ items
\d orders
\d stock
\d counter
\d orders_id_seq
\du
\dp items
COPY items TO STDOUT;
COPY (SELECT id, name FROM items ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
\copy orders (id, note) to stdout
\copy (select count(*) from orders) to stdout csv
ALTER TABLE items ADD COLUMN added DATE NOT NULL DEFAULT '2024-01-31';
ALTER TABLE items ADD COLUMN seq SERIAL;
SELECT id, added, seq FROM items ORDER BY id;
\d items
\echo done
