package kvpb

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
)

// Transaction helpers shared by the coordinator (kv/kvcoord) and the server
// (kv/batcheval, kv/concurrency).

// TxnIDLen is the length of a transaction ID.
const TxnIDLen = 16

// ShortID renders the first 4 bytes of a txn ID in hex.
func ShortID(id []byte) string {
	if len(id) > 4 {
		id = id[:4]
	}
	return hex.EncodeToString(id)
}

// ID returns the transaction's ID (nil for a nil txn).
func (t *Transaction) ID() []byte { return t.GetMeta().GetId() }

// ReadTS returns the read timestamp as an hlc.Timestamp.
func (t *Transaction) ReadTS() hlc.Timestamp { return t.GetReadTimestamp().HLC() }

// WriteTS returns the write timestamp as an hlc.Timestamp.
func (t *Transaction) WriteTS() hlc.Timestamp { return t.GetMeta().GetWriteTimestamp().HLC() }

// IsFinalized reports whether the status is COMMITTED or ABORTED.
func (t *Transaction) IsFinalized() bool {
	s := t.GetStatus()
	return s == TransactionStatus_COMMITTED || s == TransactionStatus_ABORTED
}

// SameTxn reports whether a and b name the same transaction.
func SameTxn(a, b []byte) bool { return len(a) > 0 && bytes.Equal(a, b) }

// ObservedTimestamp returns the txn's observed timestamp for node, if any.
func (t *Transaction) ObservedTimestamp(node NodeID) (hlc.Timestamp, bool) {
	for _, o := range t.GetObservedTimestamps() {
		if NodeID(o.GetNodeId()) == node {
			return o.GetTimestamp().HLC(), true
		}
	}
	return hlc.Timestamp{}, false
}

// UpdateObservedTimestamp records ts as node's observed timestamp unless
// one is already known (the first observation is the tightest).
func (t *Transaction) UpdateObservedTimestamp(node NodeID, ts hlc.Timestamp) {
	if _, ok := t.ObservedTimestamp(node); ok {
		return
	}
	b := &observedBlock{} // the entry, its timestamp and a first list in one allocation
	b.obs.NodeId = uint64(node)
	if !ts.IsEmpty() {
		b.ts.WallTime, b.ts.Logical = ts.WallTime, ts.Logical
		b.obs.Timestamp = &b.ts
	}
	if len(t.ObservedTimestamps) == 0 {
		// Most txns observe one node: the list is the block's own.
		b.list[0] = &b.obs
		t.ObservedTimestamps = b.list[:1:1]
		return
	}
	t.ObservedTimestamps = append(t.ObservedTimestamps, &b.obs)
}

type observedBlock struct {
	obs  ObservedTimestamp
	ts   Timestamp
	list [1]*ObservedTimestamp
}

// LocalUncertaintyLimit is the uncertainty limit for a read of the txn on
// node: the global limit, lowered to the node's observed timestamp (never
// below the read timestamp).
func (t *Transaction) LocalUncertaintyLimit(node NodeID) hlc.Timestamp {
	lim := t.GetGlobalUncertaintyLimit().HLC()
	if obs, ok := t.ObservedTimestamp(node); ok && obs.Less(lim) {
		lim = obs
	}
	return lim.Forward(t.ReadTS())
}

// Clone deep-copies the transaction.
func (t *Transaction) Clone() *Transaction {
	if t == nil {
		return nil
	}
	return cloneTxn(t)
}

// IsRetryable reports whether err means "run the transaction again"
// (SQLSTATE 40001): TransactionRetryError, TransactionAbortedError,
// ReadWithinUncertaintyIntervalError, WriteTooOldError, RefreshFailedError.
func IsRetryable(err error) bool {
	var (
		tre *TransactionRetryError
		tae *TransactionAbortedError
		rwu *ReadWithinUncertaintyIntervalError
		wto *WriteTooOldError
		rfe *RefreshFailedError
	)
	return errors.As(err, &tre) || errors.As(err, &tae) || errors.As(err, &rwu) ||
		errors.As(err, &wto) || errors.As(err, &rfe)
}

