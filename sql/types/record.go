package types

import (
	"encoding/binary"
	"time"
)

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
func appendRecordText(b []byte, r *DRecord, loc *time.Location) []byte {
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
		s := AppendText(nil, t, v, loc)
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
