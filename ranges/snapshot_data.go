package ranges

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The data of a snapshot chunk (kvpb.SnapshotChunk.data) is a run of
// engine key/value pairs, each encoded as
//
//	uvarint(len(key)) uvarint(len(value)) key value
//
// with the CRC-32C of the whole run in data_crc. One bytes field per
// chunk replaces a protobuf message per key: the sender appends the pairs
// to one reused buffer, the receiver slices them out of the received
// buffer, and neither side allocates or walks a message per key.

var snapshotCRCTable = crc32.MakeTable(crc32.Castagnoli)

// errSnapshotData is the cause of every malformed chunk.
var errSnapshotData = errors.New("ranges: malformed snapshot chunk")

// appendSnapshotPair appends one pair to a chunk's data.
func appendSnapshotPair(data, key, value []byte) []byte {
	data = binary.AppendUvarint(data, uint64(len(key)))
	data = binary.AppendUvarint(data, uint64(len(value)))
	return append(append(data, key...), value...)
}

// snapshotPairOverhead bounds the length prefixes of one pair.
const snapshotPairOverhead = 2 * binary.MaxVarintLen32

// snapshotDataCRC is the checksum a chunk carries for data.
func snapshotDataCRC(data []byte) uint32 {
	if len(data) == 0 {
		return 0
	}
	return crc32.Checksum(data, snapshotCRCTable)
}

// snapshotPairs walks the pairs of a chunk's data after checking its
// checksum. The key and value passed to fn alias data.
func snapshotPairs(data []byte, crc uint32, fn func(key, value []byte) error) error {
	if got := snapshotDataCRC(data); got != crc {
		return fmt.Errorf("%w: checksum %08x, chunk says %08x (%d bytes)", errSnapshotData, got, crc, len(data))
	}
	for off := 0; off < len(data); {
		kl, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return fmt.Errorf("%w: bad key length at offset %d", errSnapshotData, off)
		}
		off += n
		vl, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return fmt.Errorf("%w: bad value length at offset %d", errSnapshotData, off)
		}
		off += n
		if kl > uint64(len(data)-off) || vl > uint64(len(data)-off)-kl {
			return fmt.Errorf("%w: pair of %d+%d bytes at offset %d overruns the chunk (%d bytes)", errSnapshotData, kl, vl, off, len(data))
		}
		k := data[off : off+int(kl) : off+int(kl)]
		off += int(kl)
		v := data[off : off+int(vl) : off+int(vl)]
		off += int(vl)
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
