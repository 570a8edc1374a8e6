-- A psql session against the wire test double (engine_test.go's statements).
select 42;
series 3;
types;
notice;
\echo after notice
begin;
insert;
commit;
set application_name psqltest;
\echo :'ON_ERROR_STOP'
-- The same through the extended protocol (\bind, psql 16+) is covered by pgx.
series 0;
error 22012;
