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
	name := strings.ToLower(n.FnName.L)
	cands, err := b.UserFuncs(n.Schema.O, name)
	if err != nil || len(cands) == 0 {
		return nil, false, err
	}
	es, ts, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, true, err
	}
	for _, d := range cands {
		f := d.Func
		if len(f.Args) != len(es) {
			continue
		}
		args := make([]Expr, len(es))
		fits := true
		for i, a := range f.Args {
			if !isUnknown(ts[i]) && !ts[i].Equal(a.Type) {
				if _, ok := sem.CastContextOf(ts[i], a.Type); !ok || !canImplicit(ts[i], a.Type) {
					fits = false
					break
				}
			}
			if args[i], err = b.coerce(es[i], a.Type); err != nil {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		body, err := b.bindFuncBody(f)
		if err != nil {
			return nil, true, err
		}
		return &UserFunc{Name: f.Name, Args: args, Body: body, Strict: f.Strict, Volatile: f.Volatility == "volatile"}, true, nil
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.SQLName()
		if isUnknown(t) {
			names[i] = "unknown"
		}
	}
	return nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(names, ", "))
}

// canImplicit: a value of type from may be passed where to is declared
// (an implicit cast, as function resolution allows).
func canImplicit(from, to *types.T) bool {
	c, ok := sem.CastContextOf(from, to)
	return ok && c == sem.CastImplicit
}

// argName is the column standing for parameter i (from 1) in a body.
func argName(i int) string { return "?arg " + strconv.Itoa(i) }

// bindFuncBody binds a function's body, SELECT expr, over its parameters
// ($n and the parameters' names) and casts it to the result type.
func (b *Binder) bindFuncBody(f *catalog.FuncDef) (Expr, error) {
	if b.funcDepth >= userFuncDepth {
		return nil, pgerr.New(pgerr.ProgramLimit, "function %s nests too deeply", f.Name)
	}
	text, err := paramsAsNames(f.Body)
	if err != nil {
		return nil, err
	}
	st, err := parser.ParseOne(text)
	if err != nil {
		return nil, err
	}
	sel, ok := st.AST.(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.Having != nil || sel.OrderBy != nil ||
		sel.Limit != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard != nil {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "only SQL functions whose body is SELECT of one expression are supported")
	}
	var cols []Col
	for i, a := range f.Args {
		cols = append(cols, Col{Name: argName(i + 1), T: a.Type})
	}
	for i, a := range f.Args {
		name := a.Name
		if name == "" {
			name = "?unnamed " + strconv.Itoa(i+1) // (keeps the row's layout)
		}
		cols = append(cols, Col{Name: name, T: a.Type})
	}
	sub := &Binder{Ctx: b.Ctx, Coll: b.Coll, DB: b.DB, Schema: b.Schema, TempSchema: b.TempSchema,
		SearchPath: b.SearchPath, Eval: b.Eval, Stmt: &st, funcDepth: b.funcDepth + 1}
	e, err := sub.bindExpr(sel.Fields.Fields[0].Expr, &scope{cols: cols, noAgg: "functions"})
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
	_, err := b.bindFuncBody(f)
	return err
}
