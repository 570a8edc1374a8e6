package types

// EnumInfo is the definition of a user-defined enum type (CREATE TYPE …
// AS ENUM): its OID (also kept in T.Width, so that Equal and the
// resolution caches tell enum types apart), its name, and its labels in
// declaration order (a value's Ord indexes Labels).
type EnumInfo struct {
	OID    OID
	Name   string
	Labels []string
}

// MakeEnum returns the type of an enum.
func MakeEnum(info *EnumInfo) *T {
	return &T{Family: EnumFamily, Width: int(info.OID), Enum: info}
}

// DEnum is a value of an enum type: its label and that label's position
// in the type's declaration order, which is the order values compare in.
type DEnum struct {
	Ord   int
	Label string
}

func (DEnum) datum() {}

// EnumLabel returns the value of t labelled s (22P02 if none is).
func EnumLabel(t *T, s string) (Datum, error) {
	if t.Enum != nil {
		for i, l := range t.Enum.Labels {
			if l == s {
				return DEnum{Ord: i, Label: l}, nil
			}
		}
	}
	return nil, errorf(CodeInvalidTextRepresentation, "invalid input value for enum %s: %q", t.SQLName(), s)
}

// EnumOrd returns the value of t at position ord (a stored value).
func EnumOrd(t *T, ord int) (Datum, error) {
	if t.Enum == nil || ord < 0 || ord >= len(t.Enum.Labels) {
		return nil, errorf(CodeInvalidBinaryRepresentation, "enum value %d out of range for type %s", ord, t.SQLName())
	}
	return DEnum{Ord: ord, Label: t.Enum.Labels[ord]}, nil
}
