#!/usr/bin/env bash
# SQLAlchemy 1.4 (Debian's python3-sqlalchemy) with psycopg2: create_all,
# Core/ORM statements, and reflection through the inspector.
exec /usr/bin/python3 - <<'PY'
import os
from sqlalchemy import (create_engine, MetaData, Table, Column, Integer, BigInteger, String, Numeric,
                        ForeignKey, DateTime, Index, select, insert, update, delete, inspect, func, text)
eng = create_engine("postgresql+psycopg2://postgres@127.0.0.1:%s/%s" % (os.environ["PGPORT"], os.environ["PGDATABASE"]))
md = MetaData()
p = Table("sa_parent", md, Column("id", Integer, primary_key=True), Column("name", String(50), nullable=False, unique=True))
c = Table("sa_child", md, Column("id", BigInteger, primary_key=True), Column("parent_id", ForeignKey("sa_parent.id")),
          Column("amount", Numeric(10, 2)), Column("at", DateTime(timezone=True), server_default=func.now()),
          Index("sa_child_amount", "amount"))
md.create_all(eng)
with eng.begin() as conn:
    r = conn.execute(insert(p).values(name="p1").returning(p.c.id)).scalar()
    conn.execute(insert(c), [{"id": 1, "parent_id": r, "amount": 1}, {"id": 2, "parent_id": r, "amount": 2}])
    conn.execute(select(c.c.id, p.c.name).join(p).where(c.c.amount > 0).order_by(c.c.id.desc()).limit(5).offset(1)).all()
    conn.execute(update(c).where(c.c.id == 1).values(amount=c.c.amount + 1))
    conn.execute(delete(c).where(c.c.id == 2))
    conn.execute(text("SELECT count(*) FROM sa_child WHERE amount > :a"), {"a": 0})
insp = inspect(eng)
insp.get_schema_names()
for t in insp.get_table_names():
    insp.get_columns(t); insp.get_pk_constraint(t); insp.get_foreign_keys(t)
    insp.get_indexes(t); insp.get_unique_constraints(t); insp.get_check_constraints(t)
    insp.get_table_comment(t)
insp.get_view_names(); insp.get_sequence_names()
m2 = MetaData(); m2.reflect(eng)
md.drop_all(eng)
PY
