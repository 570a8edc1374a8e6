package pgwire

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tesseradb/tessera/sql/conn"
)

// wireError is an error of the protocol layer itself with its SQLSTATE.
type wireError struct {
	code, msg, detail, hint string
}

func (e *wireError) Error() string    { return e.msg }
func (e *wireError) SQLState() string { return e.code }
func (e *wireError) Detail() string   { return e.detail }
func (e *wireError) Hint() string     { return e.hint }

func protocolViolation(format string, args ...any) *wireError {
	return &wireError{code: "08P01", msg: fmt.Sprintf(format, args...)}
}

func wireErrorf(code, format string, args ...any) *wireError {
	return &wireError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errorResponse builds the ErrorResponse for err: its SQLSTATE (XX000 if
// it has none; 57014 for a cancelled context), message, and the detail,
// hint and position it carries.
func errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	r := &pgproto3.ErrorResponse{Severity: severity, SeverityUnlocalized: severity, Code: "XX000", Message: err.Error()}
	var sc interface{ SQLState() string }
	switch {
	case errors.As(err, &sc) && sc.SQLState() != "":
		r.Code = sc.SQLState()
	case errors.Is(err, context.Canceled):
		r.Code, r.Message = "57014", "canceling statement due to user request"
	case errors.Is(err, context.DeadlineExceeded):
		r.Code, r.Message = "57014", "canceling statement due to statement timeout"
	default:
		r.Message = "internal error: " + r.Message
	}
	var d conn.ErrorDetail
	if errors.As(err, &d) {
		r.Detail, r.Hint = d.Detail(), d.Hint()
	}
	var wh interface{ Where() string }
	if errors.As(err, &wh) {
		r.Where = wh.Where()
	}
	var p conn.ErrorPosition
	if errors.As(err, &p) && p.Position() > 0 {
		r.Position = int32(min(p.Position(), 1<<31-1))
	}
	return r
}
