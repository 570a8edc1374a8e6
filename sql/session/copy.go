package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// copy runs COPY t [(cols)] FROM STDIN: the data is read completely,
// parsed into typed rows, then inserted in one transaction (implicit and
// retried, or the open block).
func (s *Session) copy(ctx context.Context, x *parser.CopyStmt, w conn.ResultWriter) (*result, error) {
	if s.failed {
		return nil, pgerr.New(pgerr.InFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if !x.From {
		return s.copyOut(ctx, x, w)
	}
	cw, ok := w.(conn.CopyInWriter)
	if !ok {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "COPY FROM STDIN needs a client connection")
	}
	var desc *catalog.Descriptor
	var targets []int
	_, err := s.inTxn(ctx, func(st *stmtCtx) (*result, error) {
		if err := st.resolveDB(s.database); err != nil {
			return nil, err
		}
		b := s.binder(st, &parser.Statement{}, nil)
		d, err := b.ResolveTable(x.Schema, x.Table)
		if err != nil {
			return nil, err
		}
		if d == nil || d.Kind != catalog.KindTable {
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", x.Table)
		}
		desc, targets = d, nil
		if len(x.Columns) == 0 {
			for i, c := range d.Columns {
				if !c.Hidden {
					targets = append(targets, i)
				}
			}
		} else {
			for _, name := range x.Columns {
				i, c := d.ColumnByName(name)
				if c == nil {
					return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, d.Name)
				}
				targets = append(targets, i)
			}
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(x.Format)
	r, err := cw.CopyIn(len(targets), format == "binary")
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	colTypes := make([]*types.T, len(targets))
	for i, t := range targets {
		colTypes[i] = desc.Columns[t].Type
	}
	var rows [][]types.Datum
	switch format {
	case "binary":
		rows, err = parseCopyBinary(data, colTypes)
	case "csv":
		rows, err = parseCopyCSV(data, x, colTypes, nil)
	default:
		rows, err = parseCopyText(data, x, colTypes, nil)
	}
	if err != nil {
		return nil, err
	}
	ctx, done := s.withCancel(ctx)
	defer done()
	run := func(st *stmtCtx) (*result, error) {
		if err := st.resolveDB(s.database); err != nil {
			return nil, err
		}
		b := s.binder(st, &parser.Statement{}, nil)
		d, err := b.ResolveTable(x.Schema, x.Table)
		if err != nil {
			return nil, err
		}
		if d == nil || d.ID != desc.ID || d.Version != desc.Version {
			return nil, pgerr.New(pgerr.SerializationFailure, "table %q changed during COPY", x.Table)
		}
		ins := &plan.Insert{Table: d, Codec: catalog.NewRowCodec(d), Targets: targets, Defaults: make([]plan.Expr, len(d.Columns))}
		if ins.FKOut, err = b.BindForeignKeys(d); err != nil {
			return nil, err
		}
		for i := range d.Columns {
			if ins.Defaults[i], err = b.DefaultExpr(&d.Columns[i]); err != nil {
				return nil, err
			}
		}
		v := &plan.Values{}
		for _, row := range rows {
			exprs := make([]plan.Expr, len(row))
			for i, dt := range row {
				exprs[i] = &plan.Const{D: dt, T: colTypes[i]}
			}
			v.Rows = append(v.Rows, exprs)
		}
		ins.Input = v
		insert := func(txn kvtxn.Txn) (int64, error) {
			env := &exec.Env{Ctx: st.ctx, Txn: txn, DB: s.eng.db, EvalCtx: s.evalCtx(), NodeID: s.eng.cfg.NodeID, Budget: s.eng.cfg.MemoryBudget}
			if _, err := exec.Collect(env, ins); err != nil {
				return 0, err
			}
			if f, ok := txn.(kvtxn.Flusher); ok && s.inBlock {
				if err := f.Flush(st.ctx); err != nil {
					return 0, err
				}
			}
			return env.RowsAffected, nil
		}
		if !s.inBlock {
			// The implicit transaction buffers (copyBatch writes, see
			// below) and re-runs unbuffered after a deferred failure.
			n, err := insert(st.txn)
			if err != nil {
				return nil, err
			}
			return &result{tag: fmt.Sprintf("COPY %d", n)}, nil
		}
		// In a block, buffer the rows' writes for this statement (flushed
		// before it returns). A buffered conditional write that fails
		// (a duplicate key) does not say which row: roll back to a
		// savepoint taken before the COPY and run it again unbuffered
		// for the precise error.
		sps, ok := st.txn.(kvtxn.Savepoints)
		if !ok {
			n, err := insert(st.txn)
			if err != nil {
				return nil, err
			}
			return &result{tag: fmt.Sprintf("COPY %d", n)}, nil
		}
		sp, err := sps.Savepoint(st.ctx)
		if err != nil {
			return nil, err
		}
		n, err := insert(kvtxn.BufferWritesN(st.txn, copyBatch))
		if errors.Is(err, kvtxn.ErrDeferredConditionFailed) {
			if err := sps.RollbackTo(st.ctx, sp); err != nil {
				return nil, err
			}
			n, err = insert(st.txn)
		}
		if err != nil {
			return nil, err
		}
		if err := sps.Release(st.ctx, sp); err != nil {
			return nil, err
		}
		return &result{tag: fmt.Sprintf("COPY %d", n)}, nil
	}
	if !s.inBlock {
		s.implicitBuffer = copyBatch
		defer func() { s.implicitBuffer = 0 }()
	}
	res, err := s.inTxn(ctx, run)
	return res, err
}

// copyBatch is how many writes COPY FROM buffers before it sends them
// (one batch, split by range): kvtxn.MaxBufferedWrites would make
// pgbench's 100,000-row load 400 rounds.
const copyBatch = 4096

func copyValue(t *types.T, field string, isNull bool, row int, col string) (types.Datum, error) {
	if isNull {
		return types.Null, nil
	}
	d, err := types.ParseText(t, field, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("COPY row %d, column %s: %w", row, col, err)
	}
	return d, nil
}

func parseCopyText(data []byte, x *parser.CopyStmt, ts []*types.T, _ interface{}) ([][]types.Datum, error) {
	delim := "\t"
	if x.Delimiter != nil {
		delim = *x.Delimiter
	}
	null := `\N`
	if x.Null != nil {
		null = *x.Null
	}
	var rows [][]types.Datum
	lines := strings.Split(string(data), "\n")
	for ln, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == `\.` {
			break
		}
		if line == "" && ln == len(lines)-1 {
			break
		}
		if x.Header && ln == 0 {
			continue
		}
		fields := strings.Split(line, delim)
		if len(fields) != len(ts) {
			return nil, pgerr.New("22P04", "COPY row %d has %d columns, expected %d", ln+1, len(fields), len(ts))
		}
		row := make([]types.Datum, len(ts))
		for i, f := range fields {
			isNull := f == null
			var err error
			if row[i], err = copyValue(ts[i], unescapeCopy(f), isNull, ln+1, fmt.Sprint(i+1)); err != nil {
				return nil, err
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func unescapeCopy(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func parseCopyCSV(data []byte, x *parser.CopyStmt, ts []*types.T, _ interface{}) ([][]types.Datum, error) {
	r := csv.NewReader(bytes.NewReader(data))
	if x.Delimiter != nil && len(*x.Delimiter) == 1 {
		r.Comma = rune((*x.Delimiter)[0])
	}
	r.FieldsPerRecord = len(ts)
	null := ""
	if x.Null != nil {
		null = *x.Null
	}
	recs, err := r.ReadAll()
	if err != nil {
		return nil, pgerr.New("22P04", "COPY CSV: %v", err)
	}
	var rows [][]types.Datum
	for ln, rec := range recs {
		if x.Header && ln == 0 {
			continue
		}
		row := make([]types.Datum, len(ts))
		for i, f := range rec {
			var err error
			if row[i], err = copyValue(ts[i], f, f == null, ln+1, fmt.Sprint(i+1)); err != nil {
				return nil, err
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

var copySig = []byte("PGCOPY\n\377\r\n\000")

func parseCopyBinary(data []byte, ts []*types.T) ([][]types.Datum, error) {
	bad := func() error { return pgerr.New("22P04", "COPY binary: malformed data") }
	if !bytes.HasPrefix(data, copySig) || len(data) < len(copySig)+8 {
		return nil, bad()
	}
	p := data[len(copySig)+4:]
	ext := binary.BigEndian.Uint32(p)
	p = p[4:]
	if uint64(ext) > uint64(len(p)) {
		return nil, bad()
	}
	p = p[ext:]
	var rows [][]types.Datum
	for {
		if len(p) < 2 {
			return nil, bad()
		}
		n := int16(binary.BigEndian.Uint16(p))
		p = p[2:]
		if n == -1 {
			return rows, nil
		}
		if int(n) != len(ts) {
			return nil, pgerr.New("22P04", "COPY binary row has %d columns, expected %d", n, len(ts))
		}
		row := make([]types.Datum, len(ts))
		for i := range ts {
			if len(p) < 4 {
				return nil, bad()
			}
			l := int32(binary.BigEndian.Uint32(p))
			p = p[4:]
			if l == -1 {
				row[i] = types.Null
				continue
			}
			if l < 0 || int(l) > len(p) {
				return nil, bad()
			}
			d, err := types.DecodeBinary(ts[i], p[:l])
			if err != nil {
				return nil, err
			}
			row[i] = d
			p = p[l:]
		}
		rows = append(rows, row)
	}
}

// copyOut runs COPY t [(cols)] TO STDOUT and COPY (query) TO STDOUT: the
// rows are read in one transaction (the query's, implicit or the open
// block) and sent in PostgreSQL's text, CSV or binary COPY format.
func (s *Session) copyOut(ctx context.Context, x *parser.CopyStmt, w conn.ResultWriter) (*result, error) {
	cw, ok := w.(conn.CopyOutWriter)
	if !ok {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "COPY TO STDOUT needs a client connection")
	}
	stmt := x.Query
	if stmt == nil {
		if _, err := s.inTxn(ctx, func(st *stmtCtx) (*result, error) {
			if err := st.resolveDB(s.database); err != nil {
				return nil, err
			}
			d, err := s.binder(st, &parser.Statement{}, nil).ResolveTable(x.Schema, x.Table)
			if err != nil {
				return nil, err
			}
			switch {
			case d == nil:
				return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", x.Table)
			case d.Kind == catalog.KindView:
				return nil, pgerr.New(pgerr.WrongObjectType, "cannot copy from view %q", x.Table)
			case d.Kind != catalog.KindTable:
				return nil, pgerr.New(pgerr.WrongObjectType, "cannot copy from non-table relation %q", x.Table)
			}
			return nil, nil
		}); err != nil {
			return nil, err
		}
		q := "SELECT "
		if len(x.Columns) == 0 {
			q += "*"
		}
		for i, c := range x.Columns {
			if i > 0 {
				q += ", "
			}
			q += quoteIdent(c)
		}
		q += " FROM "
		if x.Schema != "" {
			q += quoteIdent(x.Schema) + "."
		}
		q += quoteIdent(x.Table)
		st, err := parser.ParseOne(q)
		if err != nil {
			return nil, err
		}
		stmt = &st
	}
	res, err := s.run(ctx, stmt, nil)
	if err != nil {
		return nil, err
	}
	if res.cols == nil {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "COPY query must have a RETURNING clause")
	}
	f, err := newCopyFormat(x)
	if err != nil {
		return nil, err
	}
	if err := cw.CopyOut(len(res.cols), f.binary); err != nil {
		return nil, err
	}
	var buf []byte
	if f.binary {
		buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
		buf = binary.BigEndian.AppendUint32(buf, 0) // flags
		buf = binary.BigEndian.AppendUint32(buf, 0) // header extension length
	} else if x.Header {
		for i, c := range res.cols {
			if i > 0 {
				buf = append(buf, f.delim)
			}
			buf = f.appendField(buf, c.Name, false)
		}
		buf = append(buf, '\n')
	}
	for _, r := range res.rows {
		if f.binary {
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(r)))
			for i, d := range r {
				if types.IsNull(d) {
					buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
					continue
				}
				at := len(buf)
				buf = append(buf, 0, 0, 0, 0)
				if buf, err = types.AppendBinary(buf, res.cols[i].Type, d); err != nil {
					return nil, err
				}
				binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
			}
		} else {
			for i, d := range r {
				if i > 0 {
					buf = append(buf, f.delim)
				}
				if types.IsNull(d) {
					buf = append(buf, f.null...)
					continue
				}
				buf = f.appendField(buf, types.FormatText(res.cols[i].Type, d, s.loc), true)
			}
			buf = append(buf, '\n')
		}
		if err := cw.CopyData(buf); err != nil {
			return nil, err
		}
		buf = buf[:0]
	}
	if f.binary {
		buf = binary.BigEndian.AppendUint16(buf, 0xffff)
	}
	if len(buf) > 0 {
		if err := cw.CopyData(buf); err != nil {
			return nil, err
		}
	}
	return &result{tag: fmt.Sprintf("COPY %d", len(res.rows))}, nil
}

// copyFormat is how COPY TO writes fields.
type copyFormat struct {
	binary, csv   bool
	delim         byte
	null          string
	quote, escape byte
}

func newCopyFormat(x *parser.CopyStmt) (*copyFormat, error) {
	f := &copyFormat{delim: '\t', null: `\N`, quote: '"', escape: '"'}
	switch strings.ToLower(x.Format) {
	case "", "text":
	case "csv":
		f.csv, f.delim, f.null = true, ',', ""
	case "binary":
		f.binary = true
		if x.Delimiter != nil || x.Null != nil || x.Quote != nil || x.Escape != nil {
			return nil, pgerr.New(pgerr.Syntax, "cannot specify DELIMITER, NULL, QUOTE or ESCAPE in BINARY mode")
		}
		if x.Header {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
		}
		return f, nil
	default:
		return nil, pgerr.New(pgerr.InvalidParameter, "COPY format %q not recognized", x.Format)
	}
	one := func(p *string, what string, dst *byte) error {
		if p == nil {
			return nil
		}
		if len(*p) != 1 {
			return pgerr.New(pgerr.FeatureNotSupported, "COPY %s must be a single one-byte character", what)
		}
		*dst = (*p)[0]
		return nil
	}
	if err := one(x.Delimiter, "delimiter", &f.delim); err != nil {
		return nil, err
	}
	if x.Null != nil {
		f.null = *x.Null
	}
	if (x.Quote != nil || x.Escape != nil) && !f.csv {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "COPY quote and escape are available only in CSV mode")
	}
	if err := one(x.Quote, "quote", &f.quote); err != nil {
		return nil, err
	}
	f.escape = f.quote
	if err := one(x.Escape, "escape", &f.escape); err != nil {
		return nil, err
	}
	return f, nil
}

// appendField appends one non-NULL field (data: a value, not a header
// name, which in CSV is never confused with the NULL string).
func (f *copyFormat) appendField(buf []byte, v string, data bool) []byte {
	if f.csv {
		need := (data && v == f.null) || v == `\.`
		for i := 0; i < len(v) && !need; i++ {
			need = v[i] == f.delim || v[i] == f.quote || v[i] == '\n' || v[i] == '\r'
		}
		if !need {
			return append(buf, v...)
		}
		buf = append(buf, f.quote)
		for i := 0; i < len(v); i++ {
			if v[i] == f.quote || v[i] == f.escape {
				buf = append(buf, f.escape)
			}
			buf = append(buf, v[i])
		}
		return append(buf, f.quote)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\v':
			buf = append(buf, '\\', 'v')
		default:
			if c == f.delim {
				buf = append(buf, '\\')
			}
			buf = append(buf, c)
		}
	}
	return buf
}

// quoteIdent quotes a name for SQL text.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
