package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// nodesFile keeps the address book across restarts (see the package doc).
const nodesFile = "TESSERA-NODES"

// ErrUnknownNode is returned when no address is known for a node.
var ErrUnknownNode = errors.New("server: unknown node")

// addressBook maps node IDs to RPC addresses. Safe for concurrent use.
type addressBook struct {
	dir string // where nodesFile lives; "" keeps it in memory only

	mu struct {
		sync.Mutex
		addrs   map[kvpb.NodeID]string
		version uint64 // bumped on every change
		saved   uint64 // version last written to disk
	}
	saveMu sync.Mutex // serialises saves (file I/O is outside mu)
}

func newAddressBook(dir string) *addressBook {
	b := &addressBook{dir: dir}
	b.mu.addrs = map[kvpb.NodeID]string{}
	return b
}

// load reads the persisted book, if any.
func (b *addressBook) load() error {
	if b.dir == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(b.dir, nodesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: reading address book: %w", err)
	}
	var m map[kvpb.NodeID]string
	if err := json.Unmarshal(data, &m); err != nil {
		// The book is only a cache: start empty rather than refuse to run.
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, a := range m {
		if id != 0 && a != "" {
			b.mu.addrs[id] = a
		}
	}
	return nil
}

// set records addr for id and reports whether that changed anything.
func (b *addressBook) set(id kvpb.NodeID, addr string) bool {
	if id == 0 || addr == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.addrs[id] == addr {
		return false
	}
	b.mu.addrs[id] = addr
	b.mu.version++
	return true
}

// lookup returns the address of id.
func (b *addressBook) lookup(id kvpb.NodeID) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if a, ok := b.mu.addrs[id]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownNode, id)
}

// nodeAddr is one entry of the book.
type nodeAddr struct {
	ID   kvpb.NodeID
	Addr string
}

// all returns every entry, by node ID.
func (b *addressBook) all() []nodeAddr {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]nodeAddr, 0, len(b.mu.addrs))
	for id, a := range b.mu.addrs {
		out = append(out, nodeAddr{id, a})
	}
	slices.SortFunc(out, func(x, y nodeAddr) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// save writes the book to disk if it changed since the last save.
func (b *addressBook) save() error {
	if b.dir == "" {
		return nil
	}
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	b.mu.Lock()
	v := b.mu.version
	if v == b.mu.saved {
		b.mu.Unlock()
		return nil
	}
	m := make(map[kvpb.NodeID]string, len(b.mu.addrs))
	for id, a := range b.mu.addrs {
		m[id] = a
	}
	b.mu.Unlock()
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(b.dir, nodesFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("server: saving address book: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(b.dir, nodesFile)); err != nil {
		return fmt.Errorf("server: saving address book: %w", err)
	}
	b.mu.Lock()
	b.mu.saved = max(b.mu.saved, v)
	b.mu.Unlock()
	return nil
}
