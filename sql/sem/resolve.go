package sem

import (
	"sort"
	"strconv"
	"strings"
	"sync"

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
	// anycompatible / anycompatiblearray: like anyelement / anyarray, but
	// all-Unknown inputs resolve to text instead of failing.
	anyCompat      = &types.T{Family: types.UnknownFamily, Width: 5}
	anyCompatArray = &types.T{Family: types.UnknownFamily, Width: 6}
)

func isElemPoly(t *types.T) bool  { return t == anyElement || t == anyNonArray || t == anyCompat }
func isArrayPoly(t *types.T) bool { return t == anyArray || t == anyCompatArray }

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
	if ov, ok := enumComparison(op, l, r); ok {
		return ov, nil // not cached: an enum's labels can change
	}
	key := binKey{op, keyOf(l), keyOf(r)}
	binaryCache.RLock()
	ov, ok := binaryCache.m[key]
	binaryCache.RUnlock()
	if ok {
		return ov, nil
	}
	ov, err := resolveBinary(op, l, r)
	if err == nil {
		binaryCache.Lock()
		if len(binaryCache.m) > 100000 {
			binaryCache.m = map[binKey]*BinaryOverload{}
		}
		binaryCache.m[key] = ov
		binaryCache.Unlock()
	}
	return ov, err
}

// Resolution results are cached by argument types (with modifiers, which
// polymorphic bindings keep); the cached overloads are shared and must
// not be modified by callers.
var (
	binaryCache = struct {
		sync.RWMutex
		m map[binKey]*BinaryOverload
	}{m: map[binKey]*BinaryOverload{}}
	funcCache sync.Map
)

// tkey identifies a type with its modifiers (and its element's, for
// arrays) as a comparable value.
type tkey struct {
	fam, efam            types.Family
	width, prec, scale   int
	variant, evariant    types.StringVariant
	length, ewidth, elen int
	eprec, escale        int
}

type binKey struct {
	op   BinaryOp
	l, r tkey
}

func keyOf(t *types.T) tkey {
	k := tkey{fam: t.Family, width: t.Width, prec: t.Precision, scale: t.Scale, variant: t.Variant, length: t.Length}
	if t.Elem != nil {
		e := t.Elem
		k.efam, k.ewidth, k.evariant, k.elen, k.eprec, k.escale = e.Family, e.Width, e.Variant, e.Length, e.Precision, e.Scale
	}
	return k
}

func typeKey(t *types.T) string {
	if t.Family == types.UnknownFamily {
		return "unknown"
	}
	if t.IsEnum() && t.Enum != nil { // labels included: ALTER TYPE changes them
		return "enum:" + strconv.Itoa(t.Width) + ":" + strings.Join(t.Enum.Labels, "\x00")
	}
	return t.String()
}

