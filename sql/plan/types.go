package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// ResolveType is the type a declaration or cast names: a built-in type,
// else a user-defined (enum) type of the current schema; a domain is its
// base type (ResolveTypeDomain tells it apart).
func (b *Binder) ResolveType(pt parser.PGType) (*types.T, error) {
	t, _, err := b.ResolveTypeDomain(pt)
	return t, err
}

// ResolveTypeDomain is ResolveType, and the domain's descriptor when pt
// names a domain.
func (b *Binder) ResolveTypeDomain(pt parser.PGType) (*types.T, *catalog.Descriptor, error) {
	t, err := types.FromPG(pt)
	if err == nil || b.Coll == nil {
		return t, nil, err
	}
	if te, ok := err.(*types.Error); !ok || te.Code != types.CodeUndefinedObject {
		return nil, nil, err
	}
	d, lerr := b.LookupType(pt.Name)
	if lerr != nil {
		return nil, nil, lerr
	}
	if d == nil {
		return nil, nil, err
	}
	if len(pt.Mods) > 0 {
		return nil, nil, pgerr.New(pgerr.Syntax, "type modifier is not allowed for type %q", d.Name)
	}
	if d.Domain != nil {
		if pt.Array {
			return nil, nil, pgerr.New(pgerr.FeatureNotSupported, "arrays of domain %s are not supported", d.Name)
		}
		return d.Domain.Base, d, nil
	}
	t = d.EnumType()
	if d.Composite != nil {
		t = d.CompositeType()
	}
	if pt.Array {
		at, err := types.MakeArray(t)
		return at, nil, err
	}
	return t, nil, nil
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
