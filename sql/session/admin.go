package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// ClusterAdmin is what the SQL layer asks of the cluster beyond reading
// and writing keys: range splits, scatter, the range map and the cluster
// settings. The node (server/) implements it over its range admin
// commands and placement service; the SQL layer never imports server/.
// Without one (Config.Admin nil, e.g. over the in-memory test double) the
// statements that need it fail with 0A000.
//
// Errors: SetSetting and GetSetting return an error wrapping
// ErrUnknownSetting for a name that is not a setting and
// ErrInvalidSetting for a value the setting refuses; any error may carry a
// SQLSTATE (SQLState() string), others become 58000 system_error.
type ClusterAdmin interface {
	// Split splits the range containing key at key. A key that is already
	// a range boundary is not an error. sticky asks for a manual split the
	// placement driver must not merge away.
	Split(ctx context.Context, key []byte, sticky bool) error
	// Scatter asks the placement driver to spread the replicas and leases
	// of the ranges overlapping [start, end) over the nodes; it returns
	// the number of operators started.
	Scatter(ctx context.Context, start, end []byte) (int, error)
	// Ranges lists the ranges overlapping [start, end) in key order.
	Ranges(ctx context.Context, start, end []byte) ([]RangeInfo, error)
	// SetSetting stores a cluster setting; the returned Setting has the
	// value as the registry normalised it.
	SetSetting(ctx context.Context, name, value string) (Setting, error)
	// GetSetting returns one cluster setting.
	GetSetting(ctx context.Context, name string) (Setting, error)
	// ListSettings returns every cluster setting, sorted by name.
	ListSettings(ctx context.Context) ([]Setting, error)
}

// RangeInfo is one range as ClusterAdmin.Ranges reports it.
type RangeInfo struct {
	RangeID          int64
	StartKey, EndKey []byte
	ReplicaNodes     []int64 // node IDs of the replicas, in descriptor order
	LeaseholderNode  int64   // 0 when unknown (no valid lease seen)
	SizeBytes        int64   // key and value bytes of every version
}

// Setting is one cluster setting.
type Setting struct {
	Name, Value, Default, Kind, Description string
}

// Errors a ClusterAdmin's settings methods wrap.
var (
	ErrUnknownSetting = errors.New("unknown cluster setting")
	ErrInvalidSetting = errors.New("invalid value for cluster setting")
)

func (s *Session) admin(what string) (ClusterAdmin, error) {
	if a := s.eng.cfg.Admin; a != nil {
		return a, nil
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "%s is not supported without a cluster (this engine has no range admin)", what)
}

// adminErr gives an error of the cluster a SQLSTATE.
func adminErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case pgerr.Code(err) != "":
		return err
	case errors.Is(err, ErrUnknownSetting):
		return pgerr.New(pgerr.UndefinedObject, "%s: %v", what, err)
	case errors.Is(err, ErrInvalidSetting):
		return pgerr.New(pgerr.InvalidParameter, "%s: %v", what, err)
	case errors.Is(err, context.Canceled):
		return pgerr.New(pgerr.QueryCanceled, "canceling statement due to user request")
	}
	return pgerr.New("58000", "%s: %v", what, err)
}

// isAdminStmt reports whether n is one of the statements of this file.
func isAdminStmt(n parser.ExtStmt) bool {
	switch n.(type) {
	case *parser.SplitAtStmt, *parser.ScatterStmt, *parser.ShowRangesStmt,
		*parser.SetClusterSettingStmt, *parser.ShowClusterSettingStmt:
		return true
	}
	return false
}

