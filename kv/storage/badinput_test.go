package storage

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

func TestBadInput(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()
	t1 := hlc.Timestamp{WallTime: 1}
	big := make([]byte, MaxKeySize+1)
	hugeVal := make([]byte, MaxValueSize+1)
	w := MVCCWriteOptions{}
	txn := &TxnMeta{ID: TxnID{9}, WriteTimestamp: t1}

	cases := []struct {
		name string
		err  error
		fn   func() error
	}{
		{"put empty key", ErrEmptyKey, func() error { return MVCCPut(e, nil, t1, []byte("v"), w) }},
		{"put big key", ErrKeyTooLarge, func() error { return MVCCPut(e, big, t1, []byte("v"), w) }},
		{"put huge value", ErrValueTooLarge, func() error { return MVCCPut(e, []byte("k"), t1, hugeVal, w) }},
		{"raw put huge value", ErrValueTooLarge, func() error { return e.PutRaw([]byte("k"), hugeVal) }},
		{"put zero ts", ErrZeroTimestamp, func() error { return MVCCPut(e, []byte("k"), hlc.Timestamp{}, nil, w) }},
		{"put lock space", ErrInvalidKey, func() error { return MVCCPut(e, []byte("\x01zk"), t1, nil, w) }},
		{"put zero txn id", ErrInvalidTxn, func() error {
			return MVCCPut(e, []byte("k"), t1, nil, MVCCWriteOptions{Txn: &TxnMeta{WriteTimestamp: t1}})
		}},
		{"get empty key", ErrEmptyKey, func() error { _, _, err := MVCCGet(e, nil, t1, MVCCReadOptions{}); return err }},
		{"get zero ts", ErrZeroTimestamp, func() error { _, _, err := MVCCGet(e, []byte("k"), hlc.Timestamp{}, MVCCReadOptions{}); return err }},
		{"scan empty span", ErrInvalidKey, func() error { _, err := MVCCScan(e, []byte("b"), []byte("b"), t1, MVCCScanOptions{}); return err }},
		{"scan empty key", ErrEmptyKey, func() error { _, err := MVCCScan(e, nil, []byte("b"), t1, MVCCScanOptions{}); return err }},
		{"scan zero ts", ErrZeroTimestamp, func() error {
			_, err := MVCCScan(e, []byte("a"), []byte("b"), hlc.Timestamp{}, MVCCScanOptions{})
			return err
		}},
		{"delete range zero ts", ErrZeroTimestamp, func() error {
			_, _, err := MVCCDeleteRange(e, []byte("a"), []byte("b"), hlc.Timestamp{}, 0, w)
			return err
		}},
		{"cput zero ts", ErrZeroTimestamp, func() error { return MVCCConditionalPut(e, []byte("k"), hlc.Timestamp{}, nil, nil, w) }},
		{"inc empty key", ErrEmptyKey, func() error { _, err := MVCCIncrement(e, nil, t1, 1, w); return err }},
		{"resolve unknown txn", ErrIntentNotFound, func() error {
			return MVCCResolveIntent(e, []byte("k"), LockUpdate{Txn: *txn, Status: Committed}, nil)
		}},
		{"resolve zero txn", ErrInvalidTxn, func() error {
			return MVCCResolveIntent(e, []byte("k"), LockUpdate{Txn: TxnMeta{WriteTimestamp: t1}, Status: Committed}, nil)
		}},
		{"resolve bad status", ErrInvalidTxn, func() error {
			return MVCCResolveIntent(e, []byte("k"), LockUpdate{Txn: *txn, Status: 7}, nil)
		}},
		{"resolve range inverted", ErrInvalidKey, func() error {
			_, _, err := MVCCResolveIntentRange(e, []byte("z"), []byte("a"), LockUpdate{Txn: *txn}, 0, nil)
			return err
		}},
		{"gc zero threshold", ErrZeroTimestamp, func() error {
			_, err := MVCCGarbageCollect(e, []byte("a"), []byte("b"), hlc.Timestamp{}, nil)
			return err
		}},
		{"stats inverted", ErrInvalidKey, func() error { _, err := ComputeStats(e, []byte("b"), []byte("a")); return err }},
		{"clear range inverted", ErrInvalidKey, func() error { return e.ClearRange([]byte("b"), []byte("a")) }},
		{"raw get empty", ErrEmptyKey, func() error { _, _, err := e.GetRaw(nil); return err }},
		{"raw iterator inverted", ErrInvalidKey, func() error { _, err := e.NewRawIterator([]byte("b"), []byte("a")); return err }},
		{"apply garbage", ErrInvalidBatch, func() error { return e.ApplyBatchRepr([]byte{1, 2, 3}, false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.fn()
			require.Error(t, err)
			require.True(t, errors.Is(err, c.err), "got %v, want %v", err, c.err)
		})
	}
	// Nothing was written by any of them.
	ms, err := ComputeStats(e, []byte{0}, []byte{0xff})
	require.NoError(t, err)
	require.Equal(t, MVCCStats{}, ms)
}

// TestApplyBatchReprValidation: representations that decode as Pebble
// batches but carry keys that are not engine keys are refused whole, and
// random bytes never panic.
func TestApplyBatchReprValidation(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()

	pb := new(pebble.Batch)
	require.NoError(t, pb.Set(EncodeRawKey(nil, []byte("ok")), []byte("v"), nil))
	require.NoError(t, pb.Set([]byte("no-sentinel"), []byte("v"), nil))
	require.ErrorIs(t, e.ApplyBatchRepr(pb.Repr(), false), ErrInvalidBatch)
	_, ok, err := e.GetRaw([]byte("ok"))
	require.NoError(t, err)
	require.False(t, ok, "a refused batch must apply nothing")

	good := e.NewBatch()
	require.NoError(t, MVCCPut(good, []byte("k"), hlc.Timestamp{WallTime: 3}, []byte("v"), MVCCWriteOptions{}))
	repr := append([]byte(nil), good.Repr()...)
	require.NoError(t, good.Close())

	seed := rand.Int63()
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < 2000; i++ {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, rng.Intn(40))
			rng.Read(b)
		} else {
			// Corrupt a valid representation.
			b = append([]byte(nil), repr...)
			for j := 0; j < 1+rng.Intn(3); j++ {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
			if rng.Intn(3) == 0 {
				b = b[:rng.Intn(len(b))]
			}
		}
		err := e.ApplyBatchRepr(b, false)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidBatch)
		}
	}
	// Whatever got applied is still well-formed MVCC data.
	_, err = ComputeStats(e, []byte{0}, []byte{0xff})
	require.NoError(t, err)
}

func TestClosed(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	b := e.NewBatch()
	s := e.NewSnapshot()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, _, err = s.GetRaw([]byte("k"))
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.PutRaw([]byte("k"), nil), ErrClosed)
	require.ErrorIs(t, b.Commit(true), ErrClosed)
	require.NoError(t, e.Close())
	require.NoError(t, e.Close())
	require.ErrorIs(t, e.PutRaw([]byte("k"), nil), ErrClosed)
	require.ErrorIs(t, MVCCPut(e, []byte("k"), hlc.Timestamp{WallTime: 1}, nil, MVCCWriteOptions{}), ErrClosed)
	_, _, err = MVCCGet(e, []byte("k"), hlc.Timestamp{WallTime: 1}, MVCCReadOptions{})
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, e.ApplyBatchRepr(nil, false), ErrClosed)
	require.ErrorIs(t, e.NewBatch().PutRaw([]byte("k"), nil), ErrClosed)
	_, _, err = e.NewSnapshot().GetRaw([]byte("k"))
	require.ErrorIs(t, err, ErrClosed)
}
