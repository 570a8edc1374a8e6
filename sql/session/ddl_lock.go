package session

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// lockTables is LOCK TABLE: inside a transaction block, each table or
// view must exist; no lock is taken. Every Tessera transaction is
// SERIALIZABLE, so whatever the locked transaction reads and writes is
// already isolated as if it ran alone: a transaction that conflicts with
// it aborts with 40001 (or waits on its row locks) instead of waiting on
// the table lock. What LOCK TABLE does not give is blocking of writers
// that touch rows the locked transaction never read.
func (d *ddl) lockTables(n *parser.LockStmt) (string, error) {
	if d.sess == nil || !d.sess.inBlock {
		return "", pgerr.New("25P01", "LOCK TABLE can only be used in transaction blocks")
	}
	for _, tn := range n.Tables {
		t, err := d.b.ResolveTable(tn[0], tn[1])
		if err != nil {
			return "", err
		}
		if t == nil {
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", tn[1])
		}
		if t.Kind != catalog.KindTable && t.Kind != catalog.KindView {
			return "", pgerr.New(pgerr.WrongObjectType, "cannot lock relation %q", t.Name)
		}
	}
	return "LOCK TABLE", nil
}

// extensions are the extensions CREATE EXTENSION accepts: those whose
// functions are built in (plpgsql is always installed, as in
// PostgreSQL; gen_random_uuid() is pgcrypto's best-known function and
// uuid_generate_v4() uuid-ossp's). Nothing is recorded: pg_extension
// stays empty.
var extensions = map[string]bool{"plpgsql": true, "pgcrypto": true, "uuid-ossp": true}

func (d *ddl) createExtension(n *parser.CreateExtensionStmt) (string, error) {
	if !extensions[n.Name] {
		return "", pgerr.New(pgerr.FeatureNotSupported, "extension %q is not available", n.Name)
	}
	if n.Name == "plpgsql" && !n.IfNotExists {
		return "", pgerr.New("42710", "extension %q already exists", n.Name)
	}
	return "CREATE EXTENSION", nil
}
