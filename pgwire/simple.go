package pgwire

import (
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tesseradb/tessera/sql/conn"
)

// simpleQuery runs a Query message: each statement's results and
// CommandComplete, EmptyQueryResponse for an empty string, an
// ErrorResponse at the first error, then ReadyForQuery.
func (c *serverConn) simpleQuery(q string) {
	// The simple protocol uses (and so destroys) the unnamed statement and
	// portal.
	delete(c.stmts, "")
	if p := c.portals[""]; p != nil {
		p.close()
		delete(c.portals, "")
	}
	var w *resultWriter
	err := c.sess.ExecSimple(c.ctx, q,
		func() conn.ResultWriter {
			w.finishCopy()
			w = &resultWriter{c: c, describe: true}
			return w
		},
		func(tag string) error {
			w.finishCopy()
			c.sendComplete(tag)
			return c.writeErr
		})
	w.finishCopy()
	if c.fatalErr != nil || c.writeErr != nil {
		return // the loop ends the connection
	}
	switch {
	case err == nil:
	case errors.Is(err, conn.ErrEmptyQuery):
		c.be.Send(&pgproto3.EmptyQueryResponse{})
	case errors.Is(err, errClientGone):
		return
	default:
		c.sendError(err)
	}
	if c.sess.TxnStatus() == 'I' {
		c.closePortals() // the transaction they belonged to ended
	}
	c.reportParams(false)
	c.sendReady()
	_ = c.flush()
}
