package types

import (
	"encoding/binary"
	"strings"
	"time"
)

// CompositeInfo defines a composite type (CREATE TYPE name AS (...)).
type CompositeInfo struct {
	OID    OID
	Name   string
	Fields []string
	Types  []*T
}

// MakeComposite returns the type of a composite type.
func MakeComposite(info *CompositeInfo) *T {
	return &T{Family: RecordFamily, Width: int(info.OID), Composite: info}
}

// FieldIndex is the position of a composite type's field (-1: none).
func (t *T) FieldIndex(name string) int {
	if t.Family != RecordFamily || t.Composite == nil {
		return -1
	}
	for i, f := range t.Composite.Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// parseRecord is record_in for a composite type: (f1,f2,...) with quoted
// fields, an empty unquoted field NULL.
func parseRecord(t *T, s string, loc *time.Location, now time.Time) (Datum, error) {
	if t.Composite == nil {
		return nil, errorf(CodeFeatureNotSupported, "input of anonymous composite types is not implemented")
	}
	bad := func() (Datum, error) {
		return nil, errorf(CodeInvalidTextRepresentation, "malformed record literal: %q", s)
	}
	v := strings.TrimSpace(s)
	if len(v) < 2 || v[0] != '(' || v[len(v)-1] != ')' {
		return bad()
	}
	v = v[1 : len(v)-1]
	var fields []*string
	for i := 0; ; {
		var sb strings.Builder
		quoted, any := false, false
		for i < len(v) && v[i] != ',' {
			c := v[i]
			switch {
			case c == '"':
				quoted, any = true, true
				i++
				for i < len(v) {
					if v[i] == '"' {
						if i+1 < len(v) && v[i+1] == '"' {
							sb.WriteByte('"')
							i += 2
							continue
						}
						i++
						break
					}
					if v[i] == '\\' && i+1 < len(v) {
						i++
					}
					sb.WriteByte(v[i])
					i++
				}
			case c == '\\' && i+1 < len(v):
				sb.WriteByte(v[i+1])
				i += 2
				any = true
			default:
				sb.WriteByte(c)
				i++
				any = true
			}
		}
		if !any && !quoted {
			fields = append(fields, nil)
		} else {
			f := sb.String()
			fields = append(fields, &f)
		}
		if i >= len(v) {
			break
		}
		i++ // ','
	}
	ci := t.Composite
	if len(fields) != len(ci.Types) {
		return bad()
	}
	r := &DRecord{Types: ci.Types, Vals: make([]Datum, len(fields))}
	for k, f := range fields {
		if f == nil {
			r.Vals[k] = Null
			continue
		}
		d, err := ParseTextAt(ci.Types[k], *f, loc, now)
		if err != nil {
			return nil, err
		}
		r.Vals[k] = d
	}
	return r, nil
}

// castRecord casts a record to composite type to, field by field.
func castRecord(r *DRecord, to *T, loc *time.Location) (Datum, error) {
	ci := to.Composite
	if ci == nil {
		return r, nil
	}
	if len(r.Vals) != len(ci.Types) {
		return nil, errorf(CodeCannotCoerce, "cannot cast type record to %s", ci.Name)
	}
	out := &DRecord{Types: ci.Types, Vals: make([]Datum, len(r.Vals))}
	for i, v := range r.Vals {
		if IsNull(v) {
			out.Vals[i] = Null
			continue
		}
		from := String
		if i < len(r.Types) && r.Types[i] != nil {
			from = r.Types[i]
		}
		c, err := Cast(v, from, ci.Types[i], loc)
		if err != nil {
			return nil, err
		}
		out.Vals[i] = c
	}
	return out, nil
}

// Record is the anonymous row type of ROW(...) and of a whole-row
// reference (PostgreSQL's record, OID 2249): its values are *DRecord,
// which carry their fields' types.
var Record = &T{Family: RecordFamily}

// DRecord is a row value: one datum per field, with the fields' types.
type DRecord struct {
	Types []*T
	Vals  []Datum
}

func (*DRecord) datum() {}

// appendRecordText is record_out: (f1,f2,...), a NULL field empty, a field
// quoted when it is empty or holds a quote, backslash, parenthesis, comma
// or space, quotes and backslashes doubled inside.
func appendRecordText(b []byte, r *DRecord, f *TextFormat) []byte {
	b = append(b, '(')
	for i, v := range r.Vals {
		if i > 0 {
			b = append(b, ',')
		}
		if IsNull(v) {
			continue
		}
		var t *T
		if i < len(r.Types) {
			t = r.Types[i]
		}
		s := f.Append(nil, t, v)
		quote := len(s) == 0
		for _, c := range s {
			switch c {
			case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
				quote = true
			}
		}
		if !quote {
			b = append(b, s...)
			continue
		}
		b = append(b, '"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				b = append(b, c)
			}
			b = append(b, c)
		}
		b = append(b, '"')
	}
	return append(b, ')')
}

// appendRecordBinary is record_send: the field count, then each field's
// type OID, length (-1 for NULL) and binary value.
func appendRecordBinary(b []byte, r *DRecord) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Vals)))
	for i, v := range r.Vals {
		t := String
		if i < len(r.Types) && r.Types[i] != nil {
			t = r.Types[i]
		}
		b = binary.BigEndian.AppendUint32(b, uint32(t.OID()))
		if IsNull(v) {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
			continue
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		if b, err = AppendBinary(b, t, v); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

// compareRecords is record_cmp: field by field, a NULL field after every
// value.
func compareRecords(x, y *DRecord) (int, error) {
	for i := 0; i < len(x.Vals) && i < len(y.Vals); i++ {
		a, b := x.Vals[i], y.Vals[i]
		switch an, bn := IsNull(a), IsNull(b); {
		case an && bn:
			continue
		case an:
			return 1, nil
		case bn:
			return -1, nil
		}
		var c int
		var err error
		if i < len(x.Types) && x.Types[i] != nil {
			c, err = CompareTyped(x.Types[i], a, b)
		} else {
			c, err = Compare(a, b)
		}
		if err != nil || c != 0 {
			return c, err
		}
	}
	return cmpOrdered(int64(len(x.Vals)), int64(len(y.Vals))), nil
}
