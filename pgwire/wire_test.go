package pgwire

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/sql/types"
)

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// client is a raw protocol client: a pgproto3 Frontend on a TCP
// connection, every read bounded by a deadline.
type client struct {
	t   testing.TB
	nc  net.Conn
	fe  *pgproto3.Frontend
	pid uint32
	key []byte
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// connect dials and completes startup as user root.
func connect(t testing.TB, addr string) (*client, []pgproto3.BackendMessage) {
	t.Helper()
	c := dial(t, addr)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "root", "database": "defaultdb", "application_name": "wiretest"}})
	msgs := c.untilReady()
	for _, m := range msgs {
		if k, ok := m.(*pgproto3.BackendKeyData); ok {
			c.pid, c.key = k.ProcessID, k.SecretKey
		}
	}
	return c, msgs
}

func (c *client) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	require.NoError(c.t, c.fe.Flush())
}

// receive reads one message, copied (a Frontend message is valid only
// until the next Receive).
func (c *client) receive() pgproto3.BackendMessage {
	c.t.Helper()
	require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(20*time.Second)))
	m, err := c.fe.Receive()
	require.NoError(c.t, err)
	return copyMsg(m)
}

// copyMsg deep-copies the messages the tests look into.
func copyMsg(m pgproto3.BackendMessage) pgproto3.BackendMessage {
	switch v := m.(type) {
	case *pgproto3.DataRow:
		vals := make([][]byte, len(v.Values))
		for i, b := range v.Values {
			if b != nil {
				vals[i] = append([]byte{}, b...)
			}
		}
		return &pgproto3.DataRow{Values: vals}
	case *pgproto3.RowDescription:
		f := make([]pgproto3.FieldDescription, len(v.Fields))
		copy(f, v.Fields)
		for i := range f {
			f[i].Name = append([]byte{}, f[i].Name...)
		}
		return &pgproto3.RowDescription{Fields: f}
	case *pgproto3.CommandComplete:
		return &pgproto3.CommandComplete{CommandTag: append([]byte{}, v.CommandTag...)}
	case *pgproto3.ErrorResponse:
		e := *v
		return &e
	case *pgproto3.NoticeResponse:
		e := *v
		return &e
	case *pgproto3.ParameterStatus:
		p := *v
		return &p
	case *pgproto3.ReadyForQuery:
		r := *v
		return &r
	case *pgproto3.ParameterDescription:
		return &pgproto3.ParameterDescription{ParameterOIDs: append([]uint32{}, v.ParameterOIDs...)}
	case *pgproto3.BackendKeyData:
		return &pgproto3.BackendKeyData{ProcessID: v.ProcessID, SecretKey: append([]byte{}, v.SecretKey...)}
	case *pgproto3.CopyInResponse:
		return &pgproto3.CopyInResponse{OverallFormat: v.OverallFormat, ColumnFormatCodes: append([]uint16{}, v.ColumnFormatCodes...)}
	}
	return m
}

// untilReady reads messages up to and including ReadyForQuery.
func (c *client) untilReady() []pgproto3.BackendMessage {
	c.t.Helper()
	var out []pgproto3.BackendMessage
	for range 10000 {
		m := c.receive()
		if e, ok := m.(*pgproto3.ErrorResponse); ok && e.Severity == "FATAL" {
			c.t.Fatalf("FATAL error: %s %s", e.Code, e.Message)
		}
		out = append(out, m)
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
	c.t.Fatal("no ReadyForQuery")
	return nil
}

// expectClosed reads until the server closes the connection and returns
// the FATAL error it sent first.
func (c *client) expectFatal() *pgproto3.ErrorResponse {
	c.t.Helper()
	var fatal *pgproto3.ErrorResponse
	for range 1000 {
		require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(20*time.Second)))
		m, err := c.fe.Receive()
		if err != nil {
			var ne net.Error
			require.False(c.t, asNetTimeout(err, &ne), "server did not close the connection")
			require.NotNil(c.t, fatal, "connection closed without a FATAL error: %v", err)
			return fatal
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			require.Equal(c.t, "FATAL", e.Severity)
			fatal = copyMsg(e).(*pgproto3.ErrorResponse)
		}
	}
	c.t.Fatal("connection not closed")
	return nil
}

