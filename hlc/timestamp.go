package hlc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Timestamp is a hybrid logical clock reading: a physical wall time in
// nanoseconds since the Unix epoch and a logical counter that orders events
// sharing one wall time. The zero Timestamp is "no timestamp" and sorts
// before every other.
type Timestamp struct {
	WallTime int64
	Logical  int32
}

// MaxTimestamp sorts after every timestamp a clock can produce.
var MaxTimestamp = Timestamp{WallTime: math.MaxInt64, Logical: math.MaxInt32}

// EncodedLen is the length of the compact binary encoding.
const EncodedLen = 12

// IsEmpty reports whether t is the zero timestamp.
func (t Timestamp) IsEmpty() bool { return t == Timestamp{} }

// Less reports whether t sorts strictly before s.
func (t Timestamp) Less(s Timestamp) bool {
	return t.WallTime < s.WallTime || (t.WallTime == s.WallTime && t.Logical < s.Logical)
}

// LessEq reports whether t sorts before or equal to s.
func (t Timestamp) LessEq(s Timestamp) bool { return !s.Less(t) }

// Compare returns -1, 0 or +1 as t sorts before, equal to or after s.
func (t Timestamp) Compare(s Timestamp) int {
	switch {
	case t.Less(s):
		return -1
	case s.Less(t):
		return 1
	default:
		return 0
	}
}

// Equal reports whether t and s are the same timestamp.
func (t Timestamp) Equal(s Timestamp) bool { return t == s }

// Next returns the smallest timestamp strictly greater than t.
func (t Timestamp) Next() Timestamp {
	if t.Logical == math.MaxInt32 {
		if t.WallTime == math.MaxInt64 {
			return t
		}
		return Timestamp{WallTime: t.WallTime + 1}
	}
	return Timestamp{WallTime: t.WallTime, Logical: t.Logical + 1}
}

// Prev returns the largest timestamp strictly smaller than t. Prev of the
// zero timestamp is the zero timestamp.
func (t Timestamp) Prev() Timestamp {
	switch {
	case t.Logical > 0:
		return Timestamp{WallTime: t.WallTime, Logical: t.Logical - 1}
	case t.WallTime > 0:
		return Timestamp{WallTime: t.WallTime - 1, Logical: math.MaxInt32}
	default:
		return t
	}
}

// Forward returns the later of t and s.
func (t Timestamp) Forward(s Timestamp) Timestamp {
	if t.Less(s) {
		return s
	}
	return t
}

// Backward returns the earlier of t and s.
func (t Timestamp) Backward(s Timestamp) Timestamp {
	if s.Less(t) {
		return s
	}
	return t
}

// AddDuration returns t with nanos added to its wall time and the logical
// part kept.
func (t Timestamp) AddDuration(nanos int64) Timestamp {
	return Timestamp{WallTime: t.WallTime + nanos, Logical: t.Logical}
}

// String renders t as "<seconds>.<nanoseconds, 9 digits>,<logical>", the
// form ParseTimestamp reads back.
func (t Timestamp) String() string {
	sec := t.WallTime / 1e9
	nsec := t.WallTime % 1e9
	if nsec < 0 {
		sec--
		nsec += 1e9
	}
	return fmt.Sprintf("%d.%09d,%d", sec, nsec, t.Logical)
}

// ErrBadTimestamp is returned for a malformed textual or binary timestamp.
var ErrBadTimestamp = errors.New("hlc: malformed timestamp")

// ParseTimestamp reads the form produced by String. The logical part and the
// fraction are optional ("12", "12.5", "12.000000005,3").
func ParseTimestamp(s string) (Timestamp, error) {
	var t Timestamp
	wall, logical, hasLogical := strings.Cut(s, ",")
	if hasLogical {
		l, err := strconv.ParseInt(logical, 10, 32)
		if err != nil || l < 0 {
			return Timestamp{}, fmt.Errorf("%w: %q", ErrBadTimestamp, s)
		}
		t.Logical = int32(l)
	}
	secStr, fracStr, hasFrac := strings.Cut(wall, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || sec < 0 || sec > math.MaxInt64/int64(1e9)-1 {
		return Timestamp{}, fmt.Errorf("%w: %q", ErrBadTimestamp, s)
	}
	var nsec int64
	if hasFrac {
		if len(fracStr) == 0 || len(fracStr) > 9 {
			return Timestamp{}, fmt.Errorf("%w: %q", ErrBadTimestamp, s)
		}
		f, err := strconv.ParseInt(fracStr, 10, 64)
		if err != nil || f < 0 {
			return Timestamp{}, fmt.Errorf("%w: %q", ErrBadTimestamp, s)
		}
		for i := len(fracStr); i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	t.WallTime = sec*1e9 + nsec
	return t, nil
}

// AppendEncoded appends the 12-byte big-endian encoding of t (wall time then
// logical, sign bits flipped) to b. The encoding sorts bytewise in timestamp
// order.
func (t Timestamp) AppendEncoded(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.WallTime)^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Logical)^(1<<31))
}

// Encode returns the 12-byte encoding of t.
func (t Timestamp) Encode() []byte { return t.AppendEncoded(make([]byte, 0, EncodedLen)) }

// DecodeTimestamp reads a timestamp written by AppendEncoded.
func DecodeTimestamp(b []byte) (Timestamp, error) {
	if len(b) != EncodedLen {
		return Timestamp{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadTimestamp, len(b), EncodedLen)
	}
	return Timestamp{
		WallTime: int64(binary.BigEndian.Uint64(b) ^ (1 << 63)),
		Logical:  int32(binary.BigEndian.Uint32(b[8:]) ^ (1 << 31)),
	}, nil
}
