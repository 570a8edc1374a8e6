package kvcoord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/internal/lazyctx"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/rangecache"
	"google.golang.org/protobuf/proto"
)

// Transport sends a batch to the node holding one replica. An error means
// the batch may not have reached the replica (connection refused, stream
// broken, deadline); a structured refusal comes back in BatchResponse.Error.
type Transport interface {
	SendTo(ctx context.Context, replica *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error)
}

// FirstRangeFunc returns the current descriptor of range 1, the meta range
// (for example by asking any reachable node).
type FirstRangeFunc func(ctx context.Context) (*kvpb.RangeDescriptor, error)

// Config configures a DistSender.
type Config struct {
	Transport  Transport
	FirstRange FirstRangeFunc
	// Clock, if set, stamps every batch with Now and is updated from every
	// response.
	Clock *hlc.Clock
	// RequestTimeout bounds a Send whose context has no deadline
	// (default 10 s), so that an unavailable range fails instead of hanging.
	RequestTimeout time.Duration
	// BackoffInitial and BackoffMax bound the pause between rounds over a
	// range's replicas (defaults 10 ms and 500 ms).
	BackoffInitial, BackoffMax time.Duration
	// MetaPrefetch is how many descriptors past the one asked for a meta
	// lookup reads (default 8).
	MetaPrefetch int64
	// AttemptTimeout, if set, bounds one RPC to one replica, so that a
	// node that stopped answering (partitioned) is given up for the next
	// replica while the caller's deadline still allows.
	AttemptTimeout time.Duration
	// LimitedScanFanOut is how many ranges a read-only batch with key or
	// byte limits reads at once (read-ahead, see dist_sender_ordered.go).
	// The default, 1, visits them one at a time, except that a run of
	// ranges whose leaseholders share a node goes in one BatchParts RPC
	// that the node walks with the limits carried (dist_sender_parts.go),
	// so nothing is read that the sequential walk would not read: on loopback the
	// read-ahead measured slower (per-RPC CPU dominates, docs/benchmarks.md);
	// it pays off when round trips dominate (8 gave +60% with 1 ms per RPC).
	LimitedScanFanOut int
	Logger            *slog.Logger
}

// DistSender sends batches that may span ranges: it splits them by range,
// sends each part to its leaseholder (in parallel unless limits require
// order) and stitches the responses together. It is safe for concurrent
// use.
type DistSender struct {
	cfg   Config
	cache *rangecache.Cache

	first struct {
		sync.Mutex
		desc *kvpb.RangeDescriptor
	}
}

// New returns a DistSender.
func New(cfg Config) *DistSender {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = 10 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 500 * time.Millisecond
	}
	if cfg.MetaPrefetch <= 0 {
		cfg.MetaPrefetch = 8
	}
	if cfg.LimitedScanFanOut <= 0 {
		cfg.LimitedScanFanOut = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ds := &DistSender{cfg: cfg}
	ds.cache = rangecache.New(ds.rangeLookup)
	return ds
}

// Cache exposes the range descriptor cache (for introspection and tests).
func (ds *DistSender) Cache() *rangecache.Cache { return ds.cache }

// ErrEndTxnSpansRanges is returned, with nothing sent, for a batch that
// holds an EndTxn and other requests that do not all fall in the
// EndTxn's range: the coordinator sends the other requests first and the
// EndTxn alone (so that a commit is never applied before its writes).
var ErrEndTxnSpansRanges = errors.New("kvcoord: EndTxn batch spans ranges; send its writes first")

func hasEndTxn(ba *kvpb.BatchRequest) bool {
	for _, r := range ba.GetRequests() {
		if _, ok := r.GetValue().(*kvpb.RequestUnion_EndTxn); ok {
			return true
		}
	}
	return false
}

// errResplit means a part's range changed under it: split it again.
var errResplit = errors.New("kvcoord: range boundaries changed; re-split")

