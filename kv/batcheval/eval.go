package batcheval

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

// Args is what a command evaluates against.
type Args struct {
	// RW is the engine (reads) or a batch over it (writes).
	RW storage.ReadWriter
	// Timestamp is the batch's MVCC timestamp (non-transactional batches;
	// for a transactional batch the txn's timestamps are used instead).
	Timestamp hlc.Timestamp
	// Stats accumulates the MVCC stats delta of writes (may be nil).
	Stats *storage.MVCCStats
	// Txn is the batch's transaction, or nil. It is a copy owned by the
	// evaluation: writes move its write timestamp (write-too-old) and
	// EndTxn sets its status; the caller returns it to the client.
	Txn *kvpb.Transaction
	// NodeID is the evaluating node (observed timestamps).
	NodeID kvpb.NodeID
	// Now is the evaluating node's clock reading (txn record expiry).
	Now hlc.Timestamp
	// Desc is the range's descriptor (EndTxn splits lock spans into local
	// and remote ones). May be nil for commands that do not need it.
	Desc *kvpb.RangeDescriptor
	// Result collects side effects for the caller (may be nil for
	// commands without any).
	Result *Result
	// RecordGCAge is the txn record GC age in force (see TxnRecordGCAge);
	// zero disables the guard against re-creating a removed record.
	RecordGCAge time.Duration
	// LockedByOther reports whether key holds another txn's unreplicated
	// lock (the range's lock table; SKIP LOCKED reads leave such keys
	// out). Nil: none known.
	LockedByOther func(key []byte) bool
	// NoDirectCommit disables the direct one-phase commit (see
	// EvaluateBatch): the caller's retry after ErrDirectCommitFallback.
	NoDirectCommit bool
	// NoTxnRecord: the sender vouches that the txn has no record (the
	// batch's Header.no_txn_record: its first batch that writes or
	// locks), so a direct one-phase commit need not read it.
	NoTxnRecord bool
	// batchWrites are the intent-writing spans of the batch, for EndTxn.
	batchWrites []*kvpb.Span
	// direct: the batch commits in one phase, its writes going in as
	// committed values (no intents to resolve).
	direct bool
	// readMeta is Txn's storage form for the reads of a batch of plain
	// reads (nothing in it moves the txn): one conversion per batch
	// instead of one per read. Nil: convert per read.
	readMeta *storage.TxnMeta
}

// ErrDirectCommitFallback is returned by EvaluateBatch when a batch
// evaluated as a direct one-phase commit met a newer committed value: the
// caller evaluates it again, into a fresh write batch, with
// Args.NoDirectCommit (the transactional rules then decide).
var ErrDirectCommitFallback = errors.New("batcheval: direct one-phase commit not possible; evaluate again transactionally")

// directCommit reports whether a transactional batch can commit in one
// phase writing committed values directly instead of intents that its own
// EndTxn resolves at once: it ends with EndTxn(commit) with no lock spans
// (no intents of earlier batches), its writes are point writes inside the
// range, its read and write timestamps agree, it has no ignored sequence
// numbers, and the txn has no record (a pusher may have aborted it; not
// read when Args.NoTxnRecord vouches for it). The outcome is the same committed values, with one engine write per key
// instead of three (intent, provisional value, resolution).
func directCommit(a *Args, reqs []*kvpb.RequestUnion) bool {
	if a.Txn == nil || a.NoDirectCommit || a.Desc == nil || len(reqs) < 2 {
		return false
	}
	et := reqs[len(reqs)-1].GetEndTxn()
	if et == nil || !et.GetCommit() || len(et.GetLockSpans()) > 0 || a.Txn.ReadTS() != a.Txn.WriteTS() ||
		len(a.Txn.GetIgnoredSeqnums()) > 0 || validTxn(a.Txn) != nil || !spanInside(a.Desc, &kvpb.Span{Key: et.GetKey()}) {
		return false
	}
	for _, r := range reqs[:len(reqs)-1] {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_Put, *kvpb.RequestUnion_ConditionalPut, *kvpb.RequestUnion_Delete,
			*kvpb.RequestUnion_Increment:
			k, _ := r.RequestSpan()
			if !spanInside(a.Desc, &kvpb.Span{Key: k}) {
				return false
			}
		case *kvpb.RequestUnion_Get, *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan:
		default:
			return false
		}
	}
	if a.NoTxnRecord {
		return true
	}
	_, had, err := LoadTxnRecord(a.RW, a.Txn.GetMeta())
	return err == nil && !had
}

