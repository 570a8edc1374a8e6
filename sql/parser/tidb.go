package parser

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"slices"
)

// setMySQLType gives a marker-typed node a MySQL type close to t, so that
// code reading only the TiDB tree sees no marker. The planner uses the
// Statement's CastTypes/ColumnTypes.
func setMySQLType(tp *types.FieldType, t PGType, cast bool) {
	flen, dec := types.UnspecifiedLength, types.UnspecifiedLength
	var mt byte
	switch t.Name {
	case "int2", "serial2":
		mt = mysql.TypeShort
	case "int4", "serial4", "oid":
		mt = mysql.TypeLong
	case "int8", "serial8":
		mt = mysql.TypeLonglong
	case "float4":
		mt = mysql.TypeFloat
	case "float8":
		mt = mysql.TypeDouble
	case "numeric":
		mt = mysql.TypeNewDecimal
		if len(t.Mods) > 0 {
			flen = t.Mods[0]
		}
		if len(t.Mods) > 1 {
			dec = t.Mods[1]
		}
	case "varchar", "bpchar":
		mt = mysql.TypeVarchar
		if t.Name == "bpchar" {
			mt = mysql.TypeString
		}
		if len(t.Mods) > 0 {
			flen = t.Mods[0]
		}
	case "bytea":
		mt = mysql.TypeBlob
	case "bool":
		mt = mysql.TypeTiny
	case "date":
		mt = mysql.TypeDate
	case "time", "timetz", "interval":
		mt = mysql.TypeDuration
	case "timestamp":
		mt = mysql.TypeDatetime
	case "timestamptz":
		mt = mysql.TypeTimestamp
	case "json", "jsonb":
		mt = mysql.TypeJSON
	default:
		mt = mysql.TypeVarString
	}
	if t.Array {
		mt = mysql.TypeJSON
	}
	if cast {
		// MySQL's CAST targets: keep the tree restorable (CAST(x AS SIGNED)).
		switch mt {
		case mysql.TypeShort, mysql.TypeLong, mysql.TypeTiny:
			mt = mysql.TypeLonglong
		case mysql.TypeTimestamp:
			mt = mysql.TypeDatetime
		case mysql.TypeBlob, mysql.TypeVarchar:
			mt = mysql.TypeVarString
		}
	}
	tp.SetType(mt)
	tp.SetFlen(flen)
	tp.SetDecimal(dec)
	tp.SetCharset("")
	tp.SetCollate("")
}

