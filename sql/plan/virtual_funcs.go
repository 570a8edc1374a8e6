package plan

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Catalog functions (psql's and drivers' introspection): they read the
// statement's catalog snapshot (virtual.go), so the binder builds them as
// closures over it rather than sem registering them.

type catFunc struct {
	args   [][]*types.T // accepted argument lists
	ret    *types.T
	onNull bool
	fn     func(s *vsnap, args []types.Datum) (types.Datum, error)
}

func oidArg(d types.Datum) int64 {
	switch v := d.(type) {
	case types.DInt:
		return int64(v)
	}
	return 0
}

func alwaysTrue(*vsnap, []types.Datum) (types.Datum, error) { return dB(true), nil }

var catFuncs = map[string]catFunc{
	// one role with every privilege: the privilege tests are true
	"has_table_privilege":    {[][]*types.T{{vText, vText}, {vText, vText, vText}}, vBool, true, alwaysTrue},
	"has_schema_privilege":   {[][]*types.T{{vText, vText}, {vText, vText, vText}}, vBool, true, alwaysTrue},
	"has_database_privilege": {[][]*types.T{{vText, vText}, {vText, vText, vText}}, vBool, true, alwaysTrue},
	"has_column_privilege":   {[][]*types.T{{vText, vText, vText}, {vText, vText, vText, vText}}, vBool, true, alwaysTrue},
	"has_sequence_privilege": {[][]*types.T{{vText, vText}, {vText, vText, vText}}, vBool, true, alwaysTrue},
	"pg_has_role":            {[][]*types.T{{vText, vText}, {vText, vText, vText}}, vBool, true, alwaysTrue},
	// to_regclass(name): the relation's OID, NULL when there is none (an
	// OID here, not a name: the binder prints only casts as names)
	"to_regclass": {[][]*types.T{{vText}}, vOID, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		name := string(a[0].(types.DString))
		parts := strings.Split(name, ".")
		for i, p := range parts {
			if strings.HasPrefix(p, `"`) && strings.HasSuffix(p, `"`) && len(p) >= 2 {
				parts[i] = p[1 : len(p)-1]
			} else {
				parts[i] = strings.ToLower(p)
			}
		}
		if o, ok := s.byName[strings.Join(parts, ".")]; ok {
			return dI(o), nil
		}
		return types.Null, nil
	}},
	// pg_get_serial_sequence(table, column): the schema-qualified name
	// of the sequence a SERIAL or identity column owns, NULL otherwise
	"pg_get_serial_sequence": {[][]*types.T{{vText, vText}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		tbl, col := string(a[0].(types.DString)), string(a[1].(types.DString))
		sch := ""
		if i := strings.LastIndexByte(tbl, '.'); i >= 0 {
			sch, tbl = tbl[:i], tbl[i+1:]
		}
		tbl = strings.Trim(tbl, `"`)
		var t *catalog.Descriptor
		for _, d := range s.objs {
			if d.Kind == catalog.KindTable && d.Name == tbl && (sch == "" || s.schemaOf[d.SchemaID] == sch) && (sch != "" || s.visible(int64(d.ID))) {
				t = d
			}
		}
		if t == nil {
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", a[0].(types.DString))
		}
		_, c := t.ColumnByName(col)
		if c == nil || c.Hidden {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", col, tbl)
		}
		for _, d := range s.objs {
			if c.OwnedSeq != 0 && d.ID == c.OwnedSeq {
				return dS(s.schemaOf[d.SchemaID] + "." + d.Name), nil
			}
		}
		return types.Null, nil
	}},
	// pg_get_function_result / _arguments / _identity_arguments and
	// pg_function_is_visible, for the functions pg_proc lists (psql's \df)
	"pg_get_function_result": {[][]*types.T{{vOID}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		ret, _, _, ok := s.procSignature(oidArg(a[0]))
		if !ok {
			return types.Null, nil
		}
		return dS(ret), nil
	}},
	"pg_get_function_arguments": {[][]*types.T{{vOID}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		_, args, _, ok := s.procSignature(oidArg(a[0]))
		if !ok {
			return types.Null, nil
		}
		return dS(args), nil
	}},
	"pg_get_function_identity_arguments": {[][]*types.T{{vOID}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		_, args, _, ok := s.procSignature(oidArg(a[0]))
		if !ok {
			return types.Null, nil
		}
		return dS(args), nil
	}},
	"pg_function_is_visible": {[][]*types.T{{vOID}}, vBool, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		_, _, visible, ok := s.procSignature(oidArg(a[0]))
		if !ok {
			return types.Null, nil
		}
		return dB(visible), nil
	}},
	"format_type": {[][]*types.T{{vOID, vInt4}}, vText, true, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		if types.IsNull(a[0]) {
			return types.Null, nil
		}
		mod := int64(-1)
		if !types.IsNull(a[1]) {
			mod = oidArg(a[1])
		}
		return dS(s.formatType(oidArg(a[0]), mod)), nil
	}},
	"pg_get_indexdef": {[][]*types.T{{vOID}, {vOID, vInt4, vBool}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		col := int64(0)
		if len(a) > 1 {
			col = oidArg(a[1])
		}
		return dS(s.indexDef(oidArg(a[0]), col)), nil
	}},
	// there are no triggers (pg_trigger is empty); psql's \d names it
	"pg_get_triggerdef": {[][]*types.T{{vOID}, {vOID, vBool}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		return types.Null, nil
	}},
	"pg_get_constraintdef": {[][]*types.T{{vOID}, {vOID, vBool}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		return dS(s.constraintDef(oidArg(a[0]))), nil
	}},
	// A view's definition is its stored query text.
	"pg_get_viewdef": {[][]*types.T{{vOID}, {vOID, vBool}, {vOID, vInt4}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		for _, d := range s.objs {
			if int64(d.ID) == oidArg(a[0]) && d.Kind == catalog.KindView {
				return dS(d.ViewQuery), nil
			}
		}
		return types.Null, nil
	}},
	"pg_table_is_visible": {[][]*types.T{{vOID}}, vBool, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		return dB(s.visible(oidArg(a[0]))), nil
	}},
	"pg_get_userbyid": {[][]*types.T{{vOID}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		if oidArg(a[0]) == 10 {
			return dS(s.user()), nil
		}
		return dS("unknown (OID=" + strconv.FormatInt(oidArg(a[0]), 10) + ")"), nil
	}},
	"obj_description": {[][]*types.T{{vOID}, {vOID, vText}}, vText, true, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		if types.IsNull(a[0]) {
			return types.Null, nil
		}
		oid := oidArg(a[0])
		for _, d := range s.objs {
			if int64(d.ID) == oid && d.Comment != "" {
				return dS(d.Comment), nil
			}
		}
		for _, d := range s.enums {
			if int64(d.EnumType().OID()) == oid && d.Comment != "" {
				return dS(d.Comment), nil
			}
		}
		return types.Null, nil
	}},
	"shobj_description": {[][]*types.T{{vOID, vText}}, vText, true, func(*vsnap, []types.Datum) (types.Datum, error) {
		return types.Null, nil
	}},
	"col_description": {[][]*types.T{{vOID, vInt4}}, vText, true, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		if types.IsNull(a[0]) || types.IsNull(a[1]) {
			return types.Null, nil
		}
		oid, num := oidArg(a[0]), int(a[1].(types.DInt))
		for _, d := range s.objs {
			if int64(d.ID) != oid {
				continue
			}
			for _, c := range d.Columns {
				if !c.Hidden && visibleAttnum(d, c.ID) == num && c.Comment != "" {
					return dS(c.Comment), nil
				}
			}
		}
		return types.Null, nil
	}},
	// Expressions are stored as SQL text, so pg_get_expr returns it.
	"pg_get_expr": {[][]*types.T{{vText, vOID}, {vText, vOID, vBool}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		return a[0], nil
	}},
	"current_schemas": {[][]*types.T{{vBool}}, vTextArr, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		var out []string
		if bool(a[0].(types.DBool)) {
			out = append(out, "pg_catalog")
		}
		if s.b.Eval != nil && s.b.Eval.Schema != "" {
			out = append(out, s.b.Eval.Schema)
		}
		return dTextArr(out), nil
	}},
	"pg_encoding_to_char": {[][]*types.T{{vInt4}}, vText, false, func(s *vsnap, a []types.Datum) (types.Datum, error) {
		if oidArg(a[0]) == 6 {
			return dS("UTF8"), nil
		}
		return dS(""), nil
	}},
	"pg_relation_is_publishable": {[][]*types.T{{vOID}}, vBool, false, func(*vsnap, []types.Datum) (types.Datum, error) {
		return dB(false), nil
	}},
	"pg_get_statisticsobjdef_columns": {[][]*types.T{{vOID}}, vText, false, func(*vsnap, []types.Datum) (types.Datum, error) {
		return types.Null, nil
	}},
	"pg_type_is_visible": {[][]*types.T{{vOID}}, vBool, false, func(*vsnap, []types.Datum) (types.Datum, error) {
		return dB(true), nil
	}},
}

