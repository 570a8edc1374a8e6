-- pgbench: statements captured from a real client against PostgreSQL 15
-- tessera-corpus: must
-- (log_statement = all); regenerate with capture/capture.sh pgbench

-- stmt 1
drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers
;

-- stmt 2
create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))
;

-- stmt 3
create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)
;

-- stmt 4
create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)
;

-- stmt 5
create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)
;

-- stmt 6
begin
;

-- stmt 7
truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers
;

-- stmt 8
insert into pgbench_branches(bid,bbalance) values(1,0)
;

-- stmt 9
insert into pgbench_tellers(tid,bid,tbalance) values (1,1,0)
;

-- stmt 10
insert into pgbench_tellers(tid,bid,tbalance) values (2,1,0)
;

-- stmt 11
insert into pgbench_tellers(tid,bid,tbalance) values (3,1,0)
;

-- stmt 12
insert into pgbench_tellers(tid,bid,tbalance) values (4,1,0)
;

-- stmt 13
insert into pgbench_tellers(tid,bid,tbalance) values (5,1,0)
;

-- stmt 14
insert into pgbench_tellers(tid,bid,tbalance) values (6,1,0)
;

-- stmt 15
insert into pgbench_tellers(tid,bid,tbalance) values (7,1,0)
;

-- stmt 16
insert into pgbench_tellers(tid,bid,tbalance) values (8,1,0)
;

-- stmt 17
insert into pgbench_tellers(tid,bid,tbalance) values (9,1,0)
;

-- stmt 18
insert into pgbench_tellers(tid,bid,tbalance) values (10,1,0)
;

-- stmt 19
copy pgbench_accounts from stdin with (freeze on)
;

-- stmt 20
commit
;

-- stmt 21
vacuum analyze pgbench_branches
;

-- stmt 22
vacuum analyze pgbench_tellers
;

-- stmt 23
vacuum analyze pgbench_accounts
;

-- stmt 24
vacuum analyze pgbench_history
;

-- stmt 25
alter table pgbench_branches add primary key (bid)
;

-- stmt 26
alter table pgbench_tellers add primary key (tid)
;

-- stmt 27
alter table pgbench_accounts add primary key (aid)
;

-- stmt 28
select count(*) from pgbench_branches
;

-- stmt 29
select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1
;

-- stmt 30
BEGIN
;

-- stmt 31
UPDATE pgbench_accounts SET abalance = abalance + -340 WHERE aid = 50187
;

-- stmt 32
SELECT abalance FROM pgbench_accounts WHERE aid = 50187
;

-- stmt 33
UPDATE pgbench_tellers SET tbalance = tbalance + -340 WHERE tid = 5
;

-- stmt 34
UPDATE pgbench_branches SET bbalance = bbalance + -340 WHERE bid = 1
;

-- stmt 35
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 1, 50187, -340, CURRENT_TIMESTAMP)
;

-- stmt 36
END
;

-- stmt 37
UPDATE pgbench_accounts SET abalance = abalance + 2208 WHERE aid = 64124
;

-- stmt 38
SELECT abalance FROM pgbench_accounts WHERE aid = 64124
;

-- stmt 39
UPDATE pgbench_tellers SET tbalance = tbalance + 2208 WHERE tid = 2
;

-- stmt 40
UPDATE pgbench_branches SET bbalance = bbalance + 2208 WHERE bid = 1
;

-- stmt 41
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (2, 1, 64124, 2208, CURRENT_TIMESTAMP)
;

-- stmt 42
UPDATE pgbench_accounts SET abalance = abalance + -2421 WHERE aid = 67288
;

-- stmt 43
SELECT abalance FROM pgbench_accounts WHERE aid = 67288
;

-- stmt 44
UPDATE pgbench_tellers SET tbalance = tbalance + -2421 WHERE tid = 9
;

-- stmt 45
UPDATE pgbench_branches SET bbalance = bbalance + -2421 WHERE bid = 1
;

-- stmt 46
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (9, 1, 67288, -2421, CURRENT_TIMESTAMP)
;

-- stmt 47
UPDATE pgbench_accounts SET abalance = abalance + -2519 WHERE aid = 42484
;

-- stmt 48
SELECT abalance FROM pgbench_accounts WHERE aid = 42484
;

-- stmt 49
UPDATE pgbench_tellers SET tbalance = tbalance + -2519 WHERE tid = 5
;

-- stmt 50
UPDATE pgbench_branches SET bbalance = bbalance + -2519 WHERE bid = 1
;

-- stmt 51
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 1, 42484, -2519, CURRENT_TIMESTAMP)
;

-- stmt 52
UPDATE pgbench_accounts SET abalance = abalance + 2885 WHERE aid = 15151
;

-- stmt 53
SELECT abalance FROM pgbench_accounts WHERE aid = 15151
;

-- stmt 54
UPDATE pgbench_tellers SET tbalance = tbalance + 2885 WHERE tid = 6
;

-- stmt 55
UPDATE pgbench_branches SET bbalance = bbalance + 2885 WHERE bid = 1
;

-- stmt 56
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (6, 1, 15151, 2885, CURRENT_TIMESTAMP)
;

-- stmt 57
UPDATE pgbench_accounts SET abalance = abalance + -3203 WHERE aid = 22397
;

-- stmt 58
SELECT abalance FROM pgbench_accounts WHERE aid = 22397
;

