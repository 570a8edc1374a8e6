package exec

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Row is one row.
type Row = []types.Datum

// ScanBatch is the number of keys a scan fetches per KV request.
const ScanBatch = 1000

// Env is one statement execution's state.
type Env struct {
	// Binder is the statement's binder (nil: none): CHECK constraints
	// bound at write time resolve user-defined functions through it.
	Binder  *plan.Binder
	Ctx     context.Context
	Txn     kvtxn.Txn
	DB      kvtxn.DB
	EvalCtx *sem.EvalContext
	Params  []types.Datum
	NodeID  uint32
	// Budget is the memory budget in bytes for materialised rows (0 = 256 MiB).
	Budget int64
	used   int64
	// WorkMem is the memory a sort buffers before it writes sorted runs to
	// temp files under TempDir (0 = DefaultWorkMem; "" = the OS temp
	// directory). Close removes the files.
	WorkMem int64
	TempDir string
	temps   []*os.File
	// SortStats counts the statement's sort spills (EXPLAIN ANALYZE).
	SortStats SortStats
	// pinned is usage kept for the whole statement (cached uncorrelated
	// subqueries and CTEs), not given back when a correlated subquery
	// evaluation releases what it used.
	pinned int64

	outer     []Row
	subq      map[int][]Row
	cte       map[*plan.CTE][]Row
	working   map[*plan.CTE][]Row
	checks    map[*catalog.Descriptor][]plan.Check // bound CHECK constraints
	generated map[*catalog.Descriptor][]plan.Expr  // bound generation expressions
	// RowsAffected counts rows written by Insert/Update/Delete.
	RowsAffected int64

	// memo holds the results of correlated subqueries by the outer
	// values they read, traces the runs being traced (submemo.go).
	memo     map[*plan.Subquery]*subMemo
	memoUsed int64
	traces   []*subTrace
}

func (e *Env) budget() int64 {
	if e.Budget == 0 {
		return 256 << 20
	}
	return e.Budget
}

// rowBytes estimates a materialised row's memory footprint.
func rowBytes(r Row) int64 {
	n := int64(16*len(r) + 48)
	for _, d := range r {
		switch d := d.(type) {
		case types.DString:
			n += int64(len(d))
		case types.DBytes:
			n += int64(len(d))
		}
	}
	return n
}

// account charges a materialised row against the budget.
func (e *Env) account(r Row) error { return e.charge(rowBytes(r)) }

// charge adds n bytes to the statement's usage; above the budget it fails
// with 53200.
func (e *Env) charge(n int64) error {
	e.used += n
	if e.used > e.budget() {
		return pgerr.New(pgerr.OutOfMemory, "out of memory: the statement exceeded its memory budget of %s", fmtBytes(e.budget()))
	}
	return nil
}

// release gives n bytes back (an operator's materialised rows are gone).
func (e *Env) release(n int64) {
	e.used -= n
	if e.used < 0 {
		e.used = 0
	}
}

// MemUsed is the statement's accounted memory in bytes.
func (e *Env) MemUsed() int64 { return e.used }

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (e *Env) checkCancel() error {
	if err := e.Ctx.Err(); err != nil {
		if errors.Is(context.Cause(e.Ctx), context.DeadlineExceeded) {
			return pgerr.New(pgerr.QueryCanceled, "canceling statement due to statement timeout")
		}
		return pgerr.New(pgerr.QueryCanceled, "canceling statement due to user request")
	}
	return nil
}

// Iter produces rows; Next returns nil at the end.
type Iter interface {
	Next() (Row, error)
}

// Collect runs a plan to completion.
func Collect(env *Env, n plan.Node) ([]Row, error) {
	it, err := Build(env, n)
	if err != nil {
		return nil, err
	}
	var out []Row
	for {
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return out, nil
		}
		out = append(out, r)
	}
}

func (e *Env) collectAccounted(n plan.Node) ([]Row, error) {
	it, err := Build(e, n)
	if err != nil {
		return nil, err
	}
	var out []Row
	for {
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return out, nil
		}
		if err := e.account(r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
}