// bindCatalogFunc binds a catalog function call; ok=false if name is not one.
func (b *Binder) bindCatalogFunc(name string, n *ast.FuncCallExpr, sc *scope) (Expr, bool, error) {
	cf, ok := catFuncs[name]
	if !ok {
		return nil, false, nil
	}
	es, _, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, true, err
	}
	var sig []*types.T
	for _, a := range cf.args {
		if len(a) == len(es) {
			sig = a
		}
	}
	if sig == nil {
		return nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(es))
	}
	for i := range es {
		if es[i], err = b.coerce(es[i], sig[i]); err != nil {
			return nil, true, err
		}
	}
	s, err := b.snapshot()
	if err != nil {
		return nil, true, err
	}
	fn := cf.fn
	ov := &sem.FuncOverload{Name: name, Class: sem.Normal, Args: sig, Return: cf.ret, CalledOnNull: cf.onNull,
		Volatility: sem.Stable,
		Fn:         func(_ *sem.EvalContext, args []types.Datum) (types.Datum, error) { return fn(s, args) }}
	return &Func{Ov: ov, Args: es}, true, nil
}

// regCast binds x::regclass / regtype / regnamespace / regproc / oid:
// OIDs are INT8; a constant name is resolved through the catalog snapshot.
// ok=false when target is not one of these types.
func (b *Binder) regCast(target string, e Expr) (Expr, bool, error) {
	if !isRegType(target) {
		return nil, false, nil
	}
	c, isConst := e.(*Const)
	isText := e.Type().Family == types.StringFamily || isUnknown(e.Type())
	if !isText || target == "oid" || target == "xid" {
		out, err := b.explicitCast(e, types.Int8)
		return out, true, err
	}
	if !isConst && target == "regclass" {
		// a name computed per row (pg_get_serial_sequence(...)::regclass):
		// looked up when evaluated, in the statement's catalog snapshot
		s, err := b.snapshot()
		if err != nil {
			return nil, true, err
		}
		if e, err = b.coerce(e, types.String); err != nil {
			return nil, true, err
		}
		ov := &sem.FuncOverload{Name: "regclassin", Class: sem.Normal, Args: []*types.T{types.String}, Return: types.Int8,
			Volatility: sem.Stable,
			Fn: func(_ *sem.EvalContext, args []types.Datum) (types.Datum, error) {
				name := string(args[0].(types.DString))
				if oid, ok := s.regclassIn(name); ok {
					return dI(oid), nil
				}
				return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
			}}
		return &Func{Ov: ov, Args: []Expr{e}}, true, nil
	}
	if !isConst {
		return nil, true, pgerr.New(pgerr.FeatureNotSupported, "cast of a non-constant text to %s is not supported", target)
	}
	if types.IsNull(c.D) {
		return &Const{D: types.Null, T: types.Int8}, true, nil
	}
	name := string(c.D.(types.DString))
	if n, err := strconv.ParseInt(strings.TrimSpace(name), 10, 64); err == nil && n >= 0 {
		// regclassin and its kind take a numeric OID as it is
		return &Const{D: dI(n), T: types.Int8}, true, nil
	}
	s, err := b.snapshot()
	if err != nil {
		return nil, true, err
	}
	key := strings.ToLower(strings.Trim(name, `"`))
	if strings.HasPrefix(name, `"`) {
		key = strings.Trim(name, `"`)
	}
	switch target {
	case "regclass":
		if oid, ok := s.regclassIn(name); ok {
			return &Const{D: dI(oid), T: types.Int8}, true, nil
		}
		return nil, true, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
	case "regnamespace":
		for id, n := range s.schemaOf {
			if n == key {
				return &Const{D: dI(int64(id)), T: types.Int8}, true, nil
			}
		}
		return nil, true, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", name)
	case "regproc", "regprocedure":
		if i := strings.IndexByte(key, '('); i > 0 && target == "regprocedure" {
			key = strings.TrimSpace(key[:i]) // the argument types name no other overload
		}
		if oid, ok := ioProcByName(key); ok {
			return &Const{D: dI(oid), T: types.Int8}, true, nil
		}
		return nil, true, pgerr.New(pgerr.UndefinedFunction, "function %q does not exist", name)
	case "regtype":
		t, err := types.FromPG(parser.PGType{Name: key})
		if err != nil {
			// a user-defined type (enum, domain, composite) by the OID
			// its pg_type row has
			if te, ok := err.(*types.Error); ok && te.Code == types.CodeUndefinedObject && b.Coll != nil {
				d, lerr := b.LookupType(key)
				if lerr != nil {
					return nil, true, lerr
				}
				if d != nil {
					t = d.EnumType()
					if d.Composite != nil {
						t = d.CompositeType()
					}
					return &Const{D: dI(int64(t.OID())), T: types.Int8}, true, nil
				}
			}
			return nil, true, err
		}
		return &Const{D: dI(int64(t.OID())), T: types.Int8}, true, nil
	}
	return nil, true, pgerr.New(pgerr.FeatureNotSupported, "cast to %s is not supported", target)
}

