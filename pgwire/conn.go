package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

// reportedVars are the session variables sent as ParameterStatus at
// startup and whenever they change (PostgreSQL's GUC_REPORT set).
var reportedVars = []string{
	"server_version", "server_encoding", "client_encoding", "DateStyle",
	"IntervalStyle", "TimeZone", "integer_datetimes",
	"standard_conforming_strings", "application_name", "is_superuser",
	"session_authorization",
}

// flushThreshold is how many bytes of rows are buffered before they are
// written out mid-statement.
const flushThreshold = 64 << 10

// serverConn is one client connection. Everything but pid, secret and
// mu is owned by the connection's goroutine.
type serverConn struct {
	srv *Server
	nc  net.Conn
	be  *pgproto3.Backend
	ctx context.Context

	// msg holds the messages sent for every statement: Backend.Send
	// encodes a message into its buffer at once, so one of each per
	// connection serves them all (an allocation per row, per command
	// tag and per ReadyForQuery otherwise).
	msg struct {
		row      pgproto3.DataRow
		ready    pgproto3.ReadyForQuery
		complete pgproto3.CommandComplete
	}

	pid    uint32
	secret [4]byte

	mu struct {
		sync.Mutex
		sess conn.Session // set once the session exists (for cancel)
	}
	sess conn.Session

	user     string
	fmt      types.TextFormat // TimeZone, IntervalStyle, bytea_output for text output
	fmtGen   uint64           // VarsGeneration fmt was read at (fmtGenOK)
	fmtGenOK bool
	reported map[string]string // last ParameterStatus values
	// reportedGen is the session's VarsGeneration at the last report
	// (reportedGenOK: there was one).
	reportedGen   uint64
	reportedGenOK bool

	stmts   stmtTable
	portals map[string]*portal
	// ignoreTillSync is set by an error in the extended protocol: messages
	// up to the next Sync are discarded.
	ignoreTillSync bool
	// next is a message read ahead by an Execute (to learn whether a Sync
	// ends its batch), with the error reading it; the loop serves it next.
	next      pgproto3.FrontendMessage
	nextErr   error
	hasNext   bool
	pending   int      // bytes sent but not flushed
	writeErr  error    // first error writing to the client
	fatalErr  error    // a protocol error that ends the connection
	sentFatal bool     // a FATAL ErrorResponse went out
	rowBuf    []byte   // reused by every DataRow
	values    [][]byte // reused by every DataRow
	ends      []int    // reused by every DataRow
}

// errBadEncoding rejects query text that is not UTF-8.
var errBadEncoding = &wireError{code: "22021", msg: "invalid byte sequence for encoding \"UTF8\""}

// errClientGone marks a read or write failure on the socket: the
// connection ends without an ErrorResponse.
var errClientGone = errors.New("pgwire: client connection lost")

func (s *Server) serveConn(nc net.Conn) {
	c := &serverConn{srv: s, nc: nc, ctx: s.ctx, fmt: types.TextFormat{Loc: time.UTC},
		reported: map[string]string{}, stmts: map[string]*preparedStmt{}, portals: map[string]*portal{}}
	defer func() { c.closeConn() }()
	defer func() {
		// An engine bug must not take the node down with it: end this
		// connection only.
		if r := recover(); r != nil {
			s.log.Error("pgwire: panic serving a connection", "panic", r, "stack", string(debug.Stack()))
			if c.be != nil && c.writeErr == nil {
				c.fatal(wireErrorf("XX000", "internal error: %v", r))
			}
		}
	}()
	_ = nc.SetDeadline(time.Now().Add(s.cfg.StartupTimeout))
	sm, err := c.startup()
	if err != nil || sm == nil {
		if err != nil && !errors.Is(err, errClientGone) {
			s.log.Debug("pgwire: startup failed", "remote", nc.RemoteAddr(), "err", err)
		}
		return
	}
	if err := c.open(sm); err != nil {
		return
	}
	defer c.close()
	_ = c.nc.SetDeadline(time.Time{})
	c.be.SetMaxBodyLen(s.cfg.MaxMessageSize)
	c.loop()
}

