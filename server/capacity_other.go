//go:build !unix

package server

// statfs is not measured on this platform.
func statfs(string) (total, available int64) { return 0, 0 }
