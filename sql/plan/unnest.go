package plan

import "github.com/tesseradb/tessera/sql/sem"

// Subqueries in WHERE as joins. A conjunct EXISTS (subquery) or NOT
// EXISTS (subquery) correlated to the filtered rows only by conditions of
// its own WHERE becomes a semi (anti) join of the rows with the
// subquery's input, those conditions its ON; x IN (uncorrelated subquery)
// becomes a semi join on x = column, and x NOT IN (uncorrelated subquery) a
// null-aware anti join (no row passes when the subquery yields a NULL, a
// NULL x passes only when it yields nothing). Both keep PostgreSQL's
// results, NULLs included, since a WHERE conjunct that is NULL rejects the
// row as a false one does; the join reads the subquery once (a hash join
// on equality keys) instead of running it per row.

// unnestable reports whether c is a conjunct unnestSubqueries may take.
func unnestable(c Expr) bool {
	if n, ok := c.(*Not); ok {
		c = n.E
	}
	sq, ok := c.(*Subquery)
	return ok && !sq.Not && (sq.Mode == SubExists && sq.Correlated || sq.Mode == SubAny && !sq.Correlated && sq.Cmp != nil && sq.Cmp.Op == sem.OpEQ)
}

// unnestSubqueries rewrites the conjuncts of a filter over in that it can;
// it returns the new input and the conjuncts left.
func unnestSubqueries(in Node, conj []Expr) (Node, []Expr) {
	var rest []Expr
	for _, c := range conj {
		sq, _ := c.(*Subquery)
		not := false
		if n, ok := c.(*Not); ok {
			sq, _ = n.E.(*Subquery)
			not = true
		}
		if sq == nil || sq.Not {
			rest = append(rest, c)
			continue
		}
		var j *Join
		switch {
		case sq.Mode == SubExists && sq.Correlated:
			j = unnestExists(in, sq, not)
		case sq.Mode == SubAny && !sq.Correlated && sq.Cmp != nil && sq.Cmp.Op == sem.OpEQ:
			j = unnestIn(in, sq, not)
		}
		if j == nil {
			rest = append(rest, c)
			continue
		}
		in = j
	}
	return in, rest
}

func unnestIn(in Node, sq *Subquery, not bool) *Join {
	if exprHasSubquery(sq.L) || !RefsOnly(sq.L, 0, len(in.Columns())) {
		return nil
	}
	rc := sq.Plan.Columns()
	if len(rc) != 1 {
		return nil
	}
	nl := len(in.Columns())
	j := &Join{Kind: SemiJoin, L: in, R: sq.Plan, On: &Binary{Ov: sq.Cmp, L: sq.L, R: &ColRef{Idx: nl, T: rc[0].T}}}
	if not {
		j.Kind, j.NullAware = AntiJoin, true
	}
	extractKeys(j)
	if len(j.LeftKeys) != 1 {
		if not {
			return nil // the null-aware anti join needs the hash key
		}
	}
	return j
}

// unnestExists handles EXISTS (SELECT ... FROM x WHERE conds) where x
// refers to no enclosing row and each cond refers to the filtered row
// (OuterRef level 1) at most through comparisons of plain columns.
func unnestExists(in Node, sq *Subquery, not bool) *Join {
	p := sq.Plan
	if pr, ok := p.(*Project); ok {
		p = pr.In // EXISTS reads no column
	}
	f, ok := p.(*Filter)
	if !ok || !nodeLocal(f.In) {
		return nil
	}
	nl := len(in.Columns())
	var local, on []Expr
	for _, c := range Conjuncts(f.Cond, nil) {
		if exprHasSubquery(c) {
			return nil
		}
		if !hasOuter(c) {
			local = append(local, c)
			continue
		}
		b, ok := c.(*Binary)
		if !ok {
			return nil
		}
		l, ok1 := joinSide(b.L, nl)
		r, ok2 := joinSide(b.R, nl)
		if !ok1 || !ok2 {
			return nil
		}
		on = append(on, &Binary{Ov: b.Ov, L: l, R: r})
	}
	if len(on) == 0 {
		return nil
	}
	right := f.In
	if len(local) > 0 {
		right = pushFilter(right, local)
	}
	kind := SemiJoin
	if not {
		kind = AntiJoin
	}
	j := &Join{Kind: kind, L: in, R: right, On: AndAll(on)}
	extractKeys(j)
	return j
}

// joinSide maps one side of a correlated comparison onto the joined row
// (the filtered row's columns first, then the subquery input's).
func joinSide(e Expr, nl int) (Expr, bool) {
	switch x := e.(type) {
	case *ColRef:
		return &ColRef{Idx: x.Idx + nl, T: x.T}, true
	case *OuterRef:
		if x.Level != 1 {
			return nil, false
		}
		return &ColRef{Idx: x.Idx, T: x.T}, true
	case *Const, *Param:
		return e, true
	case *Cast:
		in, ok := joinSide(x.E, nl)
		if !ok {
			return nil, false
		}
		c := *x
		c.E = in
		return &c, true
	}
	return nil, false
}

func hasOuter(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*OuterRef); ok {
			found = true
		}
		return !found
	})
	return found
}

func exprHasSubquery(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*Subquery); ok {
			found = true
		}
		return !found
	})
	return found
}

// nodeLocal reports whether n certainly refers to no enclosing row: a scan
// whose spans hold no outer reference, or filters and projections of one.
func nodeLocal(n Node) bool {
	local := func(es ...Expr) bool {
		for _, e := range es {
			if e != nil && (hasOuter(e) || exprHasSubquery(e)) {
				return false
			}
		}
		return true
	}
	switch x := n.(type) {
	case *Scan:
		for _, s := range x.Spans {
			if !local(s.Eq...) || !local(s.Lo, s.Hi) || !local(s.LoRest...) || !local(s.HiRest...) {
				return false
			}
		}
		return true
	case *Filter:
		return local(x.Cond) && nodeLocal(x.In)
	case *Project:
		return local(x.Exprs...) && nodeLocal(x.In)
	}
	return false
}