// startup reads the startup packet, answering SSLRequest and
// GSSEncRequest; it returns nil after a CancelRequest.
func (c *serverConn) startup() (*pgproto3.StartupMessage, error) {
	c.be = pgproto3.NewBackend(c.nc, c.nc)
	tlsDone := false
	for range 3 { // at most SSLRequest, GSSEncRequest, StartupMessage
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			if isNetErr(err) {
				return nil, errClientGone
			}
			c.fatal(protocolViolation("invalid startup packet: %v", err))
			return nil, err
		}
		switch m := msg.(type) {
		case *pgproto3.CancelRequest:
			c.srv.cancelRequest(m.ProcessID, m.SecretKey)
			return nil, nil
		case *pgproto3.SSLRequest:
			if c.srv.cfg.TLS == nil || tlsDone {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return nil, errClientGone
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return nil, errClientGone
			}
			tc := tls.Server(c.nc, c.srv.cfg.TLS)
			if err := tc.HandshakeContext(c.ctx); err != nil {
				return nil, err
			}
			tlsDone = true
			// A new Backend: nothing the client sent before the handshake
			// is read as if it came over TLS.
			c.nc = tc
			c.be = pgproto3.NewBackend(tc, tc)
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return nil, errClientGone
			}
		case *pgproto3.StartupMessage:
			return m, nil
		}
	}
	c.fatal(protocolViolation("too many startup requests"))
	return nil, errors.New("too many startup requests")
}

// open negotiates the protocol version, authenticates, starts the
// session and sends BackendKeyData, ParameterStatus and ReadyForQuery.
func (c *serverConn) open(sm *pgproto3.StartupMessage) error {
	var unrecognized []string
	args := conn.SessionArgs{Options: map[string]string{}, Statements: c.stmts}
	for k, v := range sm.Parameters {
		switch {
		case k == "user":
			args.User = v
		case k == "database":
			args.Database = v
		case strings.HasPrefix(k, "_pq_."):
			unrecognized = append(unrecognized, k)
		default:
			args.Options[k] = v
		}
	}
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unrecognized) > 0 {
		c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognized})
	}
	if args.User == "" {
		return c.fatal(&wireError{code: "28000", msg: "no PostgreSQL user name specified in startup packet"})
	}
	if args.Database == "" {
		args.Database = args.User
	}
	if enc, ok := args.Options["client_encoding"]; ok {
		if !acceptedEncoding(enc) {
			return c.fatal(&wireError{code: "22023", msg: "invalid value for parameter \"client_encoding\": \"" + enc + "\"",
				hint: "Tessera speaks only UTF8."})
		}
		args.Options["client_encoding"] = "UTF8"
	}
	c.user = args.User
	if max := c.srv.cfg.MaxConnections; max > 0 && c.srv.NumConns() >= max {
		return c.fatal(&wireError{code: "53300", msg: "sorry, too many clients already"})
	}
	if err := c.authenticate(args.User); err != nil {
		return err
	}
	sess, err := c.srv.cfg.Engine.NewSession(c.ctx, args)
	if err != nil {
		return c.fatal(err)
	}
	c.sess = sess
	c.mu.Lock()
	c.mu.sess = sess
	c.mu.Unlock()
	if !c.srv.register(c) {
		sess.Close()
		return c.fatal(&wireError{code: "57P01", msg: "terminating connection due to server shutdown"})
	}
	if bk, ok := sess.(conn.BackendKeyed); ok {
		bk.SetBackend(int32(c.pid), func() { // pg_terminate_backend
			c.cancelStatement()
			_ = c.nc.Close()
		})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.reportParams(true)
	c.sendReady()
	return c.flush()
}

// acceptedEncoding says whether a client_encoding the client asked for is
// one we can serve: UTF8 (or SQL_ASCII, which PostgreSQL passes through
// unconverted; libpq asks for it under the C locale).
func acceptedEncoding(enc string) bool {
	e := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(enc, "-", ""), "_", ""))
	switch e {
	case "UTF8", "UNICODE", "SQLASCII":
		return true
	}
	return false
}

// close ends the session and unregisters the connection.
func (c *serverConn) close() {
	c.srv.unregister(c)
	c.closePortals()
	c.mu.Lock()
	c.mu.sess = nil
	c.mu.Unlock()
	c.sess.Close()
}

// cancelStatement interrupts the running statement (CancelRequest).
func (c *serverConn) cancelStatement() {
	c.mu.Lock()
	sess := c.mu.sess
	c.mu.Unlock()
	if sess != nil {
		sess.Cancel()
	}
}