// TxnError is a structured error together with the transaction the server
// saw when it failed (kvpb.Error.txn). Unwrap gives the detail error.
type TxnError struct {
	Err error
	Txn *Transaction
}

func (e *TxnError) Error() string { return e.Err.Error() }
func (e *TxnError) Unwrap() error { return e.Err }

// ErrorTxn returns the transaction attached to err (by GoError from a wire
// Error with txn set), or nil.
func ErrorTxn(err error) *Transaction {
	var te *TxnError
	if errors.As(err, &te) {
		return te.Txn
	}
	return nil
}

func (e *TransactionRetryError) Error() string {
	if e.GetExtraMsg() != "" {
		return fmt.Sprintf("transaction retry: %s: %s", e.GetReason(), e.GetExtraMsg())
	}
	return fmt.Sprintf("transaction retry: %s", e.GetReason())
}

func (e *TransactionAbortedError) Error() string {
	return fmt.Sprintf("transaction aborted: %s", e.GetReason())
}

func (e *ReadWithinUncertaintyIntervalError) Error() string {
	return fmt.Sprintf("read at %s within uncertainty interval: value on %q at %s (local limit %s, global limit %s)",
		e.GetReadTimestamp().HLC(), e.GetKey(), e.GetValueTimestamp().HLC(),
		e.GetLocalUncertaintyLimit().HLC(), e.GetGlobalUncertaintyLimit().HLC())
}

func (e *WriteIntentError) Error() string {
	var b bytes.Buffer
	b.WriteString("conflicting intents on ")
	for i, in := range e.GetIntents() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q (txn %s)", in.GetKey(), ShortID(in.GetTxn().GetId()))
	}
	return b.String()
}

func (e *TransactionPushError) Error() string {
	return fmt.Sprintf("failed to push txn %s (status %s, priority %d)", ShortID(e.GetPusheeTxn().ID()),
		e.GetPusheeTxn().GetStatus(), e.GetPusheeTxn().GetMeta().GetPriority())
}

func (e *TransactionStatusError) Error() string { return "transaction status: " + e.GetMsg() }

func (e *RefreshFailedError) Error() string {
	what := "committed value"
	if e.GetIntent() {
		what = "intent"
	}
	return fmt.Sprintf("refresh failed: %s on %q at %s", what, e.GetKey(), e.GetTimestamp().HLC())
}

func (e *BatchTimestampBeforeGCError) Error() string {
	return fmt.Sprintf("batch timestamp %s must be after replica GC threshold %s (history at or below it was garbage-collected; see the gc.ttl setting)",
		e.GetTimestamp().HLC(), e.GetThreshold().HLC())
}

func (e *LockNotAvailableError) Error() string {
	return fmt.Sprintf("lock not available: key %q is locked by txn %x", e.GetKey(), e.GetHolder().GetId())
}

// Constructors for the transaction requests.

// NewEndTxn returns an EndTxn for the txn anchored at key.
func NewEndTxn(key []byte, commit bool, lockSpans []*Span) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_EndTxn{EndTxn: &EndTxnRequest{Key: key, Commit: commit, LockSpans: lockSpans}}}
}

// NewHeartbeatTxn returns a HeartbeatTxn for the txn anchored at key.
func NewHeartbeatTxn(key []byte, now hlc.Timestamp) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_HeartbeatTxn{HeartbeatTxn: &HeartbeatTxnRequest{Key: key, Now: TS(now)}}}
}

// NewPushTxn returns a push of pushee by pusher (nil: non-transactional).
func NewPushTxn(pusher *Transaction, pushee *TxnMeta, typ PushTxnType, pushTo, now hlc.Timestamp) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_PushTxn{PushTxn: &PushTxnRequest{
		Key: pushee.GetKey(), Pusher: pusher, Pushee: pushee, PushType: typ, PushTo: TS(pushTo), Now: TS(now)}}}
}

