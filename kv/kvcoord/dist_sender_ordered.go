package kvcoord

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/rangecache"
)

// A batch with key or byte limits is answered as if its ranges were
// visited one at a time in scan order, each sent the limits the earlier
// ones left: the sequential walk. The results (rows, resume spans) are
// always exactly the sequential walk's; what changes is only how many
// ranges are asked at once.
//
// For a read-only batch (see speculable) the walk reads ahead: after the
// first range it estimates, from the rows and bytes each range returned
// so far, how many more ranges the remaining limits need, and sends that
// many (at most Config.LimitedScanFanOut) in parallel, each with the
// whole remaining limits since nobody knows yet what the earlier ones
// return. The answers are then applied in scan order: a response is used
// only if its range is the one the sequential walk would visit next and
// its pieces are exactly the spans the sequential walk would send there
// (checked, not assumed), and it is trimmed to the limits left at that
// point (trimToLimits, which reproduces the server's limit rule), which
// also gives the resume span. Once the limits are used up, the answers
// still outstanding are cancelled and dropped unseen.
//
// Failures: the first range of a window is sent exactly as the
// sequential walk would, so its errors are the sequential walk's (a
// range key mismatch repairs the cache and the walk goes on from the same
// key). A read-ahead range that fails, whatever the error, is dropped
// with everything after it, and the walk goes on from that range without
// reading ahead for one step: the error may be one that the smaller
// limits of the sequential walk would never have met (an uncertain value
// or an intent past the limit), so it is not the caller's.
//
// Transactions: the coordinator's refresh spans are derived from the
// resume spans (txnSpanRefresher.recordReads), which are the sequential
// walk's, so a transaction records exactly the spans it was given, never
// what was read ahead and dropped. A dropped read still ran on its range
// at the transaction's read timestamp: it raised that range's timestamp
// cache over its span (a writer there may be pushed) and may have waited
// on an intent until cancelled; nothing of it reaches the transaction
// (its response, observed timestamps included, is discarded).

// speculative reports whether the ranges of a limited batch may be read
// ahead of need: only when every request is a plain read (Get, Scan,
// ReverseScan). DeleteRange and every other write must never run on a
// range past its limit. kvpb has no locking read yet; a Scan that
// acquires locks (SELECT … FOR UPDATE) must return false here, since it
// would lock keys the caller never sees.
func speculable(ba *kvpb.BatchRequest) bool {
	for _, r := range ba.GetRequests() {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_Get, *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan:
		default:
			return false
		}
	}
	return true
}

// orderedWalk is the state of one limited batch's walk over its ranges.
type orderedWalk struct {
	ds      *DistSender
	ba      *kvpb.BatchRequest
	spans   []span
	reverse bool

	resps             []*kvpb.ResponseUnion
	remKeys, remBytes []int64 // limits left per request; remBytes -1: used up
	done              []bool  // a ranged request that hit its limit
	acc               respAcc

	// Per request: how many ranges it read to their end, and the keys and
	// bytes they returned: the rows-per-range estimate that sizes the
	// read-ahead.
	visited, gotKeys, gotBytes []int64
}