// parseTiDB handles statements the (rewritten) MySQL grammar reads.
func parseTiDB(sql string, toks []pgdialect.Token, a, b int, st *Statement) error {
	first := toks[a]
	end := b
	isDML := first.Is("insert") || first.Is("update") || first.Is("delete") || first.Is("with")
	switch {
	case first.Is("replace") || first.Is("describe") || first.Is("desc") || first.Is("use"):
		return syntaxErrorAt(sql, first.Pos, first.Raw(sql))
	case first.Is("lock"):
		if a+1 < b && toks[a+1].Is("tables") {
			return syntaxErrorAt(sql, toks[a+2].Pos, toks[a+2].Raw(sql))
		}
		return errorAt(sql, first.Pos, CodeFeatureNotSupported, "LOCK is not supported")
	}
	depth := 0
	retAt, confAt := -1, -1
	isInsert := first.Is("insert")
	for i := a; i < b; i++ {
		t := &toks[i]
		switch t.Kind {
		case pgdialect.Punct:
			switch t.Val {
			case "(":
				depth++
			case ")":
				depth--
			}
		case pgdialect.Ident:
			switch t.Val {
			case "returning":
				if depth == 0 && isDML && retAt < 0 {
					retAt = i
				}
			case "on":
				switch {
				case depth == 0 && isInsert && toks[i+1].Is("conflict") && confAt < 0:
					confAt = i
				case depth == 0 && toks[i+1].Is("duplicate"):
					return syntaxErrorAt(sql, toks[i+1].Pos, toks[i+1].Raw(sql))
				}
			case "limit":
				if err := checkLimitComma(sql, toks, i, b); err != nil {
					return err
				}
			}
		}
	}
	if retAt >= 0 {
		end = retAt
	}
	mainEnd := end
	if confAt >= 0 {
		mainEnd = confAt
	}
	colTypes := (first.Is("create") || first.Is("alter")) && hasWord(toks, a, b, "table")
	var aliasSkip [2]int
	if isInsert {
		toks, aliasSkip = insertAlias(toks, a, b)
	}
	wk := getWork()
	defer putWork(wk)
	if aliasSkip[1] > 0 {
		wk.w.Skip = setSkip(wk.w.Skip, aliasSkip[0], aliasSkip[1])
	}
	if isInsert {
		// INSERT ... OVERRIDING {SYSTEM|USER} VALUE (before VALUES/SELECT)
		depth := 0
		for i := a; i < mainEnd; i++ {
			if toks[i].IsP("(") {
				depth++
			} else if toks[i].IsP(")") {
				depth--
			} else if depth == 0 && toks[i].Is("overriding") && (toks[i+1].Is("system") || toks[i+1].Is("user")) && toks[i+2].Is("value") {
				st.Overriding = toks[i+1].Val
				wk.w.Skip = setSkip(wk.w.Skip, i, i+3)
				break
			}
		}
	}
	if first.Is("create") {
		// CREATE [GLOBAL|LOCAL] {TEMP|TEMPORARY|UNLOGGED} TABLE: the words
		// are cut; Temp marks a temporary table and OnCommit keeps its ON
		// COMMIT PRESERVE ROWS / DELETE ROWS / DROP (cut too)
		j := a + 1
		if toks[j].Is("global") || toks[j].Is("local") {
			j++
		}
		if (toks[j].Is("temp") || toks[j].Is("temporary") || toks[j].Is("unlogged")) && toks[j+1].Is("table") {
			st.Temp = !toks[j].Is("unlogged")
			wk.w.Skip = setSkip(wk.w.Skip, a+1, j+1)
			for k := j + 2; k+2 < mainEnd; k++ {
				if toks[k].Is("on") && toks[k+1].Is("commit") {
					e := k + 3
					if toks[k+2].Is("preserve") || toks[k+2].Is("delete") {
						e = k + 4
					}
					st.OnCommit = toks[k+2].Val
					wk.w.Skip = setSkip(wk.w.Skip, k, e)
					break
				}
			}
		}
	}
	if first.Is("alter") {
		// ALTER TABLE t DROP CONSTRAINT IF EXISTS c: the words are cut,
		// the name kept in DropConstraintIfExists
		for i := a; i+1 < mainEnd; i++ {
			if toks[i].Is("not") && toks[i+1].Is("valid") && (i+2 == mainEnd || toks[i+2].IsP(",")) {
				wk.w.Skip = setSkip(wk.w.Skip, i, i+2)
				st.NotValid = true
			}
		}
		for i := a; i+4 < mainEnd; i++ {
			if toks[i].Is("drop") && toks[i+1].Is("constraint") && toks[i+2].Is("if") && toks[i+3].Is("exists") {
				wk.w.Skip = setSkip(wk.w.Skip, i+2, i+4)
				st.DropConstraintIfExists = append(st.DropConstraintIfExists, toks[i+4].Val)
			}
		}
	}
	// WITH q AS [NOT] MATERIALIZED (...): the hint is dropped
	for i := a; i+2 < mainEnd; i++ {
		if toks[i].Is("as") && toks[i+1].Is("materialized") && toks[i+2].IsP("(") {
			wk.w.Skip = setSkip(wk.w.Skip, i+1, i+2)
		} else if toks[i].Is("as") && toks[i+1].Is("not") && i+3 < mainEnd && toks[i+2].Is("materialized") && toks[i+3].IsP("(") {
			wk.w.Skip = setSkip(wk.w.Skip, i+1, i+3)
		}
	}
	if colTypes && first.Is("create") {
		// CREATE TABLE t (LIKE s {INCLUDING|EXCLUDING} option ...): the
		// options are cut and kept in LikeOptions
		for i := a; i+2 < mainEnd; i++ {
			if !(toks[i].IsP("(") && toks[i+1].Is("like")) {
				continue
			}
			j := i + 3
			if toks[j].IsP(".") {
				j += 2
			}
			start := j
			for j+1 < mainEnd && (toks[j].Is("including") || toks[j].Is("excluding")) && toks[j+1].Kind == pgdialect.Ident {
				st.LikeOptions = append(st.LikeOptions, toks[j].Val+" "+toks[j+1].Val)
				j += 2
			}
			if j > start {
				wk.w.Skip = setSkip(wk.w.Skip, start, j)
			}
			break
		}
	}
	noColumns := false
	if colTypes && first.Is("create") {
		// CREATE TABLE t (): the grammar wants a column, so one stands in
		// for the empty list and is taken out of the tree again
		i := a + 1
		for i < mainEnd && !toks[i].Is("table") {
			i++
		}
		i++
		if i+2 < mainEnd && toks[i].Is("if") && toks[i+1].Is("not") && toks[i+2].Is("exists") {
			i += 3
		}
		isName := func(k int) bool {
			return k < mainEnd && (toks[k].Kind == pgdialect.Ident || toks[k].Kind == pgdialect.QIdent)
		}
		if isName(i) {
			i++
			for i+1 < mainEnd && toks[i].IsP(".") && isName(i+1) {
				i += 2
			}
			if i+1 < mainEnd && toks[i].IsP("(") && toks[i+1].IsP(")") {
				noColumns = true
				wk.w.Insert = setInsert(wk.w.Insert, i+1, noColumnsPlaceholder+" INT")
			}
		}
	}
	wk.w.ColumnTypes = colTypes
	if err := explainOptions(sql, toks, a, mainEnd, &wk.w); err != nil {
		return err
	}
	if err := ddlRewrite(sql, toks, a, mainEnd, st, &wk.w); err != nil {
		return err
	}
	asAt, asEnd, err := findAsOf(sql, toks, a, mainEnd)
	if err != nil {
		return err
	}
	if asAt >= 0 {
		wk.w.Skip = setSkip(wk.w.Skip, asAt, asEnd)
	}
	if first.Is("update") || first.Is("delete") {
		// UPDATE t SET ... FROM list [WHERE ...] and DELETE FROM t USING
		// list [WHERE ...]: the list is cut from the statement and parsed
		// on its own into DMLFrom.
		kw := "from"
		if first.Is("delete") {
			kw = "using"
		}
		if fromAt, fromEnd := dmlFrom(toks, a, mainEnd, kw); fromAt >= 0 {
			if fromAt+1 >= fromEnd {
				if fromEnd >= b {
					return syntaxErrorAt(sql, len(sql), "")
				}
				return syntaxErrorAt(sql, toks[fromEnd].Pos, toks[fromEnd].Raw(sql))
			}
			f, err := parseFragment(sql, toks, fromAt+1, fromEnd, "SELECT * FROM", st, false)
			if err != nil {
				return err
			}
			sel, ok := f.(*ast.SelectStmt)
			if !ok || sel.From == nil || sel.Where != nil || sel.GroupBy != nil || sel.OrderBy != nil || sel.Limit != nil {
				return syntaxErrorAt(sql, toks[fromAt].Pos, toks[fromAt].Raw(sql))
			}
			st.DMLFrom = sel.From.TableRefs
			wk.w.Skip = setSkip(wk.w.Skip, fromAt, fromEnd)
		}
	}
	node, err := parseFragmentWith(sql, toks, a, mainEnd, "", st, wk, toks[a:b])
	if err != nil {
		return err
	}
	st.AST = node
	if ct, ok := node.(*ast.CreateTableStmt); ok && noColumns && len(ct.Cols) == 1 && ct.Cols[0].Name.Name.O == noColumnsPlaceholder[1:len(noColumnsPlaceholder)-1] {
		ct.Cols = nil
	}
	if asAt >= 0 {
		if st.AsOf, err = parseScalar(sql, toks, asAt+4, asEnd, st); err != nil {
			return err
		}
	}
	if confAt >= 0 {
		oc, err := parseOnConflict(sql, toks, confAt, end, st)
		if err != nil {
			return err
		}
		st.OnConflict = oc
	}
	if retAt >= 0 {
		if retAt+1 >= b {
			return syntaxErrorAt(sql, len(sql), "")
		}
		rf, err := parseFragment(sql, toks, retAt+1, b, "SELECT", st, false)
		if err != nil {
			return err
		}
		sel, ok := rf.(*ast.SelectStmt)
		if !ok || sel.From != nil || sel.Where != nil {
			return syntaxErrorAt(sql, toks[retAt].Pos, toks[retAt].Raw(sql))
		}
		st.Returning = sel.Fields.Fields
	}
	return validated(sql, toks, a, b, &wk.val)
}

