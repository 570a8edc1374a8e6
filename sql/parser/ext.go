package parser

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// cursor walks toks[i:b] of one statement.
type cursor struct {
	sql  string
	toks []pgdialect.Token
	i, b int
	st   *Statement
}

func (c *cursor) peek() pgdialect.Token {
	if c.i >= c.b {
		return pgdialect.Token{Kind: pgdialect.EOF, Pos: len(c.sql)}
	}
	return c.toks[c.i]
}
func (c *cursor) done() bool { return c.i >= c.b }
func (c *cursor) accept(words ...string) bool {
	for k, w := range words {
		if c.i+k >= c.b || !c.toks[c.i+k].Is(w) {
			return false
		}
	}
	c.i += len(words)
	return true
}
func (c *cursor) acceptP(p string) bool {
	if c.i < c.b && c.toks[c.i].IsP(p) {
		c.i++
		return true
	}
	return false
}
func (c *cursor) errHere() error {
	if c.i >= c.b {
		if c.b < len(c.toks) && c.toks[c.b].Kind != pgdialect.EOF {
			t := c.toks[c.b]
			return syntaxErrorAt(c.sql, t.Pos, t.Raw(c.sql))
		}
		return syntaxErrorAt(c.sql, len(c.sql), "")
	}
	t := c.toks[c.i]
	return syntaxErrorAt(c.sql, t.Pos, t.Raw(c.sql))
}
func (c *cursor) end() error {
	if !c.done() {
		return c.errHere()
	}
	return nil
}
func (c *cursor) name() (string, error) {
	t := c.peek()
	if t.Kind == pgdialect.Ident || t.Kind == pgdialect.QIdent {
		c.i++
		return t.Val, nil
	}
	return "", c.errHere()
}

// fetchDirection skips FETCH/MOVE's direction: NEXT, PRIOR, FIRST, LAST,
// ALL, ABSOLUTE n, RELATIVE n, n, FORWARD [n|ALL], BACKWARD [n|ALL].
func (c *cursor) fetchDirection() {
	count := func() bool {
		j := c.i
		if j < c.b && (c.toks[j].IsP("-") || c.toks[j].IsP("+")) {
			j++
		}
		if j < c.b && c.toks[j].Kind == pgdialect.Int {
			c.i = j + 1
			return true
		}
		return false
	}
	switch {
	case c.accept("next"), c.accept("prior"), c.accept("first"), c.accept("last"), c.accept("all"):
	case c.accept("absolute"), c.accept("relative"):
		count()
	case c.accept("forward"), c.accept("backward"):
		if !c.accept("all") {
			count()
		}
	default:
		count()
	}
}

// qualName reads [schema.]name.
func (c *cursor) qualName() (string, string, error) {
	n, err := c.name()
	if err != nil {
		return "", "", err
	}
	if c.acceptP(".") {
		m, err := c.name()
		return n, m, err
	}
	return "", n, nil
}

// qualNames reads a comma-separated list of [schema.]name.
func (c *cursor) qualNames() ([][2]string, error) {
	var out [][2]string
	for {
		sch, n, err := c.qualName()
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{sch, n})
		if !c.acceptP(",") {
			return out, nil
		}
	}
}

