package blackbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// Binary returns the path of a tessera binary: $TESSERA_BIN (absolute) if
// set, else
// one built once per test process into a temp dir (removed by Cleanup).
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("TESSERA_BIN"); b != "" {
		if !filepath.IsAbs(b) {
			t.Fatalf("TESSERA_BIN=%s: give an absolute path (tests run in their package directory)", b)
		}
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("TESSERA_BIN: %v", err)
		}
		return b
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tessera-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "tessera")
		_, here, _, _ := runtime.Caller(0)
		pkg := filepath.Join(filepath.Dir(here), "..") // cmd/tessera
		cmd := exec.Command("go", "build", "-o", buildBin, ".")
		cmd.Dir = pkg
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building tessera: %v", buildErr)
	}
	return buildBin
}

// Cleanup removes the binary built by Binary; call it from TestMain.
func Cleanup() {
	if buildBin != "" {
		os.RemoveAll(filepath.Dir(buildBin))
	}
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Node is one tessera process slot: its address and store survive
// restarts.
type Node struct {
	Index int // 1-based
	Addr  string
	Store string
	Log   string

	proc *process
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done
	log  *os.File
}

// Cluster is a set of tessera processes started by one test.
type Cluster struct {
	t     testing.TB
	Bin   string
	Dir   string
	Nodes []*Node
	// ExtraStartArgs are appended to every `tessera start`.
	ExtraStartArgs []string

	mu sync.Mutex
}

// NewCluster prepares n node slots (nothing is started) and registers a
// cleanup that kills every process and, if the test failed, prints logs.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports, err := FreePorts(n)
	if err != nil {
		t.Fatalf("free ports: %v", err)
	}
	c := &Cluster{t: t, Bin: Binary(t), Dir: t.TempDir()}
	for i := 0; i < n; i++ {
		c.Nodes = append(c.Nodes, &Node{
			Index: i + 1,
			Addr:  net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])),
			Store: filepath.Join(c.Dir, fmt.Sprintf("n%d", i+1)),
			Log:   filepath.Join(c.Dir, fmt.Sprintf("n%d.log", i+1)),
		})
	}
	t.Cleanup(func() {
		for _, nd := range c.Nodes {
			c.Kill(nd.Index)
		}
		if t.Failed() {
			c.DumpLogs()
		}
	})
	return c
}

// Addrs returns every node's address.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Node returns the node with 1-based index i.
func (c *Cluster) Node(i int) *Node { return c.Nodes[i-1] }

// Start starts node i (1-based) with --join set to every node's address.
// Output is appended to the node's log file, so restarts keep history.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	n := c.Node(i)
	c.mu.Lock()
	running := n.proc != nil
	c.mu.Unlock()
	if running {
		c.t.Fatalf("node %d already running", i)
	}
	logf, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatalf("log: %v", err)
	}
	fmt.Fprintf(logf, "=== start node %d at %s\n", i, time.Now().Format(time.RFC3339Nano))
	args := []string{"start", "--store", n.Store, "--listen", n.Addr, "--join", strings.Join(c.Addrs(), ","),
		"--sql-addr", "127.0.0.1:0", "--insecure"}
	args = append(args, c.ExtraStartArgs...)
	cmd := exec.Command(c.Bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("start node %d: %v", i, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: logf}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	c.mu.Lock()
	n.proc = p
	c.mu.Unlock()
}

// StartAll starts every node.
func (c *Cluster) StartAll() {
	c.t.Helper()
	for _, n := range c.Nodes {
		c.Start(n.Index)
	}
}

// Kill sends SIGKILL to node i and waits for it to exit; a stopped node is
// left alone.
func (c *Cluster) Kill(i int) {
	n := c.Node(i)
	c.mu.Lock()
	p := n.proc
	n.proc = nil
	c.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Running reports whether node i's process is alive.
func (c *Cluster) Running(i int) bool {
	n := c.Node(i)
	c.mu.Lock()
	p := n.proc
	c.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Result is the outcome of one CLI command.
type Result struct {
	Args   []string
	Stdout string
	Stderr string
	Err    error // nil when the exit status was 0
}

func (r Result) String() string {
	return fmt.Sprintf("tessera %s: err=%v\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Err, r.Stdout, r.Stderr)
}

// Run runs `tessera args...` with a deadline and returns its output.
func (c *Cluster) Run(timeout time.Duration, args ...string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, errors.Join(ctx.Err(), err))
	}
	return Result{Args: args, Stdout: out.String(), Stderr: errb.String(), Err: err}
}

// MustRun is Run that fails the test on a non-zero exit.
func (c *Cluster) MustRun(timeout time.Duration, args ...string) Result {
	c.t.Helper()
	r := c.Run(timeout, args...)
	if r.Err != nil {
		c.t.Fatalf("%s", r)
	}
	return r
}

// WaitFor polls cond until it returns nil or timeout passes; then it fails
// the test with cond's last error. The poll interval starts at 10ms and
// doubles up to 200ms.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up after %s: %v", what, timeout, err)
		}
		timer := time.NewTimer(wait)
		<-timer.C
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// DumpLogs prints every node's log to the test log.
func (c *Cluster) DumpLogs() {
	for _, n := range c.Nodes {
		b, err := os.ReadFile(n.Log)
		if err != nil {
			c.t.Logf("node %d log: %v", n.Index, err)
			continue
		}
		const max = 64 << 10
		if len(b) > max {
			b = append([]byte("…(truncated)…\n"), b[len(b)-max:]...)
		}
		c.t.Logf("----- node %d (%s) log -----\n%s", n.Index, n.Addr, b)
	}
}
