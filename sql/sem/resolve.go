package sem

import (
	"strings"

	"github.com/tesseradb/tessera/sql/types"
)

// Polymorphic parameter markers used in the registry only; resolution
// replaces them by concrete types. They behave as PostgreSQL's
// anycompatible family: the bound element type is the common type of the
// arguments at those positions.
var (
	anyElement  = &types.T{Family: types.UnknownFamily, Width: 1}
	anyArray    = &types.T{Family: types.UnknownFamily, Width: 2}
	anyNonArray = &types.T{Family: types.UnknownFamily, Width: 3}
	anyType     = &types.T{Family: types.UnknownFamily, Width: 4} // "any": no coercion, no binding
)

func isPoly(t *types.T) bool {
	return t.Family == types.UnknownFamily && t.Width != 0
}

// registries, filled by init functions of the other files.
var (
	binaryOps [numBinaryOps][]*BinaryOverload
	unaryOps  [numUnaryOps][]*UnaryOverload
	funcs     = map[string][]*FuncOverload{}
)

func addBinary(o *BinaryOverload) { binaryOps[o.Op] = append(binaryOps[o.Op], o) }
func addUnary(o *UnaryOverload)   { unaryOps[o.Op] = append(unaryOps[o.Op], o) }
func addFunc(o *FuncOverload)     { funcs[o.Name] = append(funcs[o.Name], o) }

// ResolveBinary picks the overload of op for operands of types l and r
// (sem.Unknown for an untyped literal or NULL) by PostgreSQL's operator
// resolution rules; 42883 "operator does not exist" or 42725 "operator is
// not unique" otherwise.
func ResolveBinary(op BinaryOp, l, r *types.T) (*BinaryOverload, error) {
	if op >= numBinaryOps {
		return nil, errorf(CodeUndefinedFunction, "operator does not exist: %s", op)
	}
	cands := binaryOps[op]
	in := []*types.T{l, r}
	// binary_oper_exact: one unknown operand is assumed to have the type
	// of the other.
	if (l.Family == types.UnknownFamily) != (r.Family == types.UnknownFamily) {
		k := l
		if k.Family == types.UnknownFamily {
			k = r
		}
		for _, c := range cands {
			if sameType(c.Left, k) && sameType(c.Right, k) {
				return c, nil
			}
		}
	}
	sigs := make([][]*types.T, len(cands))
	for i, c := range cands {
		sigs[i] = []*types.T{c.Left, c.Right}
	}
	idx, bound, err := selectCandidate(in, sigs, false)
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		if idx == -2 {
			return nil, errorf(CodeAmbiguousFunction, "operator is not unique: %s %s %s", l.SQLName(), op, r.SQLName())
		}
		return nil, errorf(CodeUndefinedFunction, "operator does not exist: %s %s %s", l.SQLName(), op, r.SQLName())
	}
	c := cands[idx]
	if isPoly(c.Left) || isPoly(c.Right) || isPoly(c.Return) {
		cp := *c
		cp.Left, cp.Right = bound[0], bound[1]
		cp.Return = substitute(c.Return, bound, sigs[idx])
		if cp.bind != nil {
			cp.bind(&cp)
		}
		return &cp, nil
	}
	return c, nil
}

// ResolveUnary picks the prefix operator overload for an operand of type
// t (Unknown literals resolve by the same rules).
func ResolveUnary(op UnaryOp, t *types.T) (*UnaryOverload, error) {
	if op >= numUnaryOps {
		return nil, errorf(CodeUndefinedFunction, "operator does not exist: %s", op)
	}
	cands := unaryOps[op]
	sigs := make([][]*types.T, len(cands))
	for i, c := range cands {
		sigs[i] = []*types.T{c.Operand}
	}
	idx, _, err := selectCandidate([]*types.T{t}, sigs, false)
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		if idx == -2 {
			return nil, errorf(CodeAmbiguousFunction, "operator is not unique: %s %s", op, t.SQLName())
		}
		return nil, errorf(CodeUndefinedFunction, "operator does not exist: %s %s", op, t.SQLName())
	}
	return cands[idx], nil
}

// FuncExists reports whether any function of that (lower-case) name is
// known, and its class if all its overloads share one.
func FuncExists(name string) (FuncClass, bool) {
	fs, ok := funcs[strings.ToLower(name)]
	if !ok {
		return 0, false
	}
	return fs[0].Class, true
}