// parseExt parses the statements that become our own nodes; handled is
// false when the statement goes to the TiDB grammar.
func parseExt(sql string, toks []pgdialect.Token, a, b int, st *Statement) (ExtStmt, bool, error) {
	c := &cursor{sql: sql, toks: toks, i: a, b: b, st: st}
	t := toks[a]
	if t.Kind != pgdialect.Ident {
		return nil, false, nil
	}
	var n ExtStmt
	var err error
	switch t.Val {
	case "begin":
		c.i++
		c.accept("transaction") // BEGIN WORK / TRANSACTION
		c.accept("work")
		s := &BeginStmt{}
		err = c.txnModes(&s.Modes)
		n = s
	case "start":
		c.i++
		if !c.accept("transaction") {
			return nil, true, c.errHere()
		}
		s := &BeginStmt{Start: true}
		err = c.txnModes(&s.Modes)
		n = s
	case "commit", "end":
		c.i++
		if !c.accept("transaction") {
			c.accept("work")
		}
		s := &CommitStmt{Chain: c.accept("and", "chain")}
		if !s.Chain {
			c.accept("and", "no", "chain")
		}
		n, err = s, c.end()
	case "rollback", "abort":
		c.i++
		if !c.accept("transaction") {
			c.accept("work")
		}
		s := &RollbackStmt{}
		if t.Val == "rollback" && c.accept("to") {
			c.accept("savepoint")
			s.Savepoint, err = c.name()
		} else if s.Chain = c.accept("and", "chain"); !s.Chain {
			c.accept("and", "no", "chain")
		}
		n = s
		if err == nil {
			err = c.end()
		}
	case "savepoint":
		c.i++
		s := &SavepointStmt{}
		s.Name, err = c.name()
		n = s
		if err == nil {
			err = c.end()
		}
	case "release":
		c.i++
		c.accept("savepoint")
		s := &ReleaseStmt{}
		s.Name, err = c.name()
		n = s
		if err == nil {
			err = c.end()
		}
	case "set":
		n, err = c.set()
	case "reset":
		c.i++
		s := &ResetStmt{}
		if c.accept("all") {
			s.All = true
		} else {
			s.Name, err = c.varName()
		}
		n = s
		if err == nil {
			err = c.end()
		}
	case "show":
		c.i++
		if c.accept("ranges", "from", "table") {
			s := &ShowRangesStmt{}
			s.Schema, s.Table, err = c.qualName()
			n = s
		} else if c.accept("ranges", "from", "index") {
			s := &ShowRangesStmt{}
			s.Schema, s.Table, s.Index, err = c.indexName()
			n = s
		} else if c.accept("cluster", "setting") {
			s := &ShowClusterSettingStmt{}
			s.Name, err = c.varName()
			n = s
		} else if c.accept("all", "cluster", "settings") || c.accept("cluster", "settings") {
			n = &ShowClusterSettingStmt{All: true}
		} else {
			s := &ShowStmt{}
			switch {
			case c.accept("all"):
				s.All = true
			case c.accept("time", "zone"):
				s.Name = "timezone"
			case c.accept("transaction", "isolation", "level"):
				s.Name = "transaction_isolation"
			case c.accept("session", "authorization"):
				s.Name = "session_authorization"
			default:
				s.Name, err = c.varName()
			}
			n = s
		}
		if err == nil {
			err = c.end()
		}
	case "discard":
		c.i++
		s := &DiscardStmt{}
		w := c.peek()
		switch {
		case w.Is("all") || w.Is("plans") || w.Is("sequences") || w.Is("temp") || w.Is("temporary"):
			s.What = w.Val
			c.i++
		default:
			err = c.errHere()
		}
		n = s
		if err == nil {
			err = c.end()
		}
	case "close":
		c.i++
		s := &CloseStmt{}
		if c.accept("all") {
			s.All = true
		} else {
			s.Name, err = c.name()
		}
		n = s
		if err == nil {
			err = c.end()
		}
	case "fetch", "move":
		c.i++
		s := &FetchStmt{Move: t.Val == "move"}
		c.fetchDirection()
		if !c.accept("from") {
			c.accept("in")
		}
		s.Cursor, err = c.name()
		n = s
		if err == nil {
			err = c.end()
		}
	case "deallocate":
		c.i++
		c.accept("prepare")
		s := &DeallocateStmt{}
		if c.accept("all") {
			s.All = true
		} else {
			s.Name, err = c.name()
		}
		n = s
		if err == nil {
			err = c.end()
		}
	case "prepare":
		if a+1 < b && toks[a+1].Is("transaction") {
			return nil, true, errorAt(sql, t.Pos, CodeFeatureNotSupported, "PREPARE TRANSACTION is not supported")
		}
		n, err = c.prepare()
	case "execute":
		n, err = c.execute()
	case "copy":
		n, err = c.copy()
	case "comment":
		// COMMENT ON object name IS 'text' | NULL
		c.i++
		if !c.accept("on") {
			return nil, false, nil
		}
		s := &CommentStmt{}
		for _, k := range []string{"table", "view", "sequence", "column", "type"} {
			if c.accept(k) {
				s.Kind = k
				break
			}
		}
		if s.Kind != "" {
			for {
				nm, e := c.name()
				if e != nil {
					return nil, true, e
				}
				s.Name = append(s.Name, nm)
				if !c.acceptP(".") {
					break
				}
			}
			if !c.done() && !c.toks[c.i].Is("is") {
				s.Kind = "" // a form we do not store (e.g. a function's signature)
			}
		}
		depth := 0
		for c.i < c.b && !(depth == 0 && c.toks[c.i].Is("is")) {
			if c.toks[c.i].IsP("(") {
				depth++
			} else if c.toks[c.i].IsP(")") {
				depth--
			}
			c.i++
		}
		if !c.accept("is") {
			return nil, true, c.errHere()
		}
		if t := c.peek(); t.Kind == pgdialect.String || t.Is("null") {
			c.i++
			if t.Kind == pgdialect.String {
				txt := t.Val
				s.Text = &txt
			}
		} else {
			return nil, true, c.errHere()
		}
		n, err = s, c.end()
	case "vacuum", "analyze", "analyse":
		n, err = c.vacuum()
	case "lock":
		if a+1 < b && toks[a+1].Is("tables") { // MySQL's LOCK TABLES
			return nil, true, syntaxErrorAt(sql, toks[a+1].Pos, toks[a+1].Raw(sql))
		}
		n, err = c.lock()
	case "refresh":
		if a+2 < b && toks[a+1].Is("materialized") && toks[a+2].Is("view") {
			n, err = c.matView()
			break
		}
		return nil, false, nil
	case "cluster", "reindex":
		n, _, err = c.maintenance()
	case "grant", "revoke":
		n, err = c.grant()
	case "drop":
		if a+2 < b && toks[a+1].Is("materialized") && toks[a+2].Is("view") {
			n, err = c.matView()
			break
		}
		if a+1 < b && (toks[a+1].Is("role") || toks[a+1].Is("user") || toks[a+1].Is("group")) {
			n, err = c.role()
			break
		}
		if a+1 < b && toks[a+1].Is("function") {
			n, err = c.dropFunction()
			break
		}
		if a+1 < b && (toks[a+1].Is("type") || toks[a+1].Is("domain")) {
			c.i += 2
			s := &DropTypeStmt{Domain: toks[a+1].Is("domain")}
			s.IfExists = c.accept("if", "exists")
			var e error
			if s.Names, e = c.qualNames(); e != nil {
				return nil, true, e
			}
			s.Cascade = c.accept("cascade")
			if !s.Cascade {
				c.accept("restrict")
			}
			return s, true, c.end()
		}
		if a+1 < b && toks[a+1].Is("index") {
			c.i += 2
			s := &DropIndexStmt{}
			s.Concurrently = c.accept("concurrently")
			s.IfExists = c.accept("if", "exists")
			var e error
			if s.Names, e = c.qualNames(); e != nil {
				return nil, true, e
			}
			s.Cascade = c.accept("cascade")
			c.accept("restrict")
			return s, true, c.end()
		}
		return nil, false, nil
	case "truncate":
		n, err = c.truncate()
	case "create":
		if a+1 < b && toks[a+1].Is("schema") {
			if s, ok, e := c.maintenance(); ok || e != nil {
				return s, true, e
			}
			return nil, false, nil
		}
		if a+2 < b && toks[a+1].Is("materialized") && toks[a+2].Is("view") {
			n, err = c.matView()
			break
		}
		if a+1 < b && (toks[a+1].Is("role") || toks[a+1].Is("user") || toks[a+1].Is("group")) {
			n, err = c.role()
			break
		}
		if a+1 < b && toks[a+1].Is("type") {
			n, err = c.createType()
			break
		}
		if a+1 < b && toks[a+1].Is("domain") {
			n, err = c.createDomain()
			break
		}
		if a+1 < b && toks[a+1].Is("function") || a+3 < b && toks[a+1].Is("or") && toks[a+2].Is("replace") && toks[a+3].Is("function") {
			n, err = c.createFunction()
			break
		}
		if a+1 < b && toks[a+1].Is("extension") {
			n, err = c.createExtension()
			break
		}
		return nil, false, nil
	case "alter":
		if a+1 < b && (toks[a+1].Is("role") || toks[a+1].Is("user") || toks[a+1].Is("group")) {
			n, err = c.role()
			break
		}
		if s, ok, e := c.owner(); ok || e != nil {
			return s, true, e
		}
		if s, ok, e := c.maintenance(); ok || e != nil {
			return s, true, e
		}
		if a+1 < b && toks[a+1].Is("domain") {
			n, err = c.alterDomain()
			break
		}
		if a+2 < b && toks[a+1].Is("default") && toks[a+2].Is("privileges") {
			n = &AlterDefaultPrivilegesStmt{}
			break
		}
		if a+1 < b && toks[a+1].Is("type") {
			n, err = c.alterType()
			break
		}
		if s, ok, e := c.renameIndex(); ok || e != nil {
			return s, true, e
		}
		if s, ok, e := c.validateConstraint(); ok || e != nil {
			return s, true, e
		}
		if s, ok, e := c.rangeAdmin(); ok || e != nil {
			return s, true, e
		}
		if s, ok, e := c.splitAt(); ok || e != nil {
			return s, true, e
		}
		if s, ok, e := c.alterColumn(); ok || e != nil {
			return s, true, e
		}
		return nil, false, nil
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return n, true, nil
}

func (c *cursor) varName() (string, error) {
	n, err := c.name()
	if err != nil {
		return "", err
	}
	for c.acceptP(".") {
		m, err := c.name()
		if err != nil {
			return "", err
		}
		n += "." + m
	}
	return n, nil
}

// txnModes reads transaction modes until the end of the statement.
func (c *cursor) txnModes(m *TxnModes) error {
	for !c.done() {
		switch {
		case c.accept("isolation", "level"):
			switch {
			case c.accept("serializable"):
				m.Isolation = "serializable"
			case c.accept("repeatable", "read"):
				m.Isolation = "repeatable read"
			case c.accept("read", "committed"):
				m.Isolation = "read committed"
			case c.accept("read", "uncommitted"):
				m.Isolation = "read uncommitted"
			default:
				return c.errHere()
			}
		case c.accept("read", "only"):
			v := true
			m.ReadOnly = &v
		case c.accept("read", "write"):
			v := false
			m.ReadOnly = &v
		case c.accept("not", "deferrable"):
			v := false
			m.Deferrable = &v
		case c.accept("deferrable"):
			v := true
			m.Deferrable = &v
		case c.accept("as", "of", "system", "time"):
			e, err := c.exprUntilComma()
			if err != nil {
				return err
			}
			m.AsOf = e
		default:
			return c.errHere()
		}
		c.acceptP(",")
	}
	return nil
}

func (c *cursor) set() (ExtStmt, error) {
	c.i++
	local := false
	if c.accept("local") {
		local = true
	} else {
		c.accept("session")
	}
	if !local && c.accept("cluster", "setting") {
		return c.setClusterSetting()
	}
	if c.accept("transaction") {
		s := &SetTransactionStmt{}
		return s, c.txnModes(&s.Modes)
	}
	if c.accept("characteristics", "as", "transaction") {
		s := &SetTransactionStmt{Session: true}
		return s, c.txnModes(&s.Modes)
	}
	s := &SetVarStmt{Local: local}
	if c.accept("time", "zone") {
		s.Name = "timezone"
		if c.accept("local") || c.accept("default") {
			s.Default = true
			return s, c.end()
		}
		if c.accept("interval") {
			// SET TIME ZONE INTERVAL '+05:30' [HOUR TO MINUTE]: hours east
			t := c.peek()
			if t.Kind != pgdialect.String {
				return nil, c.errHere()
			}
			c.i++
			for c.accept("hour") || c.accept("to") || c.accept("minute") {
			}
			h, ok := intervalHours(t.Val)
			if !ok {
				return nil, errorAt(c.sql, t.Pos, CodeInvalidParameterValue, "invalid interval value for time zone: \""+t.Val+"\"")
			}
			s.Values = []string{h}
			return s, c.end()
		}
	} else if c.accept("names") {
		s.Name = "client_encoding"
	} else if c.accept("session", "authorization") || c.accept("role") {
		return nil, errorAt(c.sql, c.toks[c.i-1].Pos, CodeFeatureNotSupported, "SET ROLE / SESSION AUTHORIZATION is not supported")
	} else {
		var err error
		if s.Name, err = c.varName(); err != nil {
			return nil, err
		}
		if !c.acceptP("=") && !c.accept("to") {
			return nil, c.errHere()
		}
	}
	if c.accept("default") {
		s.Default = true
		return s, c.end()
	}
	for {
		t := c.peek()
		switch t.Kind {
		case pgdialect.String, pgdialect.Ident, pgdialect.QIdent, pgdialect.Int, pgdialect.Num:
			s.Values = append(s.Values, t.Val)
			c.i++
		case pgdialect.Op:
			if (t.Val == "-" || t.Val == "+") && c.i+1 < c.b && (c.toks[c.i+1].Kind == pgdialect.Int || c.toks[c.i+1].Kind == pgdialect.Num) {
				v := c.toks[c.i+1].Val
				if t.Val == "-" {
					v = "-" + v
				}
				s.Values = append(s.Values, v)
				c.i += 2
				break
			}
			return nil, c.errHere()
		default:
			return nil, c.errHere()
		}
		if !c.acceptP(",") {
			break
		}
	}
	return s, c.end()
}

func (c *cursor) prepare() (ExtStmt, error) {
	c.i++
	s := &PrepareStmt{}
	var err error
	if s.Name, err = c.name(); err != nil {
		return nil, err
	}
	if c.acceptP("(") {
		for {
			t, next, ok := pgdialect.ParseType(c.toks, c.i, true)
			if !ok || next > c.b {
				return nil, c.errHere()
			}
			s.ParamTypes = append(s.ParamTypes, t)
			c.i = next
			if c.acceptP(",") {
				continue
			}
			if c.acceptP(")") {
				break
			}
			return nil, c.errHere()
		}
	}
	if !c.accept("as") || c.done() {
		return nil, c.errHere()
	}
	inner, err := parseStmt(c.sql, c.toks, c.i, c.b)
	if err != nil {
		return nil, err
	}
	s.Stmt = inner
	return s, nil
}

func (c *cursor) execute() (ExtStmt, error) {
	c.i++
	s := &ExecuteStmt{}
	var err error
	if s.Name, err = c.name(); err != nil {
		return nil, err
	}
	if c.done() {
		return s, nil
	}
	if !c.toks[c.i].IsP("(") || !c.toks[c.b-1].IsP(")") {
		return nil, c.errHere()
	}
	f, err := parseFragment(c.sql, c.toks, c.i+1, c.b-1, "SELECT", c.st, false)
	if err != nil {
		return nil, err
	}
	sel, ok := f.(*ast.SelectStmt)
	if !ok || sel.From != nil {
		return nil, c.errHere()
	}
	for _, fl := range sel.Fields.Fields {
		s.Args = append(s.Args, fl.Expr)
	}
	return s, nil
}

func (c *cursor) copy() (ExtStmt, error) {
	c.i++
	s := &CopyStmt{Format: "text"}
	var err error
	if c.peek().IsP("(") {
		// COPY (query) TO STDOUT: the query runs to its closing parenthesis.
		depth, end := 0, -1
		for j := c.i; j < c.b && end < 0; j++ {
			switch {
			case c.toks[j].IsP("("):
				depth++
			case c.toks[j].IsP(")"):
				if depth--; depth == 0 {
					end = j
				}
			}
		}
		if end < 0 || end == c.i+1 {
			return nil, c.errHere()
		}
		inner, err := parseStmt(c.sql, c.toks, c.i+1, end)
		if err != nil {
			return nil, err
		}
		if inner.AST == nil {
			return nil, errorAt(c.sql, c.toks[c.i+1].Pos, CodeFeatureNotSupported, "COPY (query) needs a SELECT, VALUES, INSERT, UPDATE or DELETE query")
		}
		s.Query, s.QuerySQL = inner, inner.SQL
		c.i = end + 1
		if c.accept("from") {
			return nil, errorAt(c.sql, c.toks[c.i-1].Pos, CodeSyntaxError, "COPY (query) FROM is not valid: a query is only copied TO")
		}
	} else if s.Schema, s.Table, err = c.qualName(); err != nil {
		return nil, err
	}
	if s.Query == nil && c.acceptP("(") {
		for {
			n, err := c.name()
			if err != nil {
				return nil, err
			}
			s.Columns = append(s.Columns, n)
			if c.acceptP(",") {
				continue
			}
			if c.acceptP(")") {
				break
			}
			return nil, c.errHere()
		}
	}
	switch {
	case c.accept("from", "stdin"):
		s.From = true
	case c.accept("to", "stdout"):
	case c.accept("from") || c.accept("to"):
		return nil, errorAt(c.sql, c.peek().Pos, CodeFeatureNotSupported, "COPY supports only STDIN and STDOUT")
	default:
		return nil, c.errHere()
	}
	withKw := c.accept("with")
	str := func() (*string, error) {
		c.accept("as")
		t := c.peek()
		if t.Kind != pgdialect.String {
			return nil, c.errHere()
		}
		c.i++
		v := t.Val
		return &v, nil
	}
	if c.acceptP("(") {
		for {
			opt, err := c.name()
			if err != nil {
				return nil, err
			}
			switch opt {
			case "format":
				f, err := c.name()
				if err != nil {
					return nil, err
				}
				s.Format = f
			case "freeze":
				if w := c.peek(); w.Is("true") || w.Is("on") || w.Is("false") || w.Is("off") || w.Kind == pgdialect.Int {
					c.i++
				}
				c.st.addNotice("COPY FREEZE is ignored")
			case "encoding":
				enc, err := str()
				if err != nil {
					return nil, err
				}
				if e := strings.ToLower(strings.ReplaceAll(*enc, "-", "")); e != "utf8" && e != "sql_ascii" {
					return nil, errorAt(c.sql, c.toks[c.i-1].Pos, CodeFeatureNotSupported, "COPY encoding "+*enc+" is not supported")
				}
			case "header":
				s.Header = true
				if w := c.peek(); w.Is("true") || w.Is("on") || (w.Kind == pgdialect.Int && w.Val == "1") {
					c.i++
				} else if w.Is("false") || w.Is("off") || (w.Kind == pgdialect.Int && w.Val == "0") {
					s.Header = false
					c.i++
				}
			case "delimiter":
				if s.Delimiter, err = str(); err != nil {
					return nil, err
				}
			case "null":
				if s.Null, err = str(); err != nil {
					return nil, err
				}
			case "quote":
				if s.Quote, err = str(); err != nil {
					return nil, err
				}
			case "escape":
				if s.Escape, err = str(); err != nil {
					return nil, err
				}
			default:
				return nil, errorAt(c.sql, c.toks[c.i-1].Pos, CodeSyntaxError, "option \""+opt+"\" not recognized")
			}
			if c.acceptP(",") {
				continue
			}
			if c.acceptP(")") {
				break
			}
			return nil, c.errHere()
		}
		return s, c.end()
	}
	_ = withKw
	// old syntax: [BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV [HEADER] [QUOTE ..] [ESCAPE ..]]
	for !c.done() {
		switch {
		case c.accept("binary"):
			s.Format = "binary"
		case c.accept("csv"):
			s.Format = "csv"
		case c.accept("header"):
			s.Header = true
		case c.accept("delimiter"):
			if s.Delimiter, err = str(); err != nil {
				return nil, err
			}
		case c.accept("null"):
			if s.Null, err = str(); err != nil {
				return nil, err
			}
		case c.accept("quote"):
			if s.Quote, err = str(); err != nil {
				return nil, err
			}
		case c.accept("escape"):
			if s.Escape, err = str(); err != nil {
				return nil, err
			}
		default:
			return nil, c.errHere()
		}
	}
	return s, nil
}

func (c *cursor) vacuum() (ExtStmt, error) {
	isAnalyze := !c.peek().Is("vacuum")
	c.i++
	// options: (opt [, ...]) or bare words
	if c.acceptP("(") {
		depth := 1
		for !c.done() && depth > 0 {
			if c.peek().IsP("(") {
				depth++
			} else if c.peek().IsP(")") {
				depth--
			}
			c.i++
		}
	}
	for c.accept("full") || c.accept("freeze") || c.accept("verbose") || c.accept("analyze") || c.accept("analyse") {
	}
	var tables []string
	for !c.done() {
		sch, tbl, err := c.qualName()
		if err != nil {
			return nil, err
		}
		if sch != "" {
			tbl = sch + "." + tbl
		}
		tables = append(tables, tbl)
		if c.acceptP("(") { // column list
			for !c.done() && !c.acceptP(")") {
				c.i++
			}
		}
		if !c.acceptP(",") {
			break
		}
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	if isAnalyze {
		return &AnalyzeStmt{Tables: tables}, nil
	}
	return &VacuumStmt{Tables: tables}, nil
}

// splitAt reads ALTER TABLE t SPLIT AT VALUES (...)[, (...)].
func (c *cursor) splitAt() (ExtStmt, bool, error) {
	save := c.i
	c.i++
	if !c.accept("table") {
		c.i = save
		return nil, false, nil
	}
	sch, tbl, err := c.qualName()
	if err != nil || !c.accept("split", "at") {
		c.i = save
		return nil, false, nil
	}
	s, err := c.splitValues(sch, tbl)
	return s, true, err
}

// validateConstraint reads ALTER TABLE [IF EXISTS] [ONLY] t VALIDATE
// CONSTRAINT name (handled is false for other ALTER TABLE statements).
func (c *cursor) validateConstraint() (ExtStmt, bool, error) {
	save := c.i
	c.i++
	if !c.accept("table") {
		c.i = save
		return nil, false, nil
	}
	c.accept("if", "exists")
	c.accept("only")
	sch, tbl, err := c.qualName()
	if err != nil || !c.accept("validate", "constraint") {
		c.i = save
		return nil, false, nil
	}
	s := &ValidateConstraintStmt{Schema: sch, Table: tbl}
	if s.Name, err = c.name(); err != nil {
		return nil, true, err
	}
	return s, true, c.end()
}

// funcParamType reads a parameter or result type at the cursor.
func (c *cursor) funcType() (PGType, error) {
	t, next, ok := pgdialect.ParseType(c.toks[:c.b], c.i, true)
	if !ok {
		return t, c.errHere()
	}
	c.i = next
	return t, nil
}

// createFunction reads CREATE [OR REPLACE] FUNCTION name ([IN] [name]
// type, ...) RETURNS type and its options in any order: LANGUAGE l,
// IMMUTABLE | STABLE | VOLATILE, STRICT | RETURNS NULL ON NULL INPUT |
// CALLED ON NULL INPUT, PARALLEL x, [NOT] LEAKPROOF, SECURITY INVOKER,
// COST n, AS 'body', RETURN expr.
func (c *cursor) createFunction() (ExtStmt, error) {
	s := &CreateFunctionStmt{}
	c.i++
	if c.accept("or", "replace") {
		s.OrReplace = true
	}
	c.i++ // FUNCTION
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, err
	}
	if !c.acceptP("(") {
		return nil, c.errHere()
	}
	for !c.acceptP(")") {
		if len(s.Args) > 0 && !c.acceptP(",") {
			return nil, c.errHere()
		}
		var p FuncParam
		if c.accept("out") || c.accept("inout") || c.accept("variadic") {
			p.Mode = c.toks[c.i-1].Val
		} else {
			c.accept("in")
		}
		if _, next, ok := pgdialect.ParseType(c.toks[:c.b], c.i, false); ok && next < c.b && (c.toks[next].IsP(",") || c.toks[next].IsP(")")) {
			p.Type, c.i = mustType(c.toks[:c.b], c.i), next
		} else {
			t := c.peek()
			if (t.Kind == pgdialect.Ident || t.Kind == pgdialect.QIdent) && c.i+1 < c.b && !c.toks[c.i+1].IsP(",") && !c.toks[c.i+1].IsP(")") {
				p.Name = t.Val
				c.i++
			}
			if p.Type, err = c.funcType(); err != nil {
				return nil, err
			}
		}
		if c.accept("default") || c.acceptP("=") {
			start, depth := c.i, 0
			for ; c.i < c.b; c.i++ {
				tk := c.toks[c.i]
				if tk.IsP("(") || tk.IsP("[") {
					depth++
				} else if tk.IsP(")") || tk.IsP("]") {
					if depth == 0 {
						break
					}
					depth--
				} else if depth == 0 && tk.IsP(",") {
					break
				}
			}
			if c.i == start || c.i >= c.b {
				return nil, c.errHere()
			}
			p.Default = strings.TrimSpace(c.sql[c.toks[start].Pos:c.toks[c.i].Pos])
		}
		s.Args = append(s.Args, p)
	}
	returns := false
	for !c.done() {
		switch {
		case c.accept("returns", "null", "on", "null", "input"), c.accept("strict"):
			s.Strict = true
		case c.accept("called", "on", "null", "input"):
			s.Strict = false
		case c.accept("returns"):
			if c.accept("table") {
				s.SetOf = true
				if !c.acceptP("(") {
					return nil, c.errHere()
				}
				for {
					var p FuncParam
					if p.Name, err = c.name(); err != nil {
						return nil, err
					}
					if p.Type, err = c.funcType(); err != nil {
						return nil, err
					}
					s.Table = append(s.Table, p)
					if !c.acceptP(",") {
						break
					}
				}
				if !c.acceptP(")") {
					return nil, c.errHere()
				}
				returns = true
				continue
			}
			s.SetOf = c.accept("setof")
			if s.Returns, err = c.funcType(); err != nil {
				return nil, err
			}
			returns = true
		case c.accept("language"):
			if s.Language, err = c.name(); err != nil {
				return nil, err
			}
		case c.accept("immutable"), c.accept("stable"), c.accept("volatile"):
			s.Volatility = c.toks[c.i-1].Val
		case c.accept("parallel"):
			if _, err := c.name(); err != nil {
				return nil, err
			}
		case c.accept("not", "leakproof"), c.accept("leakproof"), c.accept("security", "invoker"), c.accept("external", "security", "invoker"):
		case c.accept("cost"):
			if k := c.peek().Kind; k != pgdialect.Int && k != pgdialect.Num {
				return nil, c.errHere()
			}
			c.i++
		case c.accept("as"):
			t := c.peek()
			if t.Kind != pgdialect.String {
				return nil, c.errHere()
			}
			c.i++
			s.Body = t.Val
		case c.accept("return"):
			if c.done() {
				return nil, c.errHere()
			}
			s.Return = strings.TrimSpace(c.sql[c.toks[c.i].Pos:c.endPos()])
			c.i = c.b
		case c.accept("begin", "atomic"):
			return nil, errorAt(c.sql, c.toks[c.i-1].Pos, CodeFeatureNotSupported, "BEGIN ATOMIC bodies are not supported")
		default:
			return nil, c.errHere()
		}
	}
	for _, a := range s.Args {
		if a.Mode == "out" || a.Mode == "inout" {
			returns = true // the OUT parameters make the result type
		}
	}
	if !returns {
		return nil, errorAt(c.sql, len(c.sql), CodeInvalidFunctionDef, "function result type must be specified")
	}
	return s, nil
}

// mustType is the type ParseType just read at i.
func mustType(toks []pgdialect.Token, i int) PGType {
	t, _, _ := pgdialect.ParseType(toks, i, false)
	return t
}

// endPos is the source offset where the statement ends.
func (c *cursor) endPos() int {
	if c.b < len(c.toks) {
		return c.toks[c.b].Pos
	}
	return len(c.sql)
}

// dropFunction reads DROP FUNCTION [IF EXISTS] name [([[IN] [name] type,
// ...])], ... [CASCADE | RESTRICT].
func (c *cursor) dropFunction() (ExtStmt, error) {
	c.i += 2
	s := &DropFunctionStmt{IfExists: c.accept("if", "exists")}
	for {
		var f FuncRef
		var err error
		if f.Schema, f.Name, err = c.qualName(); err != nil {
			return nil, err
		}
		if c.acceptP("(") {
			f.HasArgs = true
			for !c.acceptP(")") {
				if len(f.Args) > 0 && !c.acceptP(",") {
					return nil, c.errHere()
				}
				c.accept("in")
				if _, next, ok := pgdialect.ParseType(c.toks[:c.b], c.i, false); ok && next < c.b && (c.toks[next].IsP(",") || c.toks[next].IsP(")")) {
					f.Args, c.i = append(f.Args, mustType(c.toks[:c.b], c.i)), next
					continue
				}
				if t := c.peek(); (t.Kind == pgdialect.Ident || t.Kind == pgdialect.QIdent) && c.i+1 < c.b && !c.toks[c.i+1].IsP(",") && !c.toks[c.i+1].IsP(")") {
					c.i++
				}
				t, err := c.funcType()
				if err != nil {
					return nil, err
				}
				f.Args = append(f.Args, t)
			}
		}
		s.Funcs = append(s.Funcs, f)
		if !c.acceptP(",") {
			break
		}
	}
	s.Cascade = c.accept("cascade")
	if !s.Cascade {
		c.accept("restrict")
	}
	return s, c.end()
}

// createDomain reads CREATE DOMAIN name [AS] type [COLLATE c] [DEFAULT
// expr] [[CONSTRAINT name] {NOT NULL | NULL | CHECK (expr)}] ...
func (c *cursor) createDomain() (ExtStmt, error) {
	c.i += 2
	s := &CreateDomainStmt{}
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, err
	}
	c.accept("as")
	t, next, ok := pgdialect.ParseType(c.toks[:c.b], c.i, true)
	if !ok {
		return nil, c.errHere()
	}
	s.Type, c.i = t, next
	// text reads a balanced expression up to the next clause keyword at
	// depth 0 (or the closing parenthesis of CHECK)
	text := func(stopAtClause bool) (string, error) {
		start, depth := c.i, 0
		for ; c.i < c.b; c.i++ {
			tk := c.toks[c.i]
			if tk.IsP("(") || tk.IsP("[") {
				depth++
			} else if tk.IsP(")") || tk.IsP("]") {
				if depth == 0 {
					break
				}
				depth--
			} else if depth == 0 && stopAtClause && (tk.Is("constraint") || tk.Is("not") && c.i+1 < c.b && c.toks[c.i+1].Is("null") ||
				tk.Is("null") || tk.Is("check") || tk.Is("collate")) {
				break
			}
		}
		if c.i == start {
			return "", c.errHere()
		}
		end := len(c.sql)
		if c.i < len(c.toks) {
			end = c.toks[c.i].Pos
		}
		return strings.TrimSpace(c.sql[c.toks[start].Pos:end]), nil
	}
	for !c.done() {
		name := ""
		if c.accept("constraint") {
			if name, err = c.name(); err != nil {
				return nil, err
			}
		}
		switch {
		case c.accept("not", "null"):
			s.NotNull = true
		case c.accept("null"):
			s.NotNull = false
		case c.accept("check"):
			if !c.acceptP("(") {
				return nil, c.errHere()
			}
			e, err := text(false)
			if err != nil {
				return nil, err
			}
			if !c.acceptP(")") {
				return nil, c.errHere()
			}
			s.Checks = append(s.Checks, DomainCheck{Name: name, Expr: e})
		case name == "" && c.accept("default"):
			if s.Default, err = text(true); err != nil {
				return nil, err
			}
		case name == "" && c.accept("collate"):
			if _, err := c.name(); err != nil {
				return nil, err
			}
		default:
			return nil, c.errHere()
		}
	}
	return s, nil
}