// NewQueryTxn returns a QueryTxn of txn.
func NewQueryTxn(txn *TxnMeta) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_QueryTxn{QueryTxn: &QueryTxnRequest{Key: txn.GetKey(), Txn: txn}}}
}

// NewResolveIntent returns a ResolveIntent of txn's intent on key.
func NewResolveIntent(key []byte, txn *Transaction) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_ResolveIntent{ResolveIntent: &ResolveIntentRequest{
		Key: key, IntentTxn: txn.GetMeta(), Status: txn.GetStatus(), IgnoredSeqnums: txn.GetIgnoredSeqnums()}}}
}

// NewResolveIntentRange returns a ResolveIntentRange of txn's intents in
// [key, end).
func NewResolveIntentRange(key, end []byte, txn *Transaction) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_ResolveIntentRange{ResolveIntentRange: &ResolveIntentRangeRequest{
		Key: key, EndKey: end, IntentTxn: txn.GetMeta(), Status: txn.GetStatus(), IgnoredSeqnums: txn.GetIgnoredSeqnums()}}}
}

// NewRefresh returns a Refresh of key from refreshFrom (to the header
// txn's read timestamp).
func NewRefresh(key []byte, refreshFrom hlc.Timestamp) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Refresh{Refresh: &RefreshRequest{Key: key, RefreshFrom: TS(refreshFrom)}}}
}

// NewRefreshRange returns a RefreshRange of [key, end).
func NewRefreshRange(key, end []byte, refreshFrom hlc.Timestamp) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_RefreshRange{RefreshRange: &RefreshRangeRequest{Key: key, EndKey: end, RefreshFrom: TS(refreshFrom)}}}
}

// cloneTxn deep-copies t by hand: proto.Clone's reflection was 6% of a
// gateway's CPU for point SELECTs (the coordinator clones the txn for
// every batch and response). It matches proto.Clone exactly (empty bytes
// become nil; TestCloneTxnMatchesProtoClone sets every field, so a new
// field in data.proto fails it until it is copied here); a message with
// unknown fields takes proto.Clone. The transaction, its meta and its
// timestamps come from one allocation (txnBlock), the meta's ID and key
// from a second, each repeated field's elements from one more: a point
// SELECT clones the txn about seven times, and the nine allocations of a
// field-by-field copy were a third of the gateway's allocated bytes.
func cloneTxn(t *Transaction) *Transaction {
	if t == nil {
		return nil
	}
	if len(t.unknownFields) > 0 {
		return proto.Clone(t).(*Transaction)
	}
	b := &txnBlock{}
	c := &b.txn
	c.Name, c.Status, c.WriteTooOld = t.Name, t.Status, t.WriteTooOld
	c.ReadTimestamp = b.ts(0, t.ReadTimestamp)
	c.LastHeartbeat = b.ts(1, t.LastHeartbeat)
	c.GlobalUncertaintyLimit = b.ts(2, t.GlobalUncertaintyLimit)
	if m := t.Meta; m != nil {
		if len(m.unknownFields) > 0 {
			c.Meta = proto.Clone(m).(*TxnMeta)
		} else {
			cm := &b.meta
			cm.Epoch, cm.Priority, cm.Sequence = m.Epoch, m.Priority, m.Sequence
			cm.WriteTimestamp = b.ts(3, m.WriteTimestamp)
			cm.MinTimestamp = b.ts(4, m.MinTimestamp)
			if n := len(m.Id) + len(m.Key); n > 0 {
				var buf []byte
				if n <= len(b.idKey) {
					buf = b.idKey[:0:n]
				} else {
					buf = make([]byte, 0, n)
				}
				if len(m.Id) > 0 {
					buf = append(buf, m.Id...)
					cm.Id = buf[:len(m.Id):len(m.Id)]
				}
				if len(m.Key) > 0 {
					k := len(buf)
					buf = append(buf, m.Key...)
					cm.Key = buf[k:len(buf):len(buf)]
				}
			}
			c.Meta = cm
		}
	}
	if n := len(t.ObservedTimestamps); n > 0 {
		var obs []ObservedTimestamp
		var tss []Timestamp
		if n <= len(b.obs) {
			// One observed node (a txn on one node): the block's own.
			c.ObservedTimestamps = b.obsList[:n:n]
			obs, tss = b.obs[:n:n], b.obsTS[:n:n]
		} else {
			c.ObservedTimestamps = make([]*ObservedTimestamp, n)
			obs = make([]ObservedTimestamp, n)
			tss = make([]Timestamp, n)
		}
		for i, o := range t.ObservedTimestamps {
			if o == nil || len(o.unknownFields) > 0 || (o.Timestamp != nil && len(o.Timestamp.unknownFields) > 0) {
				c.ObservedTimestamps[i] = proto.Clone(o).(*ObservedTimestamp)
				continue
			}
			obs[i].NodeId = o.NodeId
			if o.Timestamp != nil {
				tss[i].WallTime, tss[i].Logical = o.Timestamp.WallTime, o.Timestamp.Logical
				obs[i].Timestamp = &tss[i]
			}
			c.ObservedTimestamps[i] = &obs[i]
		}
	}
	if n := len(t.IgnoredSeqnums); n > 0 {
		c.IgnoredSeqnums = make([]*IgnoredSeqNumRange, n)
		rs := make([]IgnoredSeqNumRange, n)
		for i, r := range t.IgnoredSeqnums {
			if r == nil || len(r.unknownFields) > 0 {
				c.IgnoredSeqnums[i] = proto.Clone(r).(*IgnoredSeqNumRange)
				continue
			}
			rs[i].Start, rs[i].End = r.Start, r.End
			c.IgnoredSeqnums[i] = &rs[i]
		}
	}
	if len(t.LockSpans) > 0 {
		c.LockSpans = make([]*Span, len(t.LockSpans))
		for i, sp := range t.LockSpans {
			if sp == nil || len(sp.unknownFields) > 0 {
				c.LockSpans[i] = proto.Clone(sp).(*Span)
				continue
			}
			c.LockSpans[i] = &Span{Key: cloneBytes(sp.Key), EndKey: cloneBytes(sp.EndKey)}
		}
	}
	return c
}

