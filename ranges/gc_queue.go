package ranges

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

// The GC queue: every GCInterval each store walks the ranges it holds the
// lease of and, for each, (1) with threshold = now - TTL (the gc.ttl
// cluster setting) finds the keys with garbage (storage.MVCCFindGarbage)
// and proposes GC requests of at most GCBatchKeys keys, each raising the
// range's GC threshold to threshold in the same command (one request
// without keys raises it when there is nothing to collect); (2) removes
// finalized txn records last active more than TxnRecordGCAge ago: the
// intents a record lists (lock_spans: those EndTxn left on other ranges;
// the local ones were resolved with the commit) are resolved again first
// (idempotent), and the record goes only if that succeeded. PENDING
// records are left alone (their coordinator may be alive; an abandoned
// one is aborted by the first pusher that meets one of its intents).

// DefaultGCTTL is how long MVCC history is kept by default (gc.ttl).
const DefaultGCTTL = 4 * time.Hour

// DefaultGCInterval is the default period of the GC queue.
const DefaultGCInterval = 10 * time.Minute

// defaultGCBatchKeys bounds the keys of one GC request.
const defaultGCBatchKeys = 256

// GCResult sums what one GC pass did.
type GCResult struct {
	Ranges          int   // ranges processed (held the lease)
	Requests        int   // GC requests proposed
	Keys            int   // keys sent for collection
	VersionsRemoved int64 // MVCC versions removed
	RecordsRemoved  int64 // txn records removed
}

func (g *GCResult) add(o GCResult) {
	g.Ranges += o.Ranges
	g.Requests += o.Requests
	g.Keys += o.Keys
	g.VersionsRemoved += o.VersionsRemoved
	g.RecordsRemoved += o.RecordsRemoved
}

func (s *Store) gcTTL() time.Duration {
	if s.cfg.GCTTL != nil {
		if d := s.cfg.GCTTL(); d > 0 {
			return d
		}
	}
	return DefaultGCTTL
}

// runGCQueue runs GC passes every GCInterval until the store stops.
func (s *Store) runGCQueue() {
	defer s.wg.Done()
	t := time.NewTimer(s.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopper:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(s.stopCtx, s.cfg.GCInterval)
		res, err := s.RunGC(ctx)
		cancel()
		if err != nil {
			s.log.Warn("ranges: GC pass", "err", err)
		} else if res.VersionsRemoved > 0 || res.RecordsRemoved > 0 {
			s.log.Info("ranges: GC pass", "ranges", res.Ranges, "requests", res.Requests,
				"versions_removed", res.VersionsRemoved, "records_removed", res.RecordsRemoved)
		}
		t.Reset(s.cfg.GCInterval)
	}
}

// RunGC runs one GC pass over the ranges whose lease this store holds
// (the queue calls it periodically; tests call it directly). A range that
// fails (lease moved, store stopping) is skipped; the last such error is
// returned with the sum of what succeeded.
func (s *Store) RunGC(ctx context.Context) (GCResult, error) {
	var reps []*Replica
	s.forEachReplica(func(r *Replica) { reps = append(reps, r) })
	var total GCResult
	var last error
	for _, r := range reps {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		if !r.leaseholderForGC() {
			continue
		}
		res, err := r.runGC(ctx)
		total.add(res)
		if err != nil {
			last = fmt.Errorf("r%d: %w", r.rangeID, err)
		}
	}
	return total, last
}

// leaseholderForGC: initialized, not frozen, holding a valid lease.
func (r *Replica) leaseholderForGC() bool {
	now := r.store.cfg.Clock.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.desc != nil && !r.mu.destroyed && r.mu.frozenIndex == 0 &&
		r.leaseValidLocked(r.mu.lease, now) && r.ownsLeaseLocked(r.mu.lease)
}

