package testport

import (
	"net"
	"testing"
)

func TestListenInRange(t *testing.T) {
	t.Setenv("TESSERA_TEST_PORTS", "44990-44999")
	l, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if p := l.Addr().(*net.TCPAddr).Port; p < 44990 || p > 44999 {
		t.Fatalf("port %d outside 44990-44999", p)
	}
	for _, bad := range []string{"x", "10-5", "0-3", "1-70000"} {
		if _, _, err := parseRange(bad); err == nil {
			t.Errorf("parseRange(%q) accepted", bad)
		}
	}
}
