package storage

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/tesseradb/tessera/hlc"
)

// TxnID identifies a transaction (a UUID chosen by its coordinator).
type TxnID [16]byte

// IsZero reports whether id is the zero ID, which no transaction uses.
func (id TxnID) IsZero() bool { return id == TxnID{} }

// Short renders the first 4 bytes of the ID in hex.
func (id TxnID) Short() string { return hex.EncodeToString(id[:4]) }

// String renders the full ID in hex.
func (id TxnID) String() string { return hex.EncodeToString(id[:]) }

// TxnMeta is what an intent records about its writer, and what a
// transactional operation passes in.
//
// For a write, WriteTimestamp is the timestamp of the provisional value and
// Sequence numbers the write within the epoch (strictly increasing per
// write). For a read, Sequence bounds which of the txn's own writes are
// visible (those with sequence <= Sequence), and Epoch says which intents
// are current (intents from older epochs are ignored).
//
// Key (the txn record's anchor), MinTimestamp and Priority are carried in
// the intent so that whoever meets it can find and push the writer; MVCC
// itself does not interpret them.
type TxnMeta struct {
	ID             TxnID
	Epoch          uint32
	Sequence       int32
	WriteTimestamp hlc.Timestamp
	Key            []byte
	MinTimestamp   hlc.Timestamp
	Priority       int32
}

func (t TxnMeta) String() string {
	return fmt.Sprintf("txn=%s epo=%d seq=%d ts=%s", t.ID.Short(), t.Epoch, t.Sequence, t.WriteTimestamp)
}

// intentHistoryEntry is an earlier value the txn wrote on the key in the
// intent's epoch, kept so that a savepoint rollback or a read at an older
// sequence can see it.
type intentHistoryEntry struct {
	Sequence  int32
	Tombstone bool
	Value     []byte
}

// intentMeta is the decoded value of a lock-table key.
type intentMeta struct {
	Txn     TxnMeta
	History []intentHistoryEntry // ascending sequence, all < Txn.Sequence
}

// Intent meta versions: 1 has ID, epoch, sequence, write timestamp; 2
// adds min timestamp, priority and anchor key after the write timestamp.
const (
	intentMetaVersion1 = 1
	intentMetaVersion  = 2
)

func (m *intentMeta) encode(dst []byte) []byte {
	dst = append(dst, intentMetaVersion)
	dst = append(dst, m.Txn.ID[:]...)
	dst = binary.BigEndian.AppendUint32(dst, m.Txn.Epoch)
	dst = binary.BigEndian.AppendUint32(dst, uint32(m.Txn.Sequence))
	dst = m.Txn.WriteTimestamp.AppendEncoded(dst)
	dst = m.Txn.MinTimestamp.AppendEncoded(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(m.Txn.Priority))
	dst = binary.AppendUvarint(dst, uint64(len(m.Txn.Key)))
	dst = append(dst, m.Txn.Key...)
	dst = binary.AppendUvarint(dst, uint64(len(m.History)))
	for _, h := range m.History {
		dst = binary.BigEndian.AppendUint32(dst, uint32(h.Sequence))
		if h.Tombstone {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, 1)
		dst = binary.AppendUvarint(dst, uint64(len(h.Value)))
		dst = append(dst, h.Value...)
	}
	return dst
}

func decodeIntentMeta(b []byte) (intentMeta, error) {
	var m intentMeta
	const fixed = 1 + 16 + 4 + 4 + hlc.EncodedLen
	if len(b) < fixed || (b[0] != intentMetaVersion && b[0] != intentMetaVersion1) {
		return m, fmt.Errorf("%w: intent meta of %d bytes", ErrCorruptValue, len(b))
	}
	copy(m.Txn.ID[:], b[1:17])
	m.Txn.Epoch = binary.BigEndian.Uint32(b[17:21])
	m.Txn.Sequence = int32(binary.BigEndian.Uint32(b[21:25]))
	ts, err := hlc.DecodeTimestamp(b[25 : 25+hlc.EncodedLen])
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrCorruptValue, err)
	}
	m.Txn.WriteTimestamp = ts
	version := b[0]
	b = b[fixed:]
	if version == intentMetaVersion {
		if len(b) < hlc.EncodedLen+4 {
			return m, fmt.Errorf("%w: intent meta v2 of %d bytes", ErrCorruptValue, len(b))
		}
		mts, err := hlc.DecodeTimestamp(b[:hlc.EncodedLen])
		if err != nil {
			return m, fmt.Errorf("%w: %v", ErrCorruptValue, err)
		}
		m.Txn.MinTimestamp = mts
		m.Txn.Priority = int32(binary.BigEndian.Uint32(b[hlc.EncodedLen:]))
		b = b[hlc.EncodedLen+4:]
		kl, k := binary.Uvarint(b)
		if k <= 0 || kl > uint64(len(b)-k) {
			return m, fmt.Errorf("%w: intent anchor key length", ErrCorruptValue)
		}
		if kl > 0 {
			m.Txn.Key = append([]byte(nil), b[k:k+int(kl)]...)
		}
		b = b[k+int(kl):]
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return m, fmt.Errorf("%w: intent history length", ErrCorruptValue)
	}
	b = b[k:]
	if n > 0 {
		m.History = make([]intentHistoryEntry, 0, n)
	}
	for i := uint64(0); i < n; i++ {
		if len(b) < 5 {
			return m, fmt.Errorf("%w: intent history entry", ErrCorruptValue)
		}
		h := intentHistoryEntry{Sequence: int32(binary.BigEndian.Uint32(b))}
		flag := b[4]
		b = b[5:]
		switch flag {
		case 0:
			h.Tombstone = true
		case 1:
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return m, fmt.Errorf("%w: intent history value", ErrCorruptValue)
			}
			h.Value = append([]byte(nil), b[k:k+int(l)]...)
			b = b[k+int(l):]
		default:
			return m, fmt.Errorf("%w: intent history flag %d", ErrCorruptValue, flag)
		}
		m.History = append(m.History, h)
	}
	if len(b) != 0 {
		return m, fmt.Errorf("%w: %d trailing bytes in intent meta", ErrCorruptValue, len(b))
	}
	return m, nil
}

// MVCC values: a one-byte tag then the user bytes. A tombstone is the
// empty engine value, so a Put of an empty user value is still a value.
const valueTag = 0x01

func encodeMVCCValue(dst, v []byte) []byte {
	dst = append(dst, valueTag)
	return append(dst, v...)
}

// decodeMVCCValue returns the user value (aliasing raw) or tombstone=true.
func decodeMVCCValue(raw []byte) (v []byte, tombstone bool, err error) {
	if len(raw) == 0 {
		return nil, true, nil
	}
	if raw[0] != valueTag {
		return nil, false, fmt.Errorf("%w: value tag %d", ErrCorruptValue, raw[0])
	}
	return raw[1:], false, nil
}