// regclassIn resolves a relation name as regclassin reads it: a number
// is an OID as it is; a name is folded to lower case unless quoted.
func (s *vsnap) regclassIn(name string) (int64, bool) {
	if n, err := strconv.ParseInt(strings.TrimSpace(name), 10, 64); err == nil && n >= 0 {
		return n, true
	}
	key := strings.ToLower(strings.Trim(name, `"`))
	if strings.HasPrefix(name, `"`) {
		key = strings.Trim(name, `"`)
	}
	oid, ok := s.byName[key]
	return oid, ok
}

func isRegType(name string) bool {
	switch name {
	case "oid", "regclass", "regtype", "regnamespace", "regproc", "regprocedure", "regoper", "regrole", "xid":
		return true
	}
	return false
}

// isRegClassCast reports whether e (inside parentheses) is a cast to
// regclass or a call of to_regclass: the binder keeps regclass values as INT8 OIDs and prints
// them as relation names where they are output (select list, ::text).
func (b *Binder) isRegClassCast(e ast.ExprNode) bool {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	if fc, ok := e.(*ast.FuncCallExpr); ok {
		// to_regclass(name) returns a regclass too
		return fc.FnName.L == "to_regclass" && len(fc.Args) == 1
	}
	fc, ok := e.(*ast.FuncCastExpr)
	if !ok {
		return false
	}
	pt, ok := b.Stmt.CastTypes[fc]
	return ok && !pt.Array && pt.Name == "regclass"
}