// sendOrdered answers a limited batch as the sequential walk over its
// ranges does (see the comment at the top of this file).
func (ds *DistSender) sendOrdered(ctx context.Context, ba *kvpb.BatchRequest, spans []span, reverse bool) (*kvpb.BatchResponse, error) {
	n := len(spans)
	w := &orderedWalk{
		ds: ds, ba: ba, spans: spans, reverse: reverse,
		resps: make([]*kvpb.ResponseUnion, n), remKeys: make([]int64, n), remBytes: make([]int64, n),
		done: make([]bool, n), visited: make([]int64, n), gotKeys: make([]int64, n), gotBytes: make([]int64, n),
	}
	for i, r := range ba.GetRequests() {
		w.remKeys[i], w.remBytes[i] = limits(r)
		if spans[i].end != nil {
			w.resps[i] = emptyResponse(r)
		}
	}
	// Point requests go first, all at once.
	var items []item
	for i, s := range spans {
		if s.end == nil {
			items = append(items, item{idx: i, req: ba.GetRequests()[i], s: s})
		}
	}
	if len(items) > 0 {
		if err := ds.sendParts(ctx, ba, items, w.resps, &w.acc); err != nil {
			return nil, err
		}
	}
	fanOut := 1
	if speculable(ba) && ds.cfg.LimitedScanFanOut > 1 {
		fanOut = ds.cfg.LimitedScanFanOut
	}
	// cursor: where the next range to visit is looked up; more is false
	// when every ranged request is finished.
	cursor, more := nextCursor(spans, w.done, nil, reverse)
	ahead := true
	for more {
		width := 1
		if ahead {
			width = w.width(fanOut)
		}
		parts, err := w.window(ctx, cursor, width, w.runLimit())
		if err != nil {
			return nil, err
		}
		cursor, more, ahead, err = w.step(ctx, parts, cursor)
		if err != nil {
			return nil, err
		}
	}
	return ds.finish(ba, w.resps, &w.acc), nil
}

