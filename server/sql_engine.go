package server

import (
	"context"
	"path/filepath"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/session"
)

// NewSQLEngine is the SQLEngineFunc of a real node: the SQL layer
// (sql/session) over the node's KV client. It bootstraps the catalog on
// first use of a cluster. The engine reaches the cluster's range admin
// and settings through sqlAdmin (sql_admin.go).
func NewSQLEngine(ctx context.Context, n *Server) (conn.Engine, error) {
	return session.NewEngine(ctx, kvtxn.FromKVClient(n.DB()), session.Config{NodeID: uint32(n.NodeID()), Admin: sqlAdmin{s: n},
		TempDir: filepath.Join(n.cfg.StoreDir, "sql-temp")})
}
