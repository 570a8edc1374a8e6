//go:build !linux

package storage

import (
	"errors"

	"github.com/cockroachdb/pebble/v2/objstorage"
)

// openDirectWritable: O_DIRECT writing is implemented for Linux only;
// elsewhere SSTWriter writes through the page cache.
func openDirectWritable(string) (objstorage.Writable, error) {
	return nil, errors.New("storage: O_DIRECT writes are implemented for Linux only")
}
