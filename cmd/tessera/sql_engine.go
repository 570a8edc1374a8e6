package main

import (
	"context"

	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/session"
)

// The node's SQL engine: sql/session over the node's KV client.
func init() {
	newSQLEngine = func(n *server.Server) (conn.Engine, error) {
		return session.NewEngine(context.Background(), kvtxn.FromKVClient(n.KV()), session.Config{NodeID: uint32(n.NodeID())})
	}
}
