package ranges

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/internal/testport"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestTransportCodecSnapshotChunk: the hand-written SnapshotChunk
// encoding is the protobuf one (both directions, unknown fields
// skipped), and malformed input is an error, not a panic.
func TestTransportCodecSnapshotChunk(t *testing.T) {
	data := appendSnapshotPair(appendSnapshotPair(nil, []byte("k1"), []byte("v1")), []byte("k2"), bytes.Repeat([]byte{7}, 70000))
	for _, c := range []*kvpb.SnapshotChunk{
		{Header: &kvpb.SnapshotHeader{RangeId: 9, Desc: &kvpb.RangeDescriptor{RangeId: 9, StartKey: []byte("a")}, RaftMessage: []byte{1, 2, 3}}},
		{Data: data, DataCrc: snapshotDataCRC(data)},
		{Data: data, DataCrc: snapshotDataCRC(data), Final: true},
		{Final: true},
		{},
	} {
		out, err := transportCodec{}.Marshal(c)
		require.NoError(t, err)
		wire := out.Materialize()
		out.Free()
		back := &kvpb.SnapshotChunk{}
		require.NoError(t, proto.Unmarshal(wire, back))
		require.True(t, proto.Equal(c, back), "%v -> %v", c, back)

		std, err := proto.Marshal(c)
		require.NoError(t, err)
		std = append(std, 0x30, 0x05) // field 6, varint: unknown, skipped
		var f snapshotFrame
		require.NoError(t, transportCodec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(std)}, &f))
		require.True(t, proto.Equal(c, f.chunk), "%v -> %v", c, f.chunk)
		f.release()
		for cut := 1; cut < min(len(std), 64); cut++ {
			var g snapshotFrame
			if err := (transportCodec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(std[:len(std)-cut])}, &g); err == nil {
				// A cut at a field boundary is a valid shorter message.
				g.release()
			}
		}
	}
}

// snapshotSink serves RaftSnapshot, copying out every chunk's data.
type snapshotSink struct {
	kvpb.UnimplementedInternalServer
	got   chan []byte
	codec chan bool
}

func (s *snapshotSink) RaftSnapshot(stream grpc.ClientStreamingServer[kvpb.SnapshotChunk, kvpb.SnapshotResponse]) error {
	s.codec <- usesTransportCodec(stream.Context())
	r := &frameReceiver{s: stream}
	defer r.release()
	var all []byte
	for {
		c, err := r.Recv()
		if err != nil {
			return err
		}
		if err := snapshotPairs(c.GetData(), c.GetDataCrc(), func(k, v []byte) error {
			all = append(append(all, k...), v...)
			return nil
		}); err != nil {
			return err
		}
		if c.GetFinal() {
			s.got <- all
			return stream.SendAndClose(&kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_APPLIED})
		}
	}
}

// TestGRPCSnapshotStreamCodec: a snapshot stream of a GRPCTransport is
// encoded with transportCodec, and the data of every chunk arrives
// intact although the sender reuses its chunk buffer and the receiver
// aliases the transport's.
func TestGRPCSnapshotStreamCodec(t *testing.T) {
	sink := &snapshotSink{got: make(chan []byte, 1), codec: make(chan bool, 1)}
	l, err := testport.Listen()
	require.NoError(t, err)
	srv := grpc.NewServer(GRPCServerOptions()...)
	kvpb.RegisterInternalServer(srv, sink)
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()
	tr := NewGRPCTransport(GRPCTransportConfig{NodeID: 1, Resolver: func(kvpb.NodeID) (string, error) { return l.Addr().String(), nil }})
	defer tr.Close()
	st, err := tr.OpenSnapshot(t.Context(), 2)
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	var want []byte
	chunk := &kvpb.SnapshotChunk{}
	for i := 0; i < 40; i++ {
		chunk.Data = chunk.Data[:0]
		for len(chunk.Data) < 300<<10 {
			k := []byte(fmt.Sprintf("key-%06d", i*1000+len(chunk.Data)))
			v := make([]byte, rng.Intn(9000))
			rng.Read(v)
			chunk.Data = appendSnapshotPair(chunk.Data, k, v)
			want = append(append(want, k...), v...)
		}
		chunk.DataCrc = snapshotDataCRC(chunk.Data)
		chunk.Final = i == 39
		require.NoError(t, st.Send(chunk))
	}
	resp, err := st.CloseAndRecv()
	require.NoError(t, err)
	require.Equal(t, kvpb.SnapshotResponse_APPLIED, resp.GetStatus())
	require.True(t, <-sink.codec, "stream not encoded with %s", transportCodecName)
	require.True(t, bytes.Equal(want, <-sink.got), "data changed in transit")
}

