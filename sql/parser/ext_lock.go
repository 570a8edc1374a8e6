package parser

// LockStmt is LOCK [TABLE] [ONLY] name [*] [, ...] [IN mode MODE]
// [NOWAIT].
type LockStmt struct {
	Tables [][2]string // {schema, name}
	Mode   string      // "access exclusive" when not given
	NoWait bool
}

// CreateExtensionStmt is CREATE EXTENSION [IF NOT EXISTS] name [WITH]
// [SCHEMA s] [VERSION v] [CASCADE].
type CreateExtensionStmt struct {
	Name        string
	IfNotExists bool
}

func (*LockStmt) StatementTag() string            { return "LOCK TABLE" }
func (*CreateExtensionStmt) StatementTag() string { return "CREATE EXTENSION" }

var lockModes = [][]string{
	{"access", "share"}, {"row", "share"}, {"row", "exclusive"}, {"share", "update", "exclusive"},
	{"share", "row", "exclusive"}, {"share"}, {"exclusive"}, {"access", "exclusive"},
}

func (c *cursor) lock() (ExtStmt, error) {
	c.i++ // LOCK
	c.accept("table")
	s := &LockStmt{Mode: "access exclusive"}
	for {
		c.accept("only")
		sch, name, err := c.qualName()
		if err != nil {
			return nil, err
		}
		c.acceptP("*")
		s.Tables = append(s.Tables, [2]string{sch, name})
		if !c.acceptP(",") {
			break
		}
	}
	if c.accept("in") {
		found := false
		for _, m := range lockModes {
			if c.accept(m...) {
				s.Mode, found = joinWords(m), true
				break
			}
		}
		if !found || !c.accept("mode") {
			return nil, c.errHere()
		}
	}
	s.NoWait = c.accept("nowait")
	return s, c.end()
}

func (c *cursor) createExtension() (ExtStmt, error) {
	c.i += 2 // CREATE EXTENSION
	s := &CreateExtensionStmt{IfNotExists: c.accept("if", "not", "exists")}
	var err error
	if s.Name, err = c.name(); err != nil {
		return nil, err
	}
	c.accept("with")
	for !c.done() {
		switch {
		case c.accept("schema"), c.accept("version"):
			if _, err := c.name(); err != nil {
				return nil, err
			}
		case c.accept("cascade"):
		default:
			return nil, c.errHere()
		}
	}
	return s, nil
}

func joinWords(ws []string) string {
	out := ""
	for i, w := range ws {
		if i > 0 {
			out += " "
		}
		out += w
	}
	return out
}
