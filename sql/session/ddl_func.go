package session

import (
	"fmt"
	"strings"

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
	for _, a := range n.Args {
		t, err := d.b.ResolveType(a.Type)
		if err != nil {
			return "", err
		}
		f.Args = append(f.Args, catalog.FuncArg{Name: a.Name, Type: t})
		argTypes = append(argTypes, t)
	}
	if f.Return, err = d.b.ResolveType(n.Returns); err != nil {
		return "", err
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
		if !od.Func.Return.Equal(f.Return) {
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
		if err := d.dropDesc(target); err != nil {
			return "", err
		}
	}
	return "DROP FUNCTION", nil
}