// Send executes ba, whose requests may fall in any ranges. The header's
// range and replica are ignored (the DistSender addresses each part).
// Without limits the parts run in parallel; with key or byte limits the
// result is that of visiting the ranges one at a time in key order
// (descending for reverse scans), stopping once the limits are used up
// and setting resume spans; read-only batches read several ranges ahead
// in parallel to get it (dist_sender_ordered.go).
//
// A batch of writes that spans ranges is not atomic: on error, parts on
// other ranges may have been applied. (Transactions make it atomic.)
func (ds *DistSender) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if len(ba.GetRequests()) == 0 {
		return nil, &kvpb.InvalidRequestError{Reason: "empty batch"}
	}
	if _, ok := ctx.Deadline(); !ok {
		// The request timeout, without a timer until someone waits.
		lc := lazyctx.New(ctx, lazyctx.Config{Deadline: time.Now().Add(ds.cfg.RequestTimeout)})
		defer lc.Release()
		ctx = lc
	}
	spans := make([]span, len(ba.GetRequests()))
	limited, reverse, forward := false, false, false
	for i, r := range ba.GetRequests() {
		s, _, err := requestSpan(r)
		if err != nil {
			return nil, err
		}
		if err := checkAddressable(s); err != nil {
			return nil, err
		}
		spans[i] = s
		if mk, tb := limits(r); mk > 0 || tb > 0 {
			limited = true
		}
		if isReverse(r) {
			reverse = true
		} else if s.end != nil {
			forward = true
		}
	}
	if limited && reverse && forward {
		return nil, &kvpb.InvalidRequestError{Reason: "a batch with key or byte limits cannot mix forward and reverse ranged requests"}
	}
	if limited && hasEndTxn(ba) {
		return nil, &kvpb.InvalidRequestError{Reason: "a batch with an EndTxn cannot have key or byte limits"}
	}
	if !limited || speculable(ba) {
		if p := ds.singleRange(ctx, ba, spans); p != nil {
			br, err := ds.sendToRange(ctx, ba, p)
			if err == nil {
				var acc respAcc
				acc.add(br)
				return ds.finish(ba, br.GetResponses(), &acc), nil
			}
			if !errors.Is(err, errResplit) {
				return nil, err
			}
			// The range changed under the batch and the cache was
			// repaired; nothing was applied: divide it as usual.
		}
	}
	var (
		br  *kvpb.BatchResponse
		err error
	)
	if limited {
		br, err = ds.sendOrdered(ctx, ba, spans, reverse)
	} else {
		br, err = ds.sendParallel(ctx, ba, spans)
	}
	if err != nil {
		return nil, err
	}
	return br, nil
}

// singleRange returns the batch as one part when the cached range of its
// first span holds every span, nil otherwise (or when the lookup fails:
// the general path reports it). Such a batch is sent whole, limits
// included: a range evaluates each request's limits and resume span
// itself, which is exactly what the sequential walk of sendOrdered
// returns when there is one range to walk, and what sendParallel returns
// for its single part. A point SELECT's batch (the row and the schema
// generation) takes this path, skipping the division into parts, and a
// limited index scan with the generation read is one round to its range
// instead of two (the walk sends its point reads first). Only for
// unlimited batches and limited plain reads: a limited write (DeleteRange
// with a key limit) keeps the walk.
func (ds *DistSender) singleRange(ctx context.Context, ba *kvpb.BatchRequest, spans []span) *part {
	e, err := ds.cache.Lookup(ctx, spans[0].key)
	if err != nil {
		return nil
	}
	for _, s := range spans {
		if !e.Desc.ContainsSpan(s.key, s.end) {
			return nil
		}
	}
	n := len(spans)
	var p *part
	if n <= len(smallPart{}.indexes) {
		// A point read's batch (its key and the schema generation): the
		// part and its slices in one allocation.
		b := &smallPart{}
		p = &b.part
		p.indexes, p.items = b.indexes[:n:n], b.items[:n:n]
	} else {
		p = &part{indexes: make([]int, n), items: make([]item, n)}
	}
	p.desc, p.reqs = e.Desc, ba.GetRequests()
	for i, r := range ba.GetRequests() {
		p.indexes[i] = i
		p.items[i] = item{idx: i, req: r, s: spans[i]}
	}
	return p
}

