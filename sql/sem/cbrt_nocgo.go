//go:build !(cgo && linux)

package sem

import "math"

// libmCbrt is Go's correctly rounded cube root where the C library is not
// at hand (PostgreSQL calls the C library's cbrt; results may differ from
// it in the last digit).
func libmCbrt(x float64) float64 { return math.Cbrt(x) }