// noColumnsPlaceholder is the column standing in for the empty column
// list of CREATE TABLE t () while the grammar reads it.
const noColumnsPlaceholder = `"?tessera no columns"`

// dmlFrom finds the FROM list of UPDATE (kw "from") or the USING list of
// DELETE (kw "using") in toks[a:b]: the token range [from, end) of the
// keyword and its items, end being WHERE or b; from < 0 if none.
func dmlFrom(toks []pgdialect.Token, a, b int, kw string) (from, end int) {
	depth := 0
	from = -1
	for i := a; i < b; i++ {
		t := toks[i]
		switch {
		case t.IsP("("):
			depth++
		case t.IsP(")"):
			depth--
		case depth == 0 && t.Kind == pgdialect.Ident && t.Val == kw && from < 0 && (kw != "from" || i > a+1) &&
			!toks[i-1].Is("distinct"):
			// (the FROM of x IS [NOT] DISTINCT FROM y is no FROM list)
			from = i
		case depth == 0 && t.Kind == pgdialect.Ident && t.Val == "where":
			// the list comes before WHERE: a FROM after it is an operand's
			return from, i
		}
	}
	return from, b
}

// checkLimitComma refuses MySQL's LIMIT offset, count.
func checkLimitComma(sql string, toks []pgdialect.Token, i, b int) error {
	depth := 0
	for j := i + 1; j < b; j++ {
		t := toks[j]
		switch {
		case t.IsP("("):
			depth++
		case t.IsP(")"):
			if depth == 0 {
				return nil
			}
			depth--
		case depth == 0 && t.IsP(","):
			return errorAt(sql, t.Pos, CodeFeatureNotSupported, "LIMIT #,# syntax is not supported")
		case depth == 0 && t.Kind == pgdialect.Ident && (t.Val == "offset" || t.Val == "for" || t.Val == "union" || t.Val == "except" || t.Val == "intersect" || t.Val == "fetch"):
			return nil
		}
	}
	return nil
}