// createType reads CREATE TYPE name AS ENUM ('label', ...); other forms
// of CREATE TYPE are not supported.
func (c *cursor) createType() (ExtStmt, error) {
	c.i += 2
	s := &CreateTypeStmt{}
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, err
	}
	if !c.accept("as") {
		return nil, c.errHere()
	}
	if c.acceptP("(") {
		// a composite type: (field type, ...)
		for !c.acceptP(")") {
			if len(s.Fields) > 0 && !c.acceptP(",") {
				return nil, c.errHere()
			}
			var f FuncParam
			var err error
			if f.Name, err = c.name(); err != nil {
				return nil, err
			}
			if f.Type, err = c.funcType(); err != nil {
				return nil, err
			}
			s.Fields = append(s.Fields, f)
		}
		if s.Fields == nil {
			s.Fields = []FuncParam{}
		}
		return s, c.end()
	}
	if !c.accept("enum") {
		return nil, errorAt(c.sql, c.peek().Pos, CodeFeatureNotSupported, "only CREATE TYPE ... AS ENUM and AS (fields) are supported")
	}
	if !c.acceptP("(") {
		return nil, c.errHere()
	}
	if c.acceptP(")") {
		return s, c.end()
	}
	for {
		t := c.peek()
		if t.Kind != pgdialect.String {
			return nil, c.errHere()
		}
		c.i++
		s.Labels = append(s.Labels, t.Val)
		if c.acceptP(")") {
			break
		}
		if !c.acceptP(",") {
			return nil, c.errHere()
		}
	}
	return s, c.end()
}