// ResolveFunc picks the overload of the function name (case-insensitive)
// for arguments of types args by PostgreSQL's function resolution rules:
// 42883 "function f(types) does not exist", 42725 "function ... is not
// unique". The result has concrete Args (VARIADIC expanded) and Return.
// count(*) is ResolveFunc("count", nil).
func ResolveFunc(name string, args []*types.T) (*FuncOverload, error) {
	name = strings.ToLower(name)
	cands := funcs[name]
	if len(cands) == 0 {
		return nil, errorf(CodeUndefinedFunction, "function %s(%s) does not exist", name, typeList(args))
	}
	var sigs [][]*types.T
	var which []int
	for i, c := range cands {
		if c.Variadic {
			if len(args) < len(c.Args)-1 {
				continue
			}
			sig := append([]*types.T(nil), c.Args[:len(c.Args)-1]...)
			for len(sig) < len(args) {
				sig = append(sig, c.Args[len(c.Args)-1])
			}
			sigs, which = append(sigs, sig), append(which, i)
			continue
		}
		if len(c.Args) == len(args) {
			sigs, which = append(sigs, c.Args), append(which, i)
		}
	}
	idx, bound, err := selectCandidate(args, sigs, true)
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		if idx == -2 {
			return nil, errorf(CodeAmbiguousFunction, "function %s(%s) is not unique", name, typeList(args))
		}
		return nil, errorf(CodeUndefinedFunction, "function %s(%s) does not exist", name, typeList(args))
	}
	c := cands[which[idx]]
	cp := *c
	cp.Args = bound
	cp.Return = substitute(c.Return, bound, sigs[idx])
	if cp.bind != nil {
		cp.bind(&cp)
	}
	return &cp, nil
}

// bindPoly instantiates a candidate signature for the input types:
// polymorphic positions get the common type of their inputs (arrays
// contribute their element type). ok=false when the inputs are
// inconsistent or the polymorphic type cannot be determined.
func bindPoly(in, sig []*types.T) ([]*types.T, bool) {
	hasPoly := false
	for _, s := range sig {
		if isPoly(s) && s != anyType {
			hasPoly = true
		}
	}
	out := make([]*types.T, len(sig))
	if !hasPoly {
		for i, s := range sig {
			if s == anyType {
				out[i] = in[i]
				if in[i].Family == types.UnknownFamily {
					out[i] = types.String
				}
			} else {
				out[i] = s
			}
		}
		return out, true
	}
	var elems []*types.T
	arrayUnknown := false
	for i, s := range sig {
		switch s {
		case anyElement, anyNonArray:
			if in[i].Family != types.UnknownFamily {
				if s == anyNonArray && in[i].Family == types.ArrayFamily {
					return nil, false
				}
				elems = append(elems, in[i])
			}
		case anyArray:
			switch in[i].Family {
			case types.UnknownFamily:
				arrayUnknown = true
			case types.ArrayFamily:
				elems = append(elems, in[i].Elem)
			default:
				return nil, false
			}
		}
	}
	var elem *types.T
	if len(elems) == 0 {
		if arrayUnknown {
			return nil, false // could not determine polymorphic type
		}
		elem = types.String
	} else {
		var err error
		if elem, err = CommonType("polymorphic", elems); err != nil {
			return nil, false
		}
	}
	for i, s := range sig {
		switch s {
		case anyElement, anyNonArray:
			out[i] = elem
		case anyArray:
			a, err := types.MakeArray(elem)
			if err != nil {
				return nil, false
			}
			out[i] = a
		case anyType:
			out[i] = in[i]
			if in[i].Family == types.UnknownFamily {
				out[i] = types.String
			}
		default:
			out[i] = s
		}
	}
	return out, true
}

// substitute resolves a polymorphic return type from the bound
// signature.
func substitute(ret *types.T, bound, sig []*types.T) *types.T {
	if !isPoly(ret) {
		return ret
	}
	var elem *types.T
	for i, s := range sig {
		switch s {
		case anyElement, anyNonArray:
			elem = bound[i]
		case anyArray:
			elem = bound[i].Elem
		}
		if elem != nil {
			break
		}
	}
	if elem == nil {
		elem = types.String
	}
	if ret == anyArray {
		a, _ := types.MakeArray(elem)
		return a
	}
	return elem
}

