-- Create, fill, query and alter tables through psql (simple protocol).
CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC(12,2) DEFAULT 0, opened DATE);
INSERT INTO accounts VALUES (1, 'ada', 100.50, '2024-01-02'), (2, 'brian', 20, NULL), (3, 'chen', 0, '2023-12-31');
INSERT INTO accounts (id, owner) VALUES (4, 'dora') RETURNING id, balance;
SELECT id, owner, balance, opened FROM accounts ORDER BY id;
SELECT count(*) AS n, sum(balance) AS total, max(opened) FROM accounts;
UPDATE accounts SET balance = balance + 1 WHERE id IN (2, 3);
DELETE FROM accounts WHERE id = 4;
SELECT owner, balance FROM accounts WHERE balance > 1 ORDER BY balance DESC;
ALTER TABLE accounts ADD COLUMN note TEXT;
UPDATE accounts SET note = 'vip' WHERE id = 1;
SELECT id, note FROM accounts ORDER BY id;
CREATE INDEX accounts_owner ON accounts (owner);
SELECT id FROM accounts WHERE owner = 'chen';
SELECT 1 AS one, 'two' AS two, NULL AS nothing, 3.5::float8 AS f, true AS t;
SELECT '2024-02-29 13:14:15+00'::timestamptz AS ts, '1 day 02:00'::interval AS iv, '\x0102'::bytea AS b;
\echo done
