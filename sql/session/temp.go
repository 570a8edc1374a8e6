package session

import (
	"context"
	"fmt"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// Temporary tables. CREATE TEMP TABLE puts the table in the session's own
// schema, pg_temp_<unique id>, made by its first temporary table in the
// session's database. Names resolve there first (plan.Binder.TempSchema,
// as PostgreSQL searches pg_temp before the search_path), and pg_temp.t
// names it explicitly; other sessions never look there. Close drops the
// schema with its tables. ON COMMIT DELETE ROWS empties the table and ON
// COMMIT DROP drops it after each commit of the session (afterCommit), in
// a transaction of their own. A session that ends without Close (the
// node fails) leaves its pg_temp schema behind: it is an ordinary schema
// that DROP SCHEMA ... CASCADE removes.

// createSchemaOf is the schema a new table goes to: the session's
// temporary schema for CREATE TEMP TABLE, else the named or current one.
func (d *ddl) createSchemaOf(tn *ast.TableName) (catalog.ID, error) {
	if !d.st.Temp {
		if tn.Schema.O == "pg_temp" {
			return 0, pgerr.New(pgerr.InvalidTableDef, "cannot create relations in temporary schemas of other sessions")
		}
		return d.schemaOf(tn)
	}
	if tn.Schema.O != "" && tn.Schema.O != "pg_temp" {
		return 0, pgerr.New(pgerr.InvalidTableDef, "cannot create temporary relation in non-temporary schema")
	}
	if d.sess == nil || d.stc == nil {
		return 0, pgerr.New(pgerr.FeatureNotSupported, "temporary tables are not supported here")
	}
	if d.stc.tempSch != 0 {
		return d.stc.tempSch, nil
	}
	name := d.sess.tempName
	if name == "" {
		name = fmt.Sprintf("pg_temp_%d", catalog.UniqueRowID(d.sess.eng.cfg.NodeID))
	}
	id, err := d.coll.CreateSchema(d.ctx, d.b.DB, name)
	if err != nil {
		return 0, err
	}
	d.sess.tempName = name // if this transaction rolls back, the next CREATE TEMP TABLE makes it again
	d.stc.tempName, d.stc.tempSch, d.b.TempSchema = name, id, id
	return id, nil
}

// noteOnCommit records the ON COMMIT action of a new temporary table.
func (d *ddl) noteOnCommit(id catalog.ID) {
	if !d.st.Temp || d.sess == nil {
		return
	}
	switch d.st.OnCommit {
	case "drop", "delete":
		if d.sess.onCommit == nil {
			d.sess.onCommit = map[catalog.ID]string{}
		}
		d.sess.onCommit[id] = d.st.OnCommit
	}
}

// afterCommit applies the ON COMMIT actions of the session's temporary
// tables once a transaction of the session committed.
func (s *Session) afterCommit(ctx context.Context) error {
	if len(s.onCommit) == 0 {
		return nil
	}
	return s.implicit(ctx, func(st *stmtCtx) error {
		if err := st.resolveDB(s.database); err != nil {
			return err
		}
		d := s.internalDDL(st)
		for id, act := range s.onCommit {
			t, err := st.coll.Get(st.ctx, id)
			if err != nil {
				return err
			}
			if t == nil || t.Kind != catalog.KindTable { // rolled back or dropped
				delete(s.onCommit, id)
				continue
			}
			if act == "drop" {
				if err := d.dropDesc(t); err != nil {
					return err
				}
				delete(s.onCommit, id)
				continue
			}
			p := catalog.TablePrefix(t.ID)
			if err := st.txn.DelRange(st.ctx, p, catalog.PrefixEnd(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Session) internalDDL(st *stmtCtx) *ddl {
	env := &exec.Env{Ctx: st.ctx, Txn: st.txn, DB: s.eng.db, EvalCtx: s.evalCtx(), NodeID: s.eng.cfg.NodeID}
	stmt := &parser.Statement{}
	return &ddl{ctx: st.ctx, b: s.binder(st, stmt, nil), coll: st.coll, env: env, st: stmt}
}

// dropTemp drops the session's temporary schema and its tables.
func (s *Session) dropTemp() {
	if s.tempName == "" {
		return
	}
	name := s.tempName
	s.tempName, s.onCommit = "", nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.implicit(ctx, func(st *stmtCtx) error {
		if err := st.resolveDB(s.database); err != nil {
			return err
		}
		_, err := s.internalDDL(st).dropSchema(name, true, true)
		return err
	})
}
