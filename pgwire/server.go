package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/tesseradb/tessera/sql/conn"
)

// DefaultMaxMessageSize bounds one client message (64 MiB). A larger one
// closes that connection with SQLSTATE 08P01.
const DefaultMaxMessageSize = 64 << 20

// Config configures a Server.
type Config struct {
	// Engine runs the SQL of every connection (required).
	Engine conn.Engine
	// Users, if set, requires SCRAM-SHA-256 password authentication. If
	// nil, every user is trusted (the --insecure mode).
	Users UserStore
	// TLS, if set, is offered to clients that send SSLRequest; without it
	// they are answered 'N'.
	TLS *tls.Config
	// ServerVersion is reported in ParameterStatus server_version unless
	// the session has its own (default "16.0 (Tessera)").
	ServerVersion string
	// MaxMessageSize bounds a client message body (default
	// DefaultMaxMessageSize).
	MaxMessageSize int
	// MaxConnections, if positive, bounds the sessions open at once; the
	// next client gets FATAL 53300 (too_many_connections).
	MaxConnections int
	// StartupTimeout bounds the startup and authentication phase (default
	// 60s).
	StartupTimeout time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Server accepts PostgreSQL wire protocol connections and runs them
// against an Engine.
type Server struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // cancelled by Close; parent of every session
	cancel context.CancelFunc

	mu struct {
		sync.Mutex
		closed    bool
		listeners map[net.Listener]struct{}
		conns     map[uint32]*serverConn // by backend process ID, once started
		netConns  map[net.Conn]struct{}  // every open client connection
		nextPID   uint32
	}
	wg sync.WaitGroup
}

// New returns a Server; Serve starts accepting.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("pgwire: no engine")
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "16.0 (Tessera)"
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.listeners = map[net.Listener]struct{}{}
	s.mu.conns = map[uint32]*serverConn{}
	s.mu.netConns = map[net.Conn]struct{}{}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.mu.nextPID = binary.BigEndian.Uint32(b[:])>>2 + 1
	return s, nil
}

// Serve accepts connections on lis until Close; it returns nil after Close.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		lis.Close()
		return nil
	}
	s.mu.listeners[lis] = struct{}{}
	s.mu.Unlock()
	for backoff := time.Duration(0); ; {
		nc, err := lis.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.mu.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("pgwire: accept: %w", err)
		}
		backoff = 0
		if !s.track(nc) {
			nc.Close()
			return nil
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(nc)
			s.serveConn(nc)
		}()
	}
}

// track counts a connection and its goroutine unless the server is
// closed.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return false
	}
	s.mu.netConns[nc] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.netConns, nc)
}

// Close stops the listeners, cancels every session's statement, closes
// every connection and waits for their goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.mu.closed = true
	for l := range s.mu.listeners {
		l.Close()
	}
	conns := make([]net.Conn, 0, len(s.mu.netConns))
	for nc := range s.mu.netConns {
		conns = append(conns, nc)
	}
	s.mu.Unlock()
	s.cancel()
	for _, nc := range conns {
		nc.Close() // the raw connection (under TLS too): unblocks every read
	}
	s.wg.Wait()
}

// register assigns c a process ID and secret and makes it cancellable.
func (s *Server) register(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return false
	}
	for {
		s.mu.nextPID++
		if s.mu.nextPID == 0 || s.mu.nextPID > 1<<31-1 {
			s.mu.nextPID = 1
		}
		if _, used := s.mu.conns[s.mu.nextPID]; !used {
			break
		}
	}
	c.pid = s.mu.nextPID
	_, _ = rand.Read(c.secret[:])
	s.mu.conns[c.pid] = c
	return true
}

func (s *Server) unregister(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.conns[c.pid] == c {
		delete(s.mu.conns, c.pid)
	}
}

// cancelRequest handles a CancelRequest: it interrupts the statement of
// the connection with that process ID if the secret matches, and says
// nothing either way (as PostgreSQL).
func (s *Server) cancelRequest(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.mu.conns[pid]
	s.mu.Unlock()
	if c == nil || len(secret) != len(c.secret) || subtle.ConstantTimeCompare(secret, c.secret[:]) != 1 {
		s.log.Debug("pgwire: cancel request does not match a connection", "pid", pid)
		return
	}
	c.cancelStatement()
}

// NumConns is the number of connections past startup (for tests and
// metrics).
func (s *Server) NumConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.conns)
}
