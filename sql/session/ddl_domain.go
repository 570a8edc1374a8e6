package session

import (
	"fmt"
	"slices"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
)

// alterDomain changes a domain and, as CREATE TABLE copied the domain's
// constraints to the columns declared with it (applyDomain), those
// columns' constraints too; ADD CONSTRAINT and SET NOT NULL first check
// the rows already stored, as PostgreSQL does.
func (d *ddl) alterDomain(n *parser.AlterDomainStmt) (string, error) {
	const tag = "ALTER DOMAIN"
	dom, err := d.b.LookupType(n.Name)
	if err != nil {
		return "", err
	}
	if dom == nil {
		return "", pgerr.New(pgerr.UndefinedObject, "type %q does not exist", n.Name)
	}
	if dom.Domain == nil {
		return "", pgerr.New(pgerr.WrongObjectType, "%q is not a domain", n.Name)
	}
	m := catalog.Mutable(dom)
	def := m.Domain
	find := func(name string) int {
		return slices.IndexFunc(def.Checks, func(c catalog.Check) bool { return c.Name == name })
	}
	// each table column declared with the domain
	type use struct {
		t   *catalog.Descriptor
		col int
	}
	var uses []use
	if err := d.eachTable(func(t *catalog.Descriptor) bool {
		for i, c := range t.Columns {
			if c.Domain == dom.ID {
				uses = append(uses, use{t, i})
			}
		}
		return true
	}); err != nil {
		return "", err
	}
	// violates reports whether a stored row of u's table makes cond (SQL
	// over the column) true.
	violates := func(u use, cond string) (bool, error) {
		sql := fmt.Sprintf("SELECT 1 FROM %s.%s WHERE %s LIMIT 1", pgdialect.QuoteIdent(d.schemaName(u.t.SchemaID)),
			pgdialect.QuoteIdent(u.t.Name), cond)
		node, err := d.b.BindStoredQuery(sql)
		if err != nil {
			return false, err
		}
		rows, err := exec.Collect(d.env, node)
		return len(rows) > 0, err
	}
	// update applies f to a mutable copy of every table using the domain
	update := func(f func(t *catalog.Descriptor, col int) error) error {
		done := map[catalog.ID]*catalog.Descriptor{}
		var order []*catalog.Descriptor
		for _, u := range uses {
			t, ok := done[u.t.ID]
			if !ok {
				t = catalog.Mutable(u.t)
				done[u.t.ID] = t
				order = append(order, t)
			}
			if err := f(t, u.col); err != nil {
				return err
			}
		}
		for _, t := range order {
			if err := d.coll.Write(d.ctx, t); err != nil {
				return err
			}
		}
		return nil
	}
	colCheck := func(ck catalog.Check, col string) (catalog.Check, error) {
		txt, err := valueAsColumn(ck.Expr, col)
		return catalog.Check{Name: ck.Name, Expr: txt, Domain: true}, err
	}
	// checkStored fails with 23514 if a stored value of a column of the
	// domain violates ck (ADD CONSTRAINT, VALIDATE CONSTRAINT).
	checkStored := func(ck catalog.Check) error {
		for _, u := range uses {
			cc, err := colCheck(ck, u.t.Columns[u.col].Name)
			if err != nil {
				return err
			}
			bad, err := violates(u, "NOT ("+cc.Expr+")")
			if err != nil {
				return err
			}
			if bad {
				return pgerr.New(pgerr.CheckViolation, "column %q of table %q contains values that violate the new constraint", u.t.Columns[u.col].Name, u.t.Name)
			}
		}
		return nil
	}
	switch n.Op {
	case "add check":
		if _, err := plan.BindDomainCheck(def.Base, n.Check.Expr, d.b.Eval); err != nil {
			return "", err
		}
		ck := catalog.Check{Name: n.Check.Name, Expr: n.Check.Expr, NotValid: n.NotValid}
		if ck.Name == "" {
			ck.Name = n.Name + "_check"
			for i := 1; find(ck.Name) >= 0; i++ {
				ck.Name = fmt.Sprintf("%s_check%d", n.Name, i)
			}
		} else if find(ck.Name) >= 0 {
			return "", pgerr.New(pgerr.DuplicateObject, "constraint %q for domain %q already exists", ck.Name, n.Name)
		}
		if !n.NotValid {
			if err := checkStored(ck); err != nil {
				return "", err
			}
		}
		def.Checks = append(def.Checks, ck)
		if err := update(func(t *catalog.Descriptor, col int) error {
			cc, err := colCheck(ck, t.Columns[col].Name)
			cc.NotValid = n.NotValid
			t.Checks = append(t.Checks, cc)
			return err
		}); err != nil {
			return "", err
		}
	case "drop constraint", "validate constraint", "rename constraint":
		k := find(n.Check.Name)
		if k < 0 {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("constraint %q of domain %q does not exist, skipping", n.Check.Name, n.Name)))
				return tag, nil
			}
			return "", pgerr.New(pgerr.UndefinedObject, "constraint %q of domain %q does not exist", n.Check.Name, n.Name)
		}
		ck := def.Checks[k]
		switch n.Op {
		case "drop constraint":
			def.Checks = slices.Delete(def.Checks, k, k+1)
		case "rename constraint":
			if find(n.NewName) >= 0 {
				return "", pgerr.New(pgerr.DuplicateObject, "constraint %q for domain %q already exists", n.NewName, n.Name)
			}
			def.Checks[k].Name = n.NewName
		case "validate constraint":
			if err := checkStored(ck); err != nil {
				return "", err
			}
			def.Checks[k].NotValid = false
		}
		if err := update(func(t *catalog.Descriptor, col int) error {
			cc, err := colCheck(ck, t.Columns[col].Name)
			if err != nil {
				return err
			}
			for i := 0; i < len(t.Checks); i++ {
				if c := t.Checks[i]; c.Domain && c.Name == ck.Name && c.Expr == cc.Expr {
					switch n.Op {
					case "drop constraint":
						t.Checks = slices.Delete(t.Checks, i, i+1)
						i--
					case "rename constraint":
						t.Checks[i].Name = n.NewName
					case "validate constraint":
						t.Checks[i].NotValid = false
					}
				}
			}
			return nil
		}); err != nil {
			return "", err
		}
	case "set default", "drop default":
		old := def.Default
		def.Default = n.Default
		if err := update(func(t *catalog.Descriptor, col int) error {
			if c := &t.Columns[col]; c.Default == old {
				c.Default = n.Default // a column's own DEFAULT stays
			}
			return nil
		}); err != nil {
			return "", err
		}
	case "set not null":
		for _, u := range uses {
			bad, err := violates(u, pgdialect.QuoteIdent(u.t.Columns[u.col].Name)+" IS NULL")
			if err != nil {
				return "", err
			}
			if bad {
				return "", pgerr.New(pgerr.NotNullViolation, "column %q of table %q contains null values", u.t.Columns[u.col].Name, u.t.Name)
			}
		}
		def.NotNull = true
		if err := update(func(t *catalog.Descriptor, col int) error {
			t.Columns[col].Nullable = false
			return nil
		}); err != nil {
			return "", err
		}
	case "drop not null":
		if def.NotNull {
			def.NotNull = false
			if err := update(func(t *catalog.Descriptor, col int) error {
				t.Columns[col].Nullable = true
				return nil
			}); err != nil {
				return "", err
			}
		}
	case "rename":
		taken, err := d.coll.LookupID(d.ctx, d.b.DB, dom.SchemaID, n.NewName)
		if err != nil {
			return "", err
		}
		if taken != 0 {
			return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", n.NewName)
		}
		if err := d.coll.RemoveName(d.ctx, dom.ParentID, dom.SchemaID, dom.Name); err != nil {
			return "", err
		}
		if err := d.coll.SetName(d.ctx, dom.ParentID, dom.SchemaID, n.NewName, dom.ID); err != nil {
			return "", err
		}
		m.Name = n.NewName
	}
	return tag, d.coll.Write(d.ctx, m)
}