func asNetTimeout(err error, ne *net.Error) bool {
	if e, ok := err.(net.Error); ok && e.Timeout() {
		*ne = e
		return true
	}
	return false
}

// summary renders messages compactly for comparison.
func summary(msgs []pgproto3.BackendMessage) string {
	var b strings.Builder
	for _, m := range msgs {
		switch v := m.(type) {
		case *pgproto3.RowDescription:
			var names []string
			for _, f := range v.Fields {
				names = append(names, fmt.Sprintf("%s:%d/%d", f.Name, f.DataTypeOID, f.Format))
			}
			fmt.Fprintf(&b, "T(%s) ", strings.Join(names, ","))
		case *pgproto3.DataRow:
			var vals []string
			for _, x := range v.Values {
				if x == nil {
					vals = append(vals, "NULL")
				} else {
					vals = append(vals, string(x))
				}
			}
			fmt.Fprintf(&b, "D(%s) ", strings.Join(vals, ","))
		case *pgproto3.CommandComplete:
			fmt.Fprintf(&b, "C(%s) ", v.CommandTag)
		case *pgproto3.ErrorResponse:
			fmt.Fprintf(&b, "E(%s) ", v.Code)
		case *pgproto3.NoticeResponse:
			fmt.Fprintf(&b, "N(%s) ", v.Message)
		case *pgproto3.ReadyForQuery:
			fmt.Fprintf(&b, "Z(%c)", v.TxStatus)
		case *pgproto3.EmptyQueryResponse:
			b.WriteString("I ")
		case *pgproto3.ParseComplete:
			b.WriteString("1 ")
		case *pgproto3.BindComplete:
			b.WriteString("2 ")
		case *pgproto3.CloseComplete:
			b.WriteString("3 ")
		case *pgproto3.NoData:
			b.WriteString("n ")
		case *pgproto3.PortalSuspended:
			b.WriteString("s ")
		case *pgproto3.ParameterDescription:
			fmt.Fprintf(&b, "t%v ", v.ParameterOIDs)
		case *pgproto3.ParameterStatus:
			fmt.Fprintf(&b, "S(%s=%s) ", v.Name, v.Value)
		case *pgproto3.CopyInResponse:
			fmt.Fprintf(&b, "G(%d) ", len(v.ColumnFormatCodes))
		default:
			fmt.Fprintf(&b, "%T ", m)
		}
	}
	return b.String()
}

func (c *client) query(q string) string {
	c.t.Helper()
	c.send(&pgproto3.Query{String: q})
	return summary(c.untilReady())
}

func TestStartup(t *testing.T) {
	srv, _, addr := startTestServer(t, Config{ServerVersion: "16.0 (Tessera vX)"})
	c, msgs := connect(t, addr)
	_, ok := msgs[0].(*pgproto3.AuthenticationOk)
	require.True(t, ok, "first message %T", msgs[0])
	params := map[string]string{}
	for _, m := range msgs {
		if p, ok := m.(*pgproto3.ParameterStatus); ok {
			params[p.Name] = p.Value
		}
	}
	require.Equal(t, "16.0 (Tessera test)", params["server_version"]) // the session's own
	require.Equal(t, "UTF8", params["client_encoding"])
	require.Equal(t, "ISO, MDY", params["DateStyle"])
	require.Equal(t, "UTC", params["TimeZone"])
	require.Equal(t, "on", params["integer_datetimes"])
	require.Equal(t, "on", params["standard_conforming_strings"])
	require.Equal(t, "wiretest", params["application_name"])
	require.Equal(t, "root", params["session_authorization"])
	require.Equal(t, "on", params["is_superuser"])
	require.NotZero(t, c.pid)
	require.Len(t, c.key, 4)
	require.Equal(t, "Z(I)", summary(msgs[len(msgs)-1:]))
	require.Equal(t, 1, srv.NumConns())
	c.send(&pgproto3.Terminate{})
	_, err := io.ReadAll(c.nc)
	require.NoError(t, err) // server closed cleanly
}

