package exec

import (
	"context"

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
	Ctx     context.Context
	Txn     kvtxn.Txn
	DB      kvtxn.DB
	EvalCtx *sem.EvalContext
	Params  []types.Datum
	NodeID  uint32
	// Budget is the memory budget in bytes for materialised rows (0 = 256 MiB).
	Budget int64
	used   int64

	outer   []Row
	subq    map[int][]Row
	cte     map[*plan.CTE][]Row
	working map[*plan.CTE][]Row
	checks  map[*catalog.Descriptor][]plan.Check // bound CHECK constraints
	// RowsAffected counts rows written by Insert/Update/Delete.
	RowsAffected int64
}

func (e *Env) budget() int64 {
	if e.Budget == 0 {
		return 256 << 20
	}
	return e.Budget
}

// account charges a materialised row against the budget.
func (e *Env) account(r Row) error {
	e.used += int64(16*len(r) + 48)
	for _, d := range r {
		switch d := d.(type) {
		case types.DString:
			e.used += int64(len(d))
		case types.DBytes:
			e.used += int64(len(d))
		}
	}
	if e.used > e.budget() {
		return pgerr.New(pgerr.OutOfMemory, "statement exceeded its memory budget of %d bytes", e.budget())
	}
	return nil
}

func (e *Env) checkCancel() error {
	if err := e.Ctx.Err(); err != nil {
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
