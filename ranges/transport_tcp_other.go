//go:build !unix

package ranges

import "net"

// tryWrite writes nothing on this platform: every batch goes through the
// peer's writer goroutine.
func tryWrite(net.Conn, []byte) (int, error) { return 0, nil }
