package session

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// alterSequence is ALTER SEQUENCE [IF EXISTS] s [INCREMENT BY n]
// [MINVALUE n] [MAXVALUE n] [START WITH n] [RESTART [WITH n]]. The
// counter (catalog.SequenceKey) holds how far nextval went in units of
// the options: value = Start - Increment + counter. A change of Start or
// Increment re-bases the counter so that the last value stays, and
// RESTART sets it so that the next nextval returns the restart value.
// Like nextval, the counter's change is not undone by a rollback.
func (d *ddl) alterSequence(n *ast.AlterSequenceStmt) (string, error) {
	t, err := d.b.ResolveTable(n.Name.Schema.O, n.Name.Name.O)
	if err != nil {
		return "", err
	}
	if t == nil || t.Kind != catalog.KindSequence {
		if t == nil && n.IfExists {
			d.notices = append(d.notices, notice("relation \""+n.Name.Name.O+"\" does not exist, skipping"))
			return "ALTER SEQUENCE", nil
		}
		if t == nil {
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name.Name.O)
		}
		return "", pgerr.New(pgerr.WrongObjectType, "%q is not a sequence", t.Name)
	}
	desc := catalog.Mutable(t)
	old := catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: 1<<63 - 1}
	if desc.Seq != nil {
		old = *desc.Seq
	}
	opts := old
	restart, restartSet := int64(0), false
	for _, o := range n.SeqOptions {
		switch o.Tp {
		case ast.SequenceOptionIncrementBy:
			opts.Increment = o.IntValue
		case ast.SequenceStartWith:
			opts.Start = o.IntValue
		case ast.SequenceMinValue:
			opts.Min = o.IntValue
		case ast.SequenceMaxValue:
			opts.Max = o.IntValue
		case ast.SequenceRestart:
			restartSet = true
			restart = opts.Start
		case ast.SequenceRestartWith:
			restart, restartSet = o.IntValue, true
		}
	}
	for _, o := range n.SeqOptions { // RESTART without a value: the (new) START
		if o.Tp == ast.SequenceRestart {
			restart = opts.Start
		}
	}
	if opts.Increment == 0 {
		return "", pgerr.New(pgerr.InvalidParameter, "INCREMENT must not be zero")
	}
	if opts.Min > opts.Max {
		return "", pgerr.New(pgerr.InvalidParameter, "MINVALUE (%d) must be less than MAXVALUE (%d)", opts.Min, opts.Max)
	}
	if opts.Start < opts.Min || opts.Start > opts.Max {
		return "", pgerr.New(pgerr.InvalidParameter, "START value (%d) cannot be outside [MINVALUE, MAXVALUE]", opts.Start)
	}
	if restartSet && (restart < opts.Min || restart > opts.Max) {
		return "", pgerr.New(pgerr.InvalidParameter, "RESTART value (%d) cannot be outside [MINVALUE, MAXVALUE]", restart)
	}
	key := catalog.SequenceKey(desc.ID)
	cur, err := d.env.DB.Inc(d.ctx, key, 0)
	if err != nil {
		return "", err
	}
	want := cur
	switch {
	case restartSet:
		want = restart - opts.Start
	case cur != 0 && (opts.Start != old.Start || opts.Increment != old.Increment):
		last := old.Start - old.Increment + cur
		want = last - opts.Start + opts.Increment
	}
	if want != cur {
		if _, err := d.env.DB.Inc(d.ctx, key, want-cur); err != nil {
			return "", err
		}
	}
	desc.Seq = &opts
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "ALTER SEQUENCE", nil
}
