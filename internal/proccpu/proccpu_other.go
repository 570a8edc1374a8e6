//go:build !unix

package proccpu

import "time"

// Used is 0 where getrusage is not available.
func Used() time.Duration { return 0 }
