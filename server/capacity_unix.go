//go:build unix

package server

import "syscall"

// statfs returns the size and the space available to us of the file
// system holding dir (zeros when it cannot be read).
func statfs(dir string) (total, available int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0
	}
	return int64(st.Blocks) * int64(st.Bsize), int64(st.Bavail) * int64(st.Bsize)
}
