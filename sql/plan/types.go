package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// ResolveType is the type a declaration or cast names: a built-in type,
// else a user-defined (enum) type of the current schema.
func (b *Binder) ResolveType(pt parser.PGType) (*types.T, error) {
	t, err := types.FromPG(pt)
	if err == nil || b.Coll == nil {
		return t, err
	}
	if te, ok := err.(*types.Error); !ok || te.Code != types.CodeUndefinedObject {
		return nil, err
	}
	d, lerr := b.LookupType(pt.Name)
	if lerr != nil {
		return nil, lerr
	}
	if d == nil {
		return nil, err
	}
	if len(pt.Mods) > 0 {
		return nil, pgerr.New(pgerr.Syntax, "type modifier is not allowed for type %q", d.Name)
	}
	if pt.Array {
		return types.MakeArray(d.EnumType())
	}
	return d.EnumType(), nil
}

// LookupType finds the user-defined type name in the search path (nil if
// there is none).
func (b *Binder) LookupType(name string) (*catalog.Descriptor, error) {
	path := b.SearchPath
	if path == nil {
		path = []catalog.ID{b.Schema}
	}
	for _, sch := range path {
		id, err := b.Coll.LookupID(b.Ctx, b.DB, sch, name)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			continue
		}
		d, err := b.Coll.Get(b.Ctx, id)
		if err != nil {
			return nil, err
		}
		if d != nil && d.Kind == catalog.KindType {
			return d, nil
		}
	}
	return nil, nil
}
