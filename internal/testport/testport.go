package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Listen opens a TCP listener on 127.0.0.1: a kernel-chosen port, or the
// first free one in TESSERA_TEST_PORTS (LO-HI) from a random start.
func Listen() (net.Listener, error) {
	env := os.Getenv("TESSERA_TEST_PORTS")
	if env == "" {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	lo, hi, err := parseRange(env)
	if err != nil {
		return nil, err
	}
	n := hi - lo + 1
	start := rand.IntN(n)
	for i := 0; i < n; i++ {
		port := lo + (start+i)%n
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			return l, nil
		}
	}
	return nil, fmt.Errorf("testport: no free port in %s", env)
}

func parseRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		lo, err = strconv.Atoi(a)
		if err == nil {
			hi, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || lo <= 0 || hi < lo || hi > 65535 {
		return 0, 0, fmt.Errorf("testport: TESSERA_TEST_PORTS=%q is not LO-HI", s)
	}
	return lo, hi, nil
}