// runGC collects one range.
func (r *Replica) runGC(ctx context.Context) (GCResult, error) {
	res := GCResult{Ranges: 1}
	desc := r.Desc()
	now := r.store.cfg.Clock.Now()
	threshold := hlc.Timestamp{WallTime: now.WallTime - int64(r.store.gcTTL())}
	if threshold.WallTime <= 0 {
		return res, nil
	}
	start, end := rangekeys.UserSpan(desc.GetStartKey(), desc.GetEndKey())
	if r.GCThreshold().Less(threshold) {
		from := start
		for from != nil {
			ks, _, resume, err := storage.MVCCFindGarbage(r.store.eng, from, end, threshold, r.store.cfg.GCBatchKeys)
			if err != nil {
				return res, err
			}
			if len(ks) > 0 || res.Requests == 0 {
				gr, err := r.sendGC(ctx, desc, &kvpb.GCRequest{Keys: ks, Threshold: kvpb.TS(threshold)})
				if err != nil {
					return res, err
				}
				res.Requests++
				res.Keys += len(ks)
				res.VersionsRemoved += gr.GetVersionsRemoved()
			}
			from = resume
		}
	}
	n, reqs, err := r.gcTxnRecords(ctx, desc, now)
	res.RecordsRemoved += n
	res.Requests += reqs
	return res, err
}

// gcTxnRecords removes the finalized records of the range older than the
// record GC age, after resolving the intents they list.
func (r *Replica) gcTxnRecords(ctx context.Context, desc *kvpb.RangeDescriptor, now hlc.Timestamp) (removed int64, requests int, err error) {
	age := r.store.cfg.TxnRecordGCAge
	cutoff := now.AddDuration(-int64(age))
	start, end := rangekeys.UserSpan(desc.GetStartKey(), desc.GetEndKey())
	rs, re := keys.TxnRecordSpan(start, end)
	it, err := r.store.eng.NewRawIterator(rs, re)
	if err != nil {
		return 0, 0, err
	}
	var old []*kvpb.Transaction
	for ok := it.First(); ok; ok = it.Next() {
		rec := &kvpb.Transaction{}
		if err := proto.Unmarshal(it.Value(), rec); err != nil {
			it.Close()
			return 0, 0, fmt.Errorf("ranges: corrupt txn record %q: %w", it.Key(), err)
		}
		last := rec.WriteTS().Forward(rec.GetLastHeartbeat().HLC())
		if batcheval.IsFinalized(rec) && last.Less(cutoff) {
			old = append(old, rec)
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return 0, 0, err
	}
	it.Close()
	var batch []*kvpb.TxnMeta
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// The threshold in force is repeated: GC requests always carry one.
		th := r.GCThreshold()
		if th.IsEmpty() {
			th = hlc.Timestamp{WallTime: 1}
		}
		gr, err := r.sendGC(ctx, desc, &kvpb.GCRequest{TxnRecords: batch, Threshold: kvpb.TS(th)})
		batch = nil
		if err != nil {
			return err
		}
		requests++
		removed += gr.GetRecordsRemoved()
		return nil
	}
	var lastErr error
	for _, rec := range old {
		if len(rec.GetLockSpans()) > 0 {
			if err := r.store.intentResolver.ResolveSpans(ctx, rec, rec.GetLockSpans()); err != nil {
				lastErr = fmt.Errorf("resolving intents of txn %s before removing its record: %w", kvpb.ShortID(rec.ID()), err)
				continue // keep the record: its intents may still be there
			}
		}
		batch = append(batch, rec.GetMeta())
		if len(batch) >= r.store.cfg.GCBatchKeys {
			if err := flush(); err != nil {
				return removed, requests, err
			}
		}
	}
	if err := flush(); err != nil {
		return removed, requests, err
	}
	return removed, requests, lastErr
}

// sendGC proposes one GC request on the range through the ordinary
// pipeline (latches, lease, Raft).
func (r *Replica) sendGC(ctx context.Context, desc *kvpb.RangeDescriptor, req *kvpb.GCRequest) (*kvpb.GCResponse, error) {
	req.Key, req.EndKey = desc.GetStartKey(), desc.GetEndKey()
	if len(req.Key) == 0 {
		req.Key = rangekeys.LocalEnd // range 1: its first addressable key
	}
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: uint64(r.rangeID)},
		Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Gc{Gc: req}}}}
	br, err := r.store.Send(ctx, ba)
	if err != nil {
		return nil, err
	}
	return br.GetResponses()[0].GetGc(), nil
}
