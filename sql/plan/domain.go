package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// BindDomainCheck binds a domain's CHECK expression text over the value
// (VALUE, of the base type): a one-column row.
func BindDomainCheck(base *types.T, text string, ev *sem.EvalContext) (Expr, error) {
	st, expr, err := parseStoredExpr(text, "domain check constraint")
	if err != nil {
		return nil, err
	}
	b := &Binder{Eval: ev, Stmt: st}
	return b.bindBool(expr, &scope{cols: []Col{{Name: "value", T: base}}, noAgg: "check constraints"}, "CHECK")
}

// domainCheck wraps e, a value of the domain dom's base type, in the
// checks of dom's constraints.
func (b *Binder) domainCheck(e Expr, dom *catalog.Descriptor) (Expr, error) {
	dc := &DomainCheck{E: e, Domain: dom.Name, NotNull: dom.Domain.NotNull}
	for _, ck := range dom.Domain.Checks {
		c, err := BindDomainCheck(dom.Domain.Base, ck.Expr, b.Eval)
		if err != nil {
			return nil, err
		}
		dc.Checks = append(dc.Checks, c)
		dc.Names = append(dc.Names, ck.Name)
	}
	return dc, nil
}
