package driver

import (
	"context"

	"github.com/tesseradb/tessera/placement/liveness"
)

// KeyValue is one row of a scan.
type KeyValue = liveness.KeyValue

// KV is the non-transactional access to system keys the driver needs
// (a node passes its kv client through an adapter).
type KV interface {
	liveness.KV
	Put(ctx context.Context, key, value []byte) error
}
