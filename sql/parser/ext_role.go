package parser

import "github.com/tesseradb/tessera/sql/parser/pgdialect"

// RoleStmt is CREATE ROLE | USER | GROUP name [[WITH] option ...], ALTER
// ROLE | USER name [[WITH] option ... | RENAME TO new | SET ... | RESET
// ...], or DROP ROLE | USER | GROUP [IF EXISTS] name [, ...].
type RoleStmt struct {
	Op       string // "create", "alter", "drop"
	Names    []string
	IfExists bool
	// User is CREATE USER (LOGIN unless NOLOGIN is given).
	User bool
	// Options are the attributes given: "login", "superuser", "createdb",
	// "createrole", "inherit", "replication", "bypassrls" (true) or their
	// NO forms (false); "password" when a password was given.
	Options map[string]bool
	// InRoles are the roles of IN ROLE / IN GROUP (the new role joins
	// them); Members those of ROLE / USER / ADMIN (they join the new role).
	InRoles, Members []string
	// RenameTo is ALTER ROLE ... RENAME TO's new name.
	RenameTo string
}

// GrantStmt is GRANT privileges ON objects TO roles, REVOKE privileges ON
// objects FROM roles, or (OnKind "") GRANT / REVOKE roles TO / FROM roles.
type GrantStmt struct {
	Revoke bool
	// Privileges are the privilege words in lower case ("all" for ALL
	// [PRIVILEGES]); the role names for a membership grant.
	Privileges []string
	// OnKind is "table", "sequence", "schema", "database", "function",
	// "type", "all tables", "all sequences", "all functions" ("" for a
	// role membership). Objects are its {schema, name} (for ALL ... IN
	// SCHEMA, the schemas as {"", name}).
	OnKind   string
	Objects  [][2]string
	Grantees []string
}

// AlterDefaultPrivilegesStmt is ALTER DEFAULT PRIVILEGES ...: accepted, as
// privileges are not enforced.
type AlterDefaultPrivilegesStmt struct{}

func (s *RoleStmt) StatementTag() string {
	w := "ROLE"
	switch s.Op {
	case "create":
		return "CREATE ROLE"
	case "alter":
		return "ALTER " + w
	}
	return "DROP ROLE"
}

func (s *GrantStmt) StatementTag() string {
	if s.Revoke {
		if s.OnKind == "" {
			return "REVOKE ROLE"
		}
		return "REVOKE"
	}
	if s.OnKind == "" {
		return "GRANT ROLE"
	}
	return "GRANT"
}

func (*AlterDefaultPrivilegesStmt) StatementTag() string { return "ALTER DEFAULT PRIVILEGES" }

// roleName reads a role name (CURRENT_USER, SESSION_USER, CURRENT_ROLE and
// PUBLIC are returned as those words).
func (c *cursor) roleName() (string, error) {
	c.accept("group")
	return c.name()
}

func (c *cursor) roleNames() ([]string, error) {
	var out []string
	for {
		n, err := c.roleName()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if !c.acceptP(",") {
			return out, nil
		}
	}
}

// role parses CREATE / ALTER / DROP ROLE | USER | GROUP (c at CREATE,
// ALTER or DROP).
func (c *cursor) role() (ExtStmt, error) {
	s := &RoleStmt{Op: c.peek().Val, Options: map[string]bool{}}
	c.i++
	s.User = c.peek().Is("user")
	c.i++ // ROLE | USER | GROUP
	var err error
	if s.Op == "drop" {
		s.IfExists = c.accept("if", "exists")
		if s.Names, err = c.roleNames(); err != nil {
			return nil, err
		}
		return s, c.end()
	}
	if s.Op == "create" && c.accept("if", "not", "exists") {
		return nil, c.errHere()
	}
	n, err := c.name()
	if err != nil {
		return nil, err
	}
	s.Names = []string{n}
	if s.Op == "alter" {
		if c.accept("rename", "to") {
			if s.RenameTo, err = c.name(); err != nil {
				return nil, err
			}
			return s, c.end()
		}
		if c.peek().Is("set") || c.peek().Is("reset") || c.peek().Is("in") {
			c.i = c.b // per-role settings: accepted, not applied
			return s, nil
		}
	}
	c.accept("with")
	flags := []string{"login", "superuser", "createdb", "createrole", "inherit", "replication", "bypassrls"}
	for !c.done() {
		t := c.peek()
		matched := false
		for _, f := range flags {
			switch {
			case t.Is(f):
				s.Options[f], matched = true, true
			case t.Is("no" + f):
				s.Options[f], matched = false, true
			}
		}
		if matched {
			c.i++
			continue
		}
		switch {
		case c.accept("encrypted", "password"), c.accept("unencrypted", "password"), c.accept("password"):
			if t := c.peek(); t.Kind == pgdialect.String || t.Is("null") {
				c.i++
				s.Options["password"] = t.Kind == pgdialect.String
			} else {
				return nil, c.errHere()
			}
		case c.accept("valid", "until"):
			if c.peek().Kind != pgdialect.String {
				return nil, c.errHere()
			}
			c.i++
		case c.accept("connection", "limit"):
			c.acceptP("-")
			if c.peek().Kind != pgdialect.Int {
				return nil, c.errHere()
			}
			c.i++
		case c.accept("sysid"):
			if c.peek().Kind != pgdialect.Int {
				return nil, c.errHere()
			}
			c.i++
		case c.accept("in", "role"), c.accept("in", "group"):
			names, err := c.roleNames()
			if err != nil {
				return nil, err
			}
			s.InRoles = append(s.InRoles, names...)
		case c.accept("role"), c.accept("user"), c.accept("admin"):
			names, err := c.roleNames()
			if err != nil {
				return nil, err
			}
			s.Members = append(s.Members, names...)
		default:
			return nil, c.errHere()
		}
	}
	return s, nil
}

