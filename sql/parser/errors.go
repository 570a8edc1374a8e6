package parser

import "fmt"

// SQLSTATE codes produced by this package.
const (
	CodeSyntaxError           = "42601" // syntax_error
	CodeFeatureNotSupported   = "0A000" // feature_not_supported
	CodeUndefinedFunction     = "42883" // undefined_function (operator does not exist)
	CodeUndefinedParameter    = "42P02" // undefined_parameter
	CodeInvalidEscape         = "22025" // invalid_escape_sequence
	CodeInvalidParameterValue = "22023" // invalid_parameter_value
	CodeInvalidFunctionDef    = "42P13" // invalid_function_definition
)

// Error is a PostgreSQL-style error: SQLSTATE Code, primary Message, and
// the 1-based character (not byte) Position in the original query text
// (0 when not applicable). It is reusable for any SQLSTATE.
type Error struct {
	Code     string
	Message  string
	Position int
	Detail   string
	Hint     string
}

func (e *Error) Error() string {
	if e.Position > 0 {
		return fmt.Sprintf("ERROR: %s (SQLSTATE %s) at position %d", e.Message, e.Code, e.Position)
	}
	return fmt.Sprintf("ERROR: %s (SQLSTATE %s)", e.Message, e.Code)
}

// charPos converts a byte offset of src into a 1-based character position.
func charPos(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	n := 1
	for range src[:off] {
		n++
	}
	return n
}

// syntaxErrorAt builds PostgreSQL's `syntax error at or near "x"` (or `at
// end of input` when near is empty) at byte offset off of src.
func syntaxErrorAt(src string, off int, near string) *Error {
	msg := "syntax error at end of input"
	if near != "" {
		msg = "syntax error at or near \"" + near + "\""
	}
	return &Error{Code: CodeSyntaxError, Message: msg, Position: charPos(src, off)}
}

// errorAt builds an error with the given code and message at byte offset off.
func errorAt(src string, off int, code, msg string) *Error {
	return &Error{Code: code, Message: msg, Position: charPos(src, off)}
}