// width is how many ranges the next window reads: enough to use up the
// remaining limits of every unfinished request if the next ranges hold
// as many rows (and bytes) per range as the ones read so far, at least 1
// and at most max. A request that has read no whole range yet asks for
// one range; one without limits, or whose ranges were empty, for max.
func (w *orderedWalk) width(max int) int {
	need := int64(1)
	for i, r := range w.ba.GetRequests() {
		if w.spans[i].end == nil || w.done[i] {
			continue
		}
		if w.visited[i] == 0 {
			continue
		}
		n := int64(max)
		mk, tb := limits(r)
		if mk > 0 && w.gotKeys[i] > 0 {
			n = min(n, ceilDiv(w.remKeys[i]*w.visited[i], w.gotKeys[i]))
		}
		if tb > 0 && w.gotBytes[i] > 0 {
			n = min(n, ceilDiv(w.remBytes[i]*w.visited[i], w.gotBytes[i]))
		}
		need = max64(need, n)
	}
	return int(min(need, int64(max)))
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// window looks up the range holding cursor and up to width-1 ranges after
// it (before it, in reverse), as far as the unfinished requests reach,
// and cuts each one's part. The first part is exactly the one the
// sequential walk sends; a lookup failure past the first range only
// shortens the window (the walk will look that range up again itself).
//
// In a read-only batch the window also takes, past width, the ranges
// that follow it whose cached leaseholder is on the node of the window's
// last range (up to run in all, see runLimit): they share that range's BatchParts
// RPC, whose node carries the limits from range to range, so it reads
// them only as far as the limits it knows of allow; when the window is
// one range, that is exactly the sequential walk, done on the node.
func (w *orderedWalk) window(ctx context.Context, cursor []byte, width, run int) ([]*part, error) {
	var parts []*part
	c := cursor
	_, shared := w.ds.cfg.Transport.(PartsTransport)
	shared = shared && speculable(w.ba)
	var lastNode uint64
	for len(parts) < max(width, run) {
		if len(parts) >= width && !shared {
			break
		}
		var e rangecache.Entry
		var err error
		if len(parts) >= width {
			// Only a range the cache knows joins past width: looking one
			// up could cost a meta RPC the walk may never need.
			var ok bool
			if w.reverse {
				e, ok = w.ds.cache.GetReverse(c)
			} else {
				e, ok = w.ds.cache.Get(c)
			}
			if !ok {
				break
			}
		} else if w.reverse {
			e, err = w.ds.cache.LookupReverse(ctx, c)
		} else {
			e, err = w.ds.cache.Lookup(ctx, c)
		}
		if err != nil {
			if len(parts) > 0 {
				break
			}
			return nil, err
		}
		node := e.Leaseholder.GetNodeId()
		if len(parts) >= width && (node == 0 || node != lastNode) {
			break
		}
		lastNode = node
		parts = append(parts, w.partFor(e.Desc, c))
		var more bool
		if c, more = nextCursor(w.spans, w.done, e.Desc, w.reverse); !more {
			break
		}
	}
	return parts, nil
}

// maxRun bounds the ranges of one window; firstRun is the run a window
// may take before any range was read to its end (no estimate yet).
const (
	maxRun   = 64
	firstRun = 8
)

// runLimit is how many ranges a window may take in all when the
// following ones share the node of its last range: as many as the rows
// per range seen so far say the limits need (width without the fan-out
// cap), firstRun before there is an estimate. A run past that would be
// skipped by the node; it is bounded only to keep the RPC small.
func (w *orderedWalk) runLimit() int {
	for i := range w.spans {
		if w.spans[i].end != nil && !w.done[i] && w.visited[i] > 0 {
			return w.width(maxRun)
		}
	}
	return firstRun
}

// partFor is the part the sequential walk sends to range d when it looks
// d up at cursor: every unfinished ranged request clipped to d and to the
// cursor (everything before it, after it in reverse, is finished, and a
// stale descriptor may reach back), with the limits left.
func (w *orderedWalk) partFor(d *kvpb.RangeDescriptor, cursor []byte) *part {
	lo, hi := d.GetStartKey(), d.GetEndKey()
	if w.reverse && bytes.Compare(cursor, hi) < 0 {
		hi = cursor
	} else if !w.reverse && bytes.Compare(cursor, lo) > 0 {
		lo = cursor
	}
	p := &part{desc: d}
	for i, r := range w.ba.GetRequests() {
		s := w.spans[i]
		if s.end == nil || w.done[i] {
			continue
		}
		if t := truncate(r, s, lo, hi, w.remKeys[i], w.remBytes[i]); t != nil {
			p.indexes = append(p.indexes, i)
			p.reqs = append(p.reqs, t)
		}
	}
	return p
}

// partResult is one part's answer; ready is closed once it is set.
type partResult struct {
	br    *kvpb.BatchResponse
	err   error
	ready chan struct{}
}

// step sends a window of parts (the first as the sequential walk would,
// the others read ahead, all in parallel) and applies, in scan order, the
// answers the sequential walk would have used. It returns where the walk
// goes on, whether anything is left, and whether the next window may read
// ahead (not right after a read-ahead failure). Every goroutine it starts
// has returned when it returns.
func (w *orderedWalk) step(ctx context.Context, parts []*part, cursor []byte) (next []byte, more, ahead bool, err error) {
	results := make([]partResult, len(parts))
	send := func(ctx context.Context, j int) {
		defer close(results[j].ready)
		if len(parts[j].reqs) == 0 {
			results[j].br = &kvpb.BatchResponse{}
			return
		}
		results[j].br, results[j].err = w.ds.sendToRange(ctx, w.ba, parts[j])
	}
	for j := range results {
		results[j].ready = make(chan struct{})
	}
	if len(parts) == 1 {
		send(ctx, 0)
	} else {
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		// Parts whose leaseholders share a node share one RPC, which
		// carries the limits from part to part (dist_sender_parts.go).
		group, groups, reps := w.ds.nodeGroups(parts)
		for g, members := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				gparts := make([]*part, len(members))
				for k, j := range members {
					gparts[k] = parts[j]
				}
				// The first part of the window is the sequential walk's
				// own: if its shared attempt fails, it is sent alone.
				outs := w.ds.sendGroup(sctx, w.ba, gparts, reps[g], true, func(k int) bool { return members[k] == 0 })
				for k, j := range members {
					results[j].br, results[j].err = outs[k].br, outs[k].err
					close(results[j].ready)
				}
			}()
		}
		for j := range parts {
			if group[j] >= 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(sctx, j)
			}()
		}
		defer func() {
			cancel() // the answers not used yet are not needed
			wg.Wait()
		}()
	}
	next, more = cursor, true
	for j, p := range parts {
		if j > 0 {
			if !more {
				break
			}
			use, skip := w.usable(p, next)
			if skip {
				continue
			}
			if !use {
				break
			}
		}
		<-results[j].ready
		r := results[j]
		if r.err != nil {
			if j == 0 {
				if errors.Is(r.err, errResplit) {
					// The cache was repaired: visit the cursor's range again.
					return cursor, true, true, nil
				}
				return nil, false, false, r.err
			}
			if errors.Is(r.err, errPartSkipped) {
				// Its node saw the limits used up before it; the walk
				// needs it after all (another request of the batch):
				// go on from it.
				return next, true, true, nil
			}
			// A read-ahead part failed: go on from its range, one at a
			// time (the cache is repaired if its range had changed).
			return next, true, false, nil
		}
		w.apply(p, r.br)
		next, more = nextCursor(w.spans, w.done, p.desc, w.reverse)
	}
	return next, more, true, nil
}

