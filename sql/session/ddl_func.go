package session

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// createFunction stores CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql as
// a KindFunction descriptor named catalog.FunctionKey (one per overload)
// after binding its body as a call would.
func (d *ddl) createFunction(n *parser.CreateFunctionStmt) (string, error) {
	lang := strings.ToLower(n.Language)
	if n.Return != "" && lang == "" {
		lang = "sql"
	}
	switch lang {
	case "sql":
	case "":
		return "", pgerr.New(pgerr.InvalidFunctionDef, "no language specified")
	default:
		return "", pgerr.New(pgerr.FeatureNotSupported, "language %q is not supported (only LANGUAGE sql)", n.Language)
	}
	sch, err := d.typeSchema(n.Schema)
	if err != nil {
		return "", err
	}
	name := strings.ToLower(n.Name)
	f := &catalog.FuncDef{Name: name, Volatility: "volatile", Strict: n.Strict}
	if n.Volatility != "" {
		f.Volatility = n.Volatility
	}
	var argTypes []*types.T
	var outs []catalog.FuncArg
	for i, a := range n.Args {
		t, err := d.b.ResolveType(a.Type)
		if err != nil {
			return "", err
		}
		if a.Mode == "out" || a.Mode == "inout" {
			outs = append(outs, catalog.FuncArg{Name: a.Name, Type: t})
			if a.Mode == "out" {
				continue
			}
		}
		if a.Mode == "variadic" {
			if t.Family != types.ArrayFamily {
				return "", pgerr.New(pgerr.InvalidFunctionDef, "VARIADIC parameter must be an array")
			}
			if i != len(n.Args)-1 {
				return "", pgerr.New(pgerr.InvalidFunctionDef, "VARIADIC parameter must be the last input parameter")
			}
			f.Variadic = true
		}
		if a.Default != "" && (a.Mode == "out" || a.Mode == "variadic") {
			return "", pgerr.New(pgerr.InvalidFunctionDef, "only input parameters can have default values")
		}
		if a.Default == "" && len(f.Args) > 0 && f.Args[len(f.Args)-1].Default != "" {
			return "", pgerr.New(pgerr.InvalidFunctionDef, "input parameters after one with a default value must also have defaults")
		}
		f.Args = append(f.Args, catalog.FuncArg{Name: a.Name, Type: t, Default: a.Default})
		argTypes = append(argTypes, t)
	}
	f.Set = n.SetOf
	for _, c := range n.Table {
		t, err := d.b.ResolveType(c.Type)
		if err != nil {
			return "", err
		}
		outs = append(outs, catalog.FuncArg{Name: c.Name, Type: t})
	}
	switch {
	case len(outs) == 1 && len(n.Table) == 0:
		// one OUT parameter is the result type
		f.Return, f.OutName = outs[0].Type, outs[0].Name
		if n.Returns.Name != "" {
			rt, err := d.b.ResolveType(n.Returns)
			if err != nil {
				return "", err
			}
			if !rt.Equal(f.Return) {
				return "", pgerr.New(pgerr.InvalidFunctionDef, "function result type must be %s because of OUT parameters", f.Return.SQLName())
			}
		}
	case len(outs) > 0:
		f.OutCols, f.Return = outs, types.String
		if n.Returns.Name != "" && n.Returns.Name != "record" {
			return "", pgerr.New(pgerr.InvalidFunctionDef, "function result type must be record because of OUT parameters")
		}
	default:
		if f.Return, err = d.b.ResolveType(n.Returns); err != nil {
			return "", err
		}
	}
	switch {
	case n.Return != "":
		f.Body = "SELECT " + n.Return
	case n.Body != "":
		f.Body = n.Body
	default:
		return "", pgerr.New(pgerr.InvalidFunctionDef, "no function body specified")
	}
	if err := d.b.BindFunctionBody(f); err != nil {
		return "", err
	}
	key := catalog.FunctionKey(name, argTypes)
	old, err := d.coll.LookupID(d.ctx, d.b.DB, sch, key)
	if err != nil {
		return "", err
	}
	if old != 0 {
		od, err := d.coll.Get(d.ctx, old)
		if err != nil {
			return "", err
		}
		if od == nil || od.Kind != catalog.KindFunction || od.Func == nil {
			return "", pgerr.New(pgerr.DuplicateObject, "%q already exists", key)
		}
		if !n.OrReplace {
			return "", pgerr.New(pgerr.DuplicateFunction, "function %s already exists with same argument types", key)
		}
		if !od.Func.Return.Equal(f.Return) || od.Func.RowsResult() != f.RowsResult() {
			return "", pgerr.New(pgerr.InvalidFunctionDef, "cannot change return type of existing function")
		}
		nd := catalog.Mutable(od)
		nd.Func = f
		return "CREATE FUNCTION", d.coll.Write(d.ctx, nd)
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindFunction, Name: key, ParentID: d.b.DB, SchemaID: sch, Func: f}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "CREATE FUNCTION", d.coll.SetName(d.ctx, d.b.DB, sch, key, id)
}

