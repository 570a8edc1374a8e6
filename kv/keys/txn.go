package keys

import "bytes"

// TxnRecordPrefix starts the transaction records: \x01k<anchor>\x00txn-<id>.
// A record is range-local but addressed by its anchor key: it lives on the
// range that holds the anchor, so the records of a range [s, e) are the
// keys in [TxnRecordPrefix‖s, TxnRecordPrefix‖e). \x01k sorts apart from
// the per-range state (\x01i, \x01u) and the lock table (\x01z).
var TxnRecordPrefix = []byte("\x01k")

var txnRecordSuffix = []byte("\x00txn-")

// TxnRecordKey returns the key of the record of txn id anchored at anchor.
func TxnRecordKey(anchor, id []byte) []byte {
	k := make([]byte, 0, len(TxnRecordPrefix)+len(anchor)+len(txnRecordSuffix)+len(id))
	k = append(k, TxnRecordPrefix...)
	k = append(k, anchor...)
	k = append(k, txnRecordSuffix...)
	return append(k, id...)
}

// TxnRecordSpan returns the span of the records anchored in [start, end).
func TxnRecordSpan(start, end []byte) (s, e []byte) {
	s = append(append([]byte(nil), TxnRecordPrefix...), start...)
	e = append(append([]byte(nil), TxnRecordPrefix...), end...)
	return s, e
}

// IsTxnRecordKey reports whether key is in the txn record space.
func IsTxnRecordKey(key []byte) bool { return bytes.HasPrefix(key, TxnRecordPrefix) }
