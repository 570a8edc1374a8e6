package keys

import "bytes"

var (
	// KeyMin is the start of the key space (range 1 starts here).
	KeyMin = []byte{}
	// KeyMax is the exclusive end of the addressable key space.
	KeyMax = []byte{0xff, 0xff}
	// LocalPrefix starts the range-local keys; LocalEnd ends them.
	LocalPrefix = []byte{0x01}
	LocalEnd    = []byte{0x02}
	// MetaPrefix starts the meta records; MetaEnd ends them.
	MetaPrefix = []byte("\x02meta/")
	MetaEnd    = []byte("\x02meta0") // '0' follows '/'
	// SystemPrefix starts the system keys.
	SystemPrefix = []byte{0x03}
	// TablePrefix starts table data.
	TablePrefix = []byte{0x04}
)

// MetaKey returns the meta record key of a range ending at end.
func MetaKey(end []byte) []byte {
	k := make([]byte, 0, len(MetaPrefix)+len(end))
	k = append(k, MetaPrefix...)
	return append(k, end...)
}

// MetaEndKey returns the end key named by a meta record key, and whether
// key is a meta record key at all.
func MetaEndKey(key []byte) ([]byte, bool) {
	if !bytes.HasPrefix(key, MetaPrefix) {
		return nil, false
	}
	return key[len(MetaPrefix):], true
}

// IsLocal reports whether key is a range-local key.
func IsLocal(key []byte) bool { return bytes.HasPrefix(key, LocalPrefix) }

// Next returns the smallest key greater than key.
func Next(key []byte) []byte {
	out := make([]byte, len(key)+1)
	copy(out, key)
	return out
}
