package batcheval

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

func TestCommands(t *testing.T) {
	eng, err := storage.Open("", storage.InMemory())
	require.NoError(t, err)
	defer eng.Close()
	ts := func(w int64) hlc.Timestamp { return hlc.Timestamp{WallTime: w} }
	eval := func(w int64, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
		b := eng.NewBatch()
		defer b.Close()
		var ms storage.MVCCStats
		resp, err := Evaluate(Args{RW: b, Timestamp: ts(w), Stats: &ms}, req)
		if err == nil {
			require.NoError(t, b.Commit(false))
		}
		return resp, err
	}
	k := func(s string) []byte { return []byte(s) }

	_, err = eval(10, kvpb.NewPut(k("a"), k("1")))
	require.NoError(t, err)
	resp, err := eval(11, kvpb.NewGet(k("a")))
	require.NoError(t, err)
	require.True(t, resp.GetGet().GetFound())
	require.Equal(t, "1", string(resp.GetGet().GetValue()))
	require.Equal(t, ts(10), resp.GetGet().GetTimestamp().HLC())

	// CPut: absent expected on a present key fails with the actual value.
	_, err = eval(12, kvpb.NewConditionalPut(k("a"), k("2"), nil))
	var cfe *kvpb.ConditionFailedError
	require.True(t, errors.As(err, &cfe))
	require.Equal(t, "1", string(cfe.GetActualValue()))
	_, err = eval(12, kvpb.NewConditionalPut(k("a"), k("2"), k("1")))
	require.NoError(t, err)
	// CPut expecting an empty value is not "absent".
	_, err = eval(13, kvpb.NewConditionalPut(k("e"), k("x"), []byte{}))
	require.True(t, errors.As(err, &cfe))
	require.False(t, cfe.GetHasValue())

	// An asserting Get passes on the expected value or absence, and fails
	// like a CPut otherwise.
	resp, err = eval(13, kvpb.NewAssertGet(k("a"), k("2")))
	require.NoError(t, err)
	require.Equal(t, "2", string(resp.GetGet().GetValue()))
	_, err = eval(13, kvpb.NewAssertGet(k("absent"), nil))
	require.NoError(t, err)
	_, err = eval(13, kvpb.NewAssertGet(k("a"), k("1")))
	require.True(t, errors.As(err, &cfe))
	require.Equal(t, "a", string(cfe.GetKey()))
	require.True(t, cfe.GetHasValue())
	require.Equal(t, "2", string(cfe.GetActualValue()))
	_, err = eval(13, kvpb.NewAssertGet(k("a"), nil))
	require.True(t, errors.As(err, &cfe))
	_, err = eval(13, kvpb.NewAssertGet(k("absent"), k("1")))
	require.True(t, errors.As(err, &cfe))
	require.False(t, cfe.GetHasValue())

	resp, err = eval(14, kvpb.NewIncrement(k("n"), 5))
	require.NoError(t, err)
	require.Equal(t, int64(5), resp.GetIncrement().GetNewValue())
	_, err = eval(15, kvpb.NewIncrement(k("a"), 1))
	var inv *kvpb.InvalidRequestError
	require.True(t, errors.As(err, &inv), "increment of a non-integer: %v", err)

	// Write too old.
	_, err = eval(5, kvpb.NewPut(k("a"), k("old")))
	var wto *kvpb.WriteTooOldError
	require.True(t, errors.As(err, &wto))

	for _, key := range []string{"b", "c", "d"} {
		_, err = eval(20, kvpb.NewPut(k(key), k(key)))
		require.NoError(t, err)
	}
	resp, err = eval(21, kvpb.NewScan(k("a"), k("z"), 2))
	require.NoError(t, err)
	require.Len(t, resp.GetScan().GetRows(), 2)
	require.Equal(t, "c", string(resp.GetScan().GetResumeSpan().GetKey()))
	resp, err = eval(21, kvpb.NewReverseScan(k("a"), k("z"), 2))
	require.NoError(t, err)
	require.Equal(t, "n", string(resp.GetReverseScan().GetRows()[0].GetKey()))

	resp, err = eval(22, kvpb.NewDelete(k("b")))
	require.NoError(t, err)
	require.True(t, resp.GetDelete().GetFound())
	dr := kvpb.NewDeleteRange(k("c"), k("e"))
	dr.GetDeleteRange().ReturnKeys = true
	resp, err = eval(23, dr)
	require.NoError(t, err)
	require.Equal(t, [][]byte{k("c"), k("d")}, resp.GetDeleteRange().GetKeys())
	resp, err = eval(24, kvpb.NewScan(k("a"), k("z"), 0))
	require.NoError(t, err)
	require.Len(t, resp.GetScan().GetRows(), 2) // a, n

	// Bad input is a typed error, never a panic.
	_, err = eval(30, kvpb.NewPut(nil, k("x")))
	require.True(t, errors.As(err, &inv))
	_, err = eval(30, kvpb.NewPut(make([]byte, storage.MaxKeySize+1), k("x")))
	require.True(t, errors.As(err, &inv))
	_, err = eval(30, &kvpb.RequestUnion{})
	require.True(t, errors.As(err, &inv))
}

func TestDeclareSpan(t *testing.T) {
	sp, err := DeclareSpan(kvpb.NewGet([]byte("a")))
	require.NoError(t, err)
	require.Equal(t, spanlatch.Read, sp.Access)
	sp, err = DeclareSpan(kvpb.NewDeleteRange([]byte("a"), []byte("c")))
	require.NoError(t, err)
	require.Equal(t, spanlatch.Write, sp.Access)
	require.Equal(t, "c", string(sp.EndKey))
	_, err = DeclareSpan(&kvpb.RequestUnion{})
	require.Error(t, err)
}
