package tscache

// txnRef is the ID of the txn an entry's read belongs to, held without an
// allocation for IDs of up to 16 bytes (a UUID: every ID the coordinator
// makes): every statement is a new txn, so a string copy of its ID was an
// allocation per recorded read. The zero txnRef is "none or several".
type txnRef struct {
	n    uint8 // length of the ID in b; 0: in long (empty: none)
	b    [16]byte
	long string // an ID longer than b
}

func makeTxnRef(id []byte) txnRef {
	var r txnRef
	if len(id) <= len(r.b) {
		r.n = uint8(copy(r.b[:], id))
		return r
	}
	r.long = string(id)
	return r
}

// none reports whether the entry has no single reading txn.
func (r *txnRef) none() bool { return r.n == 0 && r.long == "" }

// is reports whether r is id (an empty id is none).
func (r *txnRef) is(id []byte) bool {
	if r.n > 0 {
		return int(r.n) == len(id) && string(r.b[:r.n]) == string(id)
	}
	return r.long == string(id)
}