func TestStartupEdgeCases(t *testing.T) {
	_, eng, addr := startTestServer(t, Config{})

	t.Run("ssl and gssenc refused", func(t *testing.T) {
		c := dial(t, addr)
		for _, req := range []pgproto3.FrontendMessage{&pgproto3.SSLRequest{}, &pgproto3.GSSEncRequest{}} {
			c.send(req)
			b := make([]byte, 1)
			_, err := io.ReadFull(c.nc, b)
			require.NoError(t, err)
			require.Equal(t, byte('N'), b[0])
		}
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
		require.Contains(t, summary(c.untilReady()), "Z(I)")
	})
	t.Run("no user", func(t *testing.T) {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"database": "x"}})
		require.Equal(t, "28000", c.expectFatal().Code)
	})
	t.Run("unknown database", func(t *testing.T) {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "nodb"}})
		require.Equal(t, "3D000", c.expectFatal().Code)
	})
	t.Run("bad client encoding", func(t *testing.T) {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "client_encoding": "LATIN1"}})
		require.Equal(t, "22023", c.expectFatal().Code)
	})
	t.Run("protocol 3.2 and _pq_ options negotiated down", func(t *testing.T) {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32, Parameters: map[string]string{"user": "u", "_pq_.foo": "1"}})
		m := c.receive()
		npv, ok := m.(*pgproto3.NegotiateProtocolVersion)
		require.True(t, ok, "%T", m)
		require.Equal(t, uint32(0), npv.NewestMinorProtocol)
		require.Equal(t, []string{"_pq_.foo"}, npv.UnrecognizedOptions)
		require.Contains(t, summary(c.untilReady()), "Z(I)")
	})
	t.Run("garbage startup packet", func(t *testing.T) {
		c := dial(t, addr)
		_, err := c.nc.Write([]byte{0, 0, 0, 8, 0x12, 0x34, 0x56, 0x78})
		require.NoError(t, err)
		require.Equal(t, "08P01", c.expectFatal().Code)
	})
	t.Run("huge startup length", func(t *testing.T) {
		c := dial(t, addr)
		_, err := c.nc.Write([]byte{0x7f, 0, 0, 0})
		require.NoError(t, err)
		require.Equal(t, "08P01", c.expectFatal().Code)
	})
	t.Run("closed mid-startup", func(t *testing.T) {
		c := dial(t, addr)
		_, err := c.nc.Write([]byte{0, 0, 0, 40, 0, 3})
		require.NoError(t, err)
		c.nc.Close()
	})
	// Sessions of failed startups were never created or were closed.
	c, _ := connect(t, addr)
	require.Equal(t, "T(?column?:23/0) D(7) C(SELECT 1) Z(I)", c.query("select 7"))
	c.send(&pgproto3.Terminate{})
	_, _ = io.ReadAll(c.nc)
	waitFor(t, func() bool { return eng.sessions.Load() <= 3 }) // the three successful ones of this test at most
}

// waitFor polls cond with a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSimpleQuery(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) T(i:20/0) D(1) D(2) D(3) C(SELECT 3) C(INSERT 0 1) Z(I)",
		c.query("select 1; series 3; insert"))
	require.Equal(t, "I Z(I)", c.query(""))
	require.Equal(t, "I Z(I)", c.query("  ;  "))
	require.Equal(t, "N(hello) C(DO) Z(I)", c.query("notice"))
	// An error mid-batch stops the batch.
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) E(22012) Z(I)", c.query("select 1; error 22012; select 2"))
	// Transaction status.
	require.Equal(t, "C(BEGIN) Z(T)", c.query("begin"))
	require.Equal(t, "C(INSERT 0 1) E(23505) Z(E)", c.query("insert; error 23505"))
	require.Equal(t, "E(25P02) Z(E)", c.query("select 1"))
	require.Equal(t, "C(ROLLBACK) Z(I)", c.query("rollback"))
	// Changed reported variables are sent as ParameterStatus.
	require.Equal(t, "C(SET) S(application_name=x) Z(I)", c.query("set application_name x"))
	require.Equal(t, "C(SET) Z(I)", c.query("set other y"))
	// NULL and every type in text.
	out := c.query("types")
	require.Contains(t, out, `D(t,-12,123456,-9000000000,1.5,-2.25e+100,12345.6789,héllo,v,c,\x00ff10,2024-02-29,13:14:15.123456,2024-02-29 13:14:15.5,2024-02-29 13:14:15.5+00,1 year 2 mons -3 days +04:05:06,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,{"a": [1, 2, null]},{"b":1},NULL)`)
}

