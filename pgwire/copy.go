package pgwire

import (
	"errors"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
)

// copyIn is the client's side of a COPY … FROM STDIN: a reader over its
// CopyData messages.
type copyIn struct {
	c    *serverConn
	buf  []byte // unread part of the current CopyData (valid until the next Receive)
	done bool   // CopyDone, CopyFail or a broken stream seen
	err  error  // what Read returns once done (io.EOF after CopyDone)
}

// CopyIn implements conn.CopyInWriter.
func (w *resultWriter) CopyIn(columns int, binary bool) (io.Reader, error) {
	if w.copy != nil || w.rows > 0 || w.cols != nil && w.describe {
		return nil, wireErrorf("XX000", "internal error: CopyIn after results")
	}
	if columns < 0 || columns > 1<<15-1 {
		return nil, wireErrorf("XX000", "internal error: CopyIn with %d columns", columns)
	}
	var f byte
	if binary {
		f = 1
	}
	codes := make([]uint16, columns)
	for i := range codes {
		codes[i] = uint16(f)
	}
	w.c.be.Send(&pgproto3.CopyInResponse{OverallFormat: f, ColumnFormatCodes: codes})
	if err := w.c.flush(); err != nil {
		return nil, err
	}
	w.copy = &copyIn{c: w.c}
	return w.copy, nil
}

// CopyOut implements conn.CopyOutWriter.
func (w *resultWriter) CopyOut(columns int, binary bool) error {
	if w.copy != nil || w.copyOut || w.rows > 0 || w.cols != nil && w.describe {
		return wireErrorf("XX000", "internal error: CopyOut after results")
	}
	if columns < 0 || columns > 1<<15-1 {
		return wireErrorf("XX000", "internal error: CopyOut with %d columns", columns)
	}
	var f byte
	if binary {
		f = 1
	}
	codes := make([]uint16, columns)
	for i := range codes {
		codes[i] = uint16(f)
	}
	w.c.send(&pgproto3.CopyOutResponse{OverallFormat: f, ColumnFormatCodes: codes}, 7+2*columns)
	w.copyOut = true
	return w.c.writeErr
}

// CopyData implements conn.CopyOutWriter.
func (w *resultWriter) CopyData(data []byte) error {
	if !w.copyOut {
		return wireErrorf("XX000", "internal error: CopyData before CopyOut")
	}
	w.c.send(&pgproto3.CopyData{Data: data}, len(data)+5)
	return w.c.writeErr
}

// copyFailed is the error after the client's CopyFail.
type copyFailed struct{ msg string }

func (e copyFailed) Error() string    { return "COPY from stdin failed: " + e.msg }
func (e copyFailed) SQLState() string { return "57014" }

// Read implements io.Reader over the CopyData payloads.
func (r *copyIn) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, r.err
		}
		r.next()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// next receives one message of the copy stream.
func (r *copyIn) next() {
	msg, err := r.c.be.Receive()
	if err != nil {
		r.done = true
		if isNetErr(err) {
			r.err = errClientGone
			r.c.writeErr = errClientGone
		} else {
			r.err = protocolViolation("invalid frontend message during COPY: %v", err)
			r.c.fatalErr = r.err
		}
		return
	}
	switch m := msg.(type) {
	case *pgproto3.CopyData:
		r.buf = m.Data
	case *pgproto3.CopyDone:
		r.done, r.err = true, io.EOF
	case *pgproto3.CopyFail:
		r.done, r.err = true, copyFailed{msg: m.Message}
	case *pgproto3.Flush, *pgproto3.Sync:
		// Ignored during COPY (protocol spec).
	case *pgproto3.Terminate:
		r.done, r.err = true, errClientGone
		r.c.writeErr = errClientGone
	default:
		r.done = true
		r.err = protocolViolation("unexpected message type %T during COPY from stdin", m)
		r.c.fatalErr = r.err
	}
}

// finishCopy discards the rest of the client's copy stream if the engine
// stopped reading before its end (an error mid-COPY). It is a no-op for a
// statement without COPY.
func (w *resultWriter) finishCopy() {
	if w != nil && w.copyOut {
		w.copyOut = false
		w.c.be.Send(&pgproto3.CopyDone{})
	}
	if w == nil || w.copy == nil {
		return
	}
	r := w.copy
	for !r.done {
		r.buf = nil
		r.next()
	}
	r.buf = nil
	if errors.Is(r.err, errClientGone) {
		w.c.writeErr = errClientGone
	}
}