var (
	splitCols  = []conn.Column{{Name: "key", Type: types.Bytes}, {Name: "pretty", Type: types.String}}
	int8Array  = func() *types.T { t, _ := types.MakeArray(types.Int8); return t }()
	rangesCols = []conn.Column{{Name: "start_key", Type: types.String}, {Name: "end_key", Type: types.String},
		{Name: "range_id", Type: types.Int8}, {Name: "replicas", Type: int8Array},
		{Name: "lease_holder", Type: types.Int8}, {Name: "range_size", Type: types.Int8}}
	settingsCols = []conn.Column{{Name: "variable", Type: types.String}, {Name: "value", Type: types.String},
		{Name: "default", Type: types.String}, {Name: "setting_type", Type: types.String},
		{Name: "description", Type: types.String}}
)

// adminColumns are the result columns of an admin statement (nil: none).
func adminColumns(n parser.ExtStmt) []conn.Column {
	switch x := n.(type) {
	case *parser.SplitAtStmt:
		return splitCols
	case *parser.ShowRangesStmt:
		return rangesCols
	case *parser.ShowClusterSettingStmt:
		if x.All {
			return settingsCols
		}
		return []conn.Column{{Name: x.Name, Type: types.String}}
	}
	return nil
}

// runAdmin runs a statement that reaches into the cluster.
func (s *Session) runAdmin(ctx context.Context, stmt *parser.Statement, params []types.Datum) (*result, error) {
	res := &result{tag: stmt.Ext.StatementTag(), cols: adminColumns(stmt.Ext)}
	switch x := stmt.Ext.(type) {
	case *parser.SetClusterSettingStmt:
		a, err := s.admin("SET CLUSTER SETTING")
		if err != nil {
			return nil, err
		}
		v := x.Value
		if x.Default {
			cur, err := a.GetSetting(ctx, x.Name)
			if err != nil {
				return nil, adminErr("SET CLUSTER SETTING "+x.Name, err)
			}
			v = cur.Default
		}
		if _, err := a.SetSetting(ctx, x.Name, v); err != nil {
			return nil, adminErr("SET CLUSTER SETTING "+x.Name, err)
		}
		return res, nil
	case *parser.ShowClusterSettingStmt:
		a, err := s.admin("SHOW CLUSTER SETTING")
		if err != nil {
			return nil, err
		}
		if x.All {
			list, err := a.ListSettings(ctx)
			if err != nil {
				return nil, adminErr("SHOW CLUSTER SETTINGS", err)
			}
			for _, e := range list {
				res.rows = append(res.rows, exec.Row{types.DString(e.Name), types.DString(e.Value),
					types.DString(e.Default), types.DString(e.Kind), types.DString(e.Description)})
			}
		} else {
			e, err := a.GetSetting(ctx, x.Name)
			if err != nil {
				return nil, adminErr("SHOW CLUSTER SETTING "+x.Name, err)
			}
			res.rows = []exec.Row{{types.DString(e.Value)}}
		}
		res.tag = fmt.Sprintf("SHOW %d", len(res.rows))
		return res, nil
	}
	what := "ALTER ... SPLIT AT"
	switch stmt.Ext.(type) {
	case *parser.ScatterStmt:
		what = "ALTER ... SCATTER"
	case *parser.ShowRangesStmt:
		what = "SHOW RANGES"
	}
	a, err := s.admin(what)
	if err != nil {
		return nil, err
	}
	// Resolve the index and compute the keys in a transaction; the admin
	// commands run after it, outside any transaction (they are not
	// transactional).
	var tgt indexTarget
	var splitKeys [][]byte
	if _, err := s.inTxn(ctx, func(st *stmtCtx) (*result, error) {
		if err := st.resolveDB(s.database); err != nil {
			return nil, err
		}
		var err error
		switch x := stmt.Ext.(type) {
		case *parser.SplitAtStmt:
			if tgt, err = s.resolveIndex(st, x.Schema, x.Table, x.Index); err != nil {
				return nil, err
			}
			splitKeys, err = s.splitKeys(st, stmt, params, tgt, x)
		case *parser.ScatterStmt:
			tgt, err = s.resolveIndex(st, x.Schema, x.Table, x.Index)
		case *parser.ShowRangesStmt:
			tgt, err = s.resolveIndex(st, x.Schema, x.Table, x.Index)
		}
		return nil, err
	}); err != nil {
		return nil, err
	}
	switch stmt.Ext.(type) {
	case *parser.SplitAtStmt:
		for _, k := range splitKeys {
			// sticky: a manual split; the admin API passes it on once it
			// carries the bit (issue 9, the splits helper's "manual split").
			if err := a.Split(ctx, k, true); err != nil {
				return nil, adminErr("split", err)
			}
			res.rows = append(res.rows, exec.Row{types.DBytes(k), types.DString(tgt.pretty(k))})
		}
		res.tag = fmt.Sprintf("SPLIT %d", len(res.rows))
	case *parser.ScatterStmt:
		n, err := a.Scatter(ctx, tgt.start, tgt.end)
		if err != nil {
			return nil, adminErr("scatter", err)
		}
		res.notices = append(res.notices, notice(fmt.Sprintf("scatter: %d placement operators started", n)))
	case *parser.ShowRangesStmt:
		list, err := a.Ranges(ctx, tgt.start, tgt.end)
		if err != nil {
			return nil, adminErr("SHOW RANGES", err)
		}
		for _, r := range list {
			reps := &types.DArray{Elem: types.Int8}
			for _, n := range r.ReplicaNodes {
				reps.Elems = append(reps.Elems, types.DInt(n))
			}
			var lh types.Datum = types.Null
			if r.LeaseholderNode != 0 {
				lh = types.DInt(r.LeaseholderNode)
			}
			res.rows = append(res.rows, exec.Row{tgt.boundary(r.StartKey), tgt.boundary(r.EndKey),
				types.DInt(r.RangeID), reps, lh, types.DInt(r.SizeBytes)})
		}
		res.tag = fmt.Sprintf("SHOW %d", len(res.rows))
	}
	return res, nil
}