func checkAddressable(s span) error {
	end := s.end
	if end == nil {
		end = keys.Next(s.key)
	}
	if keys.IsLocal(s.key) || bytes.Compare(end, keys.KeyMax) > 0 {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("key span [%q, %q) is outside the addressable key space", s.key, s.end)}
	}
	return nil
}

// item is one request, or the piece of one, still to be sent.
type item struct {
	idx int // position in the original batch
	req *kvpb.RequestUnion
	s   span
}

// part is the slice of a batch that goes to one range.
type part struct {
	desc    *kvpb.RangeDescriptor
	indexes []int // positions in the original batch
	reqs    []*kvpb.RequestUnion
	items   []item // the items the part was cut from (resent on re-split)
}

// smallPart is a part of at most four requests with its slices' memory.
type smallPart struct {
	part    part
	indexes [4]int
	items   [4]item
}

// partial is one range's response to (a piece of) a request.
type partial struct {
	start []byte // the piece's start key: pieces of a request combine in key order
	resp  *kvpb.ResponseUnion
}

// divide cuts the items into parts by the cached ranges, in key order.
func (ds *DistSender) divide(ctx context.Context, items []item) ([]*part, error) {
	byRange := map[uint64]*part{}
	var order []*part
	for _, it := range items {
		key := it.s.key
		for {
			e, err := ds.cache.Lookup(ctx, key)
			if err != nil {
				return nil, err
			}
			d := e.Desc
			p := byRange[d.GetRangeId()]
			if p == nil {
				p = &part{desc: d}
				byRange[d.GetRangeId()] = p
				order = append(order, p)
			}
			// Clip at key too: the part before it is already assigned, and
			// a descriptor the lookup just brought may start before it.
			lo := d.GetStartKey()
			if bytes.Compare(key, lo) > 0 {
				lo = key
			}
			mk, tb := limits(it.req)
			if r := truncate(it.req, it.s, lo, d.GetEndKey(), mk, tb); r != nil {
				p.indexes = append(p.indexes, it.idx)
				p.reqs = append(p.reqs, r)
				p.items = append(p.items, item{idx: it.idx, req: r, s: spanOfReq(r)})
			}
			if it.s.end == nil || bytes.Compare(it.s.end, d.GetEndKey()) <= 0 {
				break
			}
			key = d.GetEndKey()
		}
	}
	sort.Slice(order, func(a, b int) bool {
		return bytes.Compare(order[a].desc.GetStartKey(), order[b].desc.GetStartKey()) < 0
	})
	return order, nil
}

// sendParallel sends every part at once and merges the responses.
func (ds *DistSender) sendParallel(ctx context.Context, ba *kvpb.BatchRequest, spans []span) (*kvpb.BatchResponse, error) {
	items := make([]item, len(spans))
	for i, r := range ba.GetRequests() {
		items[i] = item{idx: i, req: r, s: spans[i]}
	}
	resps := make([]*kvpb.ResponseUnion, len(spans))
	var acc respAcc
	if err := ds.sendParts(ctx, ba, items, resps, &acc); err != nil {
		return nil, err
	}
	return ds.finish(ba, resps, &acc), nil
}

