package catalog

import (
	"encoding/binary"

	"github.com/tesseradb/tessera/kv/keys"
)

var (
	advisoryPrefix = append(append([]byte{}, keys.SystemPrefix...), "advisory/"...)
	txidKey        = append(append([]byte{}, keys.SystemPrefix...), "txid"...)
)

// AdvisoryLockKey is the key whose write intent is advisory lock k of
// database db (pair: the two-integer form's space): a transaction that
// writes it holds the lock cluster-wide until it ends, and its record's
// heartbeat keeps it; a dead node's holders expire with their records.
func AdvisoryLockKey(db ID, pair bool, k int64) []byte {
	b := binary.BigEndian.AppendUint32(append([]byte{}, advisoryPrefix...), uint32(db))
	space := byte(1)
	if pair {
		space = 2
	}
	b = append(b, space)
	return binary.BigEndian.AppendUint64(b, uint64(k))
}

// TxidKey is the counter txid_current() numbers transactions from.
func TxidKey() []byte { return txidKey }
