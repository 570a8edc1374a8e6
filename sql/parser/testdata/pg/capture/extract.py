#!/usr/bin/python3
"""Extracts the statements one application sent from a PostgreSQL jsonlog.

usage: extract.py LOGFILE APPLICATION_NAME GROUP > GROUP.sql

Each distinct statement (first occurrence order) is written once, preceded
by a '-- stmt N' comment line and ended by ';' on its own line, so that
psql-style splitting reads it back. Simple-protocol messages are logged as
'statement: ...', extended-protocol executions as 'execute NAME: ...'.
"""
import glob, json, os, re, sys

log, app, group = sys.argv[1], sys.argv[2], sys.argv[3]
files = sorted(glob.glob(os.path.join(os.path.dirname(log), "*.json")))
seen, out = set(), []
for f in files:
    with open(f, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("application_name") != app:
                continue
            msg = rec.get("message", "")
            m = re.match(r"^(?:statement|execute [^:]*): (.*)$", msg, re.S)
            if not m:
                continue
            sql = m.group(1).strip().rstrip(";").strip()
            if not sql or sql in seen:
                continue
            seen.add(sql)
            out.append(sql)
MUST = {"psql", "pgbench", "psycopg2", "jdbc", "pgx"}
print("-- %s: statements captured from a real client against PostgreSQL 15" % group)
if group in MUST:
    print("-- tessera-corpus: must")
print("-- (log_statement = all); regenerate with capture/capture.sh %s" % group)
for i, sql in enumerate(out, 1):
    print()
    print("-- stmt %d" % i)
    print(sql)
    print(";")
