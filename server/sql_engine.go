package server

import (
	"context"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/session"
)

// NewSQLEngine is the SQLEngineFunc of a real node: the SQL layer
// (sql/session) over the node's KV client. It bootstraps the catalog on
// first use of a cluster.
func NewSQLEngine(ctx context.Context, n *Server) (conn.Engine, error) {
	kvtxn.SetRetryableClassifier(kvpb.IsRetryable)
	return session.NewEngine(ctx, kvDB{n.DB()}, session.Config{NodeID: uint32(n.NodeID())})
}

// kvDB adapts *kvclient.DB to kvtxn.DB (its NewTxn returns the concrete
// *kvclient.Txn, which satisfies kvtxn.Txn).
type kvDB struct{ db *kvclient.DB }

func (d kvDB) NewTxn(ctx context.Context) kvtxn.Txn { return d.db.NewTxn(ctx) }

func (d kvDB) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	return d.db.Inc(ctx, key, delta)
}