// alterType reads ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'label'
// [{BEFORE | AFTER} 'label'] and ALTER TYPE name RENAME VALUE 'a' TO 'b'.
func (c *cursor) alterType() (ExtStmt, error) {
	c.i += 2
	s := &AlterTypeStmt{}
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, err
	}
	str := func() (string, error) {
		t := c.peek()
		if t.Kind != pgdialect.String {
			return "", c.errHere()
		}
		c.i++
		return t.Val, nil
	}
	switch {
	case c.accept("add", "value"):
		s.IfNotExists = c.accept("if", "not", "exists")
		if s.Label, err = str(); err != nil {
			return nil, err
		}
		switch {
		case c.accept("before"):
			s.Before = true
			s.Neighbor, err = str()
		case c.accept("after"):
			s.Neighbor, err = str()
		}
		if err != nil {
			return nil, err
		}
	case c.accept("rename", "value"):
		if s.Rename, err = str(); err != nil {
			return nil, err
		}
		if !c.accept("to") {
			return nil, c.errHere()
		}
		if s.Label, err = str(); err != nil {
			return nil, err
		}
	default:
		return nil, errorAt(c.sql, c.peek().Pos, CodeFeatureNotSupported, "only ALTER TYPE ... ADD VALUE and RENAME VALUE are supported")
	}
	return s, c.end()
}

