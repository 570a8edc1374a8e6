-- Output column names as PostgreSQL's FigureColname gives them.
CREATE TABLE nm (a INT PRIMARY KEY, b TEXT);
INSERT INTO nm VALUES (7, 'x');
SELECT mod(a, 3), a % 3, (t).a, (t).b, 'nm'::regclass, 'nm'::regclass::text, a::text::int FROM nm t;
SELECT to_char(1234.5, '9.99EEEE'), to_char(a, '9.9EEEE') AS e FROM nm;
DROP TABLE nm;
\echo done