-- stmt 59
UPDATE pgbench_tellers SET tbalance = tbalance + -3203 WHERE tid = 9
;

-- stmt 60
UPDATE pgbench_branches SET bbalance = bbalance + -3203 WHERE bid = 1
;

-- stmt 61
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (9, 1, 22397, -3203, CURRENT_TIMESTAMP)
;

-- stmt 62
UPDATE pgbench_accounts SET abalance = abalance + -711 WHERE aid = 15021
;

-- stmt 63
SELECT abalance FROM pgbench_accounts WHERE aid = 15021
;

-- stmt 64
UPDATE pgbench_tellers SET tbalance = tbalance + -711 WHERE tid = 1
;

-- stmt 65
UPDATE pgbench_branches SET bbalance = bbalance + -711 WHERE bid = 1
;

-- stmt 66
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 15021, -711, CURRENT_TIMESTAMP)
;

-- stmt 67
UPDATE pgbench_accounts SET abalance = abalance + 2453 WHERE aid = 19618
;

-- stmt 68
SELECT abalance FROM pgbench_accounts WHERE aid = 19618
;

-- stmt 69
UPDATE pgbench_tellers SET tbalance = tbalance + 2453 WHERE tid = 8
;

-- stmt 70
UPDATE pgbench_branches SET bbalance = bbalance + 2453 WHERE bid = 1
;

-- stmt 71
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (8, 1, 19618, 2453, CURRENT_TIMESTAMP)
;

-- stmt 72
UPDATE pgbench_accounts SET abalance = abalance + -4003 WHERE aid = 16168
;

-- stmt 73
SELECT abalance FROM pgbench_accounts WHERE aid = 16168
;

-- stmt 74
UPDATE pgbench_tellers SET tbalance = tbalance + -4003 WHERE tid = 9
;

-- stmt 75
UPDATE pgbench_branches SET bbalance = bbalance + -4003 WHERE bid = 1
;

-- stmt 76
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (9, 1, 16168, -4003, CURRENT_TIMESTAMP)
;

-- stmt 77
UPDATE pgbench_accounts SET abalance = abalance + -4391 WHERE aid = 33886
;

-- stmt 78
SELECT abalance FROM pgbench_accounts WHERE aid = 33886
;

-- stmt 79
UPDATE pgbench_tellers SET tbalance = tbalance + -4391 WHERE tid = 10
;

-- stmt 80
UPDATE pgbench_branches SET bbalance = bbalance + -4391 WHERE bid = 1
;

-- stmt 81
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (10, 1, 33886, -4391, CURRENT_TIMESTAMP)
;

-- stmt 82
UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2
;

-- stmt 83
SELECT abalance FROM pgbench_accounts WHERE aid = $1
;

-- stmt 84
UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2
;

-- stmt 85
UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2
;

-- stmt 86
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)
;

-- stmt 87
UPDATE pgbench_accounts SET abalance = abalance + 1008 WHERE aid = 53423
;

-- stmt 88
SELECT abalance FROM pgbench_accounts WHERE aid = 53423
;

-- stmt 89
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (2, 1, 53423, 1008, CURRENT_TIMESTAMP)
;

-- stmt 90
UPDATE pgbench_accounts SET abalance = abalance + -607 WHERE aid = 6326
;

-- stmt 91
SELECT abalance FROM pgbench_accounts WHERE aid = 6326
;

-- stmt 92
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (2, 1, 6326, -607, CURRENT_TIMESTAMP)
;

-- stmt 93
UPDATE pgbench_accounts SET abalance = abalance + 4680 WHERE aid = 52293
;

-- stmt 94
SELECT abalance FROM pgbench_accounts WHERE aid = 52293
;

-- stmt 95
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 52293, 4680, CURRENT_TIMESTAMP)
;

-- stmt 96
UPDATE pgbench_accounts SET abalance = abalance + -742 WHERE aid = 24393
;

-- stmt 97
SELECT abalance FROM pgbench_accounts WHERE aid = 24393
;

-- stmt 98
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (10, 1, 24393, -742, CURRENT_TIMESTAMP)
;

-- stmt 99
UPDATE pgbench_accounts SET abalance = abalance + -2623 WHERE aid = 79050
;

-- stmt 100
SELECT abalance FROM pgbench_accounts WHERE aid = 79050
;

-- stmt 101
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 1, 79050, -2623, CURRENT_TIMESTAMP)
;

-- stmt 102
SELECT abalance FROM pgbench_accounts WHERE aid = 67692
;

-- stmt 103
SELECT abalance FROM pgbench_accounts WHERE aid = 95632
;

-- stmt 104
SELECT abalance FROM pgbench_accounts WHERE aid = 37973
;

-- stmt 105
SELECT abalance FROM pgbench_accounts WHERE aid = 61970
;

-- stmt 106
SELECT abalance FROM pgbench_accounts WHERE aid = 48519
;

-- stmt 107
alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) references pgbench_branches
;

-- stmt 108
alter table pgbench_accounts add constraint pgbench_accounts_bid_fkey foreign key (bid) references pgbench_branches
;

-- stmt 109
alter table pgbench_history add constraint pgbench_history_bid_fkey foreign key (bid) references pgbench_branches
;

-- stmt 110
alter table pgbench_history add constraint pgbench_history_tid_fkey foreign key (tid) references pgbench_tellers
;

-- stmt 111
alter table pgbench_history add constraint pgbench_history_aid_fkey foreign key (aid) references pgbench_accounts
;
