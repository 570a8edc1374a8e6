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
	if c, ok := v.(*sealedChunk); ok {
		buf := c.buf
		c.buf = nil
		if buf == nil {
			return nil, fmt.Errorf("ranges: codec: sealed snapshot chunk marshalled twice")
		}
		return mem.BufferSlice{mem.NewBuffer(buf, sharedBufferPool)}, nil
	}
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

// chunkBuilder builds a snapshot chunk's data in a buffer of
// sharedBufferPool, in the wire encoding of kvpb.SnapshotChunk: the data
// field's tag and a 5-byte length (padded with continuation bits: a
// protobuf varint may be longer than needed) are reserved in front of
// the pairs, and seal fills them in and appends the CRC and final
// fields. A sealed buffer goes to gRPC as the encoded message without
// another copy (sealedChunk), instead of being copied into the codec's
// buffer by Marshal.
type chunkBuilder struct {
	buf *[]byte
}

// chunkDataStart is where the pairs start in a chunkBuilder's buffer.
const chunkDataStart = 1 + chunkLenBytes

// chunkLenBytes is the size of the padded data length (up to 32 GiB).
const chunkLenBytes = 5

func newChunkBuilder(capacity int) *chunkBuilder {
	buf := sharedBufferPool.Get(chunkDataStart + capacity + 16)
	*buf = (*buf)[:chunkDataStart]
	return &chunkBuilder{buf: buf}
}

// appendPair appends one key/value pair to the chunk's data.
func (b *chunkBuilder) appendPair(key, value []byte) { *b.buf = appendSnapshotPair(*b.buf, key, value) }

// dataLen is the length of the data built so far.
func (b *chunkBuilder) dataLen() int { return len(*b.buf) - chunkDataStart }

// data is the chunk's data (valid until reset or seal).
func (b *chunkBuilder) data() []byte { return (*b.buf)[chunkDataStart:] }

// reset empties the data for the next chunk.
func (b *chunkBuilder) reset() { *b.buf = (*b.buf)[:chunkDataStart] }

// seal completes the encoded message and hands the buffer over: the
// builder must not be used afterwards.
func (b *chunkBuilder) seal(final bool) *sealedChunk {
	buf := *b.buf
	data := buf[chunkDataStart:]
	crc := snapshotDataCRC(data)
	n := uint64(len(data))
	buf[0] = byte(protowire.EncodeTag(chunkFieldData, protowire.BytesType))
	for i := 0; i < chunkLenBytes; i++ {
		c := byte(n>>(7*i)) & 0x7f
		if i < chunkLenBytes-1 {
			c |= 0x80
		}
		buf[1+i] = c
	}
	if crc != 0 {
		buf = protowire.AppendTag(buf, chunkFieldDataCRC, protowire.Fixed32Type)
		buf = protowire.AppendFixed32(buf, crc)
	}
	if final {
		buf = protowire.AppendTag(buf, chunkFieldFinal, protowire.VarintType)
		buf = protowire.AppendVarint(buf, 1)
	}
	if len(data) == 0 {
		buf = buf[chunkDataStart:] // no data field at all, as proto.Marshal
	}
	*b.buf = buf
	s := &sealedChunk{buf: b.buf}
	b.buf = nil
	return s
}

// free returns an unsealed builder's buffer to the pool.
func (b *chunkBuilder) free() {
	if b.buf != nil {
		sharedBufferPool.Put(b.buf)
		b.buf = nil
	}
}

// sealedChunk is an encoded SnapshotChunk in a pooled buffer, which
// transportCodec.Marshal hands to gRPC as it is (gRPC returns it to the
// pool once it has written it).
type sealedChunk struct {
	buf *[]byte
}

// sealedChunkSender is a SnapshotStream that can send a sealedChunk (its
// codec is transportCodec). The stream owns the chunk from the call on.
type sealedChunkSender interface {
	SendSealed(*sealedChunk) error
}
