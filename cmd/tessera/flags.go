package main

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// DefaultRPCPort is the RPC port used when an address has none (DESIGN §7).
const DefaultRPCPort = 6433

// usageArgs wraps a cobra argument validator so that its errors are usage
// errors (exit status 2).
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		return nil
	}
}

// usageErrorf returns an error wrapping errUsage.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// parseAddr validates HOST[:PORT] and adds the default RPC port.
func parseAddr(s string) (string, error) { return parseAddrPort(s, DefaultRPCPort) }

// parseAddrPort validates HOST[:PORT] and adds defaultPort.
func parseAddrPort(s string, defaultPort int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", usageErrorf("empty address")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: the whole string is the host.
		if strings.Contains(s, ":") && !strings.HasPrefix(s, "[") {
			return "", usageErrorf("bad address %q: %v", s, err)
		}
		host, port = strings.Trim(s, "[]"), strconv.Itoa(defaultPort)
	}
	if host == "" {
		return "", usageErrorf("bad address %q: missing host", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", usageErrorf("bad address %q: port must be 1-65535", s)
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// parseAddrList parses a comma-separated list of addresses; empty items are
// errors and duplicates are dropped.
func parseAddrList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		a, err := parseAddr(part)
		if err != nil {
			return nil, err
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// parseKey reads a key given on the command line: "0x…" is hex, anything
// else is taken byte for byte. Empty keys are refused.
func parseKey(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "0x"); ok {
		b, err := hex.DecodeString(rest)
		if err != nil {
			return nil, usageErrorf("bad hex key %q: %v", s, err)
		}
		if len(b) == 0 {
			return nil, usageErrorf("empty key")
		}
		return b, nil
	}
	if s == "" {
		return nil, usageErrorf("empty key")
	}
	return []byte(s), nil
}

// formatBytes prints b as text when it is printable UTF-8 without a "0x"
// prefix, else as 0x-hex, so that parseKey(formatBytes(b)) == b.
func formatBytes(b []byte) string {
	if len(b) == 0 {
		return "0x" // parseValue("0x") is the empty value
	}
	if utf8.Valid(b) && !strings.HasPrefix(string(b), "0x") {
		printable := true
		for _, r := range string(b) {
			if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == '\t' {
				printable = false
				break
			}
		}
		if printable {
			return string(b)
		}
	}
	return "0x" + hex.EncodeToString(b)
}

// checkTimeout validates a --timeout flag.
func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return usageErrorf("--timeout must be positive, got %s", d)
	}
	return nil
}