// sendParts sends the items, each part in its own goroutine, and folds
// their responses into resps in key order (descending for reverse scans).
// A part whose range changed under it is divided again and resent; only
// that part, so nothing is applied twice.
func (ds *DistSender) sendParts(ctx context.Context, ba *kvpb.BatchRequest, items []item,
	resps []*kvpb.ResponseUnion, acc *respAcc) error {
	partials := map[int][]partial{}
	endTxn := hasEndTxn(ba)
	for len(items) > 0 {
		parts, err := ds.divide(ctx, items)
		if err != nil {
			return err
		}
		if endTxn && len(parts) > 1 {
			// Only ever one part is sent with an EndTxn, so nothing of
			// the batch has been applied.
			return ErrEndTxnSpansRanges
		}
		type result struct {
			br  *kvpb.BatchResponse
			err error
		}
		results := make([]result, len(parts))
		if len(parts) == 1 {
			br, err := ds.sendToRange(ctx, ba, parts[0])
			results[0] = result{br, err}
		} else {
			var wg sync.WaitGroup
			grouped := make([]bool, len(parts))
			if speculable(ba) {
				// Plain reads whose leaseholders share a node share one
				// RPC (dist_sender_parts.go); a part refused there is
				// sent again alone.
				group, groups, reps := ds.nodeGroups(parts)
				for g, members := range groups {
					wg.Add(1)
					go func() {
						defer wg.Done()
						gparts := make([]*part, len(members))
						for k, j := range members {
							gparts[k] = parts[j]
						}
						outs := ds.sendGroup(ctx, ba, gparts, reps[g], false, func(int) bool { return true })
						for k, j := range members {
							results[j] = result{outs[k].br, outs[k].err}
						}
					}()
				}
				for i := range parts {
					grouped[i] = group[i] >= 0
				}
			}
			for i, p := range parts {
				if grouped[i] {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					br, err := ds.sendToRange(ctx, ba, p)
					results[i] = result{br, err}
				}()
			}
			wg.Wait()
		}
		items = nil
		for i, r := range results {
			switch {
			case errors.Is(r.err, errResplit):
				items = append(items, parts[i].items...)
			case r.err != nil:
				return r.err
			default:
				acc.add(r.br)
				// Order by the piece's own start, not the range's: a stale
				// descriptor can start earlier than the range that served it.
				for k, j := range parts[i].indexes {
					partials[j] = append(partials[j], partial{start: parts[i].items[k].s.key, resp: r.br.GetResponses()[k]})
				}
			}
		}
	}
	for j, ps := range partials {
		if len(ps) == 1 && resps[j] == nil {
			// One piece: the response is the transport's fresh copy
			// (unmarshalled, or copied by the local fast path) and ours
			// alone, so it is used as it is; combine would clone it (3%
			// of a point SELECT's gateway CPU).
			resps[j] = ps[0].resp
			continue
		}
		rev := isReverse(ba.GetRequests()[j])
		sort.Slice(ps, func(a, b int) bool {
			c := bytes.Compare(ps[a].start, ps[b].start)
			if rev {
				return c > 0
			}
			return c < 0
		})
		acc := resps[j]
		for _, p := range ps {
			acc = combine(acc, p.resp)
		}
		resps[j] = acc
	}
	return nil
}

// respAcc accumulates what the parts' responses say besides their
// results: the highest evaluation timestamp and the transaction.
type respAcc struct {
	ts  hlc.Timestamp
	txn *kvpb.Transaction
}

func (a *respAcc) add(br *kvpb.BatchResponse) {
	a.ts = a.ts.Forward(br.GetTimestamp().HLC())
	if t := br.GetTxn(); t != nil {
		if a.txn == nil {
			// The response is the transport's fresh copy and ours alone
			// (see sendParts), so its txn is taken, not cloned.
			a.txn = t
		} else {
			MergeTxn(a.txn, t)
		}
	}
}

func (ds *DistSender) finish(ba *kvpb.BatchRequest, resps []*kvpb.ResponseUnion, acc *respAcc) *kvpb.BatchResponse {
	for i, r := range resps {
		if r == nil {
			resps[i] = emptyResponse(ba.GetRequests()[i])
		}
	}
	b := &responseBlock{} // the response and its timestamps in one allocation
	br := &b.br
	br.Responses, br.Timestamp, br.Txn = resps, kvpb.TSInto(&b.ts, acc.ts), acc.txn
	if ds.cfg.Clock != nil {
		br.Now = kvpb.TSInto(&b.now, ds.cfg.Clock.Now())
	}
	return br
}

type responseBlock struct {
	br      kvpb.BatchResponse
	ts, now kvpb.Timestamp
}

