package hlc

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTimestampOrder(t *testing.T) {
	a := Timestamp{WallTime: 10, Logical: 1}
	b := Timestamp{WallTime: 10, Logical: 2}
	c := Timestamp{WallTime: 11}
	require.True(t, Timestamp{}.Less(a))
	require.True(t, a.Less(b))
	require.True(t, b.Less(c))
	require.False(t, b.Less(a))
	require.False(t, a.Less(a))
	require.True(t, a.LessEq(a))
	require.True(t, a.LessEq(b))
	require.False(t, c.LessEq(b))
	require.Equal(t, -1, a.Compare(b))
	require.Equal(t, 1, c.Compare(b))
	require.Equal(t, 0, b.Compare(b))
	require.True(t, a.Equal(Timestamp{WallTime: 10, Logical: 1}))
	require.Equal(t, c, b.Forward(c))
	require.Equal(t, c, c.Forward(b))
	require.Equal(t, b, b.Backward(c))
	require.Equal(t, b, c.Backward(b))
	require.True(t, Timestamp{}.IsEmpty())
	require.False(t, a.IsEmpty())
	require.True(t, c.Less(MaxTimestamp))
	require.Equal(t, Timestamp{WallTime: 15, Logical: 1}, a.AddDuration(5))
}

func TestTimestampNextPrev(t *testing.T) {
	tests := []struct {
		ts, next, prev Timestamp
	}{
		{Timestamp{}, Timestamp{Logical: 1}, Timestamp{}},
		{Timestamp{WallTime: 5}, Timestamp{WallTime: 5, Logical: 1}, Timestamp{WallTime: 4, Logical: math.MaxInt32}},
		{Timestamp{WallTime: 5, Logical: 3}, Timestamp{WallTime: 5, Logical: 4}, Timestamp{WallTime: 5, Logical: 2}},
		{Timestamp{WallTime: 5, Logical: math.MaxInt32}, Timestamp{WallTime: 6}, Timestamp{WallTime: 5, Logical: math.MaxInt32 - 1}},
		{MaxTimestamp, MaxTimestamp, Timestamp{WallTime: math.MaxInt64, Logical: math.MaxInt32 - 1}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.next, tc.ts.Next(), "Next(%s)", tc.ts)
		require.Equal(t, tc.prev, tc.ts.Prev(), "Prev(%s)", tc.ts)
		if tc.ts != MaxTimestamp {
			require.True(t, tc.ts.Less(tc.ts.Next()))
			require.Equal(t, tc.ts, tc.ts.Next().Prev())
		}
	}
}

func TestTimestampString(t *testing.T) {
	tests := []struct {
		ts  Timestamp
		str string
	}{
		{Timestamp{}, "0.000000000,0"},
		{Timestamp{WallTime: 1_500_000_000_000_000_123, Logical: 4}, "1500000000.000000123,4"},
		{Timestamp{WallTime: 2_000_000_000, Logical: 0}, "2.000000000,0"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.str, tc.ts.String())
		got, err := ParseTimestamp(tc.str)
		require.NoError(t, err)
		require.Equal(t, tc.ts, got)
	}
	for in, want := range map[string]Timestamp{
		"12":             {WallTime: 12e9},
		"12.5":           {WallTime: 12_500_000_000},
		"12.000000005,3": {WallTime: 12_000_000_005, Logical: 3},
	} {
		got, err := ParseTimestamp(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "x", "1.", "1.1234567890", "1,x", "1,-1", "-1", "1.-5", "99999999999999999999"} {
		_, err := ParseTimestamp(bad)
		require.True(t, errors.Is(err, ErrBadTimestamp), "%q: %v", bad, err)
	}
}

func TestTimestampEncoding(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	tss := []Timestamp{{}, MaxTimestamp, {WallTime: 1}, {Logical: 1}}
	for i := 0; i < 1000; i++ {
		tss = append(tss, Timestamp{WallTime: rng.Int63n(1 << uint(rng.Intn(63))), Logical: rng.Int31n(1 << uint(rng.Intn(31)))})
	}
	enc := make([][]byte, len(tss))
	for i, ts := range tss {
		enc[i] = ts.Encode()
		require.Len(t, enc[i], EncodedLen)
		got, err := DecodeTimestamp(enc[i])
		require.NoError(t, err)
		require.Equal(t, ts, got)
	}
	idx := make([]int, len(tss))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return bytes.Compare(enc[idx[a]], enc[idx[b]]) < 0 })
	for i := 1; i < len(idx); i++ {
		require.True(t, tss[idx[i-1]].LessEq(tss[idx[i]]), "byte order disagrees with timestamp order: %s before %s", tss[idx[i-1]], tss[idx[i]])
	}
	for _, n := range []int{0, 11, 13} {
		_, err := DecodeTimestamp(make([]byte, n))
		require.True(t, errors.Is(err, ErrBadTimestamp))
	}
	require.Equal(t, []byte{0xAA, 0x80, 0, 0, 0, 0, 0, 0, 5, 0x80, 0, 0, 1}, Timestamp{WallTime: 5, Logical: 1}.AppendEncoded([]byte{0xAA}))
}