// truncate reads TRUNCATE [TABLE] [ONLY] name [*] [, ...]
// [RESTART IDENTITY | CONTINUE IDENTITY] [CASCADE | RESTRICT].
func (c *cursor) truncate() (ExtStmt, error) {
	c.i++
	c.accept("table")
	s := &TruncateStmt{}
	for {
		c.accept("only")
		sch, tbl, err := c.qualName()
		if err != nil {
			return nil, err
		}
		s.Tables = append(s.Tables, [2]string{sch, tbl})
		c.acceptP("*")
		if !c.acceptP(",") {
			break
		}
	}
	switch {
	case c.accept("restart", "identity"):
		s.RestartIdentity = true
	case c.accept("continue", "identity"):
	}
	if c.accept("cascade") {
		s.Cascade = true
	} else {
		c.accept("restrict")
	}
	return s, c.end()
}

// alterColumn reads ALTER TABLE [IF EXISTS] [ONLY] t action[, ...] where
// every action is ALTER [COLUMN] c {[SET DATA] TYPE type [USING expr] |
// SET NOT NULL | DROP NOT NULL | SET DEFAULT expr | DROP DEFAULT}, which the MySQL grammar lacks; other
// ALTER TABLE statements go to the grammar (handled is false).
func (c *cursor) alterColumn() (ExtStmt, bool, error) {
	save := c.i
	fail := func() (ExtStmt, bool, error) { c.i = save; return nil, false, nil }
	c.i++
	if !c.accept("table") {
		return fail()
	}
	s := &AlterColumnStmt{}
	s.IfExists = c.accept("if", "exists")
	c.accept("only")
	var err error
	if s.Schema, s.Table, err = c.qualName(); err != nil {
		return fail()
	}
	for {
		if !c.accept("alter") {
			return fail()
		}
		c.accept("column")
		var a AlterColumnAction
		if a.Column, err = c.name(); err != nil {
			return fail()
		}
		switch {
		case c.accept("type") || c.accept("set", "data", "type"):
			t, next, ok := pgdialect.ParseType(c.toks, c.i, true)
			if !ok || next > c.b {
				return nil, true, c.errHere()
			}
			a.Type = &t
			c.i = next
			if c.accept("collate") {
				if _, err := c.varName(); err != nil {
					return nil, true, err
				}
			}
			if c.accept("using") {
				end := c.i
				depth := 0
				for end < c.b && (depth > 0 || !c.toks[end].IsP(",")) {
					if c.toks[end].IsP("(") {
						depth++
					} else if c.toks[end].IsP(")") {
						depth--
					}
					end++
				}
				f, err := parseFragment(c.sql, c.toks, c.i, end, "SELECT", c.st, false)
				if err != nil {
					return nil, true, err
				}
				sel, ok := f.(*ast.SelectStmt)
				if !ok || len(sel.Fields.Fields) != 1 || sel.From != nil {
					return nil, true, c.errHere()
				}
				a.Using = sel.Fields.Fields[0].Expr
				c.i = end
			}
		case c.accept("set", "default"):
			end := c.i
			depth := 0
			for end < c.b && (depth > 0 || !c.toks[end].IsP(",")) {
				if c.toks[end].IsP("(") {
					depth++
				} else if c.toks[end].IsP(")") {
					depth--
				}
				end++
			}
			if end == c.i {
				return nil, true, c.errHere()
			}
			f, err := parseFragment(c.sql, c.toks, c.i, end, "SELECT", c.st, false)
			if err != nil {
				return nil, true, err
			}
			sel, ok := f.(*ast.SelectStmt)
			if !ok || len(sel.Fields.Fields) != 1 || sel.From != nil {
				return nil, true, c.errHere()
			}
			a.SetDefault = sel.Fields.Fields[0].Expr
			c.i = end
		case c.accept("drop", "default"):
			a.DropDefault = true
		case c.accept("set", "not", "null"):
			a.SetNotNull = true
		case c.accept("drop", "not", "null"):
			a.DropNotNull = true
		default:
			return fail()
		}
		s.Actions = append(s.Actions, a)
		if !c.acceptP(",") {
			break
		}
	}
	if !c.done() {
		return fail()
	}
	return s, true, nil
}

// intervalHours reads [+|-]HH[:MM] as a number of hours.
func intervalHours(v string) (string, bool) {
	v = strings.TrimSpace(v)
	neg := strings.HasPrefix(v, "-")
	v = strings.TrimLeft(v, "+-")
	hs, ms, _ := strings.Cut(v, ":")
	h, err := strconv.Atoi(hs)
	if err != nil {
		return "", false
	}
	m := 0
	if ms != "" {
		if m, err = strconv.Atoi(ms); err != nil || m > 59 {
			return "", false
		}
	}
	f := float64(h) + float64(m)/60
	if neg {
		f = -f
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}
