package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/server"
)

// DefaultSQLPort is the PostgreSQL wire protocol port (DESIGN §7).
const DefaultSQLPort = 5433

// newSQLEngine builds the node's SQL engine. It is nil in a build without
// the SQL layer; `tessera start` then serves no SQL and says so.
var newSQLEngine server.SQLEngineFunc

// insecureFlag is --insecure: false, true (trust auth and no TLS, on a
// loopback SQL address only) or force (also on other addresses).
type insecureFlag string

func (f *insecureFlag) String() string { return string(*f) }
func (f *insecureFlag) Type() string   { return "true|false|force" }
func (f *insecureFlag) Set(v string) error {
	switch strings.ToLower(v) {
	case "", "true", "1", "t", "yes":
		*f = "true"
	case "false", "0", "f", "no":
		*f = "false"
	case "force":
		*f = "force"
	default:
		return fmt.Errorf("--insecure takes true, false or force, not %q", v)
	}
	return nil
}

// sqlSecurity is the validated SQL authentication and TLS setup.
type sqlSecurity struct {
	users pgwire.UserStore // nil: trust
	tls   *tls.Config
}

// validateSQL checks --sql-addr, --insecure, --sql-users, --cert and --key.
func (f *startFlags) validateSQL() (addr string, sec sqlSecurity, err error) {
	if f.sqlAddr == "" {
		return "", sqlSecurity{}, nil
	}
	if host, port, e := net.SplitHostPort(f.sqlAddr); e == nil && port == "0" && host != "" {
		addr = f.sqlAddr // port 0: any free port (printed at startup; tests use it)
	} else if addr, err = parseAddrPort(f.sqlAddr, DefaultSQLPort); err != nil {
		return "", sqlSecurity{}, fmt.Errorf("--sql-addr: %w", err)
	}
	insecure := f.insecure == "true" || f.insecure == "force"
	if (f.certFile == "") != (f.keyFile == "") {
		return "", sqlSecurity{}, usageErrorf("--cert and --key go together")
	}
	if insecure {
		if f.sqlUsers != "" || f.certFile != "" {
			return "", sqlSecurity{}, usageErrorf("--insecure excludes --sql-users, --cert and --key")
		}
		if f.insecure != "force" && !isLoopback(addr) {
			return "", sqlSecurity{}, usageErrorf("--insecure on the non-loopback SQL address %s lets anyone in without a password; "+
				"use --sql-users (and --cert/--key), or --insecure=force if you mean it", addr)
		}
		return addr, sqlSecurity{}, nil
	}
	if f.sqlUsers == "" {
		return "", sqlSecurity{}, usageErrorf("SQL clients need --sql-users FILE (SCRAM-SHA-256 passwords), or --insecure for a local development cluster (trust)")
	}
	if sec.users, err = readUsersFile(f.sqlUsers); err != nil {
		return "", sqlSecurity{}, fmt.Errorf("--sql-users: %w", err)
	}
	if f.certFile != "" {
		cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
		if err != nil {
			return "", sqlSecurity{}, fmt.Errorf("--cert/--key: %w", err)
		}
		sec.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return addr, sec, nil
}

// isLoopback says whether HOST:PORT names only this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readUsersFile reads SQL users, one "name:secret" a line ('#' starts a
// comment). The secret is a SCRAM-SHA-256 verifier as PostgreSQL stores it
// (SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey) or else a password,
// which is turned into a verifier at startup.
func readUsersFile(path string) (pgwire.StaticUsers, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	users := pgwire.StaticUsers{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, secret, ok := strings.Cut(line, ":")
		if !ok || name == "" || secret == "" {
			return nil, fmt.Errorf("%s:%d: want name:secret", path, n)
		}
		var v pgwire.SCRAMVerifier
		if strings.HasPrefix(secret, "SCRAM-SHA-256$") {
			v, err = pgwire.ParseSCRAMVerifier(secret)
		} else {
			v, err = pgwire.NewSCRAMVerifier(secret, pgwire.DefaultSCRAMIterations)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		users[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return users, nil
}
