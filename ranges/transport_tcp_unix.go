//go:build unix

package ranges

import (
	"errors"
	"net"
	"syscall"
)

// tryWrite writes as much of b to c as its socket buffer takes now,
// without blocking (one write(2) on the non-blocking descriptor), and
// returns how much that was. A connection without a descriptor writes
// nothing here (its caller queues b).
func tryWrite(c net.Conn, b []byte) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true
	}); err != nil {
		return 0, err
	}
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) || errors.Is(werr, syscall.EINTR) {
		werr = nil
	}
	return n, werr
}