// sendToRange sends one part to its range's replicas: the cached
// leaseholder first, then the others, following not-leaseholder hints. It
// returns errResplit when the range no longer matches the part (the cache
// has been repaired), the first structured error a replica reports that
// retrying elsewhere cannot fix, or an UnavailableError when no replica
// answered before the deadline.
func (ds *DistSender) sendToRange(ctx context.Context, orig *kvpb.BatchRequest, p *part) (*kvpb.BatchResponse, error) {
	desc := p.desc
	backoff := ds.cfg.BackoffInitial
	var lastErr error
	for round := 0; ; round++ {
		if round > 0 {
			// Re-read the descriptor: a lookup may have refreshed it.
			e, err := ds.cache.Lookup(ctx, firstKey(p))
			if err != nil {
				return nil, ds.unavailable(desc, err, lastErr)
			}
			if e.Desc.GetRangeId() != desc.GetRangeId() || !containsAll(e.Desc, p) {
				return nil, errResplit
			}
			desc = e.Desc
		}
		entry, ok := ds.cache.Get(firstKey(p))
		var lh *kvpb.ReplicaDescriptor
		if ok && entry.Desc.GetRangeId() == desc.GetRangeId() {
			lh = entry.Leaseholder
		}
		var orderBuf [8]*kvpb.ReplicaDescriptor
		order := replicaOrderInto(orderBuf[:0], desc, lh)
		tried := map[uint64]bool{}
		for len(order) > 0 {
			rep := order[0]
			order = order[1:]
			if tried[rep.GetReplicaId()] {
				continue
			}
			tried[rep.GetReplicaId()] = true
			rb := &requestBlock{} // the request and its clock reading in one allocation
			ba := &rb.ba
			ba.Header, ba.Requests = partHeader(orig.GetHeader(), desc, rep), p.reqs
			if ds.cfg.Clock != nil {
				ba.Now = kvpb.TSInto(&rb.now, ds.cfg.Clock.Now())
			}
			br, err := ds.sendAttempt(ctx, rep, ba)
			if err != nil {
				lastErr = err
				if maybeSent(err) && !idempotent(p.reqs) {
					// It may have been applied: resending could apply it twice.
					return nil, &kvpb.AmbiguousResultError{RangeId: desc.GetRangeId(), Reason: err.Error()}
				}
				if ctx.Err() != nil {
					return nil, ds.unavailable(desc, ctx.Err(), lastErr)
				}
				if lh != nil && rep.GetReplicaId() == lh.GetReplicaId() {
					ds.cache.ClearLeaseholder(desc)
				}
				continue
			}
			if ds.cfg.Clock != nil && br.GetNow() != nil {
				_ = ds.cfg.Clock.Update(br.GetNow().HLC()) // an offending clock is the node's to refuse
			}
			if br.GetError() == nil {
				if len(br.GetResponses()) != len(p.reqs) {
					return nil, fmt.Errorf("kvcoord: r%d answered %d responses to %d requests",
						desc.GetRangeId(), len(br.GetResponses()), len(p.reqs))
				}
				ds.cache.UpdateLeaseholder(desc, rep)
				return br, nil
			}
			gerr := br.GetError().GoError()
			lastErr = gerr
			var (
				nle *kvpb.NotLeaseholderError
				rkm *kvpb.RangeKeyMismatchError
				rnf *kvpb.RangeNotFoundError
				snf *kvpb.StoreNotFoundError
				una *kvpb.UnavailableError
				amb *kvpb.AmbiguousResultError
			)
			switch {
			case errors.As(gerr, &nle):
				if hint := nle.GetLeaseholder(); hint != nil {
					if _, ok := desc.ReplicaByID(kvpb.ReplicaID(hint.GetReplicaId())); ok {
						ds.cache.UpdateLeaseholder(desc, hint)
						if !tried[hint.GetReplicaId()] {
							order = append([]*kvpb.ReplicaDescriptor{hint}, order...)
						}
					} else {
						// The hint names a replica our descriptor lacks:
						// the descriptor is stale.
						ds.cache.Evict(desc)
					}
				}
			case errors.As(gerr, &rkm):
				if desc.GetRangeId() == 1 {
					// Range 1 split: the cached first-range descriptor
					// is stale too (it would claim every key again).
					ds.forgetFirstRange()
				}
				ds.cache.EvictAndReplace(desc, rkm.GetRanges()...)
				return nil, errResplit
			case errors.As(gerr, &rnf), errors.As(gerr, &snf):
				// That replica is gone; try the others.
			case errors.As(gerr, &una):
				// No quorum or lease right now: back off and retry.
				order = nil
			case errors.As(gerr, &amb) && idempotent(p.reqs):
				// Proposed but not known applied: applying it again is
				// harmless, so it is resent like an unavailable range.
				order = nil
			default:
				return nil, gerr
			}
		}
		// Every replica failed this round. The descriptor may be stale.
		ds.cache.Evict(desc)
		if desc.GetRangeId() == uint64(kvpb.RangeID(1)) {
			ds.forgetFirstRange()
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ds.unavailable(desc, ctx.Err(), lastErr)
		case <-t.C:
		}
		backoff = min(2*backoff, ds.cfg.BackoffMax)
	}
}