// indexTarget is the key span of one index and how to read its keys.
type indexTarget struct {
	table      *catalog.Descriptor
	index      *catalog.Index
	start, end []byte
	// colTypes and dirs are the key columns in key order: the index's
	// columns, then (secondary indexes) the primary key's.
	colTypes []*types.T
	dirs     []rowenc.KeyDir
	names    []string
}

// resolveIndex finds table@index ("" index: the primary index; "" table:
// the index is looked up by name among the schema's tables).
func (s *Session) resolveIndex(st *stmtCtx, schema, table, index string) (indexTarget, error) {
	b := s.binder(st, &parser.Statement{}, nil)
	var t *catalog.Descriptor
	if table != "" {
		d, err := b.ResolveTable(schema, table)
		if err != nil {
			return indexTarget{}, err
		}
		if d == nil || d.Kind != catalog.KindTable {
			return indexTarget{}, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", table)
		}
		t = d
	} else {
		sch := st.sch
		if schema != "" && (schema != "public" || st.path != nil) {
			id, err := st.coll.LookupID(st.ctx, st.dbID, 0, schema)
			if err != nil {
				return indexTarget{}, err
			}
			if id == 0 {
				return indexTarget{}, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", schema)
			}
			sch = id
		}
		names, err := st.coll.ListNames(st.ctx, st.dbID, sch)
		if err != nil {
			return indexTarget{}, err
		}
		for _, id := range names {
			d, err := st.coll.Get(st.ctx, id)
			if err != nil {
				return indexTarget{}, err
			}
			if d == nil || d.Kind != catalog.KindTable {
				continue
			}
			for _, ix := range d.PublicIndexes() {
				if ix.Name == index {
					if t != nil {
						return indexTarget{}, pgerr.New("42725", "index name %q is ambiguous (in tables %q and %q); write table@index", index, t.Name, d.Name)
					}
					t = d
				}
			}
		}
		if t == nil {
			return indexTarget{}, pgerr.New(pgerr.UndefinedObject, "index %q does not exist", index)
		}
	}
	ix := t.Primary
	if index != "" {
		ix = nil
		for _, x := range t.PublicIndexes() {
			if x.Name == index {
				ix = x
			}
		}
		if ix == nil {
			return indexTarget{}, pgerr.New(pgerr.UndefinedObject, "index %q not found in table %q", index, t.Name)
		}
	}
	tgt := indexTarget{table: t, index: ix, start: catalog.IndexPrefix(t.ID, ix.ID)}
	tgt.end = catalog.PrefixEnd(tgt.start)
	add := func(x *catalog.Index) {
		for i, id := range x.ColumnIDs {
			c := &t.Columns[t.ColumnOrdinal(id)]
			d := rowenc.Asc
			if i < len(x.Desc) && x.Desc[i] {
				d = rowenc.Desc
			}
			tgt.colTypes, tgt.dirs, tgt.names = append(tgt.colTypes, c.Type), append(tgt.dirs, d), append(tgt.names, c.Name)
		}
	}
	add(ix)
	if ix != t.Primary {
		add(t.Primary)
	}
	return tgt, nil
}

