package server

import (
	"context"
	"errors"

	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/placement/driver"
	"github.com/tesseradb/tessera/ranges"
)

// RunGC runs one MVCC GC pass on this node's store now, over the ranges
// it holds the lease of (what the store's queue does every
// Knobs.GCInterval), after re-reading the cluster settings so that a
// gc.ttl just set applies.
func (s *Server) RunGC(ctx context.Context) (ranges.GCResult, error) {
	st := s.store()
	if st == nil {
		return ranges.GCResult{}, errors.New("server: store not started")
	}
	if err := driver.LoadSettings(ctx, placementKV{s}, s.settings, s.log); err != nil {
		return ranges.GCResult{}, err
	}
	return st.RunGC(ctx)
}

// Store returns the node's store (nil before it started): tests and
// tooling inspect ranges with it.
func (s *Server) Store() *ranges.Store { return s.store() }

// Engine returns the node's storage engine: tests inspect what is stored
// (read only).
func (s *Server) Engine() storage.Engine { return s.eng }