// parseOnConflict reads ON CONFLICT [(cols) | ON CONSTRAINT name] DO
// NOTHING | DO UPDATE SET ... [WHERE ...] in toks[i:b].
func parseOnConflict(sql string, toks []pgdialect.Token, i, b int, st *Statement) (*OnConflict, error) {
	oc := &OnConflict{}
	j := i + 2
	bad := func(k int) error {
		if k >= b {
			return syntaxErrorAt(sql, len(sql), "")
		}
		return syntaxErrorAt(sql, toks[k].Pos, toks[k].Raw(sql))
	}
	switch {
	case toks[j].IsP("("):
		j++
		for {
			t := toks[j]
			if t.Kind != pgdialect.Ident && t.Kind != pgdialect.QIdent {
				return nil, bad(j)
			}
			oc.Columns = append(oc.Columns, t.Val)
			j++
			if toks[j].IsP(",") {
				j++
				continue
			}
			if toks[j].IsP(")") {
				j++
				break
			}
			return nil, bad(j)
		}
		if toks[j].Is("where") {
			// the index predicate: which partial unique indexes may
			// serve as the arbiter
			w, depth := j, 0
			for j++; j < b && !(depth == 0 && toks[j].Is("do")); j++ {
				if toks[j].IsP("(") || toks[j].IsP("[") {
					depth++
				} else if toks[j].IsP(")") || toks[j].IsP("]") {
					depth--
				}
			}
			f, err := parseFragment(sql, toks, w, j, "DELETE FROM excluded", st, false)
			if err != nil {
				return nil, err
			}
			del, ok := f.(*ast.DeleteStmt)
			if !ok || del.Where == nil || del.Order != nil || del.Limit != nil {
				return nil, bad(w)
			}
			oc.IndexWhere = del.Where
		}
	case toks[j].Is("on") && toks[j+1].Is("constraint"):
		if toks[j+2].Kind != pgdialect.Ident && toks[j+2].Kind != pgdialect.QIdent {
			return nil, bad(j + 2)
		}
		oc.Constraint = toks[j+2].Val
		j += 3
	}
	if j >= b || !toks[j].Is("do") {
		return nil, bad(j)
	}
	j++
	switch {
	case j < b && toks[j].Is("nothing"):
		oc.DoNothing = true
		if j+1 < b {
			return nil, bad(j + 1)
		}
		return oc, nil
	case j < b && toks[j].Is("update"):
		if len(oc.Columns) == 0 && oc.Constraint == "" {
			return nil, errorAt(sql, toks[j].Pos, CodeSyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		if j+1 >= b || !toks[j+1].Is("set") {
			return nil, bad(j + 1)
		}
		f, err := parseFragment(sql, toks, j+1, b, "UPDATE excluded", st, false)
		if err != nil {
			return nil, err
		}
		up, ok := f.(*ast.UpdateStmt)
		if !ok || up.Order != nil || up.Limit != nil {
			return nil, bad(j)
		}
		oc.Set = up.List
		oc.Where = up.Where
		return oc, nil
	}
	return nil, bad(j)
}

// validated turns the validator's verdict on the statement toks[a:b] (its
// checks ran during the attach walk of the main tree) into the error
// refusing a MySQL-only construct the grammar accepted.
func validated(sql string, toks []pgdialect.Token, a, b int, v *validator) error {
	if v.what == "" {
		return nil
	}
	// point at the first token spelling the construct
	for i := a; i < b; i++ {
		if toks[i].Is(v.kw) {
			return syntaxErrorAt(sql, toks[i].Pos, toks[i].Raw(sql))
		}
	}
	return errorAt(sql, toks[a].Pos, CodeSyntaxError, "syntax error: "+v.what+" is not PostgreSQL syntax")
}

type validator struct {
	what, kw string
	toks     []pgdialect.Token
}

// spelled reports whether the statement contains the unquoted word kw.
func (v *validator) spelled(kw string) bool {
	for _, t := range v.toks {
		if t.Is(kw) {
			return true
		}
	}
	return false
}

// check records in v the first MySQL-only construct, if n is one.
func (v *validator) check(n ast.Node) {
	switch x := n.(type) {
	case *ast.BinaryOperationExpr:
		switch x.Op.String() {
		case "intdiv":
			v.what, v.kw = "DIV", "div"
		case "xor":
			v.what, v.kw = "XOR", "xor"
		}
	case *ast.PatternRegexpExpr:
		// ~ is emitted as REGEXP: refuse only the spelled-out MySQL operator
		if v.spelled("regexp") {
			v.what, v.kw = "REGEXP", "regexp"
		}
	case *ast.TableName:
		if len(x.IndexHints) > 0 {
			v.what, v.kw = "index hints", "use"
			if v.spelled("force") {
				v.kw = "force"
			} else if v.spelled("ignore") {
				v.kw = "ignore"
			}
		}
	case *ast.SelectStmt:
		if x.LockInfo != nil && v.spelled("lock") {
			v.what, v.kw = "LOCK IN SHARE MODE", "lock"
		}
	case *ast.DeleteStmt:
		if x.Order != nil || x.Limit != nil {
			v.what, v.kw = "DELETE ... ORDER BY/LIMIT", "order"
			if x.Order == nil {
				v.kw = "limit"
			}
		}
	case *ast.UpdateStmt:
		if x.Order != nil || x.Limit != nil {
			v.what, v.kw = "UPDATE ... ORDER BY/LIMIT", "order"
			if x.Order == nil {
				v.kw = "limit"
			}
		}
	case *ast.InsertStmt:
		if x.IsReplace {
			v.what, v.kw = "REPLACE", "replace"
		} else if len(x.OnDuplicate) > 0 {
			v.what, v.kw = "ON DUPLICATE KEY", "duplicate"
		} else if x.Setlist {
			v.what, v.kw = "INSERT ... SET", "set"
		}
	case *ast.ColumnOption:
		// identity columns are emitted as AUTO_INCREMENT: refuse only the
		// spelled-out MySQL keyword
		if x.Tp == ast.ColumnOptionAutoIncrement && v.spelled("auto_increment") {
			v.what, v.kw = "AUTO_INCREMENT", "auto_increment"
		}
	case *ast.TableOption:
		if x.Tp == ast.TableOptionAutoIncrement {
			v.what, v.kw = "AUTO_INCREMENT", "auto_increment"
		} else {
			v.what, v.kw = "table option", "engine"
		}
	}
}

func hasWord(toks []pgdialect.Token, a, b int, w string) bool {
	for i := a; i < b && i < a+6; i++ {
		if toks[i].Is(w) {
			return true
		}
	}
	return false
}

// insertAlias handles INSERT INTO t AS alias (which the MySQL grammar
// lacks): it returns the token range of AS alias, to be cut, and, when
// the statement has one, a copy of toks in which alias.col reads t.col
// (in ON CONFLICT ... DO UPDATE and RETURNING).
func insertAlias(toks []pgdialect.Token, a, b int) ([]pgdialect.Token, [2]int) {
	j := a + 2
	if !toks[a+1].Is("into") || (toks[j].Kind != pgdialect.Ident && toks[j].Kind != pgdialect.QIdent) {
		return toks, [2]int{}
	}
	name := toks[j]
	if toks[j+1].IsP(".") && (toks[j+2].Kind == pgdialect.Ident || toks[j+2].Kind == pgdialect.QIdent) {
		j += 2
		name = toks[j]
	}
	k := j + 1
	if !toks[k].Is("as") || (toks[k+1].Kind != pgdialect.Ident && toks[k+1].Kind != pgdialect.QIdent) {
		return toks, [2]int{}
	}
	alias := toks[k+1].Val
	own := slices.Clone(toks)
	for i := k + 2; i < b; i++ {
		t := &own[i]
		if (t.Kind == pgdialect.Ident || t.Kind == pgdialect.QIdent) && t.Val == alias && own[i+1].IsP(".") && !own[i-1].IsP(".") {
			t.Val, t.Kind = name.Val, pgdialect.QIdent
		}
	}
	return own, [2]int{k, k + 2}
}
