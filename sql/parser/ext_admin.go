package parser

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// This file holds the parsers of Tessera's cluster statements: ALTER
// TABLE|INDEX ... SPLIT AT / SCATTER, SHOW RANGES FROM INDEX, SET/SHOW
// CLUSTER SETTING and the AS OF SYSTEM TIME clause.

// indexName reads [schema.]table@index or [schema.]index.
func (c *cursor) indexName() (schema, table, index string, err error) {
	schema, name, err := c.qualName()
	if err != nil {
		return "", "", "", err
	}
	if c.acceptP("@") {
		index, err = c.name()
		return schema, name, index, err
	}
	return schema, "", name, nil
}

// rangeAdmin reads ALTER TABLE t SCATTER, ALTER INDEX [t@]i SCATTER and
// ALTER INDEX [t@]i SPLIT AT VALUES (...); handled is false for other
// ALTER statements (ALTER TABLE ... SPLIT AT is splitAt's).
func (c *cursor) rangeAdmin() (ExtStmt, bool, error) {
	save := c.i
	c.i++
	var sch, tbl, idx string
	var err error
	switch {
	case c.accept("table"):
		sch, tbl, err = c.qualName()
	case c.accept("index"):
		sch, tbl, idx, err = c.indexName()
	default:
		c.i = save
		return nil, false, nil
	}
	if err != nil {
		c.i = save
		return nil, false, nil
	}
	switch {
	case c.accept("scatter"):
		return &ScatterStmt{Schema: sch, Table: tbl, Index: idx}, true, c.end()
	case idx != "" && c.accept("split", "at"):
		s, err := c.splitValues(sch, tbl)
		if s != nil {
			s.Index = idx
		}
		return s, true, err
	}
	c.i = save
	return nil, false, nil
}

// splitValues reads VALUES (...)[, (...)] after SPLIT AT.
func (c *cursor) splitValues(sch, tbl string) (*SplitAtStmt, error) {
	if !c.accept("values") {
		return nil, c.errHere()
	}
	// parse the VALUES rows as INSERT ... VALUES to reuse the grammar
	f, err := parseFragment(c.sql, c.toks, c.i-1, c.b, "INSERT INTO t", c.st, false)
	if err != nil {
		return nil, err
	}
	ins, ok := f.(*ast.InsertStmt)
	if !ok {
		return nil, c.errHere()
	}
	return &SplitAtStmt{Schema: sch, Table: tbl, Rows: ins.Lists}, nil
}

// setClusterSetting reads name {=|TO} value|DEFAULT after SET CLUSTER
// SETTING.
func (c *cursor) setClusterSetting() (ExtStmt, error) {
	s := &SetClusterSettingStmt{}
	var err error
	if s.Name, err = c.varName(); err != nil {
		return nil, err
	}
	if !c.acceptP("=") && !c.accept("to") {
		return nil, c.errHere()
	}
	if c.accept("default") {
		s.Default = true
		return s, c.end()
	}
	t := c.peek()
	switch t.Kind {
	case pgdialect.String, pgdialect.Ident, pgdialect.Int, pgdialect.Num:
		s.Value = t.Val
		c.i++
	case pgdialect.Op:
		if (t.Val == "-" || t.Val == "+") && c.i+1 < c.b && (c.toks[c.i+1].Kind == pgdialect.Int || c.toks[c.i+1].Kind == pgdialect.Num) {
			s.Value = c.toks[c.i+1].Val
			if t.Val == "-" {
				s.Value = "-" + s.Value
			}
			c.i += 2
			break
		}
		return nil, c.errHere()
	default:
		return nil, c.errHere()
	}
	return s, c.end()
}

// exprUntilComma parses the expression from the cursor up to a ',' outside
// parentheses or the end of the statement.
func (c *cursor) exprUntilComma() (ast.ExprNode, error) {
	end, depth := c.i, 0
	for end < c.b && (depth > 0 || !c.toks[end].IsP(",")) {
		if c.toks[end].IsP("(") {
			depth++
		} else if c.toks[end].IsP(")") {
			depth--
		}
		end++
	}
	if end == c.i {
		return nil, c.errHere()
	}
	e, err := parseScalar(c.sql, c.toks, c.i, end, c.st)
	if err != nil {
		return nil, err
	}
	c.i = end
	return e, nil
}

// parseScalar parses toks[a:b] as one scalar expression.
func parseScalar(sql string, toks []pgdialect.Token, a, b int, st *Statement) (ast.ExprNode, error) {
	f, err := parseFragment(sql, toks, a, b, "SELECT", st, false)
	if err != nil {
		return nil, err
	}
	sel, ok := f.(*ast.SelectStmt)
	if !ok || len(sel.Fields.Fields) != 1 || sel.From != nil || sel.Where != nil || sel.Fields.Fields[0].Expr == nil {
		return nil, syntaxErrorAt(sql, toks[a].Pos, toks[a].Raw(sql))
	}
	return sel.Fields.Fields[0].Expr, nil
}

// asOfEnds are the words that end an AS OF SYSTEM TIME expression: the
// clauses that may follow FROM.
var asOfEnds = map[string]bool{"where": true, "group": true, "having": true, "window": true, "order": true,
	"limit": true, "offset": true, "fetch": true, "for": true, "union": true, "intersect": true, "except": true,
	"returning": true, "on": true}

// findAsOf locates AS OF SYSTEM TIME expr in toks[a:b]: the clause spans
// [at, end) and the expression [at+4, end); at is -1 when there is none.
// The clause must be outside parentheses (on the top-level statement).
func findAsOf(sql string, toks []pgdialect.Token, a, b int) (at, end int, err error) {
	depth := 0
	for i := a; i+3 < b; i++ {
		t := toks[i]
		if t.IsP("(") {
			depth++
			continue
		}
		if t.IsP(")") {
			depth--
			continue
		}
		if !t.Is("as") || !toks[i+1].Is("of") || !toks[i+2].Is("system") || !toks[i+3].Is("time") {
			continue
		}
		if depth != 0 {
			return -1, -1, errorAt(sql, t.Pos, CodeFeatureNotSupported, "AS OF SYSTEM TIME must be provided on a top-level statement")
		}
		j, d := i+4, 0
		for j < b {
			u := toks[j]
			if u.IsP("(") {
				d++
			} else if u.IsP(")") {
				if d == 0 {
					break
				}
				d--
			} else if d == 0 && (u.IsP(",") || (u.Kind == pgdialect.Ident && asOfEnds[u.Val])) {
				break
			}
			j++
		}
		if j == i+4 {
			if j >= b {
				return -1, -1, syntaxErrorAt(sql, len(sql), "")
			}
			return -1, -1, syntaxErrorAt(sql, toks[j].Pos, toks[j].Raw(sql))
		}
		return i, j, nil
	}
	return -1, -1, nil
}
