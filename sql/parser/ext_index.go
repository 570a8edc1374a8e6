package parser

// RenameIndexStmt is ALTER INDEX [IF EXISTS] [schema.]name RENAME TO new.
type RenameIndexStmt struct {
	Schema, Name, NewName string
	IfExists              bool
}

func (*RenameIndexStmt) StatementTag() string { return "ALTER INDEX" }

// renameIndex reads ALTER INDEX ... RENAME TO; ok is false for another
// ALTER INDEX (SPLIT AT ...), left to the cursor's other readers.
func (c *cursor) renameIndex() (ExtStmt, bool, error) {
	save := c.i
	if !c.accept("alter", "index") {
		return nil, false, nil
	}
	s := &RenameIndexStmt{IfExists: c.accept("if", "exists")}
	sch, name, err := c.qualName()
	if err != nil || !c.accept("rename", "to") {
		c.i = save
		return nil, false, nil
	}
	s.Schema, s.Name = sch, name
	if s.NewName, err = c.name(); err != nil {
		return nil, true, err
	}
	return s, true, c.end()
}
