package parser

// MatViewStmt is CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(cols)]
// AS query [WITH [NO] DATA], REFRESH MATERIALIZED VIEW [CONCURRENTLY]
// name [WITH [NO] DATA], or DROP MATERIALIZED VIEW [IF EXISTS] names
// [CASCADE | RESTRICT].
type MatViewStmt struct {
	Op                    string      // "create", "refresh", "drop"
	Names                 [][2]string // {schema, name}; one except for DROP
	Columns               []string    // CREATE's column names (nil: the query's)
	Query                 string      // CREATE's query text
	NoData                bool        // WITH NO DATA
	IfNot                 bool        // IF NOT EXISTS / IF EXISTS
	Concurrently, Cascade bool
}

func (s *MatViewStmt) StatementTag() string {
	switch s.Op {
	case "create":
		return "CREATE MATERIALIZED VIEW"
	case "refresh":
		return "REFRESH MATERIALIZED VIEW"
	}
	return "DROP MATERIALIZED VIEW"
}

// withData cuts a trailing WITH [NO] DATA, reporting NO.
func (c *cursor) withData() bool {
	if c.b-c.i >= 3 && c.toks[c.b-3].Is("with") && c.toks[c.b-2].Is("no") && c.toks[c.b-1].Is("data") {
		c.b -= 3
		return true
	}
	if c.b-c.i >= 2 && c.toks[c.b-2].Is("with") && c.toks[c.b-1].Is("data") {
		c.b -= 2
	}
	return false
}

// matView parses the statements of MatViewStmt (c at CREATE, REFRESH or
// DROP; the next words are MATERIALIZED VIEW).
func (c *cursor) matView() (ExtStmt, error) {
	s := &MatViewStmt{Op: c.peek().Val}
	c.i += 3
	var err error
	switch s.Op {
	case "drop":
		s.IfNot = c.accept("if", "exists")
		if s.Names, err = c.qualNames(); err != nil {
			return nil, err
		}
		s.Cascade = c.accept("cascade")
		if !s.Cascade {
			c.accept("restrict")
		}
		return s, c.end()
	case "refresh":
		s.Concurrently = c.accept("concurrently")
		s.NoData = c.withData()
		sch, name, err := c.qualName()
		if err != nil {
			return nil, err
		}
		s.Names = [][2]string{{sch, name}}
		return s, c.end()
	}
	s.IfNot = c.accept("if", "not", "exists")
	sch, name, err := c.qualName()
	if err != nil {
		return nil, err
	}
	s.Names = [][2]string{{sch, name}}
	if c.acceptP("(") {
		for {
			n, err := c.name()
			if err != nil {
				return nil, err
			}
			s.Columns = append(s.Columns, n)
			if !c.acceptP(",") {
				break
			}
		}
		if !c.acceptP(")") {
			return nil, c.errHere()
		}
	}
	if !c.accept("as") || c.done() {
		return nil, c.errHere()
	}
	s.NoData = c.withData()
	s.Query = c.sql[c.toks[c.i].Pos:c.toks[c.b-1].End]
	c.i = c.b
	return s, nil
}

// AlterDomainStmt is ALTER DOMAIN name followed by ADD [CONSTRAINT c]
// CHECK (expr) [NOT VALID], DROP CONSTRAINT [IF EXISTS] c [CASCADE |
// RESTRICT], SET DEFAULT expr, DROP DEFAULT, SET NOT NULL, DROP NOT NULL,
// RENAME TO new, RENAME CONSTRAINT c TO new or VALIDATE CONSTRAINT c.
type AlterDomainStmt struct {
	Schema, Name string
	// Op is "add check", "drop constraint", "set default", "drop default",
	// "set not null", "drop not null", "rename", "rename constraint",
	// "validate constraint".
	Op       string
	Check    DomainCheck // ADD; Check.Name is also the constraint of DROP / RENAME / VALIDATE
	NotValid bool
	IfExists bool
	Default  string
	NewName  string
}

func (*AlterDomainStmt) StatementTag() string { return "ALTER DOMAIN" }

func (c *cursor) alterDomain() (ExtStmt, error) {
	c.i += 2 // ALTER DOMAIN
	s := &AlterDomainStmt{}
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, err
	}
	rest := func() string {
		if c.done() {
			return ""
		}
		t := c.sql[c.toks[c.i].Pos:c.toks[c.b-1].End]
		c.i = c.b
		return t
	}
	switch {
	case c.accept("add"):
		s.Op = "add check"
		if c.accept("constraint") {
			if s.Check.Name, err = c.name(); err != nil {
				return nil, err
			}
		}
		if !c.accept("check") || !c.acceptP("(") {
			return nil, c.errHere()
		}
		if c.b-c.i >= 2 && c.toks[c.b-2].Is("not") && c.toks[c.b-1].Is("valid") {
			s.NotValid = true
			c.b -= 2
		}
		if c.b-1 <= c.i || !c.toks[c.b-1].IsP(")") {
			return nil, c.errHere()
		}
		s.Check.Expr = c.sql[c.toks[c.i].Pos:c.toks[c.b-2].End]
		c.i = c.b
	case c.accept("drop", "constraint"):
		s.Op = "drop constraint"
		s.IfExists = c.accept("if", "exists")
		if s.Check.Name, err = c.name(); err != nil {
			return nil, err
		}
		if !c.accept("cascade") {
			c.accept("restrict")
		}
	case c.accept("set", "default"):
		s.Op, s.Default = "set default", rest()
		if s.Default == "" {
			return nil, c.errHere()
		}
	case c.accept("drop", "default"):
		s.Op = "drop default"
	case c.accept("set", "not", "null"):
		s.Op = "set not null"
	case c.accept("drop", "not", "null"):
		s.Op = "drop not null"
	case c.accept("rename", "constraint"):
		s.Op = "rename constraint"
		if s.Check.Name, err = c.name(); err != nil {
			return nil, err
		}
		if !c.accept("to") {
			return nil, c.errHere()
		}
		if s.NewName, err = c.name(); err != nil {
			return nil, err
		}
	case c.accept("rename", "to"):
		s.Op = "rename"
		if s.NewName, err = c.name(); err != nil {
			return nil, err
		}
	case c.accept("validate", "constraint"):
		s.Op = "validate constraint"
		if s.Check.Name, err = c.name(); err != nil {
			return nil, err
		}
	default:
		return nil, c.errHere()
	}
	return s, c.end()
}
