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
