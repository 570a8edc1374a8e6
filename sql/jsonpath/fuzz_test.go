package jsonpath

import "testing"

// FuzzParse checks that Parse never panics and that the canonical text
// of whatever it accepts parses back to the same canonical text.
func FuzzParse(f *testing.F) {
	for _, c := range canonical {
		f.Add(c[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		out := p.String()
		p2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, out, err)
		}
		if out2 := p2.String(); out2 != out {
			t.Fatalf("Parse(%q) = %q, reparsed %q", s, out, out2)
		}
	})
}