func TestErrorResponseFields(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "nonsense"})
	msgs := c.untilReady()
	e := msgs[0].(*pgproto3.ErrorResponse)
	require.Equal(t, "ERROR", e.Severity)
	require.Equal(t, "42601", e.Code)
	require.Equal(t, `syntax error at or near "nonsense"`, e.Message)
	require.Equal(t, "some detail", e.Detail)
	require.Equal(t, "some hint", e.Hint)
	require.Equal(t, int32(1), e.Position)
}

func TestTimeZoneChangesTextOutput(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	require.Equal(t, "C(SET) S(TimeZone=America/New_York) Z(I)", c.query("set TimeZone America/New_York"))
	require.Contains(t, c.query("types"), "2024-02-29 08:14:15.5-05,")
}

func TestExtendedProtocol(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(
		&pgproto3.Parse{Name: "s1", Query: "echo int4,text", ParameterOIDs: []uint32{23}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1", Parameters: [][]byte{[]byte("42"), nil},
			ResultFormatCodes: []int16{0, 1}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
		&pgproto3.Execute{Portal: "p1"},
		&pgproto3.Parse{Query: "insert"},
		&pgproto3.Describe{ObjectType: 'S'},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "  "},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'S', Name: "s1"},
		&pgproto3.Close{ObjectType: 'P', Name: "p1"},
		&pgproto3.Close{ObjectType: 'P', Name: "never"},
		&pgproto3.Sync{},
	)
	require.Equal(t, "1 t[23 25] T(p1:23/0,p2:25/0) 2 T(p1:23/0,p2:25/1) D(42,NULL) C(SELECT 1) "+
		"1 t[] n 2 C(INSERT 0 1) 1 2 n I 3 3 3 Z(I)", summary(c.untilReady()))
	// s1 is gone.
	c.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Sync{})
	require.Equal(t, "E(26000) Z(I)", summary(c.untilReady()))

	// Binary parameters and results.
	b := binary.BigEndian.AppendUint32(nil, 7)
	c.send(&pgproto3.Parse{Name: "s2", Query: "echo int4,int8"},
		&pgproto3.Bind{PreparedStatement: "s2", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{b, []byte("-5")},
			ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	msgs := c.untilReady()
	row := msgs[2].(*pgproto3.DataRow)
	require.Equal(t, b, row.Values[0])
	require.Equal(t, binary.BigEndian.AppendUint64(nil, uint64(0xfffffffffffffffb)), row.Values[1])

	// Flush sends what is buffered before Sync.
	c.send(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s2", Parameters: [][]byte{[]byte("1"), []byte("2")}},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Flush{})
	require.Equal(t, "2 ", summary([]pgproto3.BackendMessage{c.receive()}))
	require.Equal(t, "D(1,2) ", summary([]pgproto3.BackendMessage{c.receive()}))
	require.Equal(t, "C(SELECT 1) ", summary([]pgproto3.BackendMessage{c.receive()}))
	c.send(&pgproto3.Sync{})
	require.Equal(t, "Z(I)", summary(c.untilReady()))
}

func TestExtendedErrors(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	ext := func(msgs ...pgproto3.FrontendMessage) string {
		c.send(append(msgs, &pgproto3.Sync{})...)
		return summary(c.untilReady())
	}
	// An error skips everything up to Sync.
	require.Equal(t, "E(42601) Z(I)", ext(&pgproto3.Parse{Query: "bogus"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Query{String: "select 1"}))
	require.Equal(t, "1 Z(I)", ext(&pgproto3.Parse{Name: "e", Query: "echo int4"}))
	require.Equal(t, "E(42P05) Z(I)", ext(&pgproto3.Parse{Name: "e", Query: "select 1"}))
	require.Equal(t, "E(26000) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "nope"}))
	require.Equal(t, "E(08P01) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e"}))
	require.Equal(t, "E(22P02) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x")}}))
	// Binary values: too short runs out of message (08P01, as PostgreSQL),
	// too long is a bad format (22P03).
	require.Equal(t, "E(08P01) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}}}))
	require.Equal(t, "E(22P03) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2, 3, 4, 5}}}))
	// Text that is not UTF-8, in parameters and in query text.
	require.Equal(t, "E(22021) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{{0xff}}}))
	require.Equal(t, "E(22021) Z(I)", ext(&pgproto3.Parse{Query: "select \xff"}))
	require.Equal(t, "E(22021) Z(I)", c.query("select \xff"))
	require.Equal(t, "E(22003) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("99999999999")}}))
	require.Equal(t, "E(22023) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{2}, Parameters: [][]byte{[]byte("1")}}))
	require.Equal(t, "E(08P01) Z(I)", ext(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{0, 0}}))
	require.Equal(t, "E(34000) Z(I)", ext(&pgproto3.Execute{Portal: "nope"}))
	require.Equal(t, "E(34000) Z(I)", ext(&pgproto3.Describe{ObjectType: 'P', Name: "nope"}))
	require.Equal(t, "E(26000) Z(I)", ext(&pgproto3.Describe{ObjectType: 'S', Name: "nope"}))
	require.Equal(t, "E(42704) Z(I)", ext(&pgproto3.Parse{Query: "echo ?", ParameterOIDs: []uint32{999999}}))
	require.Equal(t, "E(0A000) Z(I)", ext(&pgproto3.FunctionCall{Function: 1}))
	require.Equal(t, "2 2 E(42P03) Z(I)", ext(&pgproto3.Bind{DestinationPortal: "dup", PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}},
		&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}},
		&pgproto3.Bind{DestinationPortal: "dup", PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}}))
	// Execution errors, and the connection still works.
	require.Equal(t, "1 2 E(22012) Z(I)", ext(&pgproto3.Parse{Query: "error 22012"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}))
	require.Equal(t, "T(?column?:23/0) D(3) C(SELECT 1) Z(I)", c.query("select 3"))
	// The error position and fields come through the extended protocol too.
	c.send(&pgproto3.Parse{Query: "echo int4,nosuchtype"}, &pgproto3.Sync{})
	e := c.untilReady()[0].(*pgproto3.ErrorResponse)
	require.Equal(t, int32(6), e.Position)
	require.Equal(t, "some hint", e.Hint)
	// Parameter errors name the parameter.
	c.send(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("abc")}}, &pgproto3.Sync{})
	e = c.untilReady()[0].(*pgproto3.ErrorResponse)
	require.Equal(t, `invalid input syntax for type integer: "abc"`, e.Message)
	require.Equal(t, "portal parameter $1", e.Where)
}

