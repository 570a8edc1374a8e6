package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// Prepared is a parsed statement with its parameter and result types.
type Prepared struct {
	stmt   parser.Statement
	params []*types.T
	cols   []conn.Column
	// plan is the last plan bound for a query (plan.Reusable), valid for
	// executions whose planKey equals key (bindCached).
	plan plan.Node
	key  planKey
}

// planKey is what a cached plan depends on besides the parameter types
// (fixed per prepared statement): the schema generation it was bound at
// and the session state the binder reads.
type planKey struct {
	gen      int64
	db, sch  catalog.ID
	database string
	user     string
	loc      *time.Location
	path     string // search_path
}

// bindCached binds the query n of stmt, reusing the plan of the prepared
// statement executing now when it was bound at the same schema generation
// and session state. Only implicit transactions of current (not AS OF
// SYSTEM TIME) reads use the cache: in a block the collection may hold the
// block's own descriptor writes. Correct under DDL: any descriptor write
// bumps the generation, and a statement that assumed a stale generation
// fails its first read's check and is retried, re-binding (catalog
// package doc).
func (s *Session) bindCached(st *stmtCtx, b *plan.Binder, stmt *parser.Statement, n ast.ResultSetNode) (plan.Node, error) {
	return s.bindReusing(st, b, stmt, func() (plan.Node, error) { return b.BindQuery(n) }, plan.Reusable)
}

// bindDMLCached is bindCached for INSERT, UPDATE and DELETE: a prepared
// INSERT ... VALUES ($1, ...) or UPDATE ... WHERE pk = $1 reuses its plan
// (plan.ReusableWrite) under the same conditions.
func (s *Session) bindDMLCached(st *stmtCtx, b *plan.Binder, stmt *parser.Statement, n ast.StmtNode) (plan.Node, string, error) {
	var tagf string
	node, err := s.bindReusing(st, b, stmt, func() (plan.Node, error) {
		x, f, err := bindDML(b, n)
		tagf = f
		return x, err
	}, plan.ReusableWrite)
	if tagf == "" {
		tagf = dmlTag(n)
	}
	return node, tagf, err
}

// bindReusing returns the prepared statement's cached plan when its key
// matches, else binds (caching the plan when reusable says it may be and
// the binder read no clock: 'now' and friends fix the statement's time).
func (s *Session) bindReusing(st *stmtCtx, b *plan.Binder, stmt *parser.Statement, bind func() (plan.Node, error), reusable func(plan.Node) bool) (plan.Node, error) {
	p := s.curPrepared
	if p == nil || stmt != &p.stmt || s.inBlock || stmt.AsOf != nil || len(stmt.DataCTEs) > 0 {
		return bind()
	}
	if _, hist := s.historical(); hist {
		return bind()
	}
	gen, ok := st.coll.PlanGeneration()
	if !ok {
		return bind()
	}
	key := planKey{gen: gen, db: st.dbID, sch: st.sch, database: s.database, user: s.user, loc: s.loc, path: st.searchPath}
	if p.plan != nil && p.key == key {
		return p.plan, nil
	}
	node, err := bind()
	p.plan = nil
	if err == nil && reusable(node) && !b.ReadsClock {
		p.plan, p.key = node, key
	}
	return node, err
}

// ParamTypes are the parameter types.
func (p *Prepared) ParamTypes() []*types.T { return p.params }

// Columns are the result columns.
func (p *Prepared) Columns() []conn.Column { return p.cols }

