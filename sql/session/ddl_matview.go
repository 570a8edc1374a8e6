package session

import (
	"fmt"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// Materialized views are tables (catalog.Descriptor.MatView) that keep
// their query's text and are rewritten from it by REFRESH.

func (d *ddl) matView(n *parser.MatViewStmt) (string, error) {
	switch n.Op {
	case "create":
		return d.createMatView(n)
	case "refresh":
		return d.refreshMatView(n)
	}
	return d.dropMatViews(n)
}

func (d *ddl) createMatView(n *parser.MatViewStmt) (string, error) {
	sch, name := n.Names[0][0], n.Names[0][1]
	schema := d.b.Schema
	if sch != "" {
		id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, sch)
		if err != nil {
			return "", err
		}
		if id == 0 {
			return "", pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", sch)
		}
		schema = id
	} else if d.b.SearchPath != nil && len(d.b.SearchPath) > 0 {
		schema = d.b.SearchPath[0]
	}
	if skip, err := d.newRelationName(schema, name, n.IfNot); err != nil {
		return "", err
	} else if skip {
		return "CREATE MATERIALIZED VIEW", nil
	}
	node, err := d.b.BindStoredQuery(n.Query)
	if err != nil {
		return "", err
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindTable, Name: name, ParentID: d.b.DB, SchemaID: schema, NextIndexID: 2,
		MatView: true, Unpopulated: n.NoData, ViewQuery: n.Query}
	count, err := d.tableFromQuery(desc, node, n.Columns, !n.NoData)
	if err != nil {
		return "", err
	}
	if n.NoData {
		return "CREATE MATERIALIZED VIEW", nil
	}
	return fmt.Sprintf("SELECT %d", count), nil
}

// matViewDesc resolves a materialized view: 42P01 when absent, 42809 when
// the name is another kind of relation.
func (d *ddl) matViewDesc(sch, name string) (*catalog.Descriptor, error) {
	t, err := d.b.ResolveTable(sch, name)
	if err != nil {
		return nil, err
	}
	if t == nil || t.Kind == catalog.KindType || t.Kind == catalog.KindFunction {
		return nil, nil
	}
	if t.Kind != catalog.KindTable || !t.MatView {
		return nil, pgerr.New(pgerr.WrongObjectType, "%q is not a materialized view", t.Name)
	}
	return t, nil
}

func (d *ddl) refreshMatView(n *parser.MatViewStmt) (string, error) {
	t, err := d.matViewDesc(n.Names[0][0], n.Names[0][1])
	if err != nil {
		if pgerr.Code(err) == pgerr.WrongObjectType {
			return "", pgerr.New(pgerr.FeatureNotSupported, "%s", err.Error()) // PostgreSQL's code here
		}
		return "", err
	}
	if t == nil {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Names[0][1])
	}
	if n.Concurrently {
		if n.NoData {
			return "", pgerr.New(pgerr.FeatureNotSupported, "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together")
		}
		if t.Unpopulated {
			return "", pgerr.New("0A000", "CONCURRENTLY cannot be used when the materialized view is not populated")
		}
		unique := false
		for _, ix := range t.Indexes {
			if ix.Unique && ix.Predicate == "" {
				unique = true
			}
		}
		if !unique {
			return "", pgerr.New("55000", "cannot refresh materialized view \"%s.%s\" concurrently", d.schemaName(t.SchemaID), t.Name)
		}
	}
	var rows []exec.Row
	var visible []int
	if !n.NoData {
		node, err := d.b.BindStoredQuery(t.ViewQuery)
		if err != nil {
			return "", err
		}
		for i, c := range node.Columns() {
			if !c.Hidden {
				visible = append(visible, i)
			}
		}
		if rows, err = exec.Collect(d.env, node); err != nil {
			return "", err
		}
	}
	p := catalog.TablePrefix(t.ID)
	if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
		return "", err
	}
	if t.Unpopulated != n.NoData {
		m := catalog.Mutable(t)
		m.Unpopulated = n.NoData
		if err := d.coll.Write(d.ctx, m); err != nil {
			return "", err
		}
		t = m
	}
	if err := d.writeQueryRows(t, visible, rows); err != nil {
		return "", err
	}
	return "REFRESH MATERIALIZED VIEW", nil
}

func (d *ddl) dropMatViews(n *parser.MatViewStmt) (string, error) {
	for _, nm := range n.Names {
		t, err := d.matViewDesc(nm[0], nm[1])
		if err != nil {
			return "", err
		}
		if t == nil {
			if n.IfNot {
				d.notices = append(d.notices, notice(fmt.Sprintf("materialized view %q does not exist, skipping", nm[1])))
				continue
			}
			return "", pgerr.New(pgerr.UndefinedTable, "materialized view %q does not exist", nm[1])
		}
		if err := d.dropDesc(t); err != nil {
			return "", err
		}
	}
	return "DROP MATERIALIZED VIEW", nil
}
