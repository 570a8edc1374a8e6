package server

import (
	"encoding/binary"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// System keys written by server/ (DESIGN.md §2: the \x03 space).
//
//	\x03node-idgen          int64 counter: the last node ID handed out
//	\x03nodes/<id:8 BE>     NodeDescriptor (proto) of every joined node
var (
	nodeIDGenKey      = []byte("\x03node-idgen")
	nodeRegistryStart = []byte("\x03nodes/")
	nodeRegistryEnd   = []byte("\x03nodes0") // '/'+1
)

func nodeRegistryKey(id kvpb.NodeID) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), nodeRegistryStart...), uint64(id))
}

func decodeNodeRegistryKey(k []byte) (kvpb.NodeID, error) {
	if len(k) != len(nodeRegistryStart)+8 || string(k[:len(nodeRegistryStart)]) != string(nodeRegistryStart) {
		return 0, fmt.Errorf("server: not a node registry key: %q", k)
	}
	return kvpb.NodeID(binary.BigEndian.Uint64(k[len(nodeRegistryStart):])), nil
}