func TestPortalRowLimit(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "begin"})
	c.untilReady()
	c.send(&pgproto3.Parse{Name: "s", Query: "series 5"},
		&pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "s"},
		&pgproto3.Bind{DestinationPortal: "b", PreparedStatement: "s", ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{Portal: "a", MaxRows: 2},
		&pgproto3.Execute{Portal: "b", MaxRows: 4},
		&pgproto3.Execute{Portal: "a", MaxRows: 2},
		&pgproto3.Sync{})
	msgs := c.untilReady()
	require.Equal(t, "1 2 2 D(1) D(2) s ", summary(msgs[:6]))
	require.Len(t, msgs[6].(*pgproto3.DataRow).Values[0], 8) // binary int8
	require.Equal(t, "s D(3) D(4) s Z(T)", summary(msgs[10:]))
	// Portals live on across Sync inside the transaction.
	c.send(&pgproto3.Execute{Portal: "a", MaxRows: 2}, &pgproto3.Execute{Portal: "a"}, &pgproto3.Execute{Portal: "b"}, &pgproto3.Sync{})
	msgs = c.untilReady()
	require.Equal(t, "D(5) C(SELECT 5) C(SELECT 0) ", summary(msgs[:3]))
	require.Equal(t, "C(SELECT 5) Z(T)", summary(msgs[4:]))
	// ... and are closed when it ends.
	c.send(&pgproto3.Query{String: "commit"})
	c.untilReady()
	c.send(&pgproto3.Execute{Portal: "a"}, &pgproto3.Sync{})
	require.Equal(t, "E(34000) Z(I)", summary(c.untilReady()))
	// Outside a transaction a portal lasts until Sync.
	c.send(&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s"}, &pgproto3.Execute{Portal: "c", MaxRows: 4},
		&pgproto3.Execute{Portal: "c", MaxRows: 4}, &pgproto3.Sync{},
		&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
	require.Equal(t, "2 D(1) D(2) D(3) D(4) s D(5) C(SELECT 5) Z(I)", summary(c.untilReady()))
	require.Equal(t, "E(34000) Z(I)", summary(c.untilReady()))
}

