package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// Meta records (docs/design/splits.md): \x02meta/<end> → descriptor of
// the range ending at <end>, all in range 1. Until splits and merges run
// as transactions, the node that ran the trigger writes them right after
// it, each write conditional on the record it replaces, and never
// replacing a record by one of a lower or equal generation (for one end
// key, generations only grow: a split's right half inherits the end key
// with generation+1, a merge writes max+1, a replica change +1). The
// leaseholder of every range re-checks its record periodically
// (repairMeta), so a write lost to a crash is repaired.

// firstRangeDesc finds range 1's descriptor: from this node's replica,
// else from any peer's.
func (s *Server) firstRangeDesc(ctx context.Context) (*kvpb.RangeDescriptor, error) {
	if st := s.store(); st != nil {
		if infos := st.RangeInfo(1); len(infos) == 1 && infos[0].GetDesc() != nil {
			return infos[0].GetDesc(), nil
		}
	}
	var last error = errors.New("no peers")
	for _, n := range s.book.all() {
		if n.ID == s.NodeID() {
			continue
		}
		infos, err := s.peerRangeInfoOf(ctx, n.Addr, 1)
		if err == nil && len(infos) == 1 && infos[0].GetDesc() != nil {
			return infos[0].GetDesc(), nil
		}
		if err != nil {
			last = err
		}
	}
	return nil, fmt.Errorf("no node knows range 1: %v", last)
}

func (s *Server) dsSend(ctx context.Context, reqs ...*kvpb.RequestUnion) (*kvpb.BatchResponse, error) {
	return s.ds.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
}

// metaGet reads the meta record at key (raw value and descriptor).
func (s *Server) metaGet(ctx context.Context, key []byte) ([]byte, *kvpb.RangeDescriptor, error) {
	br, err := s.dsSend(ctx, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Get{Get: &kvpb.GetRequest{Key: key}}})
	if err != nil {
		return nil, nil, err
	}
	v := br.GetResponses()[0].GetGet().GetValue()
	if v == nil {
		return nil, nil, nil
	}
	d := &kvpb.RangeDescriptor{}
	if err := proto.Unmarshal(v, d); err != nil {
		return nil, nil, fmt.Errorf("corrupt meta record %q: %w", key, err)
	}
	return v, d, nil
}

// writeMeta makes desc's meta record current unless the record there is
// already of the same or a newer generation. Idempotent.
func (s *Server) writeMeta(ctx context.Context, desc *kvpb.RangeDescriptor) error {
	key := keys.MetaKey(desc.GetEndKey())
	val, err := proto.Marshal(desc)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 5; attempt++ {
		cur, curDesc, err := s.metaGet(ctx, key)
		if err != nil {
			return err
		}
		if curDesc != nil && curDesc.GetGeneration() >= desc.GetGeneration() {
			return nil
		}
		_, err = s.dsSend(ctx, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_ConditionalPut{ConditionalPut: &kvpb.ConditionalPutRequest{
			Key: key, Value: val, ExpValue: cur, ExpExists: cur != nil}}})
		var cf *kvpb.ConditionFailedError
		if errors.As(err, &cf) {
			continue // raced with another writer: look again
		}
		return err
	}
	return fmt.Errorf("meta record %q kept changing", key)
}

// deleteStaleMeta removes the record at end if it names a range older
// than (or absorbed by) newer, whose span strictly contains end.
func (s *Server) deleteStaleMeta(ctx context.Context, end []byte, newer *kvpb.RangeDescriptor) error {
	if !(bytes.Compare(newer.GetStartKey(), end) < 0 && bytes.Compare(end, newer.GetEndKey()) < 0) {
		return nil
	}
	key := keys.MetaKey(end)
	_, cur, err := s.metaGet(ctx, key)
	if err != nil || cur == nil {
		return err
	}
	if cur.GetGeneration() >= newer.GetGeneration() {
		return nil // a newer split put a boundary there again
	}
	_, err = s.dsSend(ctx, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Delete{Delete: &kvpb.DeleteRequest{Key: key}}})
	return err
}

// scanMeta returns every meta record's descriptor, in key order.
func (s *Server) scanMeta(ctx context.Context) ([]*kvpb.RangeDescriptor, error) {
	var out []*kvpb.RangeDescriptor
	start := keys.MetaPrefix
	for page := 0; page < 100000; page++ {
		br, err := s.dsSend(ctx, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{
			Key: start, EndKey: keys.MetaEnd, MaxKeys: 1000}}})
		if err != nil {
			return nil, err
		}
		sr := br.GetResponses()[0].GetScan()
		for _, kv := range sr.GetRows() {
			d := &kvpb.RangeDescriptor{}
			if err := proto.Unmarshal(kv.GetValue(), d); err != nil {
				return nil, fmt.Errorf("corrupt meta record %q: %w", kv.GetKey(), err)
			}
			out = append(out, d)
		}
		if sr.GetResumeSpan() == nil {
			return out, nil
		}
		start = sr.GetResumeSpan().GetKey()
	}
	return out, nil
}

// repairMeta is the self-healing check: for every range this node holds
// the lease of, the meta record at its end key must be its descriptor,
// and no record may end strictly inside its span (left over from a merge
// whose meta update was lost).
func (s *Server) repairMeta(ctx context.Context) {
	st := s.store()
	if st == nil {
		return
	}
	var held []*kvpb.RangeDescriptor
	for _, ri := range st.RangeInfo(0) {
		if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId() && ri.GetDesc() != nil && !ri.GetFrozen() {
			held = append(held, ri.GetDesc())
		}
	}
	if len(held) == 0 {
		return
	}
	meta, err := s.scanMeta(ctx)
	if err != nil {
		s.log.Debug("meta repair: scanning meta", "err", err)
		return
	}
	byEnd := map[string]*kvpb.RangeDescriptor{}
	for _, d := range meta {
		byEnd[string(d.GetEndKey())] = d
	}
	for _, d := range held {
		if cur := byEnd[string(d.GetEndKey())]; cur == nil || cur.GetGeneration() < d.GetGeneration() {
			s.log.Info("meta repair: rewriting meta record", "range", d.GetRangeId(), "generation", d.GetGeneration())
			if err := s.writeMeta(ctx, d); err != nil {
				s.log.Debug("meta repair: writing", "range", d.GetRangeId(), "err", err)
			}
		}
		for _, m := range meta {
			if bytes.Compare(d.GetStartKey(), m.GetEndKey()) < 0 && bytes.Compare(m.GetEndKey(), d.GetEndKey()) < 0 &&
				m.GetGeneration() < d.GetGeneration() {
				s.log.Info("meta repair: deleting a record inside a range", "range", d.GetRangeId(), "stale_range", m.GetRangeId())
				if err := s.deleteStaleMeta(ctx, m.GetEndKey(), d); err != nil {
					s.log.Debug("meta repair: deleting", "err", err)
				}
			}
		}
	}
}
