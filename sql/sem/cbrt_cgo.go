//go:build cgo && linux

package sem

// #cgo LDFLAGS: -lm
// #include <math.h>
import "C"

// libmCbrt is the C library's cbrt, which PostgreSQL's cbrt calls: glibc's
// is not correctly rounded (cbrt(27) is 3.0000000000000004), and matching
// PostgreSQL on the same machine means calling the same function.
func libmCbrt(x float64) float64 { return float64(C.cbrt(C.double(x))) }
