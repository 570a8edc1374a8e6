package types

import (
	"strings"
	"time"
)

// parseArray reads a one-dimensional array literal: {1,2,NULL},
// {"a b","",c}.
func parseArray(t *T, s string, loc *time.Location) (Datum, error) {
	v := strings.TrimSpace(s)
	bad := func() error {
		return errorf(CodeInvalidTextRepresentation, "malformed array literal: %q", s)
	}
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return nil, bad()
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

func appendArray(b []byte, t *T, a *DArray, loc *time.Location) []byte {
	elem := a.Elem
	if elem == nil && t != nil {
		elem = t.Elem
	}
	b = append(b, '{')
	for i, e := range a.Elems {
		if i > 0 {
			b = append(b, ',')
		}
		if IsNull(e) {
			b = append(b, "NULL"...)
			continue
		}
		s := FormatText(elem, e, loc)
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