func TestBinaryFormatsAllTypes(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Parse{Query: "types"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	msgs := c.untilReady()
	rd := msgs[2].(*pgproto3.RowDescription)
	row := msgs[3].(*pgproto3.DataRow)
	require.Len(t, row.Values, len(sampleTypes)+1)
	for i, st := range sampleTypes {
		require.Equal(t, uint32(st.t.OID()), rd.Fields[i].DataTypeOID, st.t.SQLName())
		require.Equal(t, int16(1), rd.Fields[i].Format)
		got, err := types.DecodeBinary(st.t, row.Values[i])
		require.NoError(t, err, st.t.SQLName())
		want, err := types.ParseText(st.t, st.text, nil)
		require.NoError(t, err)
		require.Equal(t, types.FormatText(st.t, want, nil), types.FormatText(st.t, got, nil), st.t.SQLName())
	}
	require.Nil(t, row.Values[len(sampleTypes)])
	// Every type as a binary parameter, echoed back in text.
	var names []string
	var params [][]byte
	for _, st := range sampleTypes {
		names = append(names, st.t.PGName())
		d, err := types.ParseText(st.t, st.text, nil)
		require.NoError(t, err)
		b, err := types.AppendBinary(nil, st.t, d)
		require.NoError(t, err)
		params = append(params, b)
	}
	c.send(&pgproto3.Parse{Query: "echo " + strings.Join(names, ",")}, &pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: params},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	msgs = c.untilReady()
	require.Equal(t, "1 2 ", summary(msgs[:2]), summary(msgs))
	row = msgs[2].(*pgproto3.DataRow)
	for i, st := range sampleTypes {
		d, _ := types.ParseText(st.t, st.text, nil)
		require.Equal(t, types.FormatText(st.t, d, nil), string(row.Values[i]), st.t.SQLName())
	}
}

func TestCancel(t *testing.T) {
	_, eng, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "sleep"})
	select {
	case <-eng.sleeping:
	case <-time.After(20 * time.Second):
		t.Fatal("statement did not start")
	}
	cancel := func(pid uint32, key []byte) {
		x := dial(t, addr)
		x.send(&pgproto3.CancelRequest{ProcessID: pid, SecretKey: key})
		_, err := io.ReadAll(x.nc) // the server answers nothing and closes
		require.NoError(t, err)
	}
	wrong := append([]byte{}, c.key...)
	wrong[0] ^= 0xff
	cancel(c.pid, wrong)
	cancel(c.pid+1, c.key)
	require.Zero(t, eng.cancels.Load())
	cancel(c.pid, c.key)
	require.Equal(t, "E(57014) Z(I)", summary(c.untilReady()))
	require.Equal(t, int32(1), eng.cancels.Load())
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) Z(I)", c.query("select 1"))
}

