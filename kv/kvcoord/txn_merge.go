package kvcoord

import (
	"github.com/tesseradb/tessera/kv/kvpb"
)

// MergeTxn folds what a server reported about a transaction (src, from a
// BatchResponse or an error) into dst, the coordinator's copy: the write
// timestamp only moves up, observed timestamps are added, write_too_old
// sticks until a refresh clears it, and a final status wins. Reports of
// another epoch or another transaction are ignored.
func MergeTxn(dst, src *kvpb.Transaction) {
	if dst == nil || src == nil || !kvpb.SameTxn(dst.ID(), src.ID()) {
		return
	}
	if src.GetMeta().GetEpoch() != dst.GetMeta().GetEpoch() {
		return
	}
	if w := src.WriteTS(); dst.WriteTS().Less(w) {
		dst.Meta.WriteTimestamp = kvpb.TS(w)
	}
	for _, o := range src.GetObservedTimestamps() {
		dst.UpdateObservedTimestamp(kvpb.NodeID(o.GetNodeId()), o.GetTimestamp().HLC())
	}
	if src.GetWriteTooOld() {
		dst.WriteTooOld = true
	}
	if src.IsFinalized() {
		dst.Status = src.GetStatus()
	}
}
