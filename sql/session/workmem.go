package session

import (
	"os"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/pgerr"
)

// work_mem: the memory a sort may buffer before it spills sorted runs to
// temp files (sql/exec). Values take PostgreSQL's memory units (B, kB,
// MB, GB, TB; a bare number is kB), from 64kB to 2147483647kB, and SHOW
// prints them in the largest unit that divides them, as PostgreSQL does.

const (
	minWorkMemKB = 64
	maxWorkMemKB = 2147483647
)

// parseWorkMem returns the value in kB.
func parseWorkMem(v string) (int64, error) {
	s := strings.TrimSpace(strings.Trim(strings.TrimSpace(v), "'"))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') {
		i++
	}
	// Built only on failure: every statement reads work_mem.
	bad := func() error {
		return pgerr.New(pgerr.InvalidParameter, "invalid value for parameter \"work_mem\": %q", v)
	}
	if i == 0 {
		return 0, bad()
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, bad()
	}
	unit := strings.TrimSpace(s[i:])
	var kb int64
	switch unit {
	case "", "kB":
		kb = n
	case "B":
		kb = (n + 1023) / 1024
	case "MB":
		kb = n << 10
	case "GB":
		kb = n << 20
	case "TB":
		kb = n << 30
	default:
		return 0, pgerr.New(pgerr.InvalidParameter, "invalid value for parameter \"work_mem\": %q (valid units are B, kB, MB, GB and TB)", v)
	}
	if n > maxWorkMemKB || kb < minWorkMemKB || kb > maxWorkMemKB {
		return 0, pgerr.New(pgerr.InvalidParameter, "%s kB is outside the valid range for parameter \"work_mem\" (%d .. %d)", strconv.FormatInt(kb, 10), minWorkMemKB, maxWorkMemKB)
	}
	return kb, nil
}

// formatWorkMem prints kB in the largest exact unit.
func formatWorkMem(kb int64) string {
	switch {
	case kb%(1<<30) == 0:
		return strconv.FormatInt(kb>>30, 10) + "TB"
	case kb%(1<<20) == 0:
		return strconv.FormatInt(kb>>20, 10) + "GB"
	case kb%(1<<10) == 0:
		return strconv.FormatInt(kb>>10, 10) + "MB"
	}
	return strconv.FormatInt(kb, 10) + "kB"
}

// workMem is the session's work_mem in bytes.
func (s *Session) workMem() int64 {
	kb, err := parseWorkMem(s.vars["work_mem"])
	if err != nil {
		return 0
	}
	return kb << 10
}

// clearTempDir empties (and creates) the node's SQL temp directory at
// start: files left by a crashed process belong to no statement.
func clearTempDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}
