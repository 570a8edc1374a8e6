package tscache

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
)

func ts(w int64) hlc.Timestamp { return hlc.Timestamp{WallTime: w} }

func TestBasic(t *testing.T) {
	c := New(ts(5))
	require.Equal(t, ts(5), c.Get([]byte("a"), nil))
	c.Add([]byte("a"), nil, ts(10))
	c.Add([]byte("c"), []byte("e"), ts(20))
	require.Equal(t, ts(10), c.Get([]byte("a"), nil))
	require.Equal(t, ts(5), c.Get([]byte("b"), nil))
	require.Equal(t, ts(20), c.Get([]byte("d"), nil))
	require.Equal(t, ts(5), c.Get([]byte("e"), nil))
	require.Equal(t, ts(10), c.Get([]byte("a"), []byte("b")))
	require.Equal(t, ts(20), c.Get([]byte("b"), []byte("d")))
	c.SetLowWater(ts(15))
	require.Equal(t, ts(15), c.Get([]byte("a"), nil))
	c.SetLowWater(ts(1))
	require.Equal(t, ts(15), c.LowWater())
}

// TestNeverBelowModel: against a model that keeps every read, the cache
// never answers lower (it may answer higher after folding).
func TestNeverBelowModel(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	c := New(ts(0))
	c.max = 16
	type read struct {
		k, e string
		ts   hlc.Timestamp
	}
	var model []read
	key := func() string { return fmt.Sprintf("k%02d", rng.Intn(30)) }
	for i := 0; i < 2000; i++ {
		k := key()
		e := ""
		if rng.Intn(3) == 0 {
			e = k + "\xff"
		}
		if rng.Intn(2) == 0 {
			r := read{k, e, ts(int64(rng.Intn(1000) + 1))}
			model = append(model, r)
			var end []byte
			if e != "" {
				end = []byte(e)
			}
			c.Add([]byte(r.k), end, r.ts)
			continue
		}
		var want hlc.Timestamp
		for _, r := range model {
			re := r.e
			if re == "" {
				re = r.k + "\x00"
			}
			qe := e
			if qe == "" {
				qe = k + "\x00"
			}
			if r.k < qe && k < re {
				want = want.Forward(r.ts)
			}
		}
		var end []byte
		if e != "" {
			end = []byte(e)
		}
		require.False(t, c.Get([]byte(k), end).Less(want), "i=%d", i)
	}
}