// usable reports whether read-ahead part p is what the sequential walk
// sends next, from cursor: p's range holds the cursor and p's pieces of
// the unfinished requests are exactly the spans partFor cuts there (p's
// limits are no smaller: they were the limits left when it was sent).
// skip means the sequential walk does not visit p's range at all (no
// unfinished request has a piece in it).
func (w *orderedWalk) usable(p *part, cursor []byte) (use, skip bool) {
	var live int
	for _, i := range p.indexes {
		if !w.done[i] {
			live++
		}
	}
	d := p.desc
	var holds bool
	if w.reverse {
		holds = bytes.Compare(d.GetStartKey(), cursor) < 0 && bytes.Compare(cursor, d.GetEndKey()) <= 0
	} else {
		holds = bytes.Compare(d.GetStartKey(), cursor) <= 0 && bytes.Compare(cursor, d.GetEndKey()) < 0
	}
	if !holds {
		return false, live == 0
	}
	q := w.partFor(d, cursor)
	if len(q.indexes) != live {
		return false, false
	}
	k := 0
	for pk, i := range p.indexes {
		if w.done[i] {
			continue
		}
		if q.indexes[k] != i {
			return false, false
		}
		a, b := spanOfReq(p.reqs[pk]), spanOfReq(q.reqs[k])
		if !bytes.Equal(a.key, b.key) || !bytes.Equal(a.end, b.end) {
			return false, false
		}
		k++
	}
	return true, false
}

// apply folds range p.desc's answer into the responses, as the
// sequential walk does: each unfinished request's piece is trimmed to the
// limits left, shrinks them, and sets the request's resume span where it
// stops.
func (w *orderedWalk) apply(p *part, br *kvpb.BatchResponse) {
	used := false
	for k, i := range p.indexes {
		if w.done[i] {
			continue // finished by an earlier range of the window
		}
		used = true
		part := trimToLimits(br.GetResponses()[k], w.remKeys[i], w.remBytes[i], spanOfReq(p.reqs[k]), w.reverse)
		nk, nb, resume := partStats(part)
		combine(w.resps[i], part)
		if w.remKeys[i] > 0 {
			w.remKeys[i] -= nk
		}
		if w.remBytes[i] > 0 {
			w.remBytes[i] -= nb
			if w.remBytes[i] <= 0 {
				w.remBytes[i] = -1 // used up
			}
		}
		req := w.ba.GetRequests()[i]
		switch {
		case resume != nil:
			w.done[i] = true
			setResume(w.resps[i], w.ds.resumeOf(w.spans[i], resume, w.reverse))
		case limitsUsed(w.remKeys[i], w.remBytes[i], req):
			w.done[i] = true
			setResume(w.resps[i], w.ds.restAfter(w.spans[i], p.desc, w.reverse))
		default:
			w.visited[i]++
			w.gotKeys[i] += nk
			w.gotBytes[i] += nb
		}
	}
	if used {
		w.acc.add(br)
	}
}

