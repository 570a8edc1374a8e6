package logictest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultPostgresBin is where Debian's postgresql-15 package installs the
// server binaries.
const DefaultPostgresBin = "/usr/lib/postgresql/15/bin"

// ErrNoPostgres means the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("logictest: PostgreSQL server binaries not found")

// Postgres is a throw-away PostgreSQL server on 127.0.0.1 with its data
// directory in a temp dir, started by StartPostgres and ended by Stop.
type Postgres struct {
	// URL connects to the "postgres" database as the superuser postgres.
	URL string
	Dir string
	Bin string

	port    int
	asUser  string // OS user the server runs as when we are root
	cmd     *exec.Cmd
	waitErr chan error
}

// PostgresBin returns the server binary directory: $TESSERA_PG_BIN, else
// DefaultPostgresBin. It fails with ErrNoPostgres if initdb or postgres is
// missing there.
func PostgresBin() (string, error) {
	dir := os.Getenv("TESSERA_PG_BIN")
	if dir == "" {
		dir = DefaultPostgresBin
	}
	for _, b := range []string{"initdb", "postgres", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%w: %s/%s missing (install the Debian package postgresql, PostgreSQL 15; or set TESSERA_PG_BIN): %v", ErrNoPostgres, dir, b, err)
		}
	}
	return dir, nil
}

// StartPostgres initialises a data directory (trust authentication, C
// collation with the C.UTF-8 character classes, as applications' UTF-8
// databases have them for upper/lower/initcap, UTF8, fsync off: a test
// server) and starts postgres on a free
// port of 127.0.0.1, waiting until it accepts connections. Running as root,
// the server runs as the OS user "postgres", which is created if missing.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := PostgresBin()
	if err != nil {
		return nil, err
	}
	p := &Postgres{Bin: bin, waitErr: make(chan error, 1)}
	if os.Geteuid() == 0 {
		p.asUser = "postgres"
		if err := ensureUser(ctx, p.asUser); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "tessera-pg-")
	if err != nil {
		return nil, err
	}
	p.Dir = dir
	ok := false
	defer func() {
		if !ok {
			p.Stop()
		}
	}()
	if p.asUser != "" {
		u, err := user.Lookup(p.asUser)
		if err != nil {
			return nil, fmt.Errorf("logictest: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := p.command(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("logictest: initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p.port = port
	logPath := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p.cmd = p.command(context.WithoutCancel(ctx), "postgres", "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "fsync=off",
		"-c", "max_connections=30")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("logictest: start postgres: %w", err)
	}
	go func() { p.waitErr <- p.cmd.Wait() }()
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("logictest: postgres did not start: %w\n%s", err, log)
	}
	ok = true
	return p, nil
}

// command runs a server binary, as p.asUser when set.
func (p *Postgres) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.Bin, name)
	if p.asUser != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", p.asUser, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

func (p *Postgres) waitReady(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	cfg, err := pgconn.ParseConfig(p.URL)
	if err != nil {
		return err
	}
	cfg.ConnectTimeout = 2 * time.Second
	for {
		c, err := pgconn.ConnectConfig(ctx, cfg)
		if err == nil {
			return c.Close(ctx)
		}
		select {
		case werr := <-p.waitErr:
			p.waitErr <- werr
			return fmt.Errorf("postgres exited: %v", werr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %s: %w", within, err)
		}
		// Poll the condition (a successful connection) until the deadline.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the server down (fast shutdown through its postmaster.pid)
// and removes its directory.
func (p *Postgres) Stop() error {
	var errs []error
	if p.cmd != nil && p.cmd.Process != nil {
		if pid, err := p.postmasterPID(); err == nil {
			// SIGINT is PostgreSQL's fast shutdown.
			if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, err)
			}
		} else {
			_ = p.cmd.Process.Signal(syscall.SIGINT)
		}
		select {
		case <-p.waitErr:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			if pid, err := p.postmasterPID(); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			<-p.waitErr
			errs = append(errs, errors.New("logictest: postgres did not stop within 30s; killed"))
		}
		p.cmd = nil
	}
	if p.Dir != "" {
		if err := os.RemoveAll(p.Dir); err != nil {
			errs = append(errs, err)
		}
		p.Dir = ""
	}
	return errors.Join(errs...)
}

func (p *Postgres) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(p.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	return strconv.Atoi(strings.TrimSpace(string(first)))
}

func ensureUser(ctx context.Context, name string) error {
	if _, err := user.Lookup(name); err == nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", "--shell", "/bin/false", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("logictest: creating OS user %s: %w\n%s", name, err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
