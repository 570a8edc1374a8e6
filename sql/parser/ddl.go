package parser

import (
	"slices"
	"strings"

	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// IndexExtras are the parts of CREATE INDEX the TiDB tree cannot hold.
type IndexExtras struct {
	// Concurrently is CREATE INDEX CONCURRENTLY (build without blocking
	// writes; Tessera builds indexes online anyway).
	Concurrently bool
	// Method is the access method of USING method ("btree" when omitted).
	Method string
	// GeneratedName is set when the statement named no index and the name
	// in the tree was chosen by PostgreSQL's rule: table_col1_col2_idx
	// (expressions named after their function, else "expr"), truncated to
	// 63 bytes. A catalog that already holds that name must append a
	// number as PostgreSQL does (t_a_idx1 ...).
	GeneratedName bool
	// Include are the INCLUDE (cols) columns stored in the index.
	Include []string
	// Exprs holds, per key part, an expression's original text ("" for a
	// column); Where the WHERE predicate's ("" for none). The tree's
	// copies lose PostgreSQL's casts.
	Exprs []string `json:",omitempty"`
	Where string   `json:",omitempty"`
}

// ddlRewrite prepares CREATE TABLE / CREATE INDEX / ALTER TABLE for the
// grammar: it drops the clauses accepted and ignored (storage parameters,
// TABLESPACE, operator classes, DEFERRABLE ...; each leaves a notice), names
// unnamed indexes, and rewrites identity columns. It fills w's Skip and
// Insert maps.
func ddlRewrite(sql string, toks []pgdialect.Token, a, b int, st *Statement, w *pgdialect.Rewriter) error {
	first := toks[a]
	if !first.Is("create") && !first.Is("alter") {
		return nil
	}
	i := a + 1
	if toks[i].Is("unique") {
		i++
	}
	if first.Is("create") && toks[i].Is("index") {
		return indexRewrite(sql, toks, i+1, b, st, w)
	}
	if !hasWord(toks, a, b, "table") {
		return nil
	}
	skip := func(from, to int, notice string) {
		w.Skip = setSkip(w.Skip, from, to)
		if notice != "" {
			st.addNotice(notice)
		}
	}
	for j := a; j < b; j++ {
		t := toks[j]
		switch {
		case t.Is("with") && toks[j+1].IsP("(") && j > a && toks[j-1].IsP(")"):
			end := matchParen(toks, j+1, b)
			if end < 0 {
				return nil
			}
			skip(j, end+1, "storage parameters are ignored")
			j = end
		case (t.Is("with") || t.Is("without")) && toks[j+1].Is("oids"):
			skip(j, j+2, "")
		case t.Is("using") && toks[j+1].Is("index") && toks[j+2].Is("tablespace"):
			skip(j, j+4, "TABLESPACE is ignored")
			j += 3
		case t.Is("tablespace"):
			skip(j, j+2, "TABLESPACE is ignored")
			j++
		case t.Is("constraint") && j > a && !toks[j-1].IsP("(") && !toks[j-1].IsP(",") && !toks[j-1].Is("add") && !toks[j-1].Is("drop") && (toks[j+1].Kind == pgdialect.Ident || toks[j+1].Kind == pgdialect.QIdent):
			// a named column constraint: the grammar takes no name there
			if toks[j+2].Is("references") {
				// kept for the foreign key (ColumnFKNames)
				skip(j, j+2, "")
			} else {
				skip(j, j+2, "names of column constraints are ignored")
			}
			j++
		case t.Is("references") && j > a && !(toks[j-1].IsP(")") && isForeignKeyCols(toks, a, j-1)):
			// a column's REFERENCES: its name, if CONSTRAINT name precedes
			name := ""
			if j-2 > a && toks[j-2].Is("constraint") {
				name = toks[j-1].Val
			}
			st.ColumnFKNames = append(st.ColumnFKNames, name)
		case t.Is("not") && toks[j+1].Is("deferrable"):
			skip(j, j+2, "")
			j++
		case t.Is("deferrable"):
			skip(j, j+1, "DEFERRABLE constraints are checked immediately")
		case t.Is("initially") && (toks[j+1].Is("deferred") || toks[j+1].Is("immediate")):
			skip(j, j+2, "")
			j++
		case t.Is("generated") && (toks[j+1].Is("always") || toks[j+1].Is("by")):
			k := j + 2
			kind := "always"
			if toks[j+1].Is("by") {
				if !toks[k].Is("default") {
					continue
				}
				kind = "by default"
				k++
			}
			if !toks[k].Is("as") || !toks[k+1].Is("identity") {
				continue
			}
			end := k + 2
			if toks[end].IsP("(") {
				if e := matchParen(toks, end, b); e > 0 {
					end = e + 1
				}
			}
			w.Skip = setSkip(w.Skip, j, end)
			w.Insert = setInsert(w.Insert, end, "AUTO_INCREMENT")
			w.R.Identity = append(w.R.Identity, kind)
			j = end - 1
		}
	}
	return nil
}

// indexRewrite handles CREATE [UNIQUE] INDEX from toks[i] (after INDEX).
func indexRewrite(sql string, toks []pgdialect.Token, i, b int, st *Statement, w *pgdialect.Rewriter) error {
	ix := &IndexExtras{Method: "btree"}
	st.Index = ix
	if toks[i].Is("concurrently") {
		ix.Concurrently = true
		w.Skip = setSkip(w.Skip, i, i+1)
		i++
	}
	if toks[i].Is("if") && toks[i+1].Is("not") && toks[i+2].Is("exists") {
		i += 3
	}
	named := !toks[i].Is("on")
	if named {
		i++
	}
	if !toks[i].Is("on") {
		return nil // let the grammar report it
	}
	onAt := i
	i++
	if toks[i].Is("only") {
		w.Skip = setSkip(w.Skip, i, i+1)
		i++
	}
	table := toks[i].Val
	if toks[i+1].IsP(".") {
		i += 2
		table = toks[i].Val
	}
	i++
	if toks[i].Is("using") {
		m := toks[i+1]
		switch m.Val {
		case "btree", "hash":
			ix.Method = m.Val
		default:
			return errorAt(sql, m.Pos, CodeFeatureNotSupported, "access method \""+m.Val+"\" is not supported")
		}
		w.Skip = setSkip(w.Skip, i, i+2)
		i += 2
	}
	if !toks[i].IsP("(") {
		return nil
	}
	close := matchParen(toks, i, b)
	if close < 0 {
		return nil
	}
	var cols []string
	for s := i + 1; s < close; {
		e := s
		depth := 0
		for e < close && (depth > 0 || !toks[e].IsP(",")) {
			if toks[e].IsP("(") {
				depth++
			} else if toks[e].IsP(")") {
				depth--
			}
			e++
		}
		// the key expression
		k := s
		switch {
		case toks[k].IsP("("):
			open := k
			k = matchParen(toks, k, e) + 1
			cols = append(cols, "expr")
			ix.Exprs = append(ix.Exprs, sql[toks[open+1].Pos:toks[k-1].Pos])
		case (toks[k].Kind == pgdialect.Ident || toks[k].Kind == pgdialect.QIdent) && (toks[k+1].IsP("(") || (toks[k+1].IsP(".") && toks[k+3].IsP("("))):
			name := toks[k].Val
			open := k + 1
			if toks[k+1].IsP(".") {
				name, open = toks[k+2].Val, k+3
			}
			end := matchParen(toks, open, e)
			if end < 0 {
				return nil
			}
			w.Insert = setInsert(w.Insert, k, "(")
			w.Insert = setInsert(w.Insert, end+1, ")")
			cols = append(cols, name)
			ix.Exprs = append(ix.Exprs, sql[toks[k].Pos:toks[end].End])
			k = end + 1
		default:
			cols = append(cols, toks[k].Val)
			ix.Exprs = append(ix.Exprs, "")
			k++
		}
		// options: COLLATE x, opclass, ASC|DESC, NULLS FIRST|LAST
		for k < e {
			switch {
			case toks[k].Is("asc") || toks[k].Is("desc"):
				k++
			case toks[k].Is("nulls") && (toks[k+1].Is("first") || toks[k+1].Is("last")):
				w.Skip = setSkip(w.Skip, k, k+2)
				st.addNotice("NULLS FIRST/LAST in an index key is ignored")
				k += 2
			case toks[k].Is("collate"):
				n := k + 2
				if toks[k+2].IsP(".") {
					n = k + 4
				}
				w.Skip = setSkip(w.Skip, k, n)
				st.addNotice("COLLATE in an index key is ignored")
				k = n
			case toks[k].Kind == pgdialect.Ident || toks[k].Kind == pgdialect.QIdent:
				n := k + 1
				if toks[n].IsP(".") {
					n += 2
				}
				w.Skip = setSkip(w.Skip, k, n)
				st.addNotice("operator class " + toks[n-1].Val + " is ignored")
				k = n
			default:
				return syntaxErrorAt(sql, toks[k].Pos, toks[k].Raw(sql))
			}
		}
		s = e + 1
	}
	if !slices.ContainsFunc(ix.Exprs, func(e string) bool { return e != "" }) {
		ix.Exprs = nil // columns only
	}
	j := close + 1
	if toks[j].Is("include") && toks[j+1].IsP("(") {
		end := matchParen(toks, j+1, b)
		if end < 0 {
			return nil
		}
		for k := j + 2; k < end; k++ {
			if toks[k].Kind == pgdialect.Ident || toks[k].Kind == pgdialect.QIdent {
				ix.Include = append(ix.Include, toks[k].Val)
			}
		}
		w.Skip = setSkip(w.Skip, j, end+1)
		j = end + 1
	}
	if toks[j].Is("nulls") && (toks[j+1].Is("distinct") || (toks[j+1].Is("not") && toks[j+2].Is("distinct"))) {
		n := j + 2
		if toks[j+1].Is("not") {
			n++
		}
		w.Skip = setSkip(w.Skip, j, n)
		st.addNotice("NULLS [NOT] DISTINCT is ignored")
		j = n
	}
	if toks[j].Is("with") && toks[j+1].IsP("(") {
		end := matchParen(toks, j+1, b)
		if end < 0 {
			return nil
		}
		w.Skip = setSkip(w.Skip, j, end+1)
		st.addNotice("storage parameters are ignored")
		j = end + 1
	}
	if toks[j].Is("tablespace") {
		w.Skip = setSkip(w.Skip, j, j+2)
		st.addNotice("TABLESPACE is ignored")
		j += 2
	}
	if toks[j].Is("where") && j+1 < b {
		ix.Where = sql[toks[j+1].Pos:toks[b-1].End]
	}
	if !named {
		ix.GeneratedName = true
		w.Insert = setInsert(w.Insert, onAt, pgdialect.QuoteIdent(indexName(table, cols)))
	}
	return nil
}

// indexName is PostgreSQL's choice of name for an unnamed index:
// table_cols_idx, the longer of the two parts truncated first so that the
// whole fits in NAMEDATALEN-1 (63) bytes.
func indexName(table string, cols []string) string {
	name2 := strings.Join(cols, "_")
	const maxLen = 63
	over := len("_idx") + 1
	for len(table)+len(name2) > maxLen-over {
		if len(table) > len(name2) {
			table = table[:len(table)-1]
		} else {
			name2 = name2[:len(name2)-1]
		}
	}
	return table + "_" + name2 + "_idx"
}

// matchParen returns the index of the ")" matching the "(" at toks[i],
// or -1 before b.
func matchParen(toks []pgdialect.Token, i, b int) int {
	depth := 0
	for j := i; j < b; j++ {
		if toks[j].IsP("(") {
			depth++
		} else if toks[j].IsP(")") {
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

func setSkip(m map[int]int, from, to int) map[int]int {
	if m == nil {
		m = map[int]int{}
	}
	m[from] = to
	return m
}

func setInsert(m map[int]string, at int, text string) map[int]string {
	if m == nil {
		m = map[int]string{}
	}
	if old, ok := m[at]; ok {
		text = old + " " + text
	}
	m[at] = text
	return m
}

func (st *Statement) addNotice(msg string) {
	for _, n := range st.Notices {
		if n == msg {
			return
		}
	}
	st.Notices = append(st.Notices, msg)
}

// isForeignKeyCols reports whether the ")" at toks[close] ends the column
// list of FOREIGN KEY (...).
func isForeignKeyCols(toks []pgdialect.Token, a, close int) bool {
	depth := 0
	for j := close; j > a; j-- {
		if toks[j].IsP(")") {
			depth++
		} else if toks[j].IsP("(") {
			depth--
			if depth == 0 {
				return toks[j-1].Is("key") && toks[j-2].Is("foreign")
			}
		}
	}
	return false
}
