package server

import (
	"errors"
	"fmt"
	"net"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/sql/conn"
)

// SQLEngineFunc builds the node's SQL engine (sql/conn.Engine) from the
// node once its KV client exists; Start calls it once.
type SQLEngineFunc func(n *Server) (conn.Engine, error)

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

// listenSQL binds cfg.SQLAddr (New calls it, so the port is known before
// Start).
func (s *Server) listenSQL() error {
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

// startSQL builds the engine and serves pgwire on the SQL listener until
// Stop.
func (s *Server) startSQL() error {
	if s.sqlLis == nil {
		return nil
	}
	eng, err := s.cfg.SQLEngine(s)
	if err != nil {
		return fmt.Errorf("server: sql engine: %w", err)
	}
	pw, err := pgwire.New(pgwire.Config{
		Engine:        eng,
		Users:         s.cfg.SQLUsers,
		TLS:           s.cfg.SQLTLS,
		ServerVersion: s.cfg.ServerVersion,
		Logger:        s.log,
	})
	if err != nil {
		return err
	}
	s.pgwire = pw
	s.wg.Add(2)
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
	s.log.Info("serving SQL", "addr", s.sqlLis.Addr().String(), "auth", map[bool]string{true: "scram-sha-256", false: "trust"}[s.cfg.SQLUsers != nil])
	return nil
}