// procSignature is a pg_proc row's result type and argument list as
// PostgreSQL prints them, and whether the search path finds it.
func (s *vsnap) procSignature(oid int64) (ret, args string, visible, ok bool) {
	for _, d := range s.funcs {
		if int64(d.ID) != oid {
			continue
		}
		var parts []string
		for _, a := range d.Func.Args {
			p := a.Type.String()
			if a.Name != "" {
				p = quoteIdent(a.Name) + " " + p
			}
			parts = append(parts, p)
		}
		vis := d.SchemaID == s.b.Schema || slices.Contains(s.b.SearchPath, d.SchemaID)
		return d.Func.Return.String(), strings.Join(parts, ", "), vis, true
	}
	i := oid - builtinProcBase
	bs := sem.Builtins()
	if i < 0 || i >= int64(len(bs)) {
		return "", "", false, false
	}
	p := bs[i]
	name := func(o types.OID) string {
		if n, ok := pseudoTypeNames[o]; ok {
			return n
		}
		return s.formatType(int64(o), -1)
	}
	var parts []string
	for _, o := range p.ArgOIDs {
		parts = append(parts, name(o))
	}
	ret = name(p.RetOID)
	if p.RetSet {
		ret = "SETOF " + ret
	}
	return ret, strings.Join(parts, ", "), true, true
}

// pseudoTypeNames are the polymorphic and other pseudo-types' names.
var pseudoTypeNames = map[types.OID]string{2283: "anyelement", 2277: "anyarray", 2776: "anynonarray", 2276: `"any"`,
	5077: "anycompatible", 5078: "anycompatiblearray", 2278: "void", 0: "unknown"}

// regprocOut prints a type I/O function's OID as its name (regprocout).
var regprocOut = &sem.FuncOverload{Name: "regprocout", Class: sem.Normal, Args: []*types.T{types.Int8}, Return: vText,
	Volatility: sem.Immutable,
	Fn: func(_ *sem.EvalContext, args []types.Datum) (types.Datum, error) {
		return types.DString(ioProcNameOf(oidArg(args[0]))), nil
	}}

// regClassName is the text of the regclass OID e: the relation's name,
// schema-qualified when not visible, or the number when there is no such
// relation (regclassout).
func (b *Binder) regClassName(e Expr) (Expr, error) {
	s, err := b.snapshot()
	if err != nil {
		return nil, err
	}
	ov := &sem.FuncOverload{Name: "regclassout", Class: sem.Normal, Args: []*types.T{types.Int8}, Return: vText,
		Volatility: sem.Stable,
		Fn: func(_ *sem.EvalContext, args []types.Datum) (types.Datum, error) {
			return types.DString(s.relName(oidArg(args[0]))), nil
		}}
	return &Func{Ov: ov, Args: []Expr{e}}, nil
}
