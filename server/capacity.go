package server

import (
	"io/fs"
	"path/filepath"
	"sync"
	"time"
)

// capacity measures the store directory's disk: the file system's size
// and free space (statfs) and the bytes of the directory itself, walked
// at most every capacityRefresh.
type capacity struct {
	dir string
	mu  struct {
		sync.Mutex
		at                     time.Time
		total, available, used int64
	}
}

const capacityRefresh = 10 * time.Second

func (c *capacity) get(now time.Time) (total, available, used int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mu.at.IsZero() && now.Sub(c.mu.at) < capacityRefresh {
		return c.mu.total, c.mu.available, c.mu.used
	}
	total, available = statfs(c.dir)
	var u int64
	_ = filepath.WalkDir(c.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // files come and go under compactions
		}
		if !d.IsDir() {
			if info, err := d.Info(); err == nil {
				u += info.Size()
			}
		}
		return nil
	})
	c.mu.at, c.mu.total, c.mu.available, c.mu.used = now, total, available, u
	return total, available, u
}