// selectCandidate is PostgreSQL's func_select_candidate over candidate
// signatures (already of the right arity). It returns the index of the
// chosen one with its instantiated signature, -1 if none fits, -2 if
// ambiguous.
func selectCandidate(in []*types.T, sigs [][]*types.T, _ bool) (int, []*types.T, error) {
	type cand struct {
		idx int
		sig []*types.T
	}
	var cs []cand
	// Exact match first.
	for i, s := range sigs {
		b, ok := bindPoly(in, s)
		if !ok {
			continue
		}
		exact := true
		for k := range in {
			if in[k].Family == types.UnknownFamily || !sameType(in[k], b[k]) {
				exact = false
				break
			}
		}
		if exact {
			return i, b, nil
		}
	}
	for i, s := range sigs {
		b, ok := bindPoly(in, s)
		if !ok {
			continue
		}
		fits := true
		for k := range in {
			if !canImplicit(in[k], b[k]) {
				fits = false
				break
			}
		}
		if fits {
			cs = append(cs, cand{i, b})
		}
	}
	if len(cs) == 0 {
		return -1, nil, nil
	}
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
	// Most exact matches on known inputs; polymorphic positions count as
	// exact when bound to the input's own type.
	keepMax := func(score func(c cand) int) {
		best := -1
		var kept []cand
		for _, c := range cs {
			s := score(c)
			switch {
			case s > best:
				best, kept = s, []cand{c}
			case s == best:
				kept = append(kept, c)
			}
		}
		cs = kept
	}
	keepMax(func(c cand) int {
		n := 0
		for k := range in {
			if in[k].Family != types.UnknownFamily && sameType(in[k], c.sig[k]) {
				n++
			}
		}
		return n
	})
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
	// Preferred types where conversion is required.
	keepMax(func(c cand) int {
		n := 0
		for k := range in {
			if in[k].Family != types.UnknownFamily && !sameType(in[k], c.sig[k]) && isPreferred(c.sig[k]) &&
				typeCategory(c.sig[k]) == typeCategory(in[k]) {
				n++
			}
		}
		return n
	})
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
	// Unknown inputs: choose a category per position (string wins), then
	// preferred types within it. Judge by the declared signatures, where
	// polymorphic positions are category P.
	declared := func(c cand) []*types.T { return sigs[c.idx] }
	anyUnknown := false
	for k := range in {
		if in[k].Family != types.UnknownFamily {
			continue
		}
		anyUnknown = true
		var cat category
		haveCat, conflict, sawString := false, false, false
		for _, c := range cs {
			ct := typeCategory(declared(c)[k])
			if ct == catString {
				sawString = true
			}
			if !haveCat {
				cat, haveCat = ct, true
			} else if ct != cat {
				conflict = true
			}
		}
		if sawString {
			cat = catString
		} else if conflict {
			return -2, nil, nil
		}
		var kept []cand
		for _, c := range cs {
			if typeCategory(declared(c)[k]) == cat {
				kept = append(kept, c)
			}
		}
		cs = kept
		havePref := false
		for _, c := range cs {
			if isPreferred(declared(c)[k]) && !isPoly(declared(c)[k]) {
				havePref = true
			}
		}
		if havePref {
			kept = nil
			for _, c := range cs {
				if isPreferred(declared(c)[k]) {
					kept = append(kept, c)
				}
			}
			cs = kept
		}
		if len(cs) == 0 {
			return -1, nil, nil
		}
	}
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
	// Unknowns alongside known inputs of a single type: assume that type.
	if anyUnknown {
		var known *types.T
		same := true
		for k := range in {
			if in[k].Family == types.UnknownFamily {
				continue
			}
			if known == nil {
				known = in[k]
			} else if !sameType(known, in[k]) {
				same = false
			}
		}
		if known != nil && same {
			var kept []cand
			for _, c := range cs {
				ok := true
				for k := range in {
					if in[k].Family == types.UnknownFamily && !canImplicit(known, c.sig[k]) {
						ok = false
					}
				}
				if ok {
					kept = append(kept, c)
				}
			}
			if len(kept) == 1 {
				return kept[0].idx, kept[0].sig, nil
			}
		}
	}
	return -2, nil, nil
}
