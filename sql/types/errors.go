package types

import "fmt"

// SQLSTATE codes this package returns.
const (
	CodeNumericValueOutOfRange      = "22003"
	CodeInvalidTextRepresentation   = "22P02"
	CodeInvalidBinaryRepresentation = "22P03"
	CodeStringDataRightTruncation   = "22001"
	CodeDatetimeFieldOverflow       = "22008"
	CodeInvalidDatetimeFormat       = "22007"
	CodeIntervalFieldOverflow       = "22015"
	CodeInvalidParameterValue       = "22023"
	CodeDivisionByZero              = "22012"
	CodeCannotCoerce                = "42846"
	CodeUndefinedObject             = "42704"
	CodeFeatureNotSupported         = "0A000"
	CodeUndefinedFunction           = "42883"
	CodeUntranslatableCharacter     = "22P05"
)

// Error is an error with a PostgreSQL SQLSTATE.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// SQLState returns the SQLSTATE code.
func (e *Error) SQLState() string { return e.Code }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidSyntax(t *T, s string) *Error {
	code := CodeInvalidTextRepresentation
	switch t.Family {
	case DateFamily, TimeFamily, TimestampFamily, TimestampTZFamily, IntervalFamily:
		code = CodeInvalidDatetimeFormat
	}
	return errorf(code, "invalid input syntax for type %s: %q", t.SQLName(), s)
}

func outOfRange(t *T) *Error {
	switch t.Family {
	case IntFamily:
		switch t.Width {
		case 16:
			return errorf(CodeNumericValueOutOfRange, "smallint out of range")
		case 32:
			return errorf(CodeNumericValueOutOfRange, "integer out of range")
		}
		return errorf(CodeNumericValueOutOfRange, "bigint out of range")
	case FloatFamily:
		if t.Width == 32 {
			return errorf(CodeNumericValueOutOfRange, "real out of range")
		}
		return errorf(CodeNumericValueOutOfRange, "double precision out of range")
	case DateFamily:
		return errorf(CodeDatetimeFieldOverflow, "date out of range")
	case TimestampFamily, TimestampTZFamily:
		return errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
	case IntervalFamily:
		return errorf(CodeDatetimeFieldOverflow, "interval out of range")
	}
	return errorf(CodeNumericValueOutOfRange, "value out of range for type %s", t.SQLName())
}
