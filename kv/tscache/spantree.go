package tscache

import (
	"bytes"
	"encoding/binary"

	"github.com/tesseradb/tessera/hlc"
)

// spanTree holds span reads as a treap ordered by (key, end), each node
// augmented with the largest end key of its subtree, so that the spans
// overlapping a key or span are found without visiting the subtrees that
// end at or below it, or start at or above its end. Priorities come from
// a xorshift sequence, so the shape is deterministic.
type spanTree struct {
	root *spanNode
	n    int
	seed uint32
	// exact finds the node of a span by its bounds (exactKey): a repeated
	// read of one span (the same index prefix scanned again) is merged by
	// one map lookup instead of a walk of the treap, which was most of
	// the cost of recording a point-like scan in a cache of 16k spans.
	exact   map[string]*spanNode
	scratch []byte
}

// exactKey is the map key of [key, end): key's length, key, end.
func (t *spanTree) exactKey(key, end []byte) []byte {
	t.scratch = binary.AppendUvarint(t.scratch[:0], uint64(len(key)))
	t.scratch = append(t.scratch, key...)
	t.scratch = append(t.scratch, end...)
	return t.scratch
}

// reset forgets every span.
func (t *spanTree) reset() {
	t.root, t.n = nil, 0
	clear(t.exact)
}

type spanNode struct {
	key, end    []byte // [key, end), end non-empty
	maxEnd      []byte // largest end in this subtree
	ts          hlc.Timestamp
	txn         txnRef // reading txn, none if none or several at ts
	prio        uint32
	left, right *spanNode
}

func compareSpan(key, end []byte, n *spanNode) int {
	if c := bytes.Compare(key, n.key); c != 0 {
		return c
	}
	return bytes.Compare(end, n.end)
}

// forward merges a read of exactly [key, end) into its node and reports
// whether there was one.
func (t *spanTree) forward(key, end []byte, ts hlc.Timestamp, txn []byte) bool {
	n := t.exact[string(t.exactKey(key, end))]
	if n == nil {
		return false
	}
	e := pointEntry{ts: n.ts, txn: n.txn}
	e.forward(ts, txn)
	n.ts, n.txn = e.ts, e.txn
	return true
}

// insert adds a node for [key, end), which the tree does not hold.
func (t *spanTree) insert(key, end []byte, ts hlc.Timestamp, txn txnRef) {
	t.seed ^= t.seed << 13
	t.seed ^= t.seed >> 17
	t.seed ^= t.seed << 5
	buf := make([]byte, len(key)+len(end))
	copy(buf, key)
	copy(buf[len(key):], end)
	nd := &spanNode{key: buf[:len(key):len(key)], end: buf[len(key):], ts: ts, txn: txn, prio: t.seed}
	nd.maxEnd = nd.end
	t.root = t.root.insert(nd)
	t.n++
	if t.exact == nil {
		t.exact = map[string]*spanNode{}
	}
	t.exact[string(t.exactKey(key, end))] = nd
}

func (n *spanNode) insert(nd *spanNode) *spanNode {
	if n == nil {
		return nd
	}
	if compareSpan(nd.key, nd.end, n) < 0 {
		n.left = n.left.insert(nd)
		if n.left.prio > n.prio {
			n = n.rotateRight()
		}
	} else {
		n.right = n.right.insert(nd)
		if n.right.prio > n.prio {
			n = n.rotateLeft()
		}
	}
	n.fix()
	return n
}

// fix recomputes maxEnd from n's end and its children.
func (n *spanNode) fix() {
	n.maxEnd = n.end
	if n.left != nil && bytes.Compare(n.left.maxEnd, n.maxEnd) > 0 {
		n.maxEnd = n.left.maxEnd
	}
	if n.right != nil && bytes.Compare(n.right.maxEnd, n.maxEnd) > 0 {
		n.maxEnd = n.right.maxEnd
	}
}

func (n *spanNode) rotateRight() *spanNode {
	l := n.left
	n.left, l.right = l.right, n
	n.fix()
	l.fix()
	return l
}

func (n *spanNode) rotateLeft() *spanNode {
	r := n.right
	n.right, r.left = r.left, n
	n.fix()
	r.fix()
	return r
}

// overlapping calls f for every node overlapping [key, end), or holding
// key when end is empty.
func (n *spanNode) overlapping(key, end []byte, f func(*spanNode)) {
	for n != nil && bytes.Compare(key, n.maxEnd) < 0 {
		n.left.overlapping(key, end, f)
		// Does n (and so its right subtree) start beyond the query?
		if len(end) == 0 && bytes.Compare(n.key, key) > 0 || len(end) != 0 && bytes.Compare(n.key, end) >= 0 {
			return
		}
		if bytes.Compare(key, n.end) < 0 {
			f(n)
		}
		n = n.right
	}
}
