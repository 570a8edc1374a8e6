package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/sql/conn"
)

// SQLEngineFunc builds the node's SQL engine (sql/conn.Engine) once the
// node's store runs; ctx is cancelled when the node stops. An error is
// logged and the call retried with backoff (the cluster may still be
// electing leaseholders).
type SQLEngineFunc func(ctx context.Context, n *Server) (conn.Engine, error)

// DB returns the node's KV client (what a SQL engine is built on).
func (s *Server) DB() *kvclient.DB { return s.kv }

// SQLAddr returns the address the SQL (pgwire) listener is bound to, ""
// when the node serves no SQL.
func (s *Server) SQLAddr() string {
	if s.sqlLis == nil {
		return ""
	}
	return s.sqlLis.Addr().String()
}

// SQLReady is closed once the SQL engine is built and sessions are
// accepted.
func (s *Server) SQLReady() <-chan struct{} { return s.sqlEng.ready }

// listenSQL binds cfg.SQLAddr (New calls it, so the port is known before
// Start).
func (s *Server) listenSQL() error {
	s.sqlEng = &startingEngine{ready: make(chan struct{})}
	if s.cfg.SQLAddr == "" {
		return nil
	}
	if s.cfg.SQLEngine == nil {
		return fmt.Errorf("%w: SQL address %s without a SQL engine", ErrBadConfig, s.cfg.SQLAddr)
	}
	lis, err := net.Listen("tcp", s.cfg.SQLAddr)
	if err != nil {
		return fmt.Errorf("server: sql listen %s: %w", s.cfg.SQLAddr, err)
	}
	s.sqlLis = lis
	return nil
}

// startSQL serves pgwire on the SQL listener until Stop. Until the store
// runs and the engine is built, clients are refused with SQLSTATE 57P03.
func (s *Server) startSQL() error {
	if s.sqlLis == nil {
		return nil
	}
	pw, err := pgwire.New(pgwire.Config{
		Engine:        s.sqlEng,
		Users:         s.cfg.SQLUsers,
		TLS:           s.cfg.SQLTLS,
		ServerVersion: s.cfg.ServerVersion,
		Logger:        s.log,
	})
	if err != nil {
		return err
	}
	s.pgwire = pw
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := pw.Serve(s.sqlLis); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sql server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		<-s.stopper
		pw.Close()
	}()
	go func() {
		defer s.wg.Done()
		s.buildSQLEngine()
	}()
	s.log.Info("serving SQL", "addr", s.sqlLis.Addr().String(), "auth", map[bool]string{true: "scram-sha-256", false: "trust"}[s.cfg.SQLUsers != nil])
	return nil
}

// buildSQLEngine waits for the store and builds the engine, retrying
// failures with backoff until it succeeds or the node stops.
func (s *Server) buildSQLEngine() {
	select {
	case <-s.running:
	case <-s.stopper:
		return
	}
	backoff := 100 * time.Millisecond
	for {
		ctx, cancel := s.stopCtx(context.Background(), time.Minute)
		eng, err := s.cfg.SQLEngine(ctx, s)
		cancel()
		if err == nil {
			s.sqlEng.set(eng)
			s.log.Info("SQL engine ready")
			return
		}
		s.log.Warn("building the SQL engine (will retry)", "err", err)
		if !s.sleep(backoff) {
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// startingEngine is the conn.Engine pgwire serves from Start: it refuses
// sessions until the real engine is set, then hands them to it.
type startingEngine struct {
	mu    sync.Mutex
	eng   conn.Engine
	ready chan struct{} // closed by set
}

func (e *startingEngine) set(eng conn.Engine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eng = eng
	close(e.ready)
}

// NewSession implements conn.Engine.
func (e *startingEngine) NewSession(ctx context.Context, args conn.SessionArgs) (conn.Session, error) {
	e.mu.Lock()
	eng := e.eng
	e.mu.Unlock()
	if eng == nil {
		return nil, errStartingUp{}
	}
	return eng.NewSession(ctx, args)
}

// errStartingUp is what clients get before the engine is ready.
type errStartingUp struct{}

func (errStartingUp) Error() string {
	return "the database system is starting up (the node has not joined a cluster yet, or the SQL engine is being built)"
}
func (errStartingUp) SQLState() string { return "57P03" }
