package types

import (
	"strings"
	"time"
)

// parseArray reads an array literal: {1,2,NULL}, {"a b","",c}, and
// multi-dimensional ones ({{1,2},{3,4}}, sub-arrays of matching
// dimensions).
func parseArray(t *T, s string, loc *time.Location) (Datum, error) {
	v := strings.TrimSpace(s)
	bad := func() error {
		return errorf(CodeInvalidTextRepresentation, "malformed array literal: %q", s)
	}
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return nil, bad()
	}
	if inner := strings.TrimSpace(v[1:]); strings.HasPrefix(inner, "{") {
		return parseArrayMD(t, v, loc, bad)
	}
	body := v[1 : len(v)-1]
	arr := &DArray{Elem: t.Elem}
	if strings.TrimSpace(body) == "" {
		return arr, nil
	}
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var elem strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for {
				if i >= len(body) {
					return nil, bad()
				}
				c := body[i]
				if c == '\\' && i+1 < len(body) {
					elem.WriteByte(body[i+1])
					i += 2
					continue
				}
				if c == '"' {
					i++
					break
				}
				elem.WriteByte(c)
				i++
			}
			for i < len(body) && body[i] == ' ' {
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				c := body[i]
				if c == '{' || c == '}' || c == '"' {
					return nil, bad()
				}
				if c == '\\' && i+1 < len(body) {
					elem.WriteByte(body[i+1])
					i += 2
					continue
				}
				elem.WriteByte(c)
				i++
			}
		}
		text := elem.String()
		if !quoted {
			text = strings.TrimRight(text, " ")
			if text == "" {
				return nil, bad()
			}
		}
		if !quoted && strings.EqualFold(text, "NULL") {
			arr.Elems = append(arr.Elems, Null)
		} else {
			d, err := ParseText(t.Elem, text, loc)
			if err != nil {
				return nil, err
			}
			arr.Elems = append(arr.Elems, d)
		}
		if i >= len(body) {
			break
		}
		if body[i] != ',' {
			return nil, bad()
		}
		i++
	}
	return arr, nil
}

// parseArrayMD reads a multi-dimensional literal: each level is a list
// of sub-arrays of equal dimensions, the innermost level one-dimensional
// literals.
func parseArrayMD(t *T, v string, loc *time.Location, bad func() error) (Datum, error) {
	var elems []Datum
	var dims []int
	// split returns the top-level {...} items of a {...} literal.
	split := func(s string) ([]string, error) {
		body := strings.TrimSpace(s[1 : len(s)-1])
		var items []string
		for len(body) > 0 {
			if body[0] != '{' {
				return nil, bad()
			}
			depth, inq, end := 0, false, -1
			for i := 0; i < len(body) && end < 0; i++ {
				switch c := body[i]; {
				case inq && c == '\\':
					i++
				case c == '"':
					inq = !inq
				case inq:
				case c == '{':
					depth++
				case c == '}':
					depth--
					if depth == 0 {
						end = i
					}
				}
			}
			if end < 0 {
				return nil, bad()
			}
			items = append(items, body[:end+1])
			body = strings.TrimSpace(body[end+1:])
			if body != "" {
				if body[0] != ',' {
					return nil, bad()
				}
				body = strings.TrimSpace(body[1:])
				if body == "" {
					return nil, bad()
				}
			}
		}
		return items, nil
	}
	var walk func(s string, level int) error
	walk = func(s string, level int) error {
		inner := strings.TrimSpace(s[1:])
		if !strings.HasPrefix(inner, "{") {
			d, err := parseArray(t, s, loc)
			if err != nil {
				return err
			}
			a := d.(*DArray)
			switch {
			case level == len(dims):
				dims = append(dims, len(a.Elems))
			case level == len(dims)-1 && len(a.Elems) == dims[level]:
			default:
				return errorf(CodeInvalidTextRepresentation, "malformed array literal: %q", v)
			}
			elems = append(elems, a.Elems...)
			return nil
		}
		items, err := split(s)
		if err != nil {
			return err
		}
		if level < len(dims) {
			if dims[level] != len(items) {
				return errorf(CodeInvalidTextRepresentation, "malformed array literal: %q", v)
			}
		} else if level == len(dims) {
			dims = append(dims, len(items))
		} else {
			return bad()
		}
		for _, it := range items {
			if err := walk(it, level+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, err
	}
	for _, d := range dims {
		if d == 0 {
			return nil, bad()
		}
	}
	return &DArray{Elem: t.Elem, Elems: elems, Dims: dims}, nil
}

func appendArray(b []byte, t *T, a *DArray, f *TextFormat) []byte {
	elem := a.Elem
	if elem == nil && t != nil {
		elem = t.Elem
	}
	if t != nil && t.Vector {
		for i, e := range a.Elems {
			if i > 0 {
				b = append(b, ' ')
			}
			b = f.Append(b, elem, e)
		}
		return b
	}
	if len(a.Dims) > 1 && len(a.Elems) > 0 {
		return appendArrayMD(b, elem, a.Elems, a.Dims, f)
	}
	return appendElems(b, elem, a.Elems, f)
}

// appendArrayMD writes the row-major elems of dimensions dims nested.
func appendArrayMD(b []byte, elem *T, elems []Datum, dims []int, f *TextFormat) []byte {
	if len(dims) == 1 {
		return appendElems(b, elem, elems, f)
	}
	step := len(elems) / dims[0]
	b = append(b, '{')
	for i := 0; i < dims[0]; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendArrayMD(b, elem, elems[i*step:(i+1)*step], dims[1:], f)
	}
	return append(b, '}')
}

func appendElems(b []byte, elem *T, elems []Datum, f *TextFormat) []byte {
	b = append(b, '{')
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		if IsNull(e) {
			b = append(b, "NULL"...)
			continue
		}
		s := string(f.Append(nil, elem, e))
		if needsQuote(s) {
			b = append(b, '"')
			for j := 0; j < len(s); j++ {
				if s[j] == '"' || s[j] == '\\' {
					b = append(b, '\\')
				}
				b = append(b, s[j])
			}
			b = append(b, '"')
		} else {
			b = append(b, s...)
		}
	}
	return append(b, '}')
}

func needsQuote(s string) bool {
	if s == "" || strings.EqualFold(s, "NULL") {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}
