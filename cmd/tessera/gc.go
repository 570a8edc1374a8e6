package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The Go garbage collector's defaults for a node (`tessera start`).
//
// A node allocates fast and keeps a small live heap: a point SELECT made
// ~120 allocations on its gateway and a node serving 16k of them a second
// held ~20 MiB live, so at Go's default GOGC=100 it collected about five
// times a second, and every cycle scans every goroutine's stack and turns
// on write barriers for its mark phase whatever the heap's size. With
// GOGC=400 the heap grows to five times the live heap before a cycle
// instead of two times: a fifth of the cycles, and on the benchmark of
// docs/benchmarks.md ("pointperf8") ~12% less CPU per point read on the
// gateway. The price is memory: a peak heap 2.5 times larger, which the
// soft memory limit bounds: at half of the memory this process may use
// (cgroup v2 memory.max when set, else the machine's MemTotal) the
// collector runs as often as it must to stay under it, as GOGC=100 would
// have long before. A live heap near the limit makes the collector run
// often (Go caps that at about half the CPU); the limit is soft, never a
// cause of failure.
//
// The environment wins: GOGC or GOMEMLIMIT set (any value, "off" too)
// leaves that setting to the Go runtime, which has applied it already.
const (
	nodeGCPercent      = 400
	nodeMemLimitDivide = 2 // soft limit = available memory / nodeMemLimitDivide
)

// gcPolicy is what applyGCDefaults sets: percent when setPercent, the soft
// memory limit in bytes when setLimit.
type gcPolicy struct {
	percent    int
	setPercent bool
	limit      int64
	setLimit   bool
}

// nodeGCPolicy decides the policy from the environment (lookup) and the
// memory available to the process in bytes (0: unknown, no limit).
func nodeGCPolicy(lookup func(string) (string, bool), available uint64) gcPolicy {
	var p gcPolicy
	if _, ok := lookup("GOGC"); !ok {
		p.percent, p.setPercent = nodeGCPercent, true
	}
	if _, ok := lookup("GOMEMLIMIT"); !ok && available > 0 {
		lim := available / nodeMemLimitDivide
		if lim > 1<<62 {
			lim = 1 << 62
		}
		p.limit, p.setLimit = int64(lim), true
	}
	return p
}

// applyGCDefaults sets the node's garbage collector policy (see the
// constants above) and returns it.
func applyGCDefaults() gcPolicy {
	p := nodeGCPolicy(os.LookupEnv, availableMemory())
	if p.setPercent {
		debug.SetGCPercent(p.percent)
	}
	if p.setLimit {
		debug.SetMemoryLimit(p.limit)
	}
	return p
}

// availableMemory is the memory this process may use in bytes: the cgroup
// v2 limit when one is set, else MemTotal of /proc/meminfo; 0 when neither
// can be read (not Linux).
func availableMemory() uint64 {
	total := memTotal(readFile("/proc/meminfo"))
	if lim, ok := cgroupLimit(readFile("/sys/fs/cgroup/memory.max")); ok && (total == 0 || lim < total) {
		return lim
	}
	return total
}

func readFile(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// cgroupLimit parses a cgroup v2 memory.max ("max": no limit).
func cgroupLimit(b []byte) (uint64, bool) {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "max" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// memTotal parses the MemTotal line of /proc/meminfo ("MemTotal: N kB").
func memTotal(b []byte) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0
			}
			if len(f) >= 3 && f[2] == "kB" {
				n *= 1024
			}
			return n
		}
	}
	return 0
}

// debugGCLimit is the soft memory limit in force (0: none).
func debugGCLimit() int64 {
	lim := debug.SetMemoryLimit(-1) // a negative input only reads it
	if lim == 1<<63-1 {
		return 0
	}
	return lim
}
