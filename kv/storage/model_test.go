package storage

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tesseradb/tessera/hlc"
)

// mvccModel is a deliberately simple in-memory statement of the MVCC
// semantics the engine implements: committed versions per key (newest
// first) and at most one intent per key with its provisional value and
// history. The randomized test checks the engine against it.
type mvccModel struct {
	committed map[string][]mVersion
	intents   map[string]*mIntent
}

type mVersion struct {
	ts   hlc.Timestamp
	val  string
	tomb bool
}

type mIntent struct {
	txn  TxnMeta
	val  string
	tomb bool
	hist []intentHistoryEntry
}

func newModel() *mvccModel {
	return &mvccModel{committed: map[string][]mVersion{}, intents: map[string]*mIntent{}}
}

func (m *mvccModel) clone() *mvccModel {
	c := newModel()
	for k, vs := range m.committed {
		c.committed[k] = append([]mVersion(nil), vs...)
	}
	for k, in := range m.intents {
		cp := *in
		cp.hist = append([]intentHistoryEntry(nil), in.hist...)
		c.intents[k] = &cp
	}
	return c
}

// keys returns the keys in [start, end) that have any version, sorted.
func (m *mvccModel) keys(start, end string) []string {
	set := map[string]bool{}
	for k := range m.committed {
		set[k] = true
	}
	for k := range m.intents {
		set[k] = true
	}
	var out []string
	for k := range set {
		if k >= start && k < end {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func conflictErr(key string, in *mIntent) error {
	return &LockConflictError{Intents: []Intent{{Key: []byte(key), Txn: in.txn}}}
}

func (m *mvccModel) get(key string, ts hlc.Timestamp, txn *TxnMeta, unc hlc.Timestamp) (mVersion, bool, error) {
	seekTs := ts.Forward(unc)
	if in := m.intents[key]; in != nil {
		if txn == nil || txn.ID != in.txn.ID {
			if in.txn.WriteTimestamp.LessEq(seekTs) {
				return mVersion{}, false, conflictErr(key, in)
			}
		} else {
			if in.txn.Epoch > txn.Epoch {
				return mVersion{}, false, ErrTxnEpochRegression
			}
			if in.txn.Epoch == txn.Epoch {
				if txn.Sequence >= in.txn.Sequence {
					return mVersion{ts: in.txn.WriteTimestamp, val: in.val, tomb: in.tomb}, !in.tomb, nil
				}
				for i := len(in.hist) - 1; i >= 0; i-- {
					if h := in.hist[i]; h.Sequence <= txn.Sequence {
						return mVersion{ts: in.txn.WriteTimestamp, val: string(h.Value), tomb: h.Tombstone}, !h.Tombstone, nil
					}
				}
			}
		}
	}
	for _, v := range m.committed[key] {
		if seekTs.Less(v.ts) {
			continue
		}
		if ts.Less(v.ts) {
			return mVersion{}, false, &ReadWithinUncertaintyIntervalError{Key: []byte(key), ValueTimestamp: v.ts}
		}
		return v, !v.tomb, nil
	}
	return mVersion{}, false, nil
}

// checkWrite returns the effective write timestamp or the error.
func (m *mvccModel) checkWrite(key string, ts hlc.Timestamp, txn *TxnMeta) (hlc.Timestamp, error) {
	eff := ts
	if in := m.intents[key]; in != nil {
		if txn == nil || txn.ID != in.txn.ID {
			return eff, conflictErr(key, in)
		}
		if txn.Epoch < in.txn.Epoch {
			return eff, ErrTxnEpochRegression
		}
		if txn.Epoch == in.txn.Epoch && txn.Sequence < in.txn.Sequence {
			return eff, ErrTxnSequenceRegression
		}
		eff = ts.Forward(in.txn.WriteTimestamp)
	}
	if vs := m.committed[key]; len(vs) > 0 && eff.LessEq(vs[0].ts) {
		return eff, &WriteTooOldError{Key: []byte(key), ActualTimestamp: vs[0].ts.Next()}
	}
	return eff, nil
}

func (m *mvccModel) visibleToWriter(key string, txn *TxnMeta) (string, bool) {
	if in := m.intents[key]; in != nil && txn != nil && in.txn.ID == txn.ID && in.txn.Epoch == txn.Epoch {
		if txn.Sequence >= in.txn.Sequence {
			return in.val, !in.tomb
		}
		for i := len(in.hist) - 1; i >= 0; i-- {
			if h := in.hist[i]; h.Sequence <= txn.Sequence {
				return string(h.Value), !h.Tombstone
			}
		}
	}
	if vs := m.committed[key]; len(vs) > 0 {
		return vs[0].val, !vs[0].tomb
	}
	return "", false
}

func (m *mvccModel) write(key string, eff hlc.Timestamp, val string, tomb bool, txn *TxnMeta) {
	if txn == nil {
		m.committed[key] = append([]mVersion{{ts: eff, val: val, tomb: tomb}}, m.committed[key]...)
		return
	}
	n := &mIntent{txn: *txn, val: val, tomb: tomb}
	n.txn.WriteTimestamp = eff
	if in := m.intents[key]; in != nil && in.txn.Epoch == txn.Epoch {
		n.hist = append([]intentHistoryEntry(nil), in.hist...)
		if in.txn.Sequence < txn.Sequence {
			var v []byte
			if !in.tomb {
				v = []byte(in.val)
			}
			n.hist = append(n.hist, intentHistoryEntry{Sequence: in.txn.Sequence, Tombstone: in.tomb, Value: v})
		}
	}
	m.intents[key] = n
}

func (m *mvccModel) put(key string, ts hlc.Timestamp, val string, tomb bool, txn *TxnMeta) (bool, error) {
	eff, err := m.checkWrite(key, ts, txn)
	if err != nil {
		return false, err
	}
	_, found := m.visibleToWriter(key, txn)
	if tomb {
		val = ""
	}
	m.write(key, eff, val, tomb, txn)
	return found, nil
}

func (m *mvccModel) cput(key string, ts hlc.Timestamp, val string, exp *string, txn *TxnMeta) error {
	eff, err := m.checkWrite(key, ts, txn)
	if err != nil {
		return err
	}
	cur, ok := m.visibleToWriter(key, txn)
	if ok != (exp != nil) || (ok && cur != *exp) {
		return &ConditionFailedError{Key: []byte(key), HasValue: ok, ActualValue: []byte(cur)}
	}
	m.write(key, eff, val, false, txn)
	return nil
}

func (m *mvccModel) inc(key string, ts hlc.Timestamp, by int64, txn *TxnMeta) (int64, error) {
	eff, err := m.checkWrite(key, ts, txn)
	if err != nil {
		return 0, err
	}
	var cur int64
	if v, ok := m.visibleToWriter(key, txn); ok {
		if cur, err = DecodeInt([]byte(v)); err != nil {
			return 0, err
		}
	}
	if (by > 0 && cur > math.MaxInt64-by) || (by < 0 && cur < math.MinInt64-by) {
		return 0, ErrIntegerOverflow
	}
	m.write(key, eff, string(EncodeInt(cur+by)), false, txn)
	return cur + by, nil
}

type mScanResult struct {
	kvs    []string // key=val@ts
	resume string   // "" or "[k, e)"
}

func (m *mvccModel) scan(start, end string, ts hlc.Timestamp, txn *TxnMeta, unc hlc.Timestamp, maxKeys, target int64, reverse bool) (mScanResult, error) {
	var res mScanResult
	keys := m.keys(start, end)
	if reverse {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	var conflicts []Intent
	var n, bytes int64
	for _, k := range keys {
		if (maxKeys > 0 && n >= maxKeys) || (target > 0 && n > 0 && bytes >= target) {
			if reverse {
				res.resume = fmt.Sprintf("[%q, %q)", start, k+"\x00")
			} else {
				res.resume = fmt.Sprintf("[%q, %q)", k, end)
			}
			break
		}
		v, ok, err := m.get(k, ts, txn, unc)
		var lc *LockConflictError
		if errors.As(err, &lc) {
			conflicts = append(conflicts, lc.Intents...)
			continue
		}
		if err != nil {
			return res, err
		}
		if ok {
			n++
			bytes += int64(len(k) + len(v.val))
			res.kvs = append(res.kvs, fmt.Sprintf("%q=%q@%s", k, v.val, fmtTs(v.ts)))
		}
	}
	if len(conflicts) > 0 {
		return mScanResult{}, &LockConflictError{Intents: conflicts}
	}
	return res, nil
}

func (m *mvccModel) resolve(key string, u *LockUpdate) error {
	in := m.intents[key]
	if in == nil || in.txn.ID != u.Txn.ID {
		return &IntentNotFoundError{Key: []byte(key)}
	}
	if in.txn.Epoch > u.Txn.Epoch {
		return ErrTxnEpochRegression
	}
	abort := u.Status == Aborted || (u.Status == Committed && in.txn.Epoch < u.Txn.Epoch)
	val, tomb := in.val, in.tomb
	if !abort && len(u.IgnoredSeqNums) > 0 && in.txn.Epoch == u.Txn.Epoch && u.ignored(in.txn.Sequence) {
		found := false
		for i := len(in.hist) - 1; i >= 0; i-- {
			if h := in.hist[i]; !u.ignored(h.Sequence) {
				val, tomb, found = string(h.Value), h.Tombstone, true
				break
			}
		}
		abort = !found
	}
	if abort {
		delete(m.intents, key)
		return nil
	}
	newTs := in.txn.WriteTimestamp.Forward(u.Txn.WriteTimestamp)
	if u.Status == Committed {
		delete(m.intents, key)
		m.committed[key] = append([]mVersion{{ts: newTs, val: val, tomb: tomb}}, m.committed[key]...)
		return nil
	}
	n := &mIntent{txn: in.txn, val: val, tomb: tomb, hist: in.hist}
	n.txn.WriteTimestamp = newTs
	if len(u.IgnoredSeqNums) > 0 && in.txn.Epoch == u.Txn.Epoch {
		var kept []intentHistoryEntry
		for _, h := range in.hist {
			if !u.ignored(h.Sequence) {
				kept = append(kept, h)
			}
		}
		n.hist = kept
		if u.ignored(in.txn.Sequence) && len(kept) > 0 {
			n.txn.Sequence = kept[len(kept)-1].Sequence
			n.hist = kept[:len(kept)-1]
		}
	}
	m.intents[key] = n
	return nil
}

func (m *mvccModel) resolveRange(start, end string, u *LockUpdate, max int64) (int64, string, error) {
	var keys []string
	for k, in := range m.intents {
		if k >= start && k < end && in.txn.ID == u.Txn.ID {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	resume := ""
	if max > 0 && int64(len(keys)) > max {
		resume = fmt.Sprintf("[%q, %q)", keys[max], end)
		keys = keys[:max]
	}
	for _, k := range keys {
		if err := m.resolve(k, u); err != nil {
			return 0, "", err
		}
	}
	return int64(len(keys)), resume, nil
}

func (m *mvccModel) gc(start, end string, threshold hlc.Timestamp) int64 {
	var removed int64
	for _, k := range m.keys(start, end) {
		vs := m.committed[k]
		for i, v := range vs {
			if threshold.Less(v.ts) {
				continue
			}
			keep := i + 1
			if v.tomb {
				keep = i
			}
			removed += int64(len(vs) - keep)
			vs = vs[:keep]
			break
		}
		if len(vs) == 0 {
			delete(m.committed, k)
		} else {
			m.committed[k] = vs
		}
	}
	return removed
}

// dump renders the model's full state in the same form as dumpEngine.
func (m *mvccModel) dump() string {
	var b strings.Builder
	for _, k := range m.keys("", "\xff\xff") {
		if in := m.intents[k]; in != nil {
			fmt.Fprintf(&b, "%q intent %s val=%q tomb=%t hist=%v\n", k, in.txn, in.val, in.tomb, fmtHist(in.hist))
		}
		for _, v := range m.committed[k] {
			fmt.Fprintf(&b, "%q @%s val=%q tomb=%t\n", k, fmtTs(v.ts), v.val, v.tomb)
		}
	}
	return b.String()
}

func fmtHist(h []intentHistoryEntry) string {
	var parts []string
	for _, e := range h {
		if e.Tombstone {
			parts = append(parts, fmt.Sprintf("%d:<tomb>", e.Sequence))
		} else {
			parts = append(parts, fmt.Sprintf("%d:%q", e.Sequence, e.Value))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
