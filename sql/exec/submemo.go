package exec

import (
	"slices"
	"strings"

	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Memoised correlated subqueries. A correlated subquery is re-run per
// row of the query around it; over a join that is a run per joined row
// even when it reads one column of one table (seconds where PostgreSQL,
// which would push the condition down or cache it, takes milliseconds).
// Its result depends only on the outer values it reads, so each run is
// traced: which outer columns (level and index, relative to the
// subquery) its expressions read, and whether it called anything
// volatile. The union of what the runs read is the memo's key schema; a
// later run whose outer values at every schema position equal a stored
// run's reads exactly what that run read (each read returns the same
// value, so the run takes the same path) and so has the same result.
// When a run reads a position outside the schema the schema grows and the
// memo is emptied. A run that calls a volatile function (random(),
// nextval, pg_sleep …) turns the memo off for the subquery.

// memoMaxEntries and memoMaxBytes bound one statement's memo.
const (
	memoMaxEntries = 1 << 14
	memoMaxBytes   = 16 << 20
)

// outerPos is a column of an enclosing row, rel levels out from the
// subquery's own outer row (0: the row the subquery is evaluated for).
type outerPos struct {
	rel, idx int
	t        *types.T
}

// subTrace records one run's reads of rows outside it.
type subTrace struct {
	base     int // index in env.outer of the run's own outer row
	reads    []outerPos
	volatile bool
}

type subMemo struct {
	schema  []outerPos
	entries map[string]memoEntry
	off     bool
}

type memoEntry struct {
	rows   []Row
	exists bool
}

// noteOuter records a read of column idx of env.outer[i] in the active
// traces it is outside of.
func (env *Env) noteOuter(i, idx int, t *types.T) {
	for _, tr := range env.traces {
		if i > tr.base {
			continue
		}
		p := outerPos{rel: tr.base - i, idx: idx, t: t}
		if !slices.ContainsFunc(tr.reads, func(q outerPos) bool { return q.rel == p.rel && q.idx == p.idx }) {
			tr.reads = append(tr.reads, p)
		}
	}
}

// noteVolatile marks the active traces: their runs are not repeatable.
func (env *Env) noteVolatile() {
	for _, tr := range env.traces {
		tr.volatile = true
	}
}

// volatileCall reports whether a call of ov may give different results
// for the same arguments within a statement or has side effects.
func volatileCall(ov *sem.FuncOverload) bool {
	if ov.Volatility == sem.Volatile {
		return true
	}
	n := ov.Name
	return strings.HasPrefix(n, "pg_sleep") || n == "set_config" || n == "setseed" ||
		strings.HasPrefix(n, "pg_advisory") || strings.HasPrefix(n, "pg_try_advisory") ||
		n == "pg_notify" || n == "pg_cancel_backend" || n == "pg_terminate_backend"
}

// memoKey encodes the values at the schema positions for a run of the
// subquery for row (about to be pushed at index len(env.outer)); ok is
// false when a position is out of range. The reads count for the
// enclosing traces.
func (env *Env) memoKey(m *subMemo, row Row, buf []byte) ([]byte, bool) {
	base := len(env.outer)
	for _, p := range m.schema {
		var r Row
		if p.rel == 0 {
			r = row
		} else {
			i := base - p.rel
			if i < 0 {
				return nil, false
			}
			r = env.outer[i]
			env.noteOuter(i, p.idx, p.t)
		}
		if p.idx >= len(r) {
			return nil, false
		}
		buf = appendDatumKey(buf, p.t, r[p.idx])
	}
	return buf, true
}

func memoBytes(rows []Row, key []byte) int64 {
	n := int64(len(key)) + 64
	for _, r := range rows {
		n += rowBytes(r)
	}
	return n
}

// memoRun runs correlated subquery e for row through its memo: run
// computes the result (rows, or for EXISTS whether there is one).
func (env *Env) memoRun(e *plan.Subquery, row Row, run func() ([]Row, bool, error)) ([]Row, bool, error) {
	if env.memo == nil {
		env.memo = map[*plan.Subquery]*subMemo{}
	}
	m := env.memo[e]
	if m == nil {
		m = &subMemo{entries: map[string]memoEntry{}}
		env.memo[e] = m
	}
	if m.off {
		return run()
	}
	if key, ok := env.memoKey(m, row, nil); ok {
		if ent, hit := m.entries[string(key)]; hit {
			return ent.rows, ent.exists, nil
		}
	}
	tr := &subTrace{base: len(env.outer)}
	env.traces = append(env.traces, tr)
	rows, exists, err := run()
	env.traces = env.traces[:len(env.traces)-1]
	if err != nil {
		return nil, false, err
	}
	if tr.volatile {
		m.off = true
		m.entries = nil
		env.noteVolatile() // the enclosing runs called it too
		return rows, exists, nil
	}
	grown := false
	for _, p := range tr.reads {
		if !slices.ContainsFunc(m.schema, func(q outerPos) bool { return q.rel == p.rel && q.idx == p.idx }) {
			m.schema = append(m.schema, p)
			grown = true
		}
	}
	if grown {
		env.memoUsed -= m.bytes()
		m.entries = map[string]memoEntry{}
	}
	key, ok := env.memoKey(m, row, nil)
	if !ok || len(m.entries) >= memoMaxEntries {
		return rows, exists, nil
	}
	n := memoBytes(rows, key)
	if env.memoUsed+n > memoMaxBytes || env.used+n > env.budget()/2 {
		return rows, exists, nil
	}
	if err := env.charge(n); err != nil {
		env.release(n)
		return rows, exists, nil
	}
	env.pinned += n
	env.memoUsed += n
	m.entries[string(key)] = memoEntry{rows: rows, exists: exists}
	return rows, exists, nil
}

// bytes is what m's entries were charged (approximately: keys are not
// kept apart).
func (m *subMemo) bytes() int64 {
	var n int64
	for k, e := range m.entries {
		n += memoBytes(e.rows, []byte(k))
	}
	return n
}