// Result is what the caller must do after the evaluated batch applies.
type Result struct {
	// UpdatedTxns are txn records written or removed by the batch (wake
	// the pushes waiting on them).
	UpdatedTxns []*kvpb.Transaction
	// ResolvedLocks are spans whose intents of a txn were resolved (drop
	// them from the lock table).
	ResolvedLocks []ResolvedLock
	// EndTxn is set by a successful EndTxn with intents left on other
	// ranges: resolve them asynchronously with the final txn.
	EndTxn *EndTxnResult
	// GCThreshold, when set, is the GC threshold the batch raises the
	// range's to (a GC request): it must travel with the command.
	GCThreshold hlc.Timestamp
}

// ResolvedLock is a span resolved for txn ID.
type ResolvedLock struct {
	Span  *kvpb.Span
	TxnID []byte
	// Pending: the intents were only moved (the txn is still PENDING):
	// its unreplicated locks in the span stay.
	Pending bool
}

// EndTxnResult describes a finished txn's remaining work.
type EndTxnResult struct {
	Txn         *kvpb.Transaction
	RemoteSpans []*kvpb.Span
}

// DeclareHeader is what span declaration needs beyond the request.
type DeclareHeader struct {
	Txn  *kvpb.Transaction
	Desc *kvpb.RangeDescriptor
}

// command is one request type: the latches it needs and its evaluation.
type command struct {
	declare func(req *kvpb.RequestUnion, h DeclareHeader) []spanlatch.Span
	// declareOne, when set, is declare for a command that always needs
	// exactly one latch (the reads): DeclareSpansTo appends it without
	// building a slice per request.
	declareOne func(req *kvpb.RequestUnion, h DeclareHeader) spanlatch.Span
	eval       func(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error)
}

// one makes a command's declare from its declareOne.
func one(d func(req *kvpb.RequestUnion, h DeclareHeader) spanlatch.Span) func(*kvpb.RequestUnion, DeclareHeader) []spanlatch.Span {
	return func(req *kvpb.RequestUnion, h DeclareHeader) []spanlatch.Span { return []spanlatch.Span{d(req, h)} }
}

func commandFor(req *kvpb.RequestUnion) (command, error) {
	switch req.GetValue().(type) {
	case *kvpb.RequestUnion_Get:
		return getCmd, nil
	case *kvpb.RequestUnion_Scan:
		return scanCmd, nil
	case *kvpb.RequestUnion_ReverseScan:
		return reverseScanCmd, nil
	case *kvpb.RequestUnion_Put:
		return putCmd, nil
	case *kvpb.RequestUnion_ConditionalPut:
		return conditionalPutCmd, nil
	case *kvpb.RequestUnion_Increment:
		return incrementCmd, nil
	case *kvpb.RequestUnion_Delete:
		return deleteCmd, nil
	case *kvpb.RequestUnion_DeleteRange:
		return deleteRangeCmd, nil
	case *kvpb.RequestUnion_EndTxn:
		return endTxnCmd, nil
	case *kvpb.RequestUnion_HeartbeatTxn:
		return heartbeatTxnCmd, nil
	case *kvpb.RequestUnion_PushTxn:
		return pushTxnCmd, nil
	case *kvpb.RequestUnion_QueryTxn:
		return queryTxnCmd, nil
	case *kvpb.RequestUnion_ResolveIntent:
		return resolveIntentCmd, nil
	case *kvpb.RequestUnion_ResolveIntentRange:
		return resolveIntentRangeCmd, nil
	case *kvpb.RequestUnion_Refresh:
		return refreshCmd, nil
	case *kvpb.RequestUnion_RefreshRange:
		return refreshRangeCmd, nil
	case *kvpb.RequestUnion_Gc:
		return gcCmd, nil
	}
	return command{}, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("unknown request type %T", req.GetValue())}
}

// DeclareSpan returns the primary latch a request needs (its own key or
// span; EndTxn also latches its local lock spans, see DeclareSpans).
func DeclareSpan(req *kvpb.RequestUnion) (spanlatch.Span, error) {
	c, err := commandFor(req)
	if err != nil {
		return spanlatch.Span{}, err
	}
	return c.declare(req, DeclareHeader{})[0], nil
}