func TestMalformedMessages(t *testing.T) {
	_, eng, addr := startTestServer(t, Config{MaxMessageSize: 1 << 20})
	other, _ := connect(t, addr)
	cases := map[string][]byte{
		"unknown type":      {'y', 0, 0, 0, 4},
		"short length":      {'Q', 0, 0, 0, 2},
		"oversized":         {'Q', 0x10, 0, 0, 0},
		"bad bind":          {'B', 0, 0, 0, 6, 0, 0},
		"query without NUL": {'Q', 0, 0, 0, 6, 'a', 'b'},
		"negative length":   {'P', 0xff, 0xff, 0xff, 0xff},
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := connect(t, addr)
			_, err := c.nc.Write(raw)
			require.NoError(t, err)
			require.Equal(t, "08P01", c.expectFatal().Code)
		})
	}
	// A message just under the limit is fine, over it is not.
	c, _ := connect(t, addr)
	big := "select 1;" + strings.Repeat(" ", 1<<20-20)
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) Z(I)", c.query(big))
	c.send(&pgproto3.Query{String: big + strings.Repeat(" ", 100)})
	e := c.expectFatal()
	require.Equal(t, "08P01", e.Code)
	require.Equal(t, "message too large", e.Message)
	// The other connection was never disturbed.
	require.Equal(t, "T(?column?:23/0) D(9) C(SELECT 1) Z(I)", other.query("select 9"))
	waitFor(t, func() bool { return eng.sessions.Load() == 1 })
}

func TestCopyIn(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "copy"})
	require.Equal(t, "G(1) ", summary([]pgproto3.BackendMessage{c.receive()}))
	c.send(&pgproto3.CopyData{Data: []byte("a\nb")}, &pgproto3.Flush{}, &pgproto3.CopyData{Data: []byte("b\nc\n")}, &pgproto3.CopyDone{})
	require.Equal(t, "C(COPY 3) Z(I)", summary(c.untilReady()))
	// An error mid-stream: the rest of the stream is discarded.
	c.send(&pgproto3.Query{String: "copy"})
	c.receive()
	c.send(&pgproto3.CopyData{Data: []byte("a\nbad\n")}, &pgproto3.CopyData{Data: []byte("more\n")}, &pgproto3.CopyDone{})
	require.Equal(t, "E(22P02) Z(I)", summary(c.untilReady()))
	// CopyFail.
	c.send(&pgproto3.Query{String: "copy"})
	c.receive()
	c.send(&pgproto3.CopyData{Data: []byte("a\n")}, &pgproto3.CopyFail{Message: "client gave up"})
	msgs := c.untilReady()
	require.Equal(t, "E(57014) Z(I)", summary(msgs))
	require.Contains(t, msgs[0].(*pgproto3.ErrorResponse).Message, "client gave up")
	// COPY through the extended protocol.
	// (A Sync during copy-in is ignored: the client syncs after CopyDone.)
	c.send(&pgproto3.Parse{Query: "copy"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	require.Equal(t, "1 2 G(1) ", summary([]pgproto3.BackendMessage{c.receive(), c.receive(), c.receive()}))
	c.send(&pgproto3.CopyData{Data: []byte("x\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	require.Equal(t, "C(COPY 1) Z(I)", summary(c.untilReady()))
	// A stray message during COPY ends the connection.
	c.send(&pgproto3.Query{String: "copy"})
	c.receive()
	c.send(&pgproto3.Parse{Query: "x"})
	require.Equal(t, "08P01", c.expectFatal().Code)
}

func TestServerCloseEndsConnections(t *testing.T) {
	srv, eng, addr := startTestServer(t, Config{})
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "sleep"})
	<-eng.sleeping
	srv.Close()
	_, err := io.ReadAll(c.nc)
	require.NoError(t, err)
	require.Zero(t, eng.sessions.Load())
	// New connections are refused.
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err)
}

func TestServerCloseDuringStartup(t *testing.T) {
	// A connection that never sends its startup packet must not hold up
	// Close (the startup timeout is far beyond the test's).
	srv, _, addr := startTestServer(t, Config{StartupTimeout: time.Hour})
	c := dial(t, addr)
	c.send(&pgproto3.SSLRequest{})
	b := make([]byte, 1)
	_, err := io.ReadFull(c.nc, b)
	require.NoError(t, err)
	srv.Close()
	_, err = io.ReadAll(c.nc)
	require.NoError(t, err)
}

func TestEnginePanicEndsOnlyThatConnection(t *testing.T) {
	_, eng, addr := startTestServer(t, Config{})
	other, _ := connect(t, addr)
	c, _ := connect(t, addr)
	c.send(&pgproto3.Query{String: "panic"})
	e := c.expectFatal()
	require.Equal(t, "XX000", e.Code)
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) Z(I)", other.query("select 1"))
	waitFor(t, func() bool { return eng.sessions.Load() == 1 })
}