// sendAttempt makes one RPC, bounded by Config.AttemptTimeout if set.
func (ds *DistSender) sendAttempt(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if ds.cfg.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ds.cfg.AttemptTimeout)
		defer cancel()
	}
	return ds.cfg.Transport.SendTo(ctx, rep, ba)
}

type requestBlock struct {
	ba  kvpb.BatchRequest
	now kvpb.Timestamp
}

// partHeader is the header of the part of orig sent to rep: orig's, with
// the range and replica addressed. The part shares orig's txn: a batch's
// txn is not mutated once sent (the coordinator gives every batch a copy
// of its own, syncHeaderLocked; the transports marshal it or, on the local
// fast path, the store reads it in place and evaluates with its own
// clone), so a copy per part was a clone of the txn per KV round for
// nothing.
func partHeader(orig *kvpb.Header, desc *kvpb.RangeDescriptor, rep *kvpb.ReplicaDescriptor) *kvpb.Header {
	// By hand rather than proto.Clone (2% of a point SELECT's gateway
	// CPU); TestPartHeaderCopiesEveryField keeps it complete.
	h := &kvpb.Header{RangeId: desc.GetRangeId(), Replica: rep}
	if orig != nil {
		if ts := orig.GetTimestamp(); ts != nil {
			h.Timestamp = &kvpb.Timestamp{WallTime: ts.GetWallTime(), Logical: ts.GetLogical()}
		}
		h.Txn = orig.GetTxn()
		h.NoTxnRecord = orig.GetNoTxnRecord()
	}
	return h
}

// idempotent reports whether applying reqs twice leaves the same data as
// applying them once, so that a batch whose outcome is unknown may be
// resent. Transactional writes are idempotent (a replay of the same
// sequence number is recognised); their commit is not.
func idempotent(reqs []*kvpb.RequestUnion) bool {
	for _, r := range reqs {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_ConditionalPut, *kvpb.RequestUnion_Increment, *kvpb.RequestUnion_EndTxn:
			return false
		}
	}
	return true
}

func (ds *DistSender) unavailable(desc *kvpb.RangeDescriptor, cause, last error) error {
	reason := cause.Error()
	if last != nil {
		reason = fmt.Sprintf("%v (last error: %v)", cause, last)
	}
	return &kvpb.UnavailableError{RangeId: desc.GetRangeId(), Reason: reason}
}

func firstKey(p *part) []byte {
	k := spanOfReq(p.reqs[0]).key
	for _, r := range p.reqs[1:] {
		if s := spanOfReq(r); bytes.Compare(s.key, k) < 0 {
			k = s.key
		}
	}
	return k
}

func spanOfReq(r *kvpb.RequestUnion) span {
	s, _, _ := requestSpan(r)
	return s
}