// Check reports whether req is a request batcheval can evaluate (the
// error DeclareSpan and Evaluate would return for it), without declaring
// its latches.
func Check(req *kvpb.RequestUnion) error {
	_, err := commandFor(req)
	return err
}

// DeclareSpans returns every latch a request needs.
func DeclareSpans(req *kvpb.RequestUnion, h DeclareHeader) ([]spanlatch.Span, error) {
	c, err := commandFor(req)
	if err != nil {
		return nil, err
	}
	return c.declare(req, h), nil
}

// DeclareSpansTo is DeclareSpans appending to dst.
func DeclareSpansTo(dst []spanlatch.Span, req *kvpb.RequestUnion, h DeclareHeader) ([]spanlatch.Span, error) {
	c, err := commandFor(req)
	if err != nil {
		return dst, err
	}
	if c.declareOne != nil {
		return append(dst, c.declareOne(req, h)), nil
	}
	return append(dst, c.declare(req, h)...), nil
}

// Evaluate runs one request.
func Evaluate(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	c, err := commandFor(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.eval(a, req)
	if err != nil {
		return nil, translate(err, a.Txn)
	}
	return resp, nil
}

// EvaluateBatch runs the requests of a batch in order. For a
// transactional batch, an EndTxn also covers the intent writes of the
// batch (one-phase commit when those are all it has). It stops at the
// first error, returning the index of the failing request.
func EvaluateBatch(a Args, reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, int, error) {
	if a.Txn != nil {
		for _, r := range reqs {
			if r.IsIntentWrite() {
				k, e := r.RequestSpan()
				a.batchWrites = append(a.batchWrites, &kvpb.Span{Key: k, EndKey: e})
			}
		}
	}
	a.direct = directCommit(&a, reqs)
	if a.Txn != nil && plainReads(reqs) {
		a.readMeta = ToStorageMeta(a.Txn)
	}
	out := make([]*kvpb.ResponseUnion, 0, len(reqs))
	for i, r := range reqs {
		resp, err := Evaluate(a, r)
		if err != nil {
			return nil, i, err
		}
		out = append(out, resp)
	}
	return out, -1, nil
}

// plainReads reports whether reqs are all non-locking Gets and Scans.
func plainReads(reqs []*kvpb.RequestUnion) bool {
	for _, r := range reqs {
		switch v := r.GetValue().(type) {
		case *kvpb.RequestUnion_Get:
			if v.Get.GetKeyLocking() != kvpb.KeyLocking_KEY_LOCKING_NONE {
				return false
			}
		case *kvpb.RequestUnion_Scan:
			if v.Scan.GetKeyLocking() != kvpb.KeyLocking_KEY_LOCKING_NONE {
				return false
			}
		case *kvpb.RequestUnion_ReverseScan:
			if v.ReverseScan.GetKeyLocking() != kvpb.KeyLocking_KEY_LOCKING_NONE {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func pointSpan(key []byte, acc spanlatch.Access) []spanlatch.Span {
	return []spanlatch.Span{{Key: key, Access: acc}}
}

func rangeSpan(key, end []byte, acc spanlatch.Access) []spanlatch.Span {
	return []spanlatch.Span{{Key: key, EndKey: end, Access: acc}}
}

// translate maps storage errors to their wire form; transaction errors
// carry the txn.
func translate(err error, txn *kvpb.Transaction) error {
	var (
		cfe *storage.ConditionFailedError
		wto *storage.WriteTooOldError
		rwu *storage.ReadWithinUncertaintyIntervalError
		lce *storage.LockConflictError
	)
	var out error
	switch {
	case errors.As(err, &cfe):
		return &kvpb.ConditionFailedError{Key: cfe.Key, HasValue: cfe.HasValue, ActualValue: cfe.ActualValue}
	case errors.As(err, &wto):
		out = &kvpb.WriteTooOldError{Key: wto.Key, Timestamp: kvpb.TS(wto.Timestamp), ActualTimestamp: kvpb.TS(wto.ActualTimestamp)}
		if txn != nil {
			txn = txn.Clone()
			txn.Meta.WriteTimestamp = kvpb.TS(txn.WriteTS().Forward(wto.ActualTimestamp))
		}
	case errors.As(err, &rwu):
		out = &kvpb.ReadWithinUncertaintyIntervalError{Key: rwu.Key, ReadTimestamp: kvpb.TS(rwu.ReadTimestamp),
			ValueTimestamp: kvpb.TS(rwu.ValueTimestamp), LocalUncertaintyLimit: kvpb.TS(rwu.UncertaintyLimit),
			GlobalUncertaintyLimit: txn.GetGlobalUncertaintyLimit()}
	case errors.As(err, &lce):
		wie := &kvpb.WriteIntentError{}
		for _, in := range lce.Intents {
			wie.Intents = append(wie.Intents, &kvpb.Intent{Key: in.Key, Txn: FromStorageMeta(in.Txn)})
		}
		return wie
	case errors.Is(err, storage.ErrEmptyKey), errors.Is(err, storage.ErrKeyTooLarge),
		errors.Is(err, storage.ErrValueTooLarge), errors.Is(err, storage.ErrInvalidKey),
		errors.Is(err, storage.ErrZeroTimestamp), errors.Is(err, storage.ErrNotAnInteger),
		errors.Is(err, storage.ErrIntegerOverflow), errors.Is(err, storage.ErrInvalidTxn),
		errors.Is(err, storage.ErrTxnEpochRegression), errors.Is(err, storage.ErrTxnSequenceRegression):
		return fmt.Errorf("%w (%w)", &kvpb.InvalidRequestError{Reason: err.Error()}, err)
	default:
		var te *kvpb.TxnError
		if txn != nil && !errors.As(err, &te) && isTxnError(err) {
			return &kvpb.TxnError{Err: err, Txn: txn}
		}
		return err
	}
	if txn != nil {
		return &kvpb.TxnError{Err: out, Txn: txn}
	}
	return out
}

func isTxnError(err error) bool {
	var (
		tre *kvpb.TransactionRetryError
		tae *kvpb.TransactionAbortedError
		tpe *kvpb.TransactionPushError
		tse *kvpb.TransactionStatusError
		rfe *kvpb.RefreshFailedError
	)
	return errors.As(err, &tre) || errors.As(err, &tae) || errors.As(err, &tpe) || errors.As(err, &tse) || errors.As(err, &rfe)
}

func toKVs(in []storage.KeyValue) []*kvpb.KeyValue {
	out := make([]*kvpb.KeyValue, len(in))
	for i, kv := range in {
		out[i] = &kvpb.KeyValue{Key: kv.Key, Value: kv.Value.Value, Timestamp: kvpb.TS(kv.Value.Timestamp)}
	}
	return out
}

func toSpan(s *storage.Span) *kvpb.Span {
	if s == nil {
		return nil
	}
	return &kvpb.Span{Key: s.Key, EndKey: s.EndKey}
}

// spanInside reports whether s lies inside the descriptor.
func spanInside(d *kvpb.RangeDescriptor, s *kvpb.Span) bool {
	if d == nil {
		return false
	}
	return d.ContainsSpan(s.GetKey(), s.GetEndKey())
}

// clipSpan returns s ∩ desc (ok false if empty) and the parts outside.
func clipSpan(d *kvpb.RangeDescriptor, s *kvpb.Span) (in *kvpb.Span, out []*kvpb.Span) {
	if spanInside(d, s) {
		return s, nil
	}
	if len(s.GetEndKey()) == 0 {
		return nil, []*kvpb.Span{s}
	}
	start, end := s.GetKey(), s.GetEndKey()
	ds, de := d.GetStartKey(), d.GetEndKey()
	if bytes.Compare(start, ds) < 0 {
		out = append(out, &kvpb.Span{Key: start, EndKey: minKey(end, ds)})
	}
	if bytes.Compare(end, de) > 0 {
		out = append(out, &kvpb.Span{Key: maxKey(start, de), EndKey: end})
	}
	is, ie := maxKey(start, ds), minKey(end, de)
	if bytes.Compare(is, ie) < 0 {
		in = &kvpb.Span{Key: is, EndKey: ie}
	}
	return in, out
}

func minKey(a, b []byte) []byte {
	if bytes.Compare(a, b) < 0 {
		return a
	}
	return b
}

func maxKey(a, b []byte) []byte {
	if bytes.Compare(a, b) > 0 {
		return a
	}
	return b
}