// loop serves messages until Terminate, a protocol error or a closed
// socket.
func (c *serverConn) loop() {
	for c.writeErr == nil && c.fatalErr == nil {
		msg, err := c.receive()
		if err != nil {
			c.receiveFailed(err)
			return
		}
		if c.ignoreTillSync {
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate:
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			if !utf8.ValidString(m.String) {
				c.sendError(errBadEncoding)
				c.sendReady()
				_ = c.flush()
				continue
			}
			c.simpleQuery(m.String)
		case *pgproto3.Parse:
			if !utf8.ValidString(m.Query) {
				c.extended(errBadEncoding)
				continue
			}
			c.extended(c.parse(m))
		case *pgproto3.Bind:
			c.extended(c.bind(m))
		case *pgproto3.Describe:
			c.extended(c.describe(m))
		case *pgproto3.Execute:
			ex := &pgproto3.Execute{Portal: m.Portal, MaxRows: m.MaxRows} // m is reused by the read-ahead
			c.batchExecute(ex)
			c.extended(c.execute(ex))
		case *pgproto3.Close:
			c.extended(c.closeObject(m))
		case *pgproto3.Sync:
			c.sync()
		case *pgproto3.Flush:
			_ = c.flush()
		case *pgproto3.Terminate:
			_ = c.flush()
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY these are ignored (protocol spec: so that a
			// client's stream after a failed COPY does not confuse us).
		case *pgproto3.FunctionCall:
			c.extended(&wireError{code: "0A000", msg: "fastpath function calls are not supported"})
		default:
			c.fatal(protocolViolation("unexpected message %T", m))
			return
		}
	}
	if c.fatalErr != nil && c.writeErr == nil {
		c.fatal(c.fatalErr)
	}
}

// receive returns the message read ahead, if any, or the next one.
func (c *serverConn) receive() (pgproto3.FrontendMessage, error) {
	if c.hasNext {
		msg, err := c.next, c.nextErr
		c.next, c.nextErr, c.hasNext = nil, nil, false
		return msg, err
	}
	return c.be.Receive()
}

// batchExecute prepares an Execute's transaction. PostgreSQL runs every
// Execute before a Sync in one implicit transaction, which Sync commits
// (or rolls back after an error). So the message after the Execute is
// read first: when it is Sync, the statement runs as a transaction of its
// own (and keeps its automatic retries); otherwise the session opens an
// implicit transaction that Sync ends. Reading ahead cannot stall a
// client: until a Sync or Flush the server owes it no output. COPY is
// the exception (its client waits for CopyInResponse), so it is not read
// ahead for.
func (c *serverConn) batchExecute(m *pgproto3.Execute) {
	ib, ok := c.sess.(conn.ImplicitBatches)
	if !ok || c.hasNext {
		return
	}
	p := c.portals[m.Portal]
	if p == nil || p.stmt.prep == nil || p.done || isCopy(p.stmt.query) {
		return
	}
	c.next, c.nextErr = c.be.Receive()
	c.hasNext = true
	if _, sync := c.next.(*pgproto3.Sync); c.nextErr == nil && sync {
		return
	}
	ib.BeginImplicit()
}

// isCopy says whether a query is a COPY statement.
func isCopy(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	return len(q) >= 4 && strings.EqualFold(q[:4], "copy")
}

// receiveFailed ends the connection after a failed Receive, telling the
// client why when the message (not the socket) was bad.
func (c *serverConn) receiveFailed(err error) {
	if isNetErr(err) {
		return
	}
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &tooBig) {
		c.fatal(&wireError{code: "08P01", msg: "message too large", detail: tooBig.Error()})
		return
	}
	c.fatal(protocolViolation("invalid frontend message: %v", err))
}

// isNetErr says whether err is the socket failing or closing (as opposed
// to a malformed message).
func isNetErr(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) || errors.Is(err, errClientGone)
}

// extended finishes one extended-protocol message: an error is sent and
// the rest up to Sync is skipped.
func (c *serverConn) extended(err error) {
	if err == nil {
		return
	}
	if errors.Is(err, errClientGone) || c.fatalErr != nil || c.writeErr != nil {
		return
	}
	c.sendError(err)
	c.ignoreTillSync = true
}

// sync answers Sync: it ends the skip after an error, closes the portals
// once no transaction is open, and sends ReadyForQuery.
func (c *serverConn) sync() {
	failed := c.ignoreTillSync
	c.ignoreTillSync = false
	if ib, ok := c.sess.(conn.ImplicitBatches); ok {
		if err := ib.EndImplicit(c.ctx, !failed); err != nil && !errors.Is(err, errClientGone) {
			c.sendError(err)
		}
	}
	if c.sess.TxnStatus() == 'I' {
		c.closePortals()
	}
	c.reportParams(false)
	c.sendReady()
	_ = c.flush()
}

func (c *serverConn) closePortals() {
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
}

func (c *serverConn) sendReady() {
	c.msg.ready.TxStatus = c.sess.TxnStatus()
	c.be.Send(&c.msg.ready)
}