func resolveBinary(op BinaryOp, l, r *types.T) (*BinaryOverload, error) {
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
// count(*) is ResolveFunc("count", nil). The result is shared (cached):
// read-only for the caller.
func ResolveFunc(name string, args []*types.T) (*FuncOverload, error) {
	name = strings.ToLower(name)
	if len(args) == 1 && args[0].IsEnum() && (name == "min" || name == "max") {
		at, isMax := args[0], name == "max"
		return &FuncOverload{Name: name, Class: Aggregate, Args: []*types.T{at}, Return: at, CalledOnNull: true,
			NewAgg: func() AggFunc { return &minMaxAgg{t: at, max: isMax} }}, nil
	}
	if len(args) == 1 && args[0].IsEnum() && (name == "enum_first" || name == "enum_last") {
		at, last := args[0], name == "enum_last"
		return &FuncOverload{Name: name, Class: Normal, Args: []*types.T{at}, Return: at, CalledOnNull: true, Volatility: Stable,
			Fn: func(_ *EvalContext, _ []types.Datum) (types.Datum, error) {
				if at.Enum == nil || len(at.Enum.Labels) == 0 {
					return types.Null, nil
				}
				if last {
					return types.EnumOrd(at, len(at.Enum.Labels)-1)
				}
				return types.EnumOrd(at, 0)
			}}, nil
	}
	if name == "generate_subscripts" && (len(args) == 2 || len(args) == 3) && args[0].Vector {
		fo := &FuncOverload{Name: name, Class: Generator, Args: []*types.T{args[0], types.Int4}, Return: types.Int4, Gen: subscriptsFrom(0)}
		if len(args) == 3 {
			fo.Args = append(fo.Args, types.Bool)
		}
		return fo, nil
	}
	if name == "enum_range" {
		if len(args) == 1 && args[0].IsEnum() {
			return enumRange(args)
		}
		if len(args) == 2 {
			a, b := args[0], args[1]
			if a.Family == types.UnknownFamily {
				a = b
			}
			if b.Family == types.UnknownFamily {
				b = a
			}
			if a.IsEnum() && a.Equal(b) {
				return enumRange([]*types.T{a, a})
			}
		}
	}
	var kb strings.Builder
	kb.WriteString(name)
	for _, a := range args {
		kb.WriteByte(0)
		kb.WriteString(typeKey(a))
	}
	key := kb.String()
	if v, ok := funcCache.Load(key); ok {
		return v.(*FuncOverload), nil
	}
	fo, err := resolveFunc(name, args)
	if err == nil {
		funcCache.Store(key, fo)
	}
	return fo, err
}

// enumRange is enum_range(anyenum), every label of the argument's type
// in order, and enum_range(lo, hi), the labels from lo to hi (a NULL
// bound: from the first / to the last; empty when lo is after hi).
func enumRange(args []*types.T) (*FuncOverload, error) {
	at := args[0]
	ret, err := types.MakeArray(at)
	if err != nil {
		return nil, err
	}
	return &FuncOverload{Name: "enum_range", Class: Normal, Args: args, Return: ret, CalledOnNull: true, Volatility: Stable,
		Fn: func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			out := &types.DArray{Elem: at}
			if at.Enum == nil {
				return out, nil
			}
			lo, hi := 0, len(at.Enum.Labels)-1
			if len(a) == 2 {
				if e, ok := a[0].(types.DEnum); ok {
					lo = e.Ord
				}
				if e, ok := a[1].(types.DEnum); ok {
					hi = e.Ord
				}
			}
			for i := lo; i <= hi; i++ {
				d, err := types.EnumOrd(at, i)
				if err != nil {
					return nil, err
				}
				out.Elems = append(out.Elems, d)
			}
			return out, nil
		}}, nil
}

