package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/tesseradb/tessera/hlc"
)

// Engine key layout (see doc.go):
//
//	raw (unversioned) key:  userKey ‖ 0x00
//	versioned key:          userKey ‖ 0x00 ‖ wall (8 B) ‖ logical (4 B) ‖ 0x0d
//
// The last byte is the length of the suffix that follows the 0x00 sentinel,
// counting itself: 0 for a raw key (the sentinel doubles as the length
// byte) and 13 for a versioned key. Reading it from the end is what lets us
// split keys whose user part contains 0x00 bytes. The Pebble prefix (what
// Split returns, and what bloom filters hash) is userKey ‖ 0x00 in both
// cases, so a raw key and all versions of the same user key share a prefix;
// the raw key has the empty suffix and therefore sorts first.
const (
	sentinel        = 0x00
	versionedSuffix = hlc.EncodedLen + 1 // timestamp + length byte
	versionedLenTag = byte(versionedSuffix)
)

// MaxKeySize is the largest user key accepted by any write (32 KiB).
const MaxKeySize = 32 << 10

// MaxValueSize is the largest value accepted by any write (64 MiB).
const MaxValueSize = 64 << 20

// lockTablePrefix starts every lock-table key: \x01z<user key>. The value is
// an encoded intent (txn meta plus intent history). User keys in this space
// are refused by the MVCC operations.
var lockTablePrefix = []byte("\x01z")

// ComparerName names the key ordering. It is written into every store and
// must never change: a store created with one comparer name cannot be
// opened with another.
const ComparerName = "tessera.mvcc.v1"

// EncodeRawKey appends the engine form of an unversioned key to dst.
func EncodeRawKey(dst, userKey []byte) []byte {
	dst = append(dst, userKey...)
	return append(dst, sentinel)
}

// EncodeMVCCKey appends the engine form of userKey at ts to dst. A zero ts
// gives the raw key.
func EncodeMVCCKey(dst, userKey []byte, ts hlc.Timestamp) []byte {
	dst = append(dst, userKey...)
	dst = append(dst, sentinel)
	if ts.IsEmpty() {
		return dst
	}
	dst = ts.AppendEncoded(dst)
	return append(dst, versionedLenTag)
}

// DecodeEngineKey splits an engine key into its user key and timestamp (zero
// for a raw key). The returned user key aliases engineKey.
func DecodeEngineKey(engineKey []byte) (userKey []byte, ts hlc.Timestamp, err error) {
	n := len(engineKey)
	if n == 0 {
		return nil, ts, fmt.Errorf("%w: empty engine key", ErrCorruptKey)
	}
	switch engineKey[n-1] {
	case 0:
		return engineKey[:n-1], ts, nil
	case versionedLenTag:
		if n < versionedSuffix+1 || engineKey[n-versionedSuffix-1] != sentinel {
			return nil, ts, fmt.Errorf("%w: %q", ErrCorruptKey, engineKey)
		}
		ts, err = hlc.DecodeTimestamp(engineKey[n-versionedSuffix : n-1])
		if err != nil {
			return nil, ts, fmt.Errorf("%w: %v", ErrCorruptKey, err)
		}
		return engineKey[:n-versionedSuffix-1], ts, nil
	default:
		return nil, ts, fmt.Errorf("%w: bad length byte %d in %q", ErrCorruptKey, engineKey[n-1], engineKey)
	}
}

// splitKey returns the length of the Pebble prefix of k (userKey ‖ 0x00).
// It never panics: keys that are not well formed are all prefix.
func splitKey(k []byte) int {
	n := len(k)
	if n == 0 {
		return 0
	}
	if k[n-1] == versionedLenTag && n > versionedSuffix && k[n-versionedSuffix-1] == sentinel {
		return n - versionedSuffix
	}
	return n
}

// compareSuffixes orders suffixes: the empty (raw) suffix first, then
// versions newest first. Suffixes are either empty or 13 bytes; anything
// else is compared bytewise after the well-formed ones so that the order
// stays total.
func compareSuffixes(a, b []byte) int {
	if len(a) == 0 || len(b) == 0 {
		return cmpInt(len(a), len(b))
	}
	if len(a) == versionedSuffix && len(b) == versionedSuffix {
		// Timestamps encode bytewise in ascending order; newest first means
		// the reverse.
		return bytes.Compare(b[:hlc.EncodedLen], a[:hlc.EncodedLen])
	}
	return bytes.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareEngineKeys(a, b []byte) int {
	ap, bp := splitKey(a), splitKey(b)
	if c := bytes.Compare(a[:ap], b[:bp]); c != 0 {
		return c
	}
	return compareSuffixes(a[ap:], b[bp:])
}

// EngineComparer is the Pebble comparer for Tessera stores.
var EngineComparer = &pebble.Comparer{
	Compare: compareEngineKeys,
	Equal: func(a, b []byte) bool {
		return compareEngineKeys(a, b) == 0
	},
	AbbreviatedKey: func(k []byte) uint64 {
		p := k[:splitKey(k)]
		if len(p) >= 8 {
			return binary.BigEndian.Uint64(p)
		}
		var v uint64
		for _, c := range p {
			v = v<<8 | uint64(c)
		}
		return v << uint(8*(8-len(p)))
	},
	// Keys are not shortened in index blocks: returning a itself is always
	// correct and keeps every key Pebble sees well formed.
	Separator: func(dst, a, _ []byte) []byte { return append(dst, a...) },
	Successor: func(dst, a []byte) []byte { return append(dst, a...) },
	ImmediateSuccessor: func(dst, a []byte) []byte {
		// a is a prefix userKey ‖ 0x00; the next prefix is (userKey‖0x00) ‖ 0x00.
		return append(append(dst, a...), sentinel)
	},
	Split:                splitKey,
	ComparePointSuffixes: compareSuffixes,
	CompareRangeSuffixes: compareSuffixes,
	FormatKey: func(k []byte) fmt.Formatter {
		return engineKeyFormatter(k)
	},
	Name: ComparerName,
}

type engineKeyFormatter []byte

func (f engineKeyFormatter) Format(s fmt.State, _ rune) {
	fmt.Fprint(s, FormatEngineKey(f))
}

// FormatEngineKey renders an engine key for humans: "key" for a raw key,
// "key@ts" for a version, with non-printable bytes escaped.
func FormatEngineKey(k []byte) string {
	uk, ts, err := DecodeEngineKey(k)
	if err != nil {
		return fmt.Sprintf("<bad key %q>", k)
	}
	if ts.IsEmpty() {
		return FormatKey(uk)
	}
	return FormatKey(uk) + "@" + ts.String()
}

// FormatKey renders a user key with non-printable bytes as \xNN.
func FormatKey(k []byte) string {
	const hex = "0123456789abcdef"
	var b []byte
	for _, c := range k {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			b = append(b, c)
			continue
		}
		b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
	}
	return string(b)
}

// LockTableKey returns the lock-table user key for a user key.
func LockTableKey(userKey []byte) []byte {
	return append(append(make([]byte, 0, len(lockTablePrefix)+len(userKey)), lockTablePrefix...), userKey...)
}

// isLockTableKey reports whether a user key lies in the lock table space.
func isLockTableKey(userKey []byte) bool { return bytes.HasPrefix(userKey, lockTablePrefix) }

// NextKey returns the smallest key greater than k (k ‖ 0x00).
func NextKey(k []byte) []byte { return append(append(make([]byte, 0, len(k)+1), k...), 0) }
