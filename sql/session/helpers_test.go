package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/internal/memkv"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

type textWriter struct {
	cols    []conn.Column
	rows    []string
	notices []string
}

func (w *textWriter) Columns(cols []conn.Column) error { w.cols = cols; return nil }
func (w *textWriter) Notice(n conn.Notice) error {
	w.notices = append(w.notices, n.Message)
	return nil
}
func (w *textWriter) Row(r []types.Datum) error {
	parts := make([]string, len(r))
	for i, d := range r {
		if types.IsNull(d) {
			parts[i] = "NULL"
		} else {
			parts[i] = types.FormatText(w.cols[i].Type, d, time.UTC)
		}
	}
	w.rows = append(w.rows, strings.Join(parts, "|"))
	return nil
}

type tsess struct {
	t   *testing.T
	s   *Session
	eng *Engine
}

func newTestEngine(t *testing.T) (*Engine, *memkv.DB) {
	db := memkv.New()
	eng, err := NewEngine(context.Background(), db, Config{NodeID: 1})
	require.NoError(t, err)
	return eng, db
}

func newTS(t *testing.T, eng *Engine) *tsess {
	cs, err := eng.NewSession(context.Background(), conn.SessionArgs{User: "root", Database: "defaultdb"})
	require.NoError(t, err)
	t.Cleanup(cs.Close)
	return &tsess{t: t, s: cs.(*Session), eng: eng}
}

// run executes SQL and returns the last statement's rows and tag.
func (ts *tsess) run(sql string) ([]string, string, error) {
	var last *textWriter
	var tag string
	err := ts.s.ExecSimple(context.Background(), sql, func() conn.ResultWriter {
		last = &textWriter{}
		return last
	}, func(t string) error { tag = t; return nil })
	if last == nil {
		return nil, tag, err
	}
	return last.rows, tag, err
}

func (ts *tsess) exec(sql string) {
	ts.t.Helper()
	_, _, err := ts.run(sql)
	require.NoError(ts.t, err, sql)
}

func (ts *tsess) query(sql string, want ...string) {
	ts.t.Helper()
	rows, _, err := ts.run(sql)
	require.NoError(ts.t, err, sql)
	if want == nil {
		want = []string{}
	}
	if rows == nil {
		rows = []string{}
	}
	require.Equal(ts.t, want, rows, sql)
}

func (ts *tsess) fails(sql, code string) {
	ts.t.Helper()
	_, _, err := ts.run(sql)
	require.Error(ts.t, err, sql)
	require.Equal(ts.t, code, pgerr.Code(err), "%s: %v", sql, err)
}

func (ts *tsess) tag(sql, want string) {
	ts.t.Helper()
	_, tag, err := ts.run(sql)
	require.NoError(ts.t, err, sql)
	require.Equal(ts.t, want, tag, sql)
}
