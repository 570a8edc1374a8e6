package pgwire

import (
	"errors"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

// preparedStmt is a Parse'd statement.
type preparedStmt struct {
	query string
	// prep is nil for an empty query (Execute answers
	// EmptyQueryResponse).
	prep       conn.Prepared
	paramTypes []*types.T
	cols       []conn.Column
}

// portal is a Bind'ed statement with its parameters and, once executed
// with a row limit, the engine's suspended portal.
type portal struct {
	stmt        *preparedStmt
	params      []types.Datum
	formatCodes []int16
	rest        conn.Portal // non-nil while suspended
	done        bool        // ran to completion
	doneTag     string
}

func (p *portal) close() {
	if p.rest != nil {
		p.rest.Close()
		p.rest = nil
	}
}

// parse handles Parse.
func (c *serverConn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return wireErrorf("42P05", "prepared statement %q already exists", m.Name)
		}
	}
	oids := make([]types.OID, len(m.ParameterOIDs))
	for i, o := range m.ParameterOIDs {
		if o != 0 {
			if _, ok := types.FromOID(types.OID(o)); !ok {
				return wireErrorf("42704", "type with OID %d is not supported", o)
			}
		}
		oids[i] = types.OID(o)
	}
	ps := &preparedStmt{query: m.Query}
	if strings.TrimSpace(m.Query) != "" {
		prep, err := c.sess.Prepare(c.ctx, m.Query, oids)
		switch {
		case errors.Is(err, conn.ErrEmptyQuery):
		case err != nil:
			return err
		default:
			ps.prep = prep
			ps.paramTypes = prep.ParamTypes()
			ps.cols = prep.Columns()
		}
	}
	c.stmts[m.Name] = ps
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

// bind handles Bind: it decodes the parameters and creates the portal.
func (c *serverConn) bind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return wireErrorf("26000", "prepared statement %q does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			return wireErrorf("42P03", "portal %q already exists", m.DestinationPortal)
		}
	}
	if len(m.Parameters) != len(ps.paramTypes) {
		return protocolViolation("bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(ps.paramTypes))
	}
	if err := checkFormatCodes(m.ParameterFormatCodes, len(m.Parameters), "parameter"); err != nil {
		return err
	}
	if err := checkFormatCodes(m.ResultFormatCodes, len(ps.cols), "result"); err != nil {
		return err
	}
	pf := resolveFormats(m.ParameterFormatCodes, len(m.Parameters))
	params := make([]types.Datum, len(m.Parameters))
	for i, raw := range m.Parameters {
		if raw == nil {
			params[i] = types.Null
			continue
		}
		t := ps.paramTypes[i]
		var d types.Datum
		var err error
		switch {
		case pf[i] == binaryFormat && len(raw) < minBinaryLen(t):
			// PostgreSQL's receive functions run out of message here.
			err = protocolViolation("insufficient data left in message")
		case (pf[i] == textFormat || t.Family == types.StringFamily || t.Family == types.JSONFamily) && !utf8.Valid(raw):
			err = wireErrorf("22021", "invalid byte sequence for encoding \"UTF8\"")
		case pf[i] == binaryFormat:
			d, err = types.DecodeBinary(t, raw)
		default:
			d, err = types.ParseText(t, string(raw), c.fmt.Loc)
		}
		if err != nil {
			return paramError{i: i + 1, err: err}
		}
		params[i] = d
	}
	if old := c.portals[m.DestinationPortal]; old != nil {
		old.close()
	}
	c.portals[m.DestinationPortal] = &portal{stmt: ps, params: params,
		formatCodes: append([]int16(nil), m.ResultFormatCodes...)}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

// minBinaryLen is the shortest binary value of t that its PostgreSQL
// receive function reads without running out of message.
func minBinaryLen(t *types.T) int {
	switch t.Family {
	case types.DecimalFamily:
		return 8 // ndigits, weight, sign, dscale
	case types.ArrayFamily:
		return 12 // ndim, flags, element OID
	case types.JSONBFamily:
		return 1 // version
	}
	return max(int(t.Size()), 0)
}

// paramError wraps a parameter's decoding error with its position in the
// message, keeping its SQLSTATE.
type paramError struct {
	i   int
	err error
}

func (e paramError) Error() string { return e.err.Error() }
func (e paramError) Unwrap() error { return e.err }

// Where is the CONTEXT line of the ErrorResponse.
func (e paramError) Where() string { return "portal parameter $" + itoa(e.i) }

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// describe handles Describe of a statement or a portal.
func (c *serverConn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return wireErrorf("26000", "prepared statement %q does not exist", m.Name)
		}
		oids := make([]uint32, len(ps.paramTypes))
		for i, t := range ps.paramTypes {
			oids[i] = uint32(t.OID())
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		c.describeRows(ps.cols, nil)
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return wireErrorf("34000", "portal %q does not exist", m.Name)
		}
		c.describeRows(p.stmt.cols, resolveFormats(p.formatCodes, len(p.stmt.cols)))
	default:
		return protocolViolation("invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

func (c *serverConn) describeRows(cols []conn.Column, formats []int16) {
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	c.be.Send(rowDescription(cols, formats))
}

// execute handles Execute, with a row limit when MaxRows > 0.
func (c *serverConn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return wireErrorf("34000", "portal %q does not exist", m.Portal)
	}
	if p.stmt.prep == nil {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.done {
		// Running a finished portal again returns no more rows.
		tag := p.doneTag
		if p.stmt.cols != nil {
			tag = strings.Fields(tag + " ")[0] + " 0"
		}
		c.sendComplete(tag)
		return nil
	}
	maxRows := int(min(m.MaxRows, math.MaxInt32))
	w := &resultWriter{c: c, formatCodes: p.formatCodes}
	c.refreshFormat() // the engine may not call Columns (below)
	if p.stmt.cols != nil {
		// The engine may resume a portal without announcing columns again.
		w.cols = p.stmt.cols
		w.formats = resolveFormats(p.formatCodes, len(p.stmt.cols))
	}
	var tag string
	var rest conn.Portal
	var err error
	if p.rest != nil {
		tag, rest, err = p.rest.Resume(c.ctx, w, maxRows)
	} else {
		tag, rest, err = c.sess.Execute(c.ctx, p.stmt.prep, p.params, w, maxRows)
	}
	w.finishCopy()
	p.rest = rest
	if err != nil {
		p.close()
		delete(c.portals, m.Portal)
		return err
	}
	if rest != nil {
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.done, p.doneTag = true, tag
	c.sendComplete(tag)
	return nil
}

// closeObject handles Close; closing what does not exist is not an error.
// stmtTable is a connection's named prepared statements (Parse); it is
// the session's conn.ProtocolStatements, so SQL DEALLOCATE drops them as
// PostgreSQL does. The unnamed statement is not DEALLOCATE's to drop.
type stmtTable map[string]*preparedStmt

// Drop implements conn.ProtocolStatements.
func (t stmtTable) Drop(name string) bool {
	if _, ok := t[name]; !ok || name == "" {
		return false
	}
	delete(t, name)
	return true
}

// DropAll implements conn.ProtocolStatements.
func (t stmtTable) DropAll() {
	for name := range t {
		if name != "" {
			delete(t, name)
		}
	}
}

func (c *serverConn) closeObject(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			p.close()
			delete(c.portals, m.Name)
		}
	default:
		return protocolViolation("invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}
