package session

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// Expression and partial indexes. An index key expression (CREATE INDEX
// ON t (lower(email))) and a partial index's predicate (CREATE INDEX ...
// WHERE deleted_at IS NULL) are each a hidden stored generated column of
// the table: writers compute it with the row like any generated column,
// the index holds the expression's column as a key column, and a partial
// index has entries only for the rows whose predicate column is true
// (catalog.Index.Where; so only those rows take part in a UNIQUE check).
// CREATE INDEX fills the new columns of the existing rows in its own
// transaction, before the index is built. A partial index is never read
// (catalog.Index.Partial); an expression index is used for the query
// expressions that are the same expression (plan: matchIndexExprs).

// addIndexColumn appends to desc the hidden generated column of index
// ixID's key expression or (predicate) WHERE and returns its ID. text is
// the expression's original text (parser.IndexExtras), e its tree.
func (d *ddl) addIndexColumn(desc *catalog.Descriptor, ixID catalog.IndexID, text string, e ast.ExprNode, predicate bool) (catalog.ColumnID, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		var err error
		if text, err = plan.RestoreExpr(e); err != nil {
			return 0, err
		}
	}
	t, err := plan.IndexExprType(desc, text, predicate, d.b.Eval)
	if err != nil {
		return 0, err
	}
	desc.NextColumnID++
	// unique in the cluster: the binder matches expressions to these
	// names under a table's alias
	name := fmt.Sprintf("tessera_t%d_index%d_expr%d", desc.ID, ixID, desc.NextColumnID)
	if predicate {
		name = fmt.Sprintf("tessera_t%d_index%d_where", desc.ID, ixID)
	}
	desc.Columns = append(desc.Columns, catalog.Column{ID: desc.NextColumnID, Name: name, Type: t, Nullable: true, Hidden: true, Generated: text})
	return desc.NextColumnID, nil
}

// fillIndexColumns writes the rows of before (desc without the columns
// addIndexColumn appended) again with those columns computed.
func (d *ddl) fillIndexColumns(before, desc *catalog.Descriptor) error {
	n := len(before.Columns)
	if len(desc.Columns) == n {
		return nil
	}
	gen, err := plan.BindGenerated(desc, d.b.Eval)
	if err != nil {
		return err
	}
	rc := catalog.NewRowCodec(desc)
	return d.scanAll(before, func(row exec.Row) error {
		nr := make(exec.Row, len(desc.Columns))
		copy(nr, row)
		for i := n; i < len(nr); i++ {
			nr[i] = types.Null
		}
		for i := n; i < len(nr); i++ {
			v, err := d.env.Eval(gen[i], nr)
			if err != nil {
				return err
			}
			nr[i] = v
		}
		return d.putRow(rc, nr)
	})
}

// columnRefs returns the spans of text (a stored expression) that name
// column name: identifiers that are not function names, type names after
// ::, or qualifiers before a dot.
func columnRefs(text, name string) [][2]int {
	toks, err := pgdialect.Lex(text)
	if err != nil {
		return nil
	}
	var out [][2]int
	for i, t := range toks {
		if (t.Kind != pgdialect.Ident && t.Kind != pgdialect.QIdent) || t.Val != name {
			continue
		}
		if i+1 < len(toks) && (toks[i+1].IsP("(") || toks[i+1].IsP(".")) {
			continue
		}
		if i > 0 && toks[i-1].IsP("::") {
			continue
		}
		out = append(out, [2]int{t.Pos, t.End})
	}
	return out
}

// renameInExpr renames column old to new in a stored expression.
func renameInExpr(text, old, new string) string {
	refs := columnRefs(text, old)
	for i := len(refs) - 1; i >= 0; i-- {
		text = text[:refs[i][0]] + pgdialect.QuoteIdent(new) + text[refs[i][1]:]
	}
	return text
}

