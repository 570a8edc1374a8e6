package ranges

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

// The GC threshold of a range is replicated state (GCThresholdKey, in the
// replicated range-local span, so snapshots carry it): raised by GC
// commands (RaftCommand.gc_threshold, only ever forward), inherited by
// both halves of a split, the max of both sides after a merge. Every
// request that reads or writes user data at or below it is refused with
// kvpb.BatchTimestampBeforeGCError (checked after latching, so a GC that
// raises it and removes history cannot overlap a read below it).

// GCThreshold returns the range's GC threshold as applied here.
func (r *Replica) GCThreshold() hlc.Timestamp {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.gcThreshold
}

// checkGCThreshold refuses a batch whose timestamp is at or below the
// range's GC threshold, if the batch reads or writes user data (txn
// record and intent-resolution commands are not timestamped reads).
func (r *Replica) checkGCThreshold(ba *kvpb.BatchRequest, ts hlc.Timestamp) error {
	if !needsGCCheck(ba) {
		return nil
	}
	th := r.GCThreshold()
	if !th.IsEmpty() && ts.LessEq(th) {
		return &kvpb.BatchTimestampBeforeGCError{Timestamp: kvpb.TS(ts), Threshold: kvpb.TS(th)}
	}
	return nil
}

func needsGCCheck(ba *kvpb.BatchRequest) bool {
	for _, req := range ba.GetRequests() {
		if isUserRequest(req) {
			return true
		}
		if et := req.GetEndTxn(); et != nil && et.GetCommit() {
			return true
		}
	}
	return false
}

func writeGCThreshold(w storage.Writer, id kvpb.RangeID, th hlc.Timestamp) error {
	if th.IsEmpty() {
		return nil
	}
	return putProto(w, rangekeys.GCThresholdKey(uint64(id)), kvpb.TS(th))
}

// mergeGCThreshold forwards st's threshold to the right range's (read
// from this store's copy of its state before the merge clears it).
func (r *Replica) mergeGCThreshold(b storage.Batch, st *applyState, rightID kvpb.RangeID) error {
	rt := &kvpb.Timestamp{}
	if _, err := getProto(b, rangekeys.GCThresholdKey(uint64(rightID)), rt); err != nil {
		return err
	}
	if th := rt.HLC(); st.gcThreshold.Less(th) {
		st.gcThreshold = th
		return writeGCThreshold(b, r.rangeID, th)
	}
	return nil
}