// reportParams sends ParameterStatus for each reported variable whose
// value changed (all of them when initial).
func (c *serverConn) reportParams(initial bool) {
	// A session that counts its variable changes is asked for each
	// variable only after one (this ran after every statement).
	vg, counted := c.sess.(varsGenerationer)
	var gen uint64
	if counted {
		gen = vg.VarsGeneration()
		if !initial && c.reportedGenOK && gen == c.reportedGen {
			return
		}
		defer func() { c.reportedGen, c.reportedGenOK = gen, true }()
	}
	for _, name := range reportedVars {
		v, ok := c.sess.Var(name)
		if !ok {
			v, ok = c.defaultVar(name)
		}
		if !ok {
			continue
		}
		if old, seen := c.reported[name]; seen && old == v && !initial {
			continue
		}
		c.reported[name] = v
		c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		if name == "TimeZone" {
			if l, ok := c.sess.(locationer); ok && l.Location() != nil {
				c.fmt.Loc = l.Location()
			} else if loc, err := loadLocation(v); err == nil {
				c.fmt.Loc = loc
			}
		}
	}
}

// refreshFormat reads the session's IntervalStyle and bytea_output into
// c.fmt (only after a variable changed, when the session counts changes).
func (c *serverConn) refreshFormat() {
	if vg, ok := c.sess.(varsGenerationer); ok {
		g := vg.VarsGeneration()
		if c.fmtGenOK && g == c.fmtGen {
			return
		}
		c.fmtGen, c.fmtGenOK = g, true
	}
	if v, ok := c.sess.Var("IntervalStyle"); ok {
		if st, ok := types.ParseIntervalStyle(v); ok {
			c.fmt.IntervalStyle = st
		}
	}
	if v, ok := c.sess.Var("bytea_output"); ok {
		c.fmt.ByteaEscape = strings.EqualFold(strings.TrimSpace(v), "escape")
	}
}

// varsGenerationer is a session that counts the changes of its
// variables (sql/session.Session.VarsGeneration): reportParams asks for
// the variables only when the count moved.
type varsGenerationer interface{ VarsGeneration() uint64 }

// defaultVar is the value reported for a variable the session does not
// know.
func (c *serverConn) defaultVar(name string) (string, bool) {
	switch name {
	case "server_version":
		return c.srv.cfg.ServerVersion, true
	case "server_encoding", "client_encoding":
		return "UTF8", true
	case "DateStyle":
		return "ISO, MDY", true
	case "IntervalStyle":
		return "postgres", true
	case "TimeZone":
		return "UTC", true
	case "integer_datetimes", "standard_conforming_strings":
		return "on", true
	case "is_superuser":
		return "on", true
	case "session_authorization":
		return c.user, true
	}
	return "", false
}

// loadLocation reads a TimeZone setting: a tz database name or UTC.
func loadLocation(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "ZULU":
		return time.UTC, nil
	}
	return time.LoadLocation(name)
}

// send buffers a message, flushing when enough is buffered.
// sendComplete sends CommandComplete with tag.
func (c *serverConn) sendComplete(tag string) {
	c.msg.complete.CommandTag = append(c.msg.complete.CommandTag[:0], tag...)
	c.be.Send(&c.msg.complete)
}

func (c *serverConn) send(msg pgproto3.BackendMessage, size int) {
	c.be.Send(msg)
	c.pending += size
	if c.pending >= flushThreshold {
		_ = c.flush()
	}
}

// flush writes buffered messages; the first failure is remembered and
// ends the connection.
func (c *serverConn) flush() error {
	c.pending = 0
	if c.writeErr != nil {
		return c.writeErr
	}
	if err := c.be.Flush(); err != nil {
		c.writeErr = errClientGone
		return c.writeErr
	}
	return nil
}

// sendError buffers an ErrorResponse for err.
func (c *serverConn) sendError(err error) {
	c.be.Send(errorResponse(err, "ERROR"))
}

// fatal sends a FATAL ErrorResponse and flushes; the caller closes the
// connection. It returns err for convenience.
func (c *serverConn) fatal(err error) error {
	if c.writeErr == nil {
		c.be.Send(errorResponse(err, "FATAL"))
		_ = c.flush()
		c.sentFatal = c.writeErr == nil
	}
	return err
}

// lingerTime and lingerBytes bound how long and how much a connection
// that got a FATAL error keeps reading before it closes.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 1 << 26
)

// closeConn closes the socket. After a FATAL error the client may still
// be writing (the rest of an oversized message, say); closing with
// unread bytes makes the kernel send a reset that can destroy the error
// before the client reads it. So the write side is shut first and what
// the client still sends is read and dropped until it closes, a bound
// passes or the server shuts down (which closes the socket).
func (c *serverConn) closeConn() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && c.sentFatal {
		if cw.CloseWrite() == nil {
			_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.CopyN(io.Discard, c.nc, lingerBytes)
		}
	}
	_ = c.nc.Close()
}
