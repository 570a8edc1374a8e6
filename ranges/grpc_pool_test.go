package ranges

import "testing"

func TestBufferPool(t *testing.T) {
	p := &bufferPool{}
	for _, n := range []int{0, 1, 255, 256, 257, 4096, 300 << 10, 1 << 24, 1<<24 + 1} {
		b := p.Get(n)
		if len(*b) != n {
			t.Fatalf("Get(%d): len %d", n, len(*b))
		}
		if n <= 1<<24 && (cap(*b) < n || cap(*b)&(cap(*b)-1) != 0 || cap(*b) >= 2*n && n > 256) {
			t.Fatalf("Get(%d): cap %d, want the next power of two", n, cap(*b))
		}
		p.Put(b)
		if n > 0 && n <= 1<<24 {
			// A buffer of the same tier comes back with the asked length.
			c := p.Get(n - 1)
			if len(*c) != n-1 || cap(*c) < n-1 {
				t.Fatalf("Get(%d) after Put: len %d cap %d", n-1, len(*c), cap(*c))
			}
		}
	}
	odd := make([]byte, 100, 1000)
	p.Put(&odd) // not a power of two: dropped, no panic
}