func containsAll(d *kvpb.RangeDescriptor, p *part) bool {
	for _, r := range p.reqs {
		s := spanOfReq(r)
		if !d.ContainsSpan(s.key, s.end) {
			return false
		}
	}
	return true
}

// replicaOrder lists the replicas to try: the leaseholder first, then the
// other voters. Learners never serve requests.
func replicaOrder(d *kvpb.RangeDescriptor, lh *kvpb.ReplicaDescriptor) []*kvpb.ReplicaDescriptor {
	return replicaOrderInto(nil, d, lh)
}

// replicaOrderInto is replicaOrder appending to out (a caller's buffer:
// no allocation for the usual replica count).
func replicaOrderInto(out []*kvpb.ReplicaDescriptor, d *kvpb.RangeDescriptor, lh *kvpb.ReplicaDescriptor) []*kvpb.ReplicaDescriptor {
	if lh != nil {
		out = append(out, lh)
	}
	for _, r := range d.GetReplicas() {
		if r.GetType() == kvpb.ReplicaType_LEARNER {
			continue
		}
		if lh != nil && r.GetReplicaId() == lh.GetReplicaId() {
			continue
		}
		out = append(out, r)
	}
	return out
}

// rangeLookup is the cache's LookupFunc: range 1 from FirstRange, every
// other range from the meta records in range 1.
func (ds *DistSender) rangeLookup(ctx context.Context, key []byte, reverse bool) ([]*kvpb.RangeDescriptor, error) {
	first, err := ds.firstRange(ctx)
	if err != nil {
		return nil, err
	}
	// Only keys below keys.MetaEnd are answered from the first-range
	// descriptor: range 1 is never split below it, so they are in range 1
	// whatever its current end. Every other key goes through the meta
	// records, even one the cached descriptor claims: that descriptor may
	// predate splits of range 1, and trusting it sent every lookup of a
	// key split off since to range 1 (an admin command routed by it then
	// went to range 1's leaseholder and got NotLeaseholder from the key's
	// real range, forever, because nothing told us range 1 had shrunk).
	inFirst := bytes.Compare(key, keys.MetaEnd) < 0
	if reverse {
		inFirst = bytes.Compare(key, keys.MetaEnd) <= 0
	}
	if inFirst {
		return []*kvpb.RangeDescriptor{first}, nil
	}
	// The range holding key is the first whose end is past key: its meta
	// record is the first at or after MetaKey(key.Next()). For a reverse
	// lookup the end may equal key.
	start := keys.MetaKey(keys.Next(key))
	if reverse {
		start = keys.MetaKey(key)
	}
	scan := &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{
		Key: start, EndKey: keys.MetaEnd, MaxKeys: ds.cfg.MetaPrefetch + 1}}}
	br, err := ds.sendToRange(ctx, &kvpb.BatchRequest{}, &part{desc: first, reqs: []*kvpb.RequestUnion{scan}})
	if err != nil {
		return nil, fmt.Errorf("kvcoord: meta lookup of %q: %w", key, err)
	}
	var out []*kvpb.RangeDescriptor
	for _, kv := range br.GetResponses()[0].GetScan().GetRows() {
		d := &kvpb.RangeDescriptor{}
		if err := proto.Unmarshal(kv.GetValue(), d); err != nil {
			return nil, fmt.Errorf("kvcoord: corrupt meta record %q: %w", kv.GetKey(), err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kvcoord: no meta record covers key %q", key)
	}
	return out, nil
}

func (ds *DistSender) firstRange(ctx context.Context) (*kvpb.RangeDescriptor, error) {
	ds.first.Lock()
	d := ds.first.desc
	ds.first.Unlock()
	if d != nil {
		return d, nil
	}
	d, err := ds.cfg.FirstRange(ctx)
	if err != nil {
		return nil, fmt.Errorf("kvcoord: locating range 1: %w", err)
	}
	ds.first.Lock()
	ds.first.desc = d
	ds.first.Unlock()
	return d, nil
}

func (ds *DistSender) forgetFirstRange() {
	ds.first.Lock()
	ds.first.desc = nil
	ds.first.Unlock()
}
