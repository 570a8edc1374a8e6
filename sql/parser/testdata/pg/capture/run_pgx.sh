#!/usr/bin/env bash
# pgx v5 (github.com/jackc/pgx/v5) from a throwaway Go program: connect,
# extended protocol with the statement cache, batches, CopyFrom,
# transactions with options, and LoadType (pgx's catalog probe).
set -euo pipefail
d=$1/pgx
mkdir -p "$d"
cat >"$d/main.go" <<'GO'
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?application_name=%s", os.Getenv("PGPORT"), os.Getenv("PGDATABASE"), os.Getenv("PGAPPNAME"))
	c, err := pgx.Connect(ctx, dsn)
	check(err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE TABLE IF NOT EXISTS gt (id bigint PRIMARY KEY, name text, score float8, born date, ids int8[])")
	check(err)
	_, err = c.Exec(ctx, "DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'ok'); EXCEPTION WHEN duplicate_object THEN NULL; END $$")
	check(err)
	for i := 0; i < 3; i++ {
		_, err = c.Exec(ctx, "INSERT INTO gt (id, name, score, ids) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING", i, "n", 1.5, []int64{1, 2})
		check(err)
	}
	var n string
	check(c.QueryRow(ctx, "SELECT name FROM gt WHERE id = $1", 1).Scan(&n))
	rows, err := c.Query(ctx, "SELECT id, name FROM gt WHERE id = ANY($1) ORDER BY id", []int64{1, 2})
	check(err)
	rows.Close()
	b := &pgx.Batch{}
	b.Queue("UPDATE gt SET score = score + $1 WHERE id = $2", 1.0, 1)
	b.Queue("SELECT count(*) FROM gt")
	check(c.SendBatch(ctx, b).Close())
	_, err = c.CopyFrom(ctx, pgx.Identifier{"gt"}, []string{"id", "name"}, pgx.CopyFromRows([][]any{{int64(100), "c1"}, {int64(101), "c2"}}))
	check(err)
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly})
	check(err)
	check(tx.Rollback(ctx))
	tx, err = c.Begin(ctx)
	check(err)
	_, err = tx.Exec(ctx, "DELETE FROM gt WHERE id = $1", 100)
	check(err)
	sp, err := tx.Begin(ctx)
	check(err)
	check(sp.Rollback(ctx))
	check(tx.Commit(ctx))
	_, err = c.LoadType(ctx, "mood")
	check(err)
	_, err = c.Exec(ctx, "SELECT $1::text", pgx.QueryExecModeSimpleProtocol, "simple")
	check(err)
	_, err = c.Exec(ctx, "SELECT $1::int8", pgx.QueryExecModeExec, int64(7))
	check(err)
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
GO
cd "$d"
cat >go.mod <<'MOD'
module pgxcap

go 1.22

require github.com/jackc/pgx/v5 v5.12.0
MOD
GOWORK=off GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1
GOWORK=off GOFLAGS=-mod=mod go run .