// TestChunkBuilderSeal: a sealed chunk is the protobuf encoding of the
// chunk it stands for (padded data length included), for empty, small
// and large data, final or not.
func TestChunkBuilderSeal(t *testing.T) {
	for _, size := range []int{0, 1, 127, 128, 70000, 3 << 20} {
		for _, final := range []bool{false, true} {
			b := newChunkBuilder(1 << 10)
			want := &kvpb.SnapshotChunk{Final: final}
			for i := 0; b.dataLen() < size; i++ {
				v := bytes.Repeat([]byte{byte(i)}, min(size-b.dataLen(), 5000))
				b.appendPair([]byte(fmt.Sprintf("k%05d", i)), v)
				want.Data = appendSnapshotPair(want.Data, []byte(fmt.Sprintf("k%05d", i)), v)
			}
			want.DataCrc = snapshotDataCRC(want.Data)
			s := b.seal(final)
			require.Nil(t, b.buf, "the builder gave its buffer up")
			out, err := transportCodec{}.Marshal(s)
			require.NoError(t, err)
			wire := out.Materialize()
			out.Free()
			_, err = transportCodec{}.Marshal(s)
			require.Error(t, err, "a sealed chunk is marshalled once")
			back := &kvpb.SnapshotChunk{}
			require.NoError(t, proto.Unmarshal(wire, back))
			require.True(t, proto.Equal(want, back), "size %d final %v: %v", size, final, back.GetFinal())
			var f snapshotFrame
			require.NoError(t, transportCodec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &f))
			require.True(t, proto.Equal(want, f.chunk), "size %d final %v (own decoder)", size, final)
			f.release()
		}
	}
}

// TestGRPCSnapshotStreamSealed: chunks sent as sealed pooled buffers
// arrive intact, although each buffer goes back to the pool (and to the
// next chunk) once gRPC has written it.
func TestGRPCSnapshotStreamSealed(t *testing.T) {
	sink := &snapshotSink{got: make(chan []byte, 1), codec: make(chan bool, 1)}
	l, err := testport.Listen()
	require.NoError(t, err)
	srv := grpc.NewServer(GRPCServerOptions()...)
	kvpb.RegisterInternalServer(srv, sink)
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()
	tr := NewGRPCTransport(GRPCTransportConfig{NodeID: 1, Resolver: func(kvpb.NodeID) (string, error) { return l.Addr().String(), nil }})
	defer tr.Close()
	st, err := tr.OpenSnapshot(t.Context(), 2)
	require.NoError(t, err)
	sealed, ok := st.(sealedChunkSender)
	require.True(t, ok, "a gRPC snapshot stream takes sealed chunks")
	rng := rand.New(rand.NewSource(2))
	var want []byte
	for i := 0; i < 40; i++ {
		b := newChunkBuilder(300 << 10)
		for b.dataLen() < 300<<10 {
			k := []byte(fmt.Sprintf("key-%06d", i*1000+b.dataLen()))
			v := make([]byte, rng.Intn(9000))
			rng.Read(v)
			b.appendPair(k, v)
			want = append(append(want, k...), v...)
		}
		require.NoError(t, sealed.SendSealed(b.seal(false)))
	}
	require.NoError(t, sealed.SendSealed(newChunkBuilder(0).seal(true)))
	resp, err := st.CloseAndRecv()
	require.NoError(t, err)
	require.Equal(t, kvpb.SnapshotResponse_APPLIED, resp.GetStatus())
	require.True(t, <-sink.codec, "stream not encoded with %s", transportCodecName)
	require.True(t, bytes.Equal(want, <-sink.got), "data changed in transit")
}