// renameColumnRefs follows ALTER TABLE ... RENAME COLUMN in desc's stored
// expressions: CHECK constraints, generated columns (expression index
// keys among them) and partial index predicates.
func renameColumnRefs(desc *catalog.Descriptor, old, new string) {
	for i := range desc.Checks {
		desc.Checks[i].Expr = renameInExpr(desc.Checks[i].Expr, old, new)
	}
	for i := range desc.Columns {
		if g := desc.Columns[i].Generated; g != "" {
			desc.Columns[i].Generated = renameInExpr(g, old, new)
		}
	}
	for i := range desc.Indexes {
		if p := desc.Indexes[i].Predicate; p != "" {
			desc.Indexes[i].Predicate = renameInExpr(p, old, new)
		}
	}
}

// dropColumnDeps removes what depends on column name before ALTER TABLE
// ... DROP COLUMN removes it, as PostgreSQL does: the CHECK constraints
// and the expression or partial indexes (with their hidden columns) that
// use it. A generated column that uses it is an error (2BP01). delIndex
// deletes an index's entries.
func dropColumnDeps(desc *catalog.Descriptor, name string, delIndex func(catalog.IndexID) error) error {
	var checks []catalog.Check
	for _, c := range desc.Checks {
		if len(columnRefs(c.Expr, name)) == 0 {
			checks = append(checks, c)
		}
	}
	desc.Checks = checks
	doomed := map[catalog.ColumnID]bool{}
	for _, c := range desc.Columns {
		if c.Generated == "" || c.Name == name || len(columnRefs(c.Generated, name)) == 0 {
			continue
		}
		if !c.Hidden {
			return pgerr.New(pgerr.DependentObjects, "cannot drop column %s of table %s because other objects depend on it", name, desc.Name)
		}
		doomed[c.ID] = true
	}
	if len(doomed) == 0 {
		return nil
	}
	var keep []catalog.Index
	for _, ix := range desc.Indexes {
		uses := doomed[ix.Where]
		for _, id := range ix.ColumnIDs {
			uses = uses || doomed[id]
		}
		if !uses {
			keep = append(keep, ix)
			continue
		}
		if err := delIndex(ix.ID); err != nil {
			return err
		}
	}
	desc.Indexes = keep
	dropUnusedIndexColumns(desc)
	return nil
}

// dropUnusedIndexColumns removes the hidden generated columns of
// expression and partial indexes that no index uses any more (after DROP
// INDEX). Their stored values stay in the rows, unread, like a dropped
// column's.
func dropUnusedIndexColumns(desc *catalog.Descriptor) {
	used := map[catalog.ColumnID]bool{}
	for _, ix := range desc.Indexes {
		used[ix.Where] = true
		for _, id := range ix.ColumnIDs {
			used[id] = true
		}
	}
	cols := desc.Columns[:0:0]
	for _, c := range desc.Columns {
		if c.Hidden && c.Generated != "" && !used[c.ID] {
			continue
		}
		cols = append(cols, c)
	}
	desc.Columns = cols
}

// renameIndex is ALTER INDEX [IF EXISTS] name RENAME TO new: a secondary
// index or a primary key's index of a table in the current schema (the
// constraint that an index backs has the index's name, so it follows).
func (d *ddl) renameIndex(n *parser.RenameIndexStmt) (string, error) {
	names, err := d.coll.ListNames(d.ctx, d.b.DB, d.b.Schema)
	if err != nil {
		return "", err
	}
	for _, tid := range names {
		t, err := d.coll.Get(d.ctx, tid)
		if err != nil {
			return "", err
		}
		if t == nil || t.Kind != catalog.KindTable {
			continue
		}
		i := t.IndexByName(n.Name)
		if i < 0 && t.Primary.Name != n.Name {
			continue
		}
		if n.NewName == n.Name {
			return "ALTER INDEX", nil
		}
		if taken, err := d.indexNameTaken(t.SchemaID, n.NewName); err != nil {
			return "", err
		} else if taken {
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", n.NewName)
		}
		desc := catalog.Mutable(t)
		if i >= 0 {
			desc.Indexes[i].Name = n.NewName
		} else {
			desc.Primary.Name = n.NewName
		}
		return "ALTER INDEX", d.coll.Write(d.ctx, desc)
	}
	if n.IfExists {
		d.notices = append(d.notices, notice(fmt.Sprintf("relation %q does not exist, skipping", n.Name)))
		return "ALTER INDEX", nil
	}
	return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name)
}