// trimToLimits returns a scan piece's response as a scan of the same
// span with limits (maxKeys, targetBytes) would have returned it, given
// that resp was read with limits at least as large: its rows are then a
// prefix of resp's. It applies the server's rule (storage.MVCCScan):
// before each row, stop if maxKeys rows are returned or, once at least
// one row is, targetBytes bytes (key and value lengths) are reached; the
// resume span starts at the row where it stopped. (The server resumes at
// the next key it visits, which is that row unless keys with no visible
// value lie between: then the resume key is later, past keys that hold
// nothing at the read timestamp, and the rows are the same.) A response
// that needs no trimming is returned as it is.
func trimToLimits(resp *kvpb.ResponseUnion, maxKeys, targetBytes int64, piece span, reverse bool) *kvpb.ResponseUnion {
	var rows []*kvpb.KeyValue
	switch v := resp.GetValue().(type) {
	case *kvpb.ResponseUnion_Scan:
		rows = v.Scan.GetRows()
	case *kvpb.ResponseUnion_ReverseScan:
		rows = v.ReverseScan.GetRows()
	default:
		return resp
	}
	var n, nb int64
	for k, kv := range rows {
		if (maxKeys > 0 && n >= maxKeys) || (targetBytes > 0 && n > 0 && nb >= targetBytes) {
			if reverse {
				return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanResponse{
					Rows: rows[:k:k], NumBytes: nb, ResumeSpan: &kvpb.Span{Key: piece.key, EndKey: keys.Next(kv.GetKey())}}}}
			}
			return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Scan{Scan: &kvpb.ScanResponse{
				Rows: rows[:k:k], NumBytes: nb, ResumeSpan: &kvpb.Span{Key: kv.GetKey(), EndKey: piece.end}}}}
		}
		n++
		nb += int64(len(kv.GetKey()) + len(kv.GetValue()))
	}
	return resp
}

// nextCursor returns where the next range to visit is looked up, after
// range d (nil: before any range): forward, the smallest key at or past
// d's end that an unfinished ranged request still needs; reverse, the
// largest end key at or before d's start. ok is false when nothing is
// left.
func nextCursor(spans []span, done []bool, d *kvpb.RangeDescriptor, reverse bool) ([]byte, bool) {
	var best []byte
	found := false
	for i, s := range spans {
		if s.end == nil || done[i] {
			continue
		}
		var c []byte
		if reverse {
			c = s.end
			if d != nil {
				if bytes.Compare(s.key, d.GetStartKey()) >= 0 {
					continue
				}
				if bytes.Compare(d.GetStartKey(), c) < 0 {
					c = d.GetStartKey()
				}
			}
			if !found || bytes.Compare(c, best) > 0 {
				best, found = c, true
			}
			continue
		}
		c = s.key
		if d != nil {
			if bytes.Compare(s.end, d.GetEndKey()) <= 0 {
				continue
			}
			if bytes.Compare(d.GetEndKey(), c) > 0 {
				c = d.GetEndKey()
			}
		}
		if !found || bytes.Compare(c, best) < 0 {
			best, found = c, true
		}
	}
	return best, found
}

// limitsUsed reports whether a ranged request has no limit left.
func limitsUsed(remKeys, remBytes int64, r *kvpb.RequestUnion) bool {
	mk, tb := limits(r)
	return mk > 0 && remKeys <= 0 || tb > 0 && remBytes < 0
}

// resumeOf turns a range's resume span into the original request's:
// forward requests resume from the range's resume key to their own end,
// reverse ones from their own start to the resume end.
func (ds *DistSender) resumeOf(s span, r *kvpb.Span, reverse bool) *kvpb.Span {
	if reverse {
		return &kvpb.Span{Key: s.key, EndKey: r.GetEndKey()}
	}
	return &kvpb.Span{Key: r.GetKey(), EndKey: s.end}
}

// restAfter is what remains of span s beyond range d, nil if nothing.
func (ds *DistSender) restAfter(s span, d *kvpb.RangeDescriptor, reverse bool) *kvpb.Span {
	if reverse {
		if bytes.Compare(s.key, d.GetStartKey()) < 0 {
			return &kvpb.Span{Key: s.key, EndKey: d.GetStartKey()}
		}
		return nil
	}
	if bytes.Compare(s.end, d.GetEndKey()) > 0 {
		return &kvpb.Span{Key: d.GetEndKey(), EndKey: s.end}
	}
	return nil
}