var grantKinds = [][]string{{"table"}, {"sequence"}, {"schema"}, {"database"}, {"function"}, {"procedure"},
	{"routine"}, {"type"}, {"domain"}, {"language"}, {"foreign", "data", "wrapper"}, {"foreign", "server"},
	{"large", "object"}, {"tablespace"}}

// grant parses GRANT and REVOKE (c at the keyword).
func (c *cursor) grant() (ExtStmt, error) {
	s := &GrantStmt{Revoke: c.peek().Is("revoke")}
	c.i++
	if s.Revoke {
		if !c.accept("grant", "option", "for") {
			c.accept("admin", "option", "for")
		}
	}
	// privileges (or role names) up to ON, TO or FROM
	for !c.done() && !c.peek().Is("on") && !c.peek().Is("to") && !c.peek().Is("from") {
		t := c.peek()
		switch {
		case t.IsP(","):
			c.i++
		case t.IsP("("): // column list of a privilege
			depth := 0
			for !c.done() {
				if c.peek().IsP("(") {
					depth++
				} else if c.peek().IsP(")") {
					depth--
				}
				c.i++
				if depth == 0 {
					break
				}
			}
		case t.Kind == pgdialect.Ident || t.Kind == pgdialect.QIdent:
			c.i++
			if t.Is("privileges") && len(s.Privileges) > 0 && s.Privileges[len(s.Privileges)-1] == "all" {
				continue
			}
			s.Privileges = append(s.Privileges, t.Val)
		default:
			return nil, c.errHere()
		}
	}
	if len(s.Privileges) == 0 {
		return nil, c.errHere()
	}
	if c.accept("on") {
		s.OnKind = "table"
		if c.accept("all") {
			switch {
			case c.accept("tables"):
				s.OnKind = "all tables"
			case c.accept("sequences"):
				s.OnKind = "all sequences"
			case c.accept("functions"), c.accept("procedures"), c.accept("routines"):
				s.OnKind = "all functions"
			default:
				return nil, c.errHere()
			}
			if !c.accept("in", "schema") {
				return nil, c.errHere()
			}
		} else {
			for _, k := range grantKinds {
				if c.accept(k...) {
					s.OnKind = joinWords(k)
					break
				}
			}
		}
		for {
			sch, name, err := c.qualName()
			if err != nil {
				return nil, err
			}
			if (s.OnKind == "schema" || s.OnKind == "database" || s.OnKind[:3] == "all") && sch != "" {
				return nil, c.errHere()
			}
			c.skipSignature()
			s.Objects = append(s.Objects, [2]string{sch, name})
			if !c.acceptP(",") {
				break
			}
		}
	}
	if !(s.Revoke && c.accept("from") || !s.Revoke && c.accept("to")) {
		return nil, c.errHere()
	}
	var err error
	if s.Grantees, err = c.roleNames(); err != nil {
		return nil, err
	}
	for !c.done() {
		switch {
		case c.accept("with", "grant", "option"), c.accept("with", "admin", "option"),
			c.accept("with", "admin", "true"), c.accept("with", "admin", "false"),
			c.accept("with", "inherit", "true"), c.accept("with", "inherit", "false"),
			c.accept("cascade"), c.accept("restrict"):
		case c.accept("granted", "by"):
			if _, err := c.roleName(); err != nil {
				return nil, err
			}
		default:
			return nil, c.errHere()
		}
	}
	return s, nil
}

// OwnerStmt is ALTER kind name OWNER TO role: accepted (Tessera keeps no
// owners) once the role and, for relations, the object exist.
type OwnerStmt struct {
	Kind         string // "table", "view", "sequence", "schema", "function", ...
	Schema, Name string
	IfExists     bool
	Role         string
}

func (*OwnerStmt) StatementTag() string { return "ALTER" }

// owner parses ALTER kind [IF EXISTS] [ONLY] name ... OWNER TO role (ok
// false when the statement does not end in OWNER TO role).
func (c *cursor) owner() (ExtStmt, bool, error) {
	if c.b-c.i < 5 || !c.toks[c.b-3].Is("owner") || !c.toks[c.b-2].Is("to") {
		return nil, false, nil
	}
	save := c.i
	c.i++ // ALTER
	s := &OwnerStmt{}
	for _, k := range [][]string{{"table"}, {"view"}, {"sequence"}, {"schema"}, {"function"}, {"procedure"}, {"type"},
		{"domain"}, {"database"}, {"materialized", "view"}, {"index"}, {"aggregate"}, {"routine"}, {"foreign", "table"}} {
		if c.accept(k...) {
			s.Kind = joinWords(k)
			break
		}
	}
	if s.Kind == "" {
		c.i = save
		return nil, false, nil
	}
	s.IfExists = c.accept("if", "exists")
	c.accept("only")
	var err error
	if s.Schema, s.Name, err = c.qualName(); err != nil {
		return nil, true, err
	}
	c.skipSignature()
	if !c.accept("owner", "to") {
		return nil, true, c.errHere()
	}
	if s.Role, err = c.roleName(); err != nil {
		return nil, true, err
	}
	return s, true, c.end()
}

// skipSignature steps over a function's parenthesised argument list, if
// one follows (GRANT ... ON FUNCTION f(int), ALTER FUNCTION f(int) OWNER TO).
func (c *cursor) skipSignature() {
	if !c.peek().IsP("(") {
		return
	}
	depth := 0
	for !c.done() {
		if c.peek().IsP("(") {
			depth++
		} else if c.peek().IsP(")") {
			depth--
		}
		c.i++
		if depth == 0 {
			return
		}
	}
}
