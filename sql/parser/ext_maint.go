package parser

// MaintenanceStmt is a statement Tessera accepts without effect once the
// objects it names exist: ALTER TABLE t SET (...) | RESET (...) |
// REPLICA IDENTITY ... | CLUSTER ON i | SET WITHOUT CLUSTER | SET
// LOGGED | SET UNLOGGED, CLUSTER [t [USING i]], REINDEX {INDEX | TABLE |
// SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name, ALTER SEQUENCE s OWNED
// BY t.c | NONE, and CREATE SCHEMA ... AUTHORIZATION role.
type MaintenanceStmt struct {
	// Kind: "alter table", "cluster", "reindex index", "reindex table",
	// "reindex schema", "reindex database", "owned by", "create schema".
	Kind         string
	Schema, Name string
	// Column is OWNED BY's table column ({schema, table, column}; empty
	// for NONE).
	Column [3]string
	// Role and IfNotExists are CREATE SCHEMA's.
	Role        string
	IfNotExists bool
	Tag         string
}

func (s *MaintenanceStmt) StatementTag() string { return s.Tag }

// maintenance parses the statements of MaintenanceStmt (ok=false for
// other statements; c at their first word).
func (c *cursor) maintenance() (ExtStmt, bool, error) {
	save := c.i
	fail := func() (ExtStmt, bool, error) { c.i = save; return nil, false, nil }
	switch {
	case c.accept("alter", "table"):
		s := &MaintenanceStmt{Kind: "alter table", Tag: "ALTER TABLE"}
		c.accept("if", "exists")
		c.accept("only")
		var err error
		if s.Schema, s.Name, err = c.qualName(); err != nil {
			return fail()
		}
		c.acceptP("*")
		switch {
		case c.accept("set") && c.peek().IsP("("), c.accept("reset") && c.peek().IsP("("):
			c.i = c.b // storage parameters
		case c.accept("replica", "identity"), c.accept("cluster", "on"):
			c.i = c.b
		case c.accept("set", "without", "cluster"), c.accept("set", "logged"), c.accept("set", "unlogged"):
		default:
			return fail()
		}
		return s, true, c.end()
	case c.accept("cluster"):
		s := &MaintenanceStmt{Kind: "cluster", Tag: "CLUSTER"}
		c.accept("verbose")
		if !c.done() {
			var err error
			if s.Schema, s.Name, err = c.qualName(); err != nil {
				return nil, true, err
			}
			if c.accept("using") {
				if _, err := c.name(); err != nil {
					return nil, true, err
				}
			}
		}
		return s, true, c.end()
	case c.accept("reindex"):
		s := &MaintenanceStmt{Tag: "REINDEX"}
		if c.acceptP("(") { // (VERBOSE, ...)
			for !c.done() && !c.acceptP(")") {
				c.i++
			}
		}
		for _, k := range []string{"index", "table", "schema", "database", "system"} {
			if c.accept(k) {
				s.Kind = "reindex " + k
				break
			}
		}
		if s.Kind == "" {
			return nil, true, c.errHere()
		}
		c.accept("concurrently")
		var err error
		if s.Schema, s.Name, err = c.qualName(); err != nil {
			return nil, true, err
		}
		return s, true, c.end()
	case c.accept("alter", "sequence"):
		s := &MaintenanceStmt{Kind: "owned by", Tag: "ALTER SEQUENCE"}
		c.accept("if", "exists")
		var err error
		if s.Schema, s.Name, err = c.qualName(); err != nil || !c.accept("owned", "by") {
			return fail()
		}
		if c.accept("none") {
			return s, true, c.end()
		}
		var parts []string
		for {
			n, err := c.name()
			if err != nil {
				return nil, true, err
			}
			parts = append(parts, n)
			if !c.acceptP(".") {
				break
			}
		}
		switch len(parts) {
		case 2:
			s.Column = [3]string{"", parts[0], parts[1]}
		case 3:
			s.Column = [3]string{parts[0], parts[1], parts[2]}
		default:
			return nil, true, c.errHere()
		}
		return s, true, c.end()
	case c.accept("create", "schema"):
		s := &MaintenanceStmt{Kind: "create schema", Tag: "CREATE SCHEMA"}
		s.IfNotExists = c.accept("if", "not", "exists")
		if !c.peek().Is("authorization") {
			n, err := c.name()
			if err != nil {
				return fail()
			}
			s.Name = n
		}
		if !c.accept("authorization") {
			return fail()
		}
		var err error
		if s.Role, err = c.roleName(); err != nil {
			return nil, true, err
		}
		if s.Name == "" {
			s.Name = s.Role
		}
		return s, true, c.end()
	}
	return fail()
}