// txnBlock holds a cloned transaction with its meta and its five
// timestamps (cloneTxn), and room for the usual rest: the meta's ID and a
// short anchor key, one observed timestamp.
type txnBlock struct {
	txn     Transaction
	meta    TxnMeta
	stamps  [5]Timestamp
	idKey   [48]byte
	obsList [1]*ObservedTimestamp
	obs     [1]ObservedTimestamp
	obsTS   [1]Timestamp
}

// ts copies src into the block's i-th timestamp (nil stays nil; a
// timestamp with unknown fields takes proto.Clone).
func (b *txnBlock) ts(i int, src *Timestamp) *Timestamp {
	if src == nil {
		return nil
	}
	if len(src.unknownFields) > 0 {
		return proto.Clone(src).(*Timestamp)
	}
	d := &b.stamps[i]
	d.WallTime, d.Logical = src.WallTime, src.Logical
	return d
}

func cloneTxnMeta(m *TxnMeta) *TxnMeta {
	if m == nil {
		return nil
	}
	if len(m.unknownFields) > 0 {
		return proto.Clone(m).(*TxnMeta)
	}
	return &TxnMeta{
		Id:             cloneBytes(m.Id),
		Key:            cloneBytes(m.Key),
		Epoch:          m.Epoch,
		WriteTimestamp: cloneTS(m.WriteTimestamp),
		MinTimestamp:   cloneTS(m.MinTimestamp),
		Priority:       m.Priority,
		Sequence:       m.Sequence,
	}
}

func cloneTS(ts *Timestamp) *Timestamp {
	if ts == nil {
		return nil
	}
	if len(ts.unknownFields) > 0 {
		return proto.Clone(ts).(*Timestamp)
	}
	return &Timestamp{WallTime: ts.WallTime, Logical: ts.Logical}
}

// cloneBytes copies b; empty becomes nil, as proto.Clone does for proto3
// bytes.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
