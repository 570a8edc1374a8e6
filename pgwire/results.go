package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"
	"time"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

// Format codes of the protocol.
const (
	textFormat   int16 = 0
	binaryFormat int16 = 1
)

// resultWriter is the conn.ResultWriter of one statement: it encodes rows
// as DataRow in the formats the client asked for.
type resultWriter struct {
	c *serverConn
	// describe: send RowDescription when the engine announces columns
	// (simple protocol; the extended protocol describes up front).
	describe bool
	// formatCodes are Bind's result format codes (none: all text).
	formatCodes []int16
	cols        []conn.Column
	formats     []int16
	rows        int
	copy        *copyIn // set by CopyIn
	copyOut     bool    // CopyOut sent CopyOutResponse; CopyDone is owed
}

var _ conn.ResultWriter = (*resultWriter)(nil)
var _ conn.CopyInWriter = (*resultWriter)(nil)
var _ conn.CopyOutWriter = (*resultWriter)(nil)

// Columns implements conn.ResultWriter.
func (w *resultWriter) Columns(cols []conn.Column) error {
	w.cols = cols
	if l, ok := w.c.sess.(locationer); ok {
		// the time zone as of this statement (a SET earlier in the same
		// simple-protocol message has already changed it)
		if loc := l.Location(); loc != nil {
			w.c.fmt.Loc = loc
		}
	}
	w.c.refreshFormat()
	w.formats = resolveFormats(w.formatCodes, len(cols))
	if w.describe {
		w.c.be.Send(rowDescription(cols, w.formats))
	}
	return w.c.writeErr
}

// resolveFormats expands Bind's result format codes (validated by
// checkFormatCodes) to one per column.
func resolveFormats(codes []int16, n int) []int16 {
	f := make([]int16, n)
	switch len(codes) {
	case 0:
	case 1:
		for i := range f {
			f[i] = codes[0]
		}
	default:
		copy(f, codes)
	}
	return f
}

// checkFormatCodes validates a list of format codes for n values.
func checkFormatCodes(codes []int16, n int, what string) error {
	if len(codes) > 1 && len(codes) != n {
		return protocolViolation("bind message has %d %s formats but %d %ss", len(codes), what, n, what)
	}
	for _, f := range codes {
		if f != textFormat && f != binaryFormat {
			return wireErrorf("22023", "unsupported format code: %d", f)
		}
	}
	return nil
}

// rowDescription describes cols with their formats (nil: all text).
func rowDescription(cols []conn.Column, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, col := range cols {
		f := textFormat
		if formats != nil {
			f = formats[i]
		}
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.ColumnAttr),
			DataTypeOID:          uint32(col.Type.OID()),
			DataTypeSize:         col.Type.Size(),
			TypeModifier:         col.Type.Typmod(),
			Format:               f,
		}
	}
	return rd
}

// Row implements conn.ResultWriter.
func (w *resultWriter) Row(row []types.Datum) error {
	if w.c.writeErr != nil {
		return w.c.writeErr
	}
	if len(row) != len(w.cols) {
		return wireErrorf("XX000", "internal error: row of %d values for %d columns", len(row), len(w.cols))
	}
	c := w.c
	buf := c.rowBuf[:0]
	// ends[i] is where value i ends in buf, -1 for NULL.
	ends := c.ends[:0]
	for range row {
		ends = append(ends, 0)
	}
	c.ends = ends
	for i, d := range row {
		if types.IsNull(d) {
			ends[i] = -1
			continue
		}
		t := w.cols[i].Type
		if w.formats[i] == binaryFormat {
			var err error
			if buf, err = types.AppendBinary(buf, t, d); err != nil {
				return err
			}
		} else {
			buf = c.fmt.Append(buf, t, d)
		}
		ends[i] = len(buf)
	}
	vals := c.values[:0]
	start := 0
	for _, e := range ends {
		if e < 0 {
			vals = append(vals, nil)
			continue
		}
		v := buf[start:e:e]
		if v == nil {
			v = []byte{} // an empty value (of the first row, before buf grew) is not NULL
		}
		vals = append(vals, v)
		start = e
	}
	c.rowBuf, c.values = buf, vals
	c.msg.row.Values = vals
	c.send(&c.msg.row, len(buf)+4*len(vals)+7)
	w.rows++
	return c.writeErr
}

// Notice implements conn.ResultWriter.
func (w *resultWriter) Notice(n conn.Notice) error {
	sev := n.Severity
	if sev == "" {
		sev = "NOTICE"
	}
	code := n.Code
	if code == "" {
		code = "00000"
	}
	w.c.be.Send(&pgproto3.NoticeResponse{Severity: sev, SeverityUnlocalized: sev, Code: code, Message: n.Message})
	return w.c.writeErr
}

// locationer is a session that knows its TimeZone as a location.
type locationer interface{ Location() *time.Location }
