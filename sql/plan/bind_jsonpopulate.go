package plan

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// bindJSONPopulate binds json[b]_populate_record[set](NULL::t, x) in
// FROM: the output columns are table t's visible columns. Only a NULL
// base record is supported (its fields would be the defaults of the
// keys the document lacks), and the function only in FROM (in a select
// list it returns a composite value, which Tessera does not have).
func (b *Binder) bindJSONPopulate(fc *ast.FuncCallExpr, sc *scope, alias string) (Node, []Col, bool, error) {
	name := fc.FnName.L
	if len(fc.Args) != 2 {
		return nil, nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
	}
	cast, ok := fc.Args[0].(*ast.FuncCastExpr)
	if !ok {
		return nil, nil, true, pgerr.New(pgerr.FeatureNotSupported, "%s needs a base record written NULL::tablename", name)
	}
	pt, ok := b.Stmt.CastTypes[cast]
	if !ok || pt.Array || len(pt.Mods) > 0 {
		return nil, nil, true, pgerr.New(pgerr.FeatureNotSupported, "%s needs a base record written NULL::tablename", name)
	}
	inner, err := b.bindExpr(cast.Expr, sc)
	if err != nil {
		return nil, nil, true, err
	}
	if c, ok := inner.(*Const); !ok || !types.IsNull(c.D) {
		return nil, nil, true, pgerr.New(pgerr.FeatureNotSupported, "%s with a non-NULL base record is not supported", name)
	}
	schema, tname := "", pt.Name
	if i := strings.LastIndexByte(tname, '.'); i >= 0 {
		schema, tname = tname[:i], tname[i+1:]
	}
	d, err := b.ResolveTable(schema, tname)
	if err != nil {
		return nil, nil, true, err
	}
	if d == nil {
		return nil, nil, true, pgerr.New(pgerr.UndefinedObject, "type \"%s\" does not exist", pt.Name)
	}
	var out []sem.OutCol
	for _, c := range d.Columns {
		if !c.Hidden {
			out = append(out, sem.OutCol{Name: c.Name, T: c.Type})
		}
	}
	ov, err := sem.JSONPopulateRecord(name, out)
	if err != nil {
		return nil, nil, true, err
	}
	es, _, err := b.bindArgs(fc.Args[1:], sc)
	if err != nil {
		return nil, nil, true, err
	}
	arg, err := b.coerce(es[0], ov.Args[0])
	if err != nil {
		return nil, nil, true, err
	}
	g := &Generate{Ov: ov, Args: []Expr{arg}}
	for _, c := range out {
		g.Cols = append(g.Cols, Col{Name: c.Name, T: c.T, Table: alias})
	}
	return g, g.Cols, true, nil
}
