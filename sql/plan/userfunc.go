package plan

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// UserFunc calls a user-defined SQL function: Body is its expression over
// a row of the arguments (twice: by position, then again for the names),
// bound once per statement.
type UserFunc struct {
	Name   string
	Args   []Expr
	Body   Expr
	Strict bool
	// Volatile: declared VOLATILE (the default), evaluated per row and
	// never moved.
	Volatile bool
}

// Type implements Expr.
func (e *UserFunc) Type() *types.T { return e.Body.Type() }

// userFuncDepth bounds functions that call functions (recursion).
const userFuncDepth = 16

// UserFuncs finds the overloads of the user-defined function name in
// schema (or the first schema of the search path that has one), sorted
// by signature.
func (b *Binder) UserFuncs(schema, name string) ([]*catalog.Descriptor, error) {
	if b.Coll == nil {
		return nil, nil
	}
	var schs []catalog.ID
	switch {
	case schema != "":
		id, err := b.Coll.LookupID(b.Ctx, b.DB, 0, schema)
		if err != nil || id == 0 {
			return nil, err
		}
		schs = []catalog.ID{id}
	case b.SearchPath != nil:
		schs = b.SearchPath
	default:
		schs = []catalog.ID{b.Schema}
	}
	for _, sch := range schs {
		names, err := b.Coll.ListNames(b.Ctx, b.DB, sch)
		if err != nil {
			return nil, err
		}
		var keys []string
		for k := range names {
			if strings.HasPrefix(k, name+"(") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var out []*catalog.Descriptor
		for _, k := range keys {
			d, err := b.Coll.Get(b.Ctx, names[k])
			if err != nil {
				return nil, err
			}
			if d != nil && d.Kind == catalog.KindFunction && d.Func != nil {
				out = append(out, d)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// bindUserFunc binds a call of a user-defined function (ok=false: there
// is no function of that name).
func (b *Binder) bindUserFunc(n *ast.FuncCallExpr, sc *scope) (Expr, bool, error) {
	f, args, ok, err := b.matchUserFunc(n, sc)
	if !ok || err != nil {
		return nil, ok, err
	}
	if f.Set {
		return nil, true, pgerr.New(pgerr.FeatureNotSupported, "function %s returns a set (SETOF or TABLE): call it in FROM", f.Name)
	}
	if len(f.OutCols) > 0 {
		// OUT parameters: the one row as a record, from a subquery with
		// the arguments as its outer row
		before := b.outerRefs
		node, cols, _, err := b.bindFromUserFunc(n, &scope{parent: sc}, "", "")
		if err != nil {
			return nil, true, err
		}
		rc := &RowCtor{}
		for i, c := range cols {
			rc.Elems = append(rc.Elems, &ColRef{Idx: i, T: c.T})
		}
		proj := &Project{In: node, Exprs: []Expr{rc}, Cols: []Col{{Name: f.Name, T: types.Record}}}
		sq := &Subquery{Plan: Optimize(proj), Mode: SubScalar, T: types.Record, ID: b.nextSub, Correlated: b.outerRefs != before}
		b.nextSub++
		return sq, true, nil
	}
	body, err := b.bindFuncBody(f)
	if err != nil {
		return nil, true, err
	}
	return &UserFunc{Name: f.Name, Args: args, Body: body, Strict: f.Strict, Volatile: f.Volatility == "volatile"}, true, nil
}

// matchUserFunc finds the overload of a user-defined function that a call
// fits and binds its arguments, cast to the parameter types (the trailing
// ones gathered into an array for a VARIADIC parameter); ok=false when no
// user function has the name.
func (b *Binder) matchUserFunc(n *ast.FuncCallExpr, sc *scope) (*catalog.FuncDef, []Expr, bool, error) {
	name := strings.ToLower(n.FnName.L)
	cands, err := b.UserFuncs(n.Schema.O, name)
	if err != nil || len(cands) == 0 {
		return nil, nil, false, err
	}
	argNodes := n.Args
	spread := false // the call's last argument is VARIADIC arr
	if k := len(argNodes) - 1; k >= 0 {
		if fc, ok := argNodes[k].(*ast.FuncCallExpr); ok && fc.FnName.L == parser.FuncVariadic && len(fc.Args) == 1 {
			argNodes = append(append([]ast.ExprNode{}, argNodes[:k]...), fc.Args[0])
			spread = true
		}
	}
	named := hasNamed(argNodes)
	var es []Expr
	var ts []*types.T
	if !named {
		if es, ts, err = b.bindArgs(argNodes, sc); err != nil {
			return nil, nil, true, err
		}
	}
	fit := func(e Expr, t, to *types.T) (Expr, bool) {
		if !isUnknown(t) && !t.Equal(to) {
			if _, ok := sem.CastContextOf(t, to); !ok || !canImplicit(t, to) {
				return nil, false
			}
		}
		c, err := b.coerce(e, to)
		return c, err == nil
	}
	for _, d := range cands {
		f := d.Func
		es, ts := es, ts
		if named || (!f.Variadic && len(argNodes) < len(f.Args)) {
			// named arguments or parameters left to their defaults
			if f.Variadic || spread {
				continue
			}
			names := make([]string, len(f.Args))
			for i, a := range f.Args {
				names[i] = a.Name
			}
			placed, ok := placeNamed(argNodes, names, func(i int) bool { return f.Args[i].Default != "" })
			if !ok {
				continue
			}
			es, ts = make([]Expr, len(placed)), make([]*types.T, len(placed))
			for i, a := range placed {
				if a == nil {
					es[i], err = b.funcDefault(f, i)
				} else {
					es[i], err = b.bindExpr(a, sc)
				}
				if err != nil {
					return nil, nil, true, err
				}
				ts[i] = es[i].Type()
			}
		}
		nfixed := len(f.Args)
		if spread && (!f.Variadic || len(es) != len(f.Args)) {
			continue
		}
		if f.Variadic && !spread {
			nfixed--
			if len(es) <= nfixed {
				continue
			}
		} else if len(f.Args) != len(es) {
			continue
		}
		args := make([]Expr, 0, len(f.Args))
		fits := true
		for i := 0; i < nfixed && fits; i++ {
			var a Expr
			a, fits = fit(es[i], ts[i], f.Args[i].Type)
			args = append(args, a)
		}
		if fits && f.Variadic && !spread {
			at := f.Args[nfixed].Type
			arr := &ArrayCtor{T: at}
			for i := nfixed; i < len(es) && fits; i++ {
				var a Expr
				a, fits = fit(es[i], ts[i], at.Elem)
				arr.Elems = append(arr.Elems, a)
			}
			args = append(args, arr)
		}
		if fits {
			return f, args, true, nil
		}
	}
	if named {
		return nil, nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, namedSig(argNodes))
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.SQLName()
		if isUnknown(t) {
			names[i] = "unknown"
		}
	}
	return nil, nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(names, ", "))
}

// bindFromUserFunc binds a user-defined function called in FROM: its body
// query run once with the arguments as its parameters (an Apply over a
// one-row Values of them), its columns those of RETURNS TABLE or the OUT
// parameters, else one named after the function or alias. ok=false: no
// user function has the name.
func (b *Binder) bindFromUserFunc(fc *ast.FuncCallExpr, sc *scope, alias, colName string) (Node, []Col, bool, error) {
	f, args, ok, err := b.matchUserFunc(fc, sc)
	if !ok || err != nil {
		return nil, nil, ok, err
	}
	sub, rs, _, params, err := b.funcBodyQuery(f)
	if err != nil {
		return nil, nil, true, err
	}
	body, err := sub.bindQuery(rs, &scope{cols: params})
	if err != nil {
		return nil, nil, true, err
	}
	b.nextSub = sub.nextSub
	body = visibleOnly(body)
	want := f.OutCols
	if len(want) == 0 {
		if f.OutName != "" {
			colName = f.OutName
		}
		if colName == "" {
			colName = f.Name
		}
		want = []catalog.FuncArg{{Name: colName, Type: f.Return}}
	}
	got := body.Columns()
	if len(got) != len(want) {
		return nil, nil, true, pgerr.New(pgerr.InvalidFunctionDef, "return type mismatch in function declared to return %s", resultName(f))
	}
	proj := &Project{In: body}
	for i, w := range want {
		var e Expr = &ColRef{Idx: i, T: got[i].T}
		if isUnknown(got[i].T) {
			e, err = sub.coerce(e, w.Type)
		} else if !got[i].T.Equal(w.Type) {
			e, err = sub.assignCast(e, w.Type)
		}
		if err != nil {
			return nil, nil, true, pgerr.New(pgerr.InvalidFunctionDef, "return type mismatch in function declared to return %s", resultName(f))
		}
		proj.Exprs = append(proj.Exprs, e)
		proj.Cols = append(proj.Cols, Col{Name: w.Name, T: w.Type})
	}
	row := append(append([]Expr{}, args...), args...) // by position, then by name
	in := &Values{Rows: [][]Expr{row}, Cols: params}
	apply := &Apply{Kind: InnerJoin, L: in, R: proj}
	out := &Project{In: apply}
	for i, c := range proj.Cols {
		out.Exprs = append(out.Exprs, &ColRef{Idx: len(params) + i, T: c.T})
		out.Cols = append(out.Cols, Col{Name: c.Name, T: c.T, Table: alias})
	}
	if !f.Set {
		// a function returning one row (OUT parameters, a scalar): at most one
		return &Limit{In: out, Count: &Const{D: types.DInt(1), T: types.Int8}}, out.Cols, true, nil
	}
	return out, out.Cols, true, nil
}

func resultName(f *catalog.FuncDef) string {
	if len(f.OutCols) > 0 {
		return "record"
	}
	if f.Set {
		return "SETOF " + f.Return.SQLName()
	}
	return f.Return.SQLName()
}

// canImplicit: a value of type from may be passed where to is declared
// (an implicit cast, as function resolution allows).
func canImplicit(from, to *types.T) bool {
	c, ok := sem.CastContextOf(from, to)
	return ok && c == sem.CastImplicit
}

// argName is the column standing for parameter i (from 1) in a body.
func argName(i int) string { return "?arg " + strconv.Itoa(i) }

// funcBodyQuery parses a function's body for binding: a sub-binder over
// the function's parameters (params: $n columns, then the named ones),
// the body query, and its one expression when it is SELECT expr alone.
func (b *Binder) funcBodyQuery(f *catalog.FuncDef) (sub *Binder, rs ast.ResultSetNode, simple ast.ExprNode, params []Col, err error) {
	if b.funcDepth >= userFuncDepth {
		return nil, nil, nil, nil, pgerr.New(pgerr.ProgramLimit, "function %s nests too deeply", f.Name)
	}
	text, err := paramsAsNames(f.Body)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	st, err := parser.ParseOne(text)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rs, ok := st.AST.(ast.ResultSetNode)
	if !ok {
		return nil, nil, nil, nil, pgerr.New(pgerr.FeatureNotSupported, "only SQL functions whose body is a query are supported")
	}
	if sel, ok := rs.(*ast.SelectStmt); ok && sel.From == nil && sel.Where == nil && sel.GroupBy == nil && sel.Having == nil &&
		sel.OrderBy == nil && sel.Limit == nil && sel.Fields != nil && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].WildCard == nil &&
		sel.With == nil && !hasAggregate(sel.Fields.Fields[0].Expr) {
		simple = sel.Fields.Fields[0].Expr
	}
	for i, a := range f.Args {
		params = append(params, Col{Name: argName(i + 1), T: a.Type})
	}
	for i, a := range f.Args {
		name := a.Name
		if name == "" {
			name = "?unnamed " + strconv.Itoa(i+1) // (keeps the row's layout)
		}
		params = append(params, Col{Name: name, T: a.Type})
	}
	sub = &Binder{Ctx: b.Ctx, Coll: b.Coll, DB: b.DB, Schema: b.Schema, TempSchema: b.TempSchema,
		SearchPath: b.SearchPath, Eval: b.Eval, Stmt: &st, funcDepth: b.funcDepth + 1, nextSub: b.nextSub}
	return sub, rs, simple, params, nil
}

// bindFuncBody binds a scalar function's body over its parameters ($n and
// the parameters' names) and casts it to the result type: SELECT expr as
// that expression, another query as a scalar subquery run per call.
func (b *Binder) bindFuncBody(f *catalog.FuncDef) (Expr, error) {
	sub, rs, simple, params, err := b.funcBodyQuery(f)
	if err != nil {
		return nil, err
	}
	var e Expr
	if simple != nil {
		e, err = sub.bindExpr(simple, &scope{cols: params, noAgg: "functions"})
	} else {
		var sq Expr
		sq, err = sub.bindSubquery(&ast.SubqueryExpr{Query: rs}, &scope{cols: params}, SubScalar, nil, nil, false)
		if err == nil {
			sq.(*Subquery).Correlated = true // rerun per call: its arguments are its outer row
			e = sq
		} else if pgerr.Code(err) == pgerr.Syntax {
			err = pgerr.New(pgerr.InvalidFunctionDef, "return type mismatch in function declared to return %s", f.Return.SQLName())
		}
	}
	b.nextSub = sub.nextSub
	if err != nil {
		return nil, err
	}
	if isUnknown(e.Type()) {
		return sub.coerce(e, f.Return)
	}
	if !e.Type().Equal(f.Return) {
		if e, err = sub.assignCast(e, f.Return); err != nil {
			return nil, pgerr.New(pgerr.InvalidFunctionDef, "return type mismatch in function declared to return %s", f.Return.SQLName())
		}
	}
	return e, nil
}

// paramsAsNames rewrites $n in a function body to the name of the
// column standing for parameter n.
func paramsAsNames(body string) (string, error) {
	toks, err := pgdialect.Lex(body)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	at := 0
	for _, t := range toks {
		if t.Kind == pgdialect.Param {
			sb.WriteString(body[at:t.Pos])
			sb.WriteString(pgdialect.QuoteIdent(argName(t.N)))
			at = t.End
		}
	}
	sb.WriteString(body[at:])
	return strings.TrimRight(strings.TrimSpace(sb.String()), ";"), nil
}

// BindFunctionBody checks a new function's body as a call would bind it
// (CREATE FUNCTION validates its body, as PostgreSQL does).
func (b *Binder) BindFunctionBody(f *catalog.FuncDef) error {
	if f.RowsResult() {
		sub, rs, _, params, err := b.funcBodyQuery(f)
		if err != nil {
			return err
		}
		n, err := sub.bindQuery(rs, &scope{cols: params})
		if err != nil {
			return err
		}
		want := max(len(f.OutCols), 1)
		if len(visibleOnly(n).Columns()) != want {
			return pgerr.New(pgerr.InvalidFunctionDef, "return type mismatch in function declared to return %s", resultName(f))
		}
		return nil
	}
	_, err := b.bindFuncBody(f)
	return err
}

// funcDefault binds the DEFAULT value of f's parameter i, cast to its
// type.
func (b *Binder) funcDefault(f *catalog.FuncDef, i int) (Expr, error) {
	st, err := parser.ParseOne("SELECT " + f.Args[i].Default)
	if err != nil {
		return nil, err
	}
	sel, ok := st.AST.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, pgerr.New(pgerr.Internal, "bad default for parameter %d of function %s", i+1, f.Name)
	}
	saved := b.Stmt
	b.Stmt = &st
	e, err := b.bindExpr(sel.Fields.Fields[0].Expr, &scope{noAgg: "DEFAULT expressions"})
	b.Stmt = saved
	if err != nil {
		return nil, err
	}
	return b.coerce(e, f.Args[i].Type)
}
