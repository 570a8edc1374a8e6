package kvclient

import (
	"encoding/binary"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// KeyValue is one row of a read.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// Result is the outcome of one operation of a Batch.
//
//   - Get: Rows has the row if the key has a value, else is empty.
//   - Scan, ReverseScan: the rows, in scan order.
//   - Inc: Rows has the key with its new value (8 bytes, big-endian), and
//     Int is the new value.
//   - Put, CPut, Del, DelRange: Rows is empty.
//
// Err is set on every result when the batch failed.
type Result struct {
	Rows []KeyValue
	Int  int64
	Err  error
}

type opKind int

const (
	opGet opKind = iota
	opPut
	opCPut
	opDel
	opScan
	opReverseScan
	opDelRange
	opInc
	opEndTxn // CommitInBatch only
)

// op is one operation of a batch, with what it needs to follow resume
// spans.
type op struct {
	kind    opKind
	req     *kvpb.RequestUnion
	maxKeys int64
}

// Batch collects operations to send together: in one round to each range
// they touch. Build it with DB.NewBatch or Txn.NewBatch, run it with
// DB.Run or Txn.Run, then read Results (one per operation, in order).
// A Batch is not safe for concurrent use and runs once.
type Batch struct {
	ops []op
	// Results is set by Run.
	Results []Result
	ran     bool
	// Inline room for a small batch (a point read and its schema
	// generation read): its operations, requests, results and found rows
	// of Gets without allocations of their own (the batch runs once, so
	// nothing reuses them).
	opBuf  [2]op
	reqBuf [2]*kvpb.RequestUnion
	idxBuf [2]int
	resBuf [2]Result
	rowBuf [2]KeyValue
	rows   int // rowBuf entries used
}

// Get reads key.
func (b *Batch) Get(key []byte) { b.add(opGet, kvpb.NewGet(key), 0) }

// GetForUpdate reads key and locks it (if found) for the transaction
// (SELECT ... FOR UPDATE with str EXCLUSIVE, FOR SHARE with SHARED):
// writers and other locking readers of key wait until the transaction
// ends. Only in a transaction's batch. wait is what the read does on
// meeting another txn's lock: WAIT_POLICY_BLOCK waits, WAIT_POLICY_ERROR
// (NOWAIT) fails the batch with *kvpb.LockNotAvailableError.
func (b *Batch) GetForUpdate(key []byte, str kvpb.KeyLocking, wait kvpb.KeyWaitPolicy) {
	b.add(opGet, kvpb.NewGet(key).WithLocking(str).WithWaitPolicy(wait), 0)
}

// ScanForUpdate is Scan locking the keys it returns (see GetForUpdate).
func (b *Batch) ScanForUpdate(start, end []byte, maxKeys int64, str kvpb.KeyLocking, wait kvpb.KeyWaitPolicy) {
	b.add(opScan, kvpb.NewScan(start, end, maxKeys).WithLocking(str).WithWaitPolicy(wait), maxKeys)
}

// Put writes key=value.
func (b *Batch) Put(key, value []byte) { b.add(opPut, kvpb.NewPut(key, value), 0) }

// CPut writes key=value if the key's value is expected (nil: if the key
// has no value); otherwise the batch fails with *kvpb.ConditionFailedError.
func (b *Batch) CPut(key, value, expected []byte) {
	b.add(opCPut, kvpb.NewConditionalPut(key, value, expected), 0)
}

// AssertValue reads key and fails the batch with
// *kvpb.ConditionFailedError unless its value equals expected (nil: the key
// has no value). It writes nothing: a guard for the batch's writes, e.g. a
// check sent with a one-phase commit.
func (b *Batch) AssertValue(key, expected []byte) {
	b.add(opGet, kvpb.NewAssertGet(key, expected), 0)
}

// Del deletes keys.
func (b *Batch) Del(keys ...[]byte) {
	for _, k := range keys {
		b.add(opDel, kvpb.NewDelete(k), 0)
	}
}

// Scan reads the live keys in [start, end) in ascending order, at most
// maxKeys (0: all).
func (b *Batch) Scan(start, end []byte, maxKeys int64) {
	b.add(opScan, kvpb.NewScan(start, end, maxKeys), maxKeys)
}

// ReverseScan is Scan in descending order.
func (b *Batch) ReverseScan(start, end []byte, maxKeys int64) {
	b.add(opReverseScan, kvpb.NewReverseScan(start, end, maxKeys), maxKeys)
}

// DelRange deletes every live key in [start, end).
func (b *Batch) DelRange(start, end []byte) {
	b.add(opDelRange, kvpb.NewDeleteRange(start, end), 0)
}

// Inc adds delta to the integer at key (missing: 0).
func (b *Batch) Inc(key []byte, delta int64) { b.add(opInc, kvpb.NewIncrement(key, delta), 0) }

func (b *Batch) add(k opKind, r *kvpb.RequestUnion, maxKeys int64) {
	if b.ops == nil {
		b.ops = b.opBuf[:0]
	}
	b.ops = append(b.ops, op{kind: k, req: r, maxKeys: maxKeys})
}

// Len is the number of operations.
func (b *Batch) Len() int { return len(b.ops) }

// ErrBatchReused is returned when a Batch is run twice.
var ErrBatchReused = fmt.Errorf("kvclient: batch already ran")

// ErrBadResponse is returned when a node's response does not match the
// request (a bug or a version mismatch).
var ErrBadResponse = fmt.Errorf("kvclient: malformed response")

func (b *Batch) start() error {
	if b.ran {
		return ErrBatchReused
	}
	b.ran = true
	if len(b.ops) <= len(b.resBuf) {
		b.Results = b.resBuf[:len(b.ops):len(b.ops)]
	} else {
		b.Results = make([]Result, len(b.ops))
	}
	return nil
}

func (b *Batch) fail(err error) error {
	for i := range b.Results {
		b.Results[i].Err = err
	}
	return err
}

// requests returns the requests of the given ops.
func (b *Batch) requests() []*kvpb.RequestUnion {
	var out []*kvpb.RequestUnion
	if len(b.ops) <= len(b.reqBuf) {
		out = b.reqBuf[:len(b.ops):len(b.ops)]
	} else {
		out = make([]*kvpb.RequestUnion, len(b.ops))
	}
	for i, o := range b.ops {
		out[i] = o.req
	}
	return out
}

// fill records the response of op i. It returns the request that
// continues a ranged read stopped by a resume span before its limit (nil
// if none).
func (b *Batch) fill(i int, resp *kvpb.ResponseUnion) (*kvpb.RequestUnion, error) {
	o := b.ops[i]
	res := &b.Results[i]
	bad := func() (*kvpb.RequestUnion, error) {
		return nil, fmt.Errorf("%w: %T answered with %T", ErrBadResponse, o.req.GetValue(), resp.GetValue())
	}
	switch o.kind {
	case opGet:
		g := resp.GetGet()
		if g == nil {
			return bad()
		}
		if g.GetFound() {
			kv := KeyValue{Key: o.req.GetGet().GetKey(), Value: g.GetValue()}
			if res.Rows == nil && b.rows < len(b.rowBuf) {
				res.Rows = b.rowBuf[b.rows : b.rows : b.rows+1]
				b.rows++
			}
			res.Rows = append(res.Rows, kv)
		}
	case opPut:
		if resp.GetPut() == nil {
			return bad()
		}
	case opCPut:
		if resp.GetConditionalPut() == nil {
			return bad()
		}
	case opDel:
		if resp.GetDelete() == nil {
			return bad()
		}
	case opInc:
		inc := resp.GetIncrement()
		if inc == nil {
			return bad()
		}
		res.Int = inc.GetNewValue()
		res.Rows = append(res.Rows, KeyValue{Key: o.req.GetIncrement().GetKey(),
			Value: binary.BigEndian.AppendUint64(nil, uint64(inc.GetNewValue()))})
	case opScan:
		s := resp.GetScan()
		if s == nil {
			return bad()
		}
		for _, kv := range s.GetRows() {
			res.Rows = append(res.Rows, KeyValue{Key: kv.GetKey(), Value: kv.GetValue()})
		}
		if rs := s.GetResumeSpan(); rs != nil && b.wantsMore(i) {
			return kvpb.NewScan(rs.GetKey(), rs.GetEndKey(), b.remaining(i)).WithLocking(b.ops[i].req.Locking()), nil
		}
	case opReverseScan:
		s := resp.GetReverseScan()
		if s == nil {
			return bad()
		}
		for _, kv := range s.GetRows() {
			res.Rows = append(res.Rows, KeyValue{Key: kv.GetKey(), Value: kv.GetValue()})
		}
		if rs := s.GetResumeSpan(); rs != nil && b.wantsMore(i) {
			return kvpb.NewReverseScan(rs.GetKey(), rs.GetEndKey(), b.remaining(i)).WithLocking(b.ops[i].req.Locking()), nil
		}
	case opEndTxn:
		if resp.GetEndTxn() == nil {
			return bad()
		}
	case opDelRange:
		d := resp.GetDeleteRange()
		if d == nil {
			return bad()
		}
		if rs := d.GetResumeSpan(); rs != nil {
			return kvpb.NewDeleteRange(rs.GetKey(), rs.GetEndKey()), nil
		}
	}
	return nil, nil
}

func (b *Batch) wantsMore(i int) bool {
	return b.ops[i].maxKeys == 0 || int64(len(b.Results[i].Rows)) < b.ops[i].maxKeys
}

func (b *Batch) remaining(i int) int64 {
	if b.ops[i].maxKeys == 0 {
		return 0
	}
	return b.ops[i].maxKeys - int64(len(b.Results[i].Rows))
}

// maxResumeRounds bounds how often a ranged read is continued: a server
// that keeps returning resume spans without rows is a bug, not a loop.
const maxResumeRounds = 1 << 16

// sendFunc sends one batch of requests and returns their responses.
type sendFunc func(reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, error)

// run sends the batch with send, following resume spans of ranged reads
// that stopped before their limits, and fills Results.
func (b *Batch) run(send sendFunc) error {
	if err := b.start(); err != nil {
		return err
	}
	if len(b.ops) == 0 {
		return nil
	}
	var idx []int
	if len(b.ops) <= len(b.idxBuf) {
		idx = b.idxBuf[:len(b.ops):len(b.ops)]
	} else {
		idx = make([]int, len(b.ops))
	}
	for i := range idx {
		idx[i] = i
	}
	reqs := b.requests()
	for round := 0; len(reqs) > 0; round++ {
		if round >= maxResumeRounds {
			return b.fail(fmt.Errorf("%w: ranged read still unfinished after %d rounds", ErrBadResponse, round))
		}
		resps, err := send(reqs)
		if err != nil {
			return b.fail(err)
		}
		if len(resps) != len(reqs) {
			return b.fail(fmt.Errorf("%w: %d responses to %d requests", ErrBadResponse, len(resps), len(reqs)))
		}
		var nextReqs []*kvpb.RequestUnion
		var nextIdx []int
		for k, resp := range resps {
			cont, err := b.fill(idx[k], resp)
			if err != nil {
				return b.fail(err)
			}
			if cont != nil {
				nextReqs = append(nextReqs, cont)
				nextIdx = append(nextIdx, idx[k])
			}
		}
		reqs, idx = nextReqs, nextIdx
	}
	return nil
}