// Prepare parses and binds one statement.
func (s *Session) Prepare(ctx context.Context, query string, paramTypes []types.OID) (conn.Prepared, error) {
	stmts, err := parser.Parse(query)
	if err != nil {
		return nil, parseError(err)
	}
	if len(stmts) > 1 {
		return nil, pgerr.New(pgerr.Syntax, "cannot insert multiple commands into a prepared statement")
	}
	p := &Prepared{}
	if len(stmts) == 0 {
		return p, nil
	}
	p.stmt = stmts[0]
	given := make([]*types.T, len(paramTypes))
	for i, oid := range paramTypes {
		if oid == 0 {
			continue
		}
		t, ok := types.FromOID(oid)
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", oid)
		}
		given[i] = t
	}
	if p.stmt.AST == nil {
		p.params = make([]*types.T, p.stmt.NumParams)
		for i := range p.params {
			p.params[i] = types.String
		}
		p.cols = adminColumns(p.stmt.Ext)
		if sh, ok := p.stmt.Ext.(*parser.ShowStmt); ok {
			name := strings.ToLower(sh.Name)
			if sh.All {
				p.cols = []conn.Column{{Name: "name", Type: types.String}, {Name: "setting", Type: types.String}}
			} else {
				if d, ok := varDisplay[name]; ok {
					name = d
				}
				p.cols = []conn.Column{{Name: name, Type: types.String}}
			}
		}
		return p, nil
	}
	bind := func(st *stmtCtx) error {
		if err := st.resolveDB(s.database); err != nil {
			return err
		}
		b := s.binder(st, &p.stmt, given)
		var node plan.Node
		var err error
		switch n := p.stmt.AST.(type) {
		case *ast.SelectStmt, *ast.SetOprStmt:
			node, err = b.BindQuery(n.(ast.ResultSetNode))
		case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
			node, _, err = bindDML(b, n)
			if err == nil && len(p.stmt.Returning) == 0 {
				node = nil
			}
		case *ast.ExplainStmt:
			p.cols = []conn.Column{{Name: "QUERY PLAN", Type: types.String}}
		}
		if err != nil {
			return err
		}
		p.params = b.FinishParams()
		if node != nil {
			p.cols = columnsOf(node.Columns())
		}
		return nil
	}
	var berr error
	if s.inBlock && s.txn != nil && !s.failed {
		st, err := s.newStmtCtx(ctx, s.txn)
		if err != nil {
			return nil, err
		}
		berr = bind(st)
	} else {
		berr = s.implicit(ctx, bind)
	}
	if berr != nil {
		return nil, berr
	}
	return p, nil
}

// Execute runs a prepared statement.
func (s *Session) Execute(ctx context.Context, cp conn.Prepared, params []types.Datum, w conn.ResultWriter, maxRows int) (string, conn.Portal, error) {
	p, ok := cp.(*Prepared)
	if !ok {
		return "", nil, pgerr.New(pgerr.Internal, "foreign prepared statement")
	}
	if p.stmt.AST == nil && p.stmt.Ext == nil {
		return "", nil, conn.ErrEmptyQuery
	}
	if len(params) != len(p.params) {
		return "", nil, pgerr.New(pgerr.Syntax, "bind message supplies %d parameters, but prepared statement requires %d", len(params), len(p.params))
	}
	s.curParamTypes, s.curPrepared = p.params, p
	res, err := s.run(ctx, &p.stmt, params)
	s.curParamTypes, s.curPrepared = nil, nil
	if err != nil {
		return "", nil, err
	}
	return (&portal{res: res}).Resume(ctx, w, maxRows)
}

type portal struct {
	res  *result
	pos  int
	sent bool
}

func (pt *portal) Resume(ctx context.Context, w conn.ResultWriter, maxRows int) (string, conn.Portal, error) {
	if !pt.sent {
		for _, n := range pt.res.notices {
			if err := w.Notice(n); err != nil {
				return "", nil, err
			}
		}
		pt.sent = true
	}
	rows := pt.res.rows[pt.pos:]
	if maxRows > 0 && len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			return "", nil, err
		}
	}
	pt.pos += len(rows)
	if pt.pos < len(pt.res.rows) {
		return "", pt, nil
	}
	return pt.res.tag, nil, nil
}

func (pt *portal) Close() {}

// explain prints the plan tree.
func (s *Session) explain(b *plan.Binder, env *exec.Env, n *ast.ExplainStmt) (*result, error) {
	var node plan.Node
	var err error
	switch x := n.Stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		node, err = b.BindQuery(x.(ast.ResultSetNode))
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		node, _, err = bindDML(b, x)
	default:
		return nil, pgerr.New(pgerr.FeatureNotSupported, "EXPLAIN of %T is not supported", x)
	}
	if err != nil {
		return nil, err
	}
	var lines []string
	plan.Explain(node, func(depth int, line string) {
		lines = append(lines, strings.Repeat("  ", depth)+line)
	})
	if n.Analyze {
		start := time.Now()
		rows, err := exec.Collect(env, node)
		if err != nil {
			return nil, err
		}
		n := int64(len(rows))
		if env.RowsAffected > 0 {
			n = env.RowsAffected
		}
		if st := env.SortStats; st.Spills > 0 {
			lines = append(lines, fmt.Sprintf("sort spilled to disk: %d sort(s), %d run(s), %d bytes written", st.Spills, st.Runs, st.Bytes))
		}
		lines = append(lines, fmt.Sprintf("rows: %d", n), fmt.Sprintf("execution time: %s", time.Since(start).Round(time.Microsecond)))
	}
	res := &result{cols: []conn.Column{{Name: "QUERY PLAN", Type: types.String}}, tag: "EXPLAIN"}
	for _, l := range lines {
		res.rows = append(res.rows, exec.Row{types.DString(l)})
	}
	return res, nil
}
