#!/usr/bin/env bash
# psycopg2: connect, parameters (client-side interpolation), transactions,
# executemany, isolation levels, COPY, server version and type probes.
exec /usr/bin/python3 - <<'PY'
import psycopg2, psycopg2.extras, io
conn = psycopg2.connect("")
cur = conn.cursor()
cur.execute("CREATE TABLE IF NOT EXISTS pyt (id serial PRIMARY KEY, name text, amount numeric(12,2), at timestamptz DEFAULT now(), data jsonb, tags text[])")
cur.execute("INSERT INTO pyt (name, amount, data, tags) VALUES (%s, %s, %s, %s) RETURNING id", ("a'b", 1.5, psycopg2.extras.Json({"k": 1}), ["x", "y"]))
cur.fetchone()
cur.executemany("INSERT INTO pyt (name, amount) VALUES (%s, %s)", [("n%d" % i, i) for i in range(3)])
psycopg2.extras.execute_values(cur, "INSERT INTO pyt (name, amount) VALUES %s", [("v1", 1), ("v2", 2)])
cur.execute("SELECT id, name, amount, at FROM pyt WHERE name = %(n)s OR id = ANY(%(ids)s)", {"n": "a'b", "ids": [1, 2]})
cur.fetchall()
cur.execute("UPDATE pyt SET amount = amount + %s WHERE id = %s", (1, 1))
cur.execute("DELETE FROM pyt WHERE id = %s", (3,))
conn.commit()
conn.set_session(isolation_level="SERIALIZABLE", readonly=True)
cur = conn.cursor(); cur.execute("SELECT count(*) FROM pyt"); conn.rollback()
conn.set_session(isolation_level="READ COMMITTED", readonly=False, deferrable=False)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SHOW server_version")
cur.execute("SELECT version()")
cur.execute("SELECT current_setting('server_version_num')")
f = io.StringIO("10\tc1\t3.5\n11\tc2\t4.5\n")
cur.copy_from(f, "pyt", columns=("id", "name", "amount"))
cur.copy_expert("COPY pyt (id, name) TO STDOUT WITH CSV HEADER", io.StringIO())
psycopg2.extras.register_hstore if False else None
psycopg2.extras.register_uuid()
cur.execute("SELECT %s::uuid", ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",))
cur.execute("SELECT oid, typarray FROM pg_type WHERE typname = 'jsonb'")
conn.close()
PY