// splitKeys evaluates SPLIT AT's rows into keys of the index: each row is
// a prefix of the key columns, coerced to their types.
func (s *Session) splitKeys(st *stmtCtx, stmt *parser.Statement, params []types.Datum, tgt indexTarget, x *parser.SplitAtStmt) ([][]byte, error) {
	b := s.binder(st, stmt, s.curParamTypes)
	env := &exec.Env{Ctx: st.ctx, Txn: st.txn, DB: s.eng.db, EvalCtx: b.Eval, Params: params, NodeID: s.eng.cfg.NodeID}
	var out [][]byte
	for _, row := range x.Rows {
		if len(row) > len(tgt.colTypes) {
			return nil, pgerr.New(pgerr.Syntax, "too many columns in SPLIT AT data: %d values for %d key columns (%s)",
				len(row), len(tgt.colTypes), strings.Join(tgt.names, ", "))
		}
		key := append([]byte{}, tgt.start...)
		for i, e := range row {
			be, err := b.BindScalar(e, nil)
			if err != nil {
				return nil, err
			}
			v, err := env.Eval(be, nil)
			if err != nil {
				return nil, err
			}
			if v, err = sem.Coerce(b.Eval, v, be.Type(), tgt.colTypes[i]); err != nil {
				return nil, err
			}
			if key, err = rowenc.EncodeKey(key, tgt.colTypes[i], v, tgt.dirs[i]); err != nil {
				return nil, err
			}
		}
		out = append(out, key)
	}
	return out, nil
}

// boundary shows a range boundary as the index's SQL values, NULL when
// it is at or outside the index's span (a range reaching past the index).
func (t indexTarget) boundary(key []byte) types.Datum {
	if len(key) == 0 || string(key) <= string(t.start) || string(key) >= string(t.end) {
		return types.Null
	}
	return types.DString(t.pretty(key))
}

// pretty is the key's column values after the index prefix as /v1/v2
// (written as SQL literals); bytes that do not decode follow as /x'…'.
func (t indexTarget) pretty(key []byte) string {
	rest := key[len(t.start):]
	var b strings.Builder
	for i := 0; len(rest) > 0 && i < len(t.colTypes); i++ {
		d, r, err := rowenc.DecodeKey(rest, t.colTypes[i], t.dirs[i])
		if err != nil {
			break
		}
		rest = r
		b.WriteByte('/')
		b.WriteString(sqlLiteral(t.colTypes[i], d))
	}
	if len(rest) > 0 {
		fmt.Fprintf(&b, "/x'%x'", rest)
	}
	return b.String()
}

// sqlLiteral prints d as it would be written in SQL.
func sqlLiteral(t *types.T, d types.Datum) string {
	if types.IsNull(d) {
		return "NULL"
	}
	s := types.FormatText(t, d, time.UTC)
	switch t.Family {
	case types.IntFamily, types.FloatFamily, types.DecimalFamily, types.BoolFamily:
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