func resolveFunc(name string, args []*types.T) (*FuncOverload, error) {
	cands := funcs[name]
	if len(cands) == 0 {
		return nil, errorf(CodeUndefinedFunction, "function %s(%s) does not exist", name, typeList(args))
	}
	var sigs [][]*types.T
	var which []int
	for i, c := range cands {
		if c.Variadic {
			// At least one argument for the VARIADIC parameter.
			if len(args) < len(c.Args) {
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
// inconsistent or the polymorphic type cannot be determined (unknown is
// then true: all inputs at polymorphic positions were Unknown).
func bindPoly(in, sig []*types.T) (out []*types.T, ok, unknown bool) {
	hasPoly, compat := false, false
	for _, s := range sig {
		if isPoly(s) && s != anyType {
			hasPoly = true
		}
		if s == anyCompat || s == anyCompatArray {
			compat = true
		}
	}
	out = make([]*types.T, len(sig))
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
		return out, true, false
	}
	var elems []*types.T
	for i, s := range sig {
		switch {
		case isElemPoly(s):
			if in[i].Family != types.UnknownFamily {
				if s == anyNonArray && in[i].Family == types.ArrayFamily {
					return nil, false, false
				}
				elems = append(elems, in[i])
			}
		case isArrayPoly(s):
			switch in[i].Family {
			case types.UnknownFamily:
			case types.ArrayFamily:
				elems = append(elems, in[i].Elem)
			default:
				return nil, false, false
			}
		}
	}
	var elem *types.T
	if len(elems) == 0 {
		if !compat {
			return nil, false, true // could not determine polymorphic type
		}
		elem = types.String
	} else {
		var err error
		if elem, err = CommonType("polymorphic", elems); err != nil {
			return nil, false, false
		}
		// A polymorphic binding is the base type, without typmods.
		elem = StripModifiers(elem)
	}
	for i, s := range sig {
		switch {
		case isElemPoly(s):
			out[i] = elem
		case isArrayPoly(s):
			a, err := types.MakeArray(elem)
			if err != nil {
				return nil, false, false
			}
			out[i] = a
		case s == anyType:
			out[i] = in[i]
			if in[i].Family == types.UnknownFamily {
				out[i] = types.String
			}
		default:
			out[i] = s
		}
	}
	return out, true, false
}

// substitute resolves a polymorphic return type from the bound
// signature.
func substitute(ret *types.T, bound, sig []*types.T) *types.T {
	if !isPoly(ret) {
		return ret
	}
	var elem *types.T
	for i, s := range sig {
		switch {
		case isElemPoly(s):
			elem = bound[i]
		case isArrayPoly(s):
			elem = bound[i].Elem
		}
		if elem != nil {
			break
		}
	}
	if elem == nil {
		elem = types.String
	}
	if isArrayPoly(ret) {
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
		b, ok, _ := bindPoly(in, s)
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
	polyUnknown := false
	for i, s := range sigs {
		b, ok, unk := bindPoly(in, s)
		if !ok {
			if unk {
				// Report "could not determine polymorphic type" only for a
				// candidate whose other arguments fit.
				fits := true
				for k := range in {
					if !isPoly(s[k]) && !canImplicit(in[k], s[k]) {
						fits = false
					}
				}
				polyUnknown = polyUnknown || fits
			}
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
		if polyUnknown {
			return -1, nil, errorf(CodeDatatypeMismatch, "could not determine polymorphic type because input has type unknown")
		}
		return -1, nil, nil
	}
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
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
	// As func_select_candidate, judge by the declared signatures (a
	// polymorphic parameter never matches exactly): most exact matches on
	// known inputs first, then most positions that match exactly or take
	// the preferred type of the input's category.
	keepMax(func(c cand) int {
		n := 0
		for k := range in {
			if in[k].Family != types.UnknownFamily && sameType(in[k], sigs[c.idx][k]) {
				n++
			}
		}
		return n
	})
	if len(cs) == 1 {
		return cs[0].idx, cs[0].sig, nil
	}
	keepMax(func(c cand) int {
		n := 0
		for k := range in {
			d := sigs[c.idx][k]
			if in[k].Family != types.UnknownFamily && (sameType(in[k], d) ||
				(isPreferred(d) && !isPoly(d) && typeCategory(d) == typeCategory(in[k]))) {
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
	resolved := true
	slotCat := make([]category, len(in))
	slotPref := make([]bool, len(in))
	for k := range in {
		if in[k].Family != types.UnknownFamily {
			continue
		}
		anyUnknown = true
		conflict := false
		for ci, c := range cs {
			t := declared(c)[k]
			ct, pref := typeCategory(t), isPreferred(t) && !isPoly(t)
			switch {
			case ci == 0:
				slotCat[k], slotPref[k] = ct, pref
			case ct == slotCat[k]:
				slotPref[k] = slotPref[k] || pref
			case ct == catString:
				slotCat[k], slotPref[k] = ct, pref
			default:
				conflict = true
			}
		}
		if conflict && slotCat[k] != catString {
			resolved = false
			break
		}
	}
	if anyUnknown && resolved {
		var kept []cand
		for _, c := range cs {
			keep := true
			for k := range in {
				if in[k].Family != types.UnknownFamily {
					continue
				}
				t := declared(c)[k]
				if typeCategory(t) != slotCat[k] || (slotPref[k] && !(isPreferred(t) && !isPoly(t))) {
					keep = false
					break
				}
			}
			if keep {
				kept = append(kept, c)
			}
		}
		cs = kept
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

// BuiltinProc is one built-in function overload as pg_proc lists it.
type BuiltinProc struct {
	Name   string
	Class  FuncClass
	NArgs  int
	RetOID types.OID // PostgreSQL's pseudo-type OIDs for polymorphic results
	RetSet bool
	// ArgOIDs are the parameter types (pseudo-type OIDs likewise).
	ArgOIDs []types.OID
}

// Builtins lists the registered function overloads, by name then in
// registration order.
func Builtins() []BuiltinProc {
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []BuiltinProc
	for _, n := range names {
		for _, o := range funcs[n] {
			bp := BuiltinProc{Name: n, Class: o.Class, NArgs: len(o.Args), RetOID: pseudoOID(o.Return), RetSet: o.Class == Generator}
			for _, a := range o.Args {
				bp.ArgOIDs = append(bp.ArgOIDs, pseudoOID(a))
			}
			out = append(out, bp)
		}
	}
	return out
}

// pseudoOID is a registry type's OID, PostgreSQL's for the polymorphic
// markers (anyelement 2283, anyarray 2277, anynonarray 2776, "any" 2276,
// anycompatible 5077, anycompatiblearray 5078).
func pseudoOID(t *types.T) types.OID {
	switch t {
	case nil:
		return 2278 // void
	case anyElement:
		return 2283
	case anyArray:
		return 2277
	case anyNonArray:
		return 2776
	case anyType:
		return 2276
	case anyCompat:
		return 5077
	case anyCompatArray:
		return 5078
	}
	return t.OID()
}