func TestMaxConnections(t *testing.T) {
	_, _, addr := startTestServer(t, Config{MaxConnections: 2})
	a, _ := connect(t, addr)
	connect(t, addr)
	c := dial(t, addr)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
	require.Equal(t, "53300", c.expectFatal().Code)
	a.send(&pgproto3.Terminate{})
	_, _ = io.ReadAll(a.nc)
	waitFor(t, func() bool {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
		m := c.receive()
		_, ok := m.(*pgproto3.AuthenticationOk)
		return ok
	})
}

func TestSCRAMProtocolErrors(t *testing.T) {
	v, err := NewSCRAMVerifier("pw", 16)
	require.NoError(t, err)
	_, _, addr := startTestServer(t, Config{Users: StaticUsers{"alice": v}})
	start := func() *client {
		c := dial(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
		m := c.receive()
		sasl, ok := m.(*pgproto3.AuthenticationSASL)
		require.True(t, ok, "%T", m)
		require.Equal(t, []string{"SCRAM-SHA-256"}, sasl.AuthMechanisms)
		return c
	}
	for name, first := range map[string]*pgproto3.SASLInitialResponse{
		"mechanism":       {AuthMechanism: "SCRAM-SHA-1", Data: []byte("n,,n=,r=abc")},
		"channel binding": {AuthMechanism: "SCRAM-SHA-256", Data: []byte("p=tls-server-end-point,,n=,r=abc")},
		"no nonce":        {AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=alice")},
		"garbage":         {AuthMechanism: "SCRAM-SHA-256", Data: []byte("xyz")},
		"extension":       {AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,m=ext,n=,r=abc")},
	} {
		t.Run(name, func(t *testing.T) {
			c := start()
			c.send(first)
			require.Equal(t, "08P01", c.expectFatal().Code)
		})
	}
	for name, final := range map[string]func(nonce string) string{
		"wrong nonce":   func(string) string { return "c=biws,r=other,p=AAAA" },
		"wrong binding": func(n string) string { return "c=eSws,r=" + n + ",p=AAAA" },
		"no proof":      func(n string) string { return "c=biws,r=" + n },
		"bad proof":     func(n string) string { return "c=biws,r=" + n + ",p=AAAA" },
	} {
		t.Run(name, func(t *testing.T) {
			c := start()
			c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=clientnonce")})
			m := c.receive()
			cont, ok := m.(*pgproto3.AuthenticationSASLContinue)
			require.True(t, ok, "%T", m)
			nonce, _, _ := strings.Cut(strings.TrimPrefix(string(cont.Data), "r="), ",")
			require.True(t, strings.HasPrefix(nonce, "clientnonce"))
			c.send(&pgproto3.SASLResponse{Data: []byte(final(nonce))})
			code := c.expectFatal().Code
			if name == "bad proof" {
				require.Equal(t, "28P01", code)
			} else {
				require.Equal(t, "08P01", code)
			}
		})
	}
}

// TestReportParamsCountedVars: with a session that counts its variable
// changes, ParameterStatus still follows every change of a reported
// variable (and only a change), and statements that change nothing send
// none.
func TestReportParamsCountedVars(t *testing.T) {
	eng := newTestEngine()
	eng.countVars = true
	_, _, addr := startTestServer(t, Config{Engine: eng})
	c, _ := connect(t, addr)
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) Z(I)", c.query("select 1"))
	require.Equal(t, "C(SET) S(application_name=x) Z(I)", c.query("set application_name x"))
	require.Equal(t, "T(?column?:23/0) D(1) C(SELECT 1) Z(I)", c.query("select 1"))
	require.Equal(t, "C(SET) Z(I)", c.query("set application_name x"))
	require.Equal(t, "C(SET) Z(I)", c.query("set other y"))
	require.Equal(t, "C(SET) S(TimeZone=America/New_York) Z(I)", c.query("set TimeZone America/New_York"))
	require.Contains(t, c.query("types"), "2024-02-29 08:14:15.5-05,")
	require.Equal(t, "C(SET) C(SET) S(application_name=w) Z(I)",
		c.query("set application_name z; set application_name w"))
}