// dropFunction drops function overloads: the one of the given argument
// types, or the only one of the name (42725 when there are several).
func (d *ddl) dropFunction(n *parser.DropFunctionStmt) (string, error) {
	for _, fr := range n.Funcs {
		name := strings.ToLower(fr.Name)
		cands, err := d.b.UserFuncs(fr.Schema, name)
		if err != nil {
			return "", err
		}
		var target *catalog.Descriptor
		if fr.HasArgs {
			var ts []*types.T
			for _, pt := range fr.Args {
				t, err := d.b.ResolveType(pt)
				if err != nil {
					return "", err
				}
				ts = append(ts, t)
			}
			key := catalog.FunctionKey(name, ts)
			for _, c := range cands {
				if c.Name == key {
					target = c
				}
			}
		} else if len(cands) > 1 {
			return "", pgerr.New(pgerr.AmbiguousFunction, "function name %q is not unique", name)
		} else if len(cands) == 1 {
			target = cands[0]
		}
		if target == nil {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("function %s() does not exist, skipping", name)))
				continue
			}
			return "", pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
		}
		if err := d.funcDependents(target, n.Cascade); err != nil {
			return "", err
		}
		if err := d.dropDesc(target); err != nil {
			return "", err
		}
	}
	return "DROP FUNCTION", nil
}

// funcDependents finds the column defaults, generation expressions, CHECK
// constraints and views of the database that call function fn (by name
// and argument count): 2BP01 when there are any, unless cascade, which
// drops the defaults, constraints and views (a generated column is not
// dropped: still an error).
func (d *ddl) funcDependents(fn *catalog.Descriptor, cascade bool) error {
	f := fn.Func
	argNames := make([]string, len(f.Args))
	for i, a := range f.Args {
		argNames[i] = a.Type.SQLName()
	}
	sig := fmt.Sprintf("%s(%s)", f.Name, strings.Join(argNames, ", "))
	calls := func(text string) bool {
		st, err := parser.ParseOne("SELECT " + text)
		if err != nil || st.AST == nil {
			return false
		}
		v := &callFinder{name: f.Name, nargs: len(f.Args)}
		st.AST.Accept(v)
		return v.found
	}
	schs, err := d.coll.ListNames(d.ctx, d.b.DB, 0)
	if err != nil {
		return err
	}
	var deps []string
	var changed []*catalog.Descriptor
	var views []*catalog.Descriptor
	for _, sn := range sortedKeys(schs) {
		names, err := d.coll.ListNames(d.ctx, d.b.DB, schs[sn])
		if err != nil {
			return err
		}
		for _, nm := range sortedKeys(names) {
			t, err := d.coll.Get(d.ctx, names[nm])
			if err != nil {
				return err
			}
			if t == nil {
				continue
			}
			switch t.Kind {
			case catalog.KindView:
				if st, err := parser.ParseOne(t.ViewQuery); err == nil && st.AST != nil {
					v := &callFinder{name: f.Name, nargs: len(f.Args)}
					st.AST.Accept(v)
					if v.found {
						deps = append(deps, fmt.Sprintf("view %s depends on function %s", t.Name, sig))
						views = append(views, t)
					}
				}
				continue
			case catalog.KindTable:
			default:
				continue
			}
			m := catalog.Mutable(t)
			hit := false
			for i := range m.Columns {
				c := &m.Columns[i]
				if c.Default != "" && calls(c.Default) {
					deps = append(deps, fmt.Sprintf("default value for column %s of table %s depends on function %s", c.Name, t.Name, sig))
					c.Default, hit = "", true
				}
				if c.Generated != "" && calls(c.Generated) {
					deps = append(deps, fmt.Sprintf("column %s of table %s depends on function %s", c.Name, t.Name, sig))
					if cascade {
						return pgerr.New(pgerr.FeatureNotSupported, "DROP FUNCTION ... CASCADE of a function a generated column uses is not supported")
					}
				}
			}
			kept := m.Checks[:0]
			for _, ck := range m.Checks {
				if calls(ck.Expr) {
					deps = append(deps, fmt.Sprintf("constraint %s on table %s depends on function %s", ck.Name, t.Name, sig))
					hit = true
					continue
				}
				kept = append(kept, ck)
			}
			m.Checks = kept
			if hit {
				changed = append(changed, m)
			}
		}
	}
	if len(deps) == 0 {
		return nil
	}
	if !cascade {
		return pgerr.New(pgerr.DependentObjects, "cannot drop function %s because other objects depend on it", sig)
	}
	msg := fmt.Sprintf("drop cascades to %d other objects", len(deps))
	if len(deps) == 1 {
		msg = "drop cascades to " + strings.Replace(deps[0], " depends on function "+sig, "", 1)
	}
	d.notices = append(d.notices, notice(msg))
	for _, m := range changed {
		if err := d.coll.Write(d.ctx, m); err != nil {
			return err
		}
	}
	for _, v := range views {
		if err := d.dropDesc(v); err != nil {
			return err
		}
	}
	return nil
}

// callFinder reports whether a tree calls the function name with nargs
// arguments.
type callFinder struct {
	name  string
	nargs int
	found bool
}

func (c *callFinder) Enter(n ast.Node) (ast.Node, bool) {
	if fc, ok := n.(*ast.FuncCallExpr); ok && fc.FnName.L == c.name && len(fc.Args) == c.nargs {
		c.found = true
	}
	return n, c.found
}

func (c *callFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }
