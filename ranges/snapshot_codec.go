package ranges

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// transportCodec is the gRPC codec of the raft and snapshot connections
// (selected by content-subtype, so the server side needs no option:
// grpcDialOptions sets it for every call on those connections). It is the
// protobuf encoding with two differences that matter for bulk bytes:
//
//   - buffers come from sharedBufferPool (not zeroed) instead of gRPC's
//     default pool, which zeroes every buffer it hands out: for a
//     256 KiB snapshot chunk that was one memclr per copy on each side;
//   - a SnapshotChunk is encoded by hand, and decoded into a
//     snapshotFrame whose data aliases the received buffer (held until
//     the receiver moves to the next chunk) instead of being copied out
//     of it into a fresh, zeroed allocation.
//
// Every other message goes through proto.Marshal and proto.Unmarshal
// (which copy what they keep), so it is wire-compatible with the default
// codec.
type transportCodec struct{}

// transportCodecName is the content-subtype ("application/grpc+<name>").
const transportCodecName = "tessera-raft"

func init() { encoding.RegisterCodecV2(transportCodec{}) }

// Name implements encoding.CodecV2.
func (transportCodec) Name() string { return transportCodecName }

// Marshal implements encoding.CodecV2.
func (transportCodec) Marshal(v any) (mem.BufferSlice, error) {
	if c, ok := v.(*kvpb.SnapshotChunk); ok {
		return marshalSnapshotChunk(c)
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("ranges: codec cannot marshal %T", v)
	}
	size := proto.Size(m)
	if mem.IsBelowBufferPoolingThreshold(size) {
		b, err := proto.MarshalOptions{UseCachedSize: true}.Marshal(m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	buf := sharedBufferPool.Get(size)
	b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend((*buf)[:0], m)
	if err != nil {
		sharedBufferPool.Put(buf)
		return nil, err
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, sharedBufferPool)}, nil
}

// Unmarshal implements encoding.CodecV2.
func (transportCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if f, ok := v.(*snapshotFrame); ok {
		f.release()
		buf := data.MaterializeToBuffer(sharedBufferPool)
		c, err := unmarshalSnapshotChunk(buf.ReadOnlyData())
		if err != nil {
			buf.Free()
			return err
		}
		f.chunk, f.buf = c, buf
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("ranges: codec cannot unmarshal into %T", v)
	}
	if len(data) == 1 {
		return proto.Unmarshal(data[0].ReadOnlyData(), m)
	}
	buf := data.MaterializeToBuffer(sharedBufferPool)
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

// Field numbers of kvpb.SnapshotChunk.
const (
	chunkFieldHeader  = 1
	chunkFieldFinal   = 3
	chunkFieldData    = 4
	chunkFieldDataCRC = 5
)

// marshalSnapshotChunk encodes c as proto.Marshal would (one copy of
// data, into a pooled buffer).
func marshalSnapshotChunk(c *kvpb.SnapshotChunk) (mem.BufferSlice, error) {
	var header []byte
	if c.GetHeader() != nil {
		var err error
		if header, err = proto.Marshal(c.GetHeader()); err != nil {
			return nil, err
		}
	}
	size := len(header) + len(c.GetData()) + 32
	buf := sharedBufferPool.Get(size)
	b := (*buf)[:0]
	if c.GetHeader() != nil {
		b = protowire.AppendTag(b, chunkFieldHeader, protowire.BytesType)
		b = protowire.AppendBytes(b, header)
	}
	if c.GetFinal() {
		b = protowire.AppendTag(b, chunkFieldFinal, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	if len(c.GetData()) > 0 {
		b = protowire.AppendTag(b, chunkFieldData, protowire.BytesType)
		b = protowire.AppendBytes(b, c.GetData())
	}
	if c.GetDataCrc() != 0 {
		b = protowire.AppendTag(b, chunkFieldDataCRC, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, c.GetDataCrc())
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, sharedBufferPool)}, nil
}

// unmarshalSnapshotChunk decodes a SnapshotChunk whose data aliases b
// (the header is copied out, as proto.Unmarshal does). Unknown fields are
// skipped.
func unmarshalSnapshotChunk(b []byte) (*kvpb.SnapshotChunk, error) {
	c := &kvpb.SnapshotChunk{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("ranges: snapshot chunk: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == chunkFieldHeader && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("ranges: snapshot chunk header: %w", protowire.ParseError(n))
			}
			h := &kvpb.SnapshotHeader{}
			if err := proto.Unmarshal(v, h); err != nil {
				return nil, fmt.Errorf("ranges: snapshot chunk header: %w", err)
			}
			c.Header, b = h, b[n:]
		case num == chunkFieldFinal && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("ranges: snapshot chunk: %w", protowire.ParseError(n))
			}
			c.Final, b = v != 0, b[n:]
		case num == chunkFieldData && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("ranges: snapshot chunk data: %w", protowire.ParseError(n))
			}
			c.Data, b = v[:len(v):len(v)], b[n:]
		case num == chunkFieldDataCRC && typ == protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return nil, fmt.Errorf("ranges: snapshot chunk: %w", protowire.ParseError(n))
			}
			c.DataCrc, b = v, b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("ranges: snapshot chunk field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return c, nil
}

// snapshotFrame is what transportCodec decodes a SnapshotChunk into on
// the receiving side: the chunk, whose data aliases buf until release.
type snapshotFrame struct {
	chunk *kvpb.SnapshotChunk
	buf   mem.Buffer
}

func (f *snapshotFrame) release() {
	if f.buf != nil {
		f.buf.Free()
		f.buf = nil
	}
	f.chunk = nil
}

// frameReceiver is the SnapshotReceiver of a RaftSnapshot stream that
// transportCodec decodes: a chunk (and its data) is valid until the next
// Recv, or until release once the stream is done.
type frameReceiver struct {
	s     grpc.ServerStream
	frame snapshotFrame
}

// Recv implements SnapshotReceiver.
func (r *frameReceiver) Recv() (*kvpb.SnapshotChunk, error) {
	r.frame.release()
	if err := r.s.RecvMsg(&r.frame); err != nil {
		return nil, err
	}
	return r.frame.chunk, nil
}

func (r *frameReceiver) release() { r.frame.release() }

// usesTransportCodec reports whether the incoming stream of ctx is
// encoded with transportCodec (a peer dialed with grpcDialOptions).
func usesTransportCodec(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, ct := range md.Get("content-type") {
		if strings.HasSuffix(strings.ToLower(ct), "+"+transportCodecName) {
			return true
		}
	}
	return false
}
