package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// identFile is the name, inside the store directory, of the file that
// records which cluster, node and store this store belongs to. It is
// written once (at bootstrap or join) and never changes.
const identFile = "TESSERA-IDENT"

// Ident is a store's identity in its cluster.
type Ident struct {
	ClusterID string       `json:"cluster_id"`
	NodeID    kvpb.NodeID  `json:"node_id"`
	StoreID   kvpb.StoreID `json:"store_id"`
}

// ErrCorruptIdent is returned when the ident file exists but cannot be read.
var ErrCorruptIdent = errors.New("server: corrupt store ident")

func (id Ident) valid() bool { return id.ClusterID != "" && id.NodeID != 0 && id.StoreID != 0 }

// readIdent returns the store's ident, or ok=false for a store that has
// not joined a cluster yet.
func readIdent(dir string) (Ident, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, identFile))
	if errors.Is(err, os.ErrNotExist) {
		return Ident{}, false, nil
	}
	if err != nil {
		return Ident{}, false, fmt.Errorf("server: reading store ident: %w", err)
	}
	var id Ident
	if err := json.Unmarshal(b, &id); err != nil || !id.valid() {
		return Ident{}, false, fmt.Errorf("%w: %s: %q", ErrCorruptIdent, filepath.Join(dir, identFile), b)
	}
	return id, true, nil
}

// writeIdent durably records id: written to a temp file, synced, renamed
// into place and the directory synced, so that a crash leaves either no
// ident or the whole one.
func writeIdent(dir string, id Ident) error {
	if !id.valid() {
		return fmt.Errorf("server: refusing to write incomplete ident %+v", id)
	}
	b, err := json.Marshal(id)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, identFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("server: writing store ident: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("server: writing store ident: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("server: syncing store ident: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, identFile)); err != nil {
		return fmt.Errorf("server: installing store ident: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
