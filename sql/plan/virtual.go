package plan

import (
	"slices"
	"sort"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/parser"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Virtual tables: pg_catalog and information_schema relations generated
// from the catalog when a statement is bound (inside the statement's
// transaction, so they see exactly the descriptors the statement sees).
// They are read-only: DML and DDL against them fail with 42501.
//
// OIDs. PostgreSQL's oid columns are INT8 here (oid, regclass, regtype and
// regnamespace casts produce INT8; a regclass cast of a name resolves it).
// A table, view, sequence, schema or database has its descriptor ID as OID;
// an index has indexOID(table, index) (bit 31 set, so it never equals a
// descriptor ID), its PRIMARY KEY / UNIQUE constraint that OID plus 1<<30.
// pg_catalog's own namespace is 11, information_schema's 13 (PostgreSQL's
// values), types have their PostgreSQL type OIDs.

// VirtualScan produces the rows of a virtual catalog table.
type VirtualScan struct {
	Name string // schema.table
	Rows [][]types.Datum
	Cols []Col
}

// Columns implements Node.
func (n *VirtualScan) Columns() []Col { return n.Cols }

const (
	pgCatalogOID   = 11
	infoSchemaOID  = 13
	heapAMOID      = 2
	btreeAMOID     = 403
	virtualRelBase = 1 << 28 // OIDs of the virtual relations themselves
)

// Type I/O functions (pg_type.typinput/typoutput, and ::regproc of their
// names): every array type has array_in/array_out (PostgreSQL's OIDs 750
// and 751); a scalar type t has <typname>in/<typname>out, numbered
// ioProcBase + 2*OID(t) (+1 for out).
const (
	arrayInOID  = 750
	arrayOutOID = 751
	ioProcBase  = 1 << 29
	// builtinProcBase numbers the built-in functions in pg_proc.
	builtinProcBase = 1<<29 | 1<<27
)

// ioProcName is the name of type t's input ("in") or output ("out")
// function, as pg_proc names it.
func ioProcName(t *types.T, dir string) string {
	switch t.Family {
	case types.ArrayFamily:
		return "array_" + dir
	case types.EnumFamily:
		return "enum_" + dir
	case types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily, types.IntervalFamily,
		types.DecimalFamily, types.UUIDFamily, types.JSONFamily, types.JSONBFamily:
		return t.PGName() + "_" + dir
	}
	return t.PGName() + dir
}

// ioProcNameOf is the name of the type I/O function of OID oid (its
// number when there is none).
func ioProcNameOf(oid int64) string {
	switch oid {
	case arrayInOID:
		return "array_in"
	case arrayOutOID:
		return "array_out"
	case 3504:
		return "enum_in"
	case 3505:
		return "enum_out"
	}
	for _, t := range pgTypes() {
		for _, dir := range []string{"in", "out"} {
			if t.Family != types.ArrayFamily && ioProcOID(t, dir) == oid {
				return ioProcName(t, dir)
			}
		}
	}
	return strconv.FormatInt(oid, 10)
}

func ioProcOID(t *types.T, dir string) int64 {
	if t.Family == types.ArrayFamily {
		if dir == "in" {
			return arrayInOID
		}
		return arrayOutOID
	}
	o := ioProcBase + 2*int64(t.OID())
	if dir == "out" {
		o++
	}
	return o
}

// ioProcByName resolves a type I/O function's name ("array_in",
// "int4out" …) to its OID.
func ioProcByName(name string) (int64, bool) {
	name = strings.TrimPrefix(name, "pg_catalog.")
	for _, t := range pgTypes() {
		for _, dir := range []string{"in", "out"} {
			if ioProcName(t, dir) == name {
				return ioProcOID(t, dir), true
			}
		}
	}
	return 0, false
}

func indexOID(table catalog.ID, idx catalog.IndexID) int64 {
	return 1<<31 | int64(table)<<8 | int64(idx&0xff)
}

func constraintOID(table catalog.ID, idx catalog.IndexID) int64 {
	return indexOID(table, idx) + 1<<30
}

type vcol struct {
	name string
	t    *types.T
	// regproc: a regproc column (an OID here) that a query's output
	// prints as the function's name, as PostgreSQL prints regproc.
	regproc bool
}

type vtable struct {
	cols []vcol
	gen  func(s *vsnap) [][]types.Datum
}

var (
	vOID     = types.Int8
	vText    = types.String
	vBool    = types.Bool
	vInt2    = types.Int2
	vInt4    = types.Int4
	vFloat4  = types.Float4
	vTextArr = mustArray(types.String)
	vOIDArr  = mustArray(types.Int8)
	vInt2Arr = mustArray(types.Int2)
)

func mustArray(t *types.T) *types.T {
	a, err := types.MakeArray(t)
	if err != nil {
		panic(err)
	}
	return a
}

func cols(spec string) []vcol {
	var out []vcol
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, tn, _ := strings.Cut(f, " ")
		if tn == "regproc" {
			out = append(out, vcol{name: name, t: vOID, regproc: true})
			continue
		}
		t := map[string]*types.T{"oid": vOID, "text": vText, "bool": vBool, "int2": vInt2, "int4": vInt4,
			"float4": vFloat4, "text[]": vTextArr, "oid[]": vOIDArr, "int2[]": vInt2Arr, "int2vector": types.Int2Vector, "int8": types.Int8,
			"timestamptz": types.TimestampTZ}[tn]
		if t == nil {
			panic("virtual column type " + tn)
		}
		out = append(out, vcol{name: name, t: t})
	}
	return out
}

func empty(*vsnap) [][]types.Datum { return nil }

// vsnap is the catalog as one statement sees it.
type vsnap struct {
	b         *Binder
	dbs       []*catalog.Descriptor
	schemas   []*catalog.Descriptor // of the current database
	objs      []*catalog.Descriptor // tables, views, sequences of the current database
	enums     []*catalog.Descriptor // enum types of the current database
	funcs     []*catalog.Descriptor // user-defined functions of the current database
	schemaOf  map[catalog.ID]string
	byName    map[string]int64 // "schema.name" and visible "name" -> relation OID
	indexDesc map[int64]vindex
	typmods   map[[2]int64]string // (type OID, typmod) -> format_type
	checks    map[int64]string    // CHECK constraint OID -> its expression
	// viewCols caches the bound columns of each view; inView is set while
	// one is bound (a view over the catalog must not recurse into itself).
	viewCols map[catalog.ID][]vcolumn
	inView   bool
	// roleDescs caches roles() (nil until first read).
	roleDescs *[]*catalog.Descriptor
}

// vcolumn is a view's output column as pg_attribute lists it.
type vcolumn struct {
	name string
	t    *types.T
}

// checkOID is a CHECK constraint's OID: bit 31 and 29 set, so it equals
// neither a descriptor, an index nor an index's constraint.
func foreignKeyOID(table catalog.ID, i int) int64 {
	return 1<<31 | 1<<28 | int64(table)<<8 | int64(i&0xff)
}

func checkOID(table catalog.ID, i int) int64 {
	return 1<<31 | 1<<29 | int64(table)<<8 | int64(i&0xff)
}

// columnsOf are a relation's visible columns (a view's bound from its
// query; none when that fails, say because a relation it reads is gone).
func (s *vsnap) columnsOf(d *catalog.Descriptor) []vcolumn {
	if d.Kind != catalog.KindView {
		var out []vcolumn
		for _, c := range d.Columns {
			if !c.Hidden {
				out = append(out, vcolumn{c.Name, c.Type})
			}
		}
		return out
	}
	if cs, ok := s.viewCols[d.ID]; ok || s.inView {
		return cs
	}
	s.inView = true
	defer func() { s.inView = false }()
	var out []vcolumn
	st, err := parser.ParseOne(d.ViewQuery)
	if rs, ok := st.AST.(ast.ResultSetNode); err == nil && ok {
		nb := &Binder{Ctx: s.b.Ctx, Coll: s.b.Coll, DB: s.b.DB, Schema: s.b.Schema, Stmt: &st, Eval: s.b.Eval, vsnap: s, viewDepth: 1}
		if node, err := nb.bindQuery(rs, nil); err == nil {
			for i, c := range visibleOnly(node).Columns() {
				name := c.Name
				if i < len(d.ViewColumns) {
					name = d.ViewColumns[i]
				}
				out = append(out, vcolumn{name, c.T})
			}
		}
	}
	s.viewCols[d.ID] = out
	return out
}

type vindex struct {
	table *catalog.Descriptor
	idx   *catalog.Index
	prim  bool
}

func (b *Binder) snapshot() (*vsnap, error) {
	if b.vsnap != nil {
		return b.vsnap, nil
	}
	s := &vsnap{b: b, schemaOf: map[catalog.ID]string{}, byName: map[string]int64{}, indexDesc: map[int64]vindex{}, typmods: map[[2]int64]string{},
		checks: map[int64]string{}, viewCols: map[catalog.ID][]vcolumn{}}
	dbs, err := b.Coll.ListNames(b.Ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, id := range sortedIDs(dbs) {
		d, err := b.Coll.Get(b.Ctx, id)
		if err != nil {
			return nil, err
		}
		if d != nil && d.Kind == catalog.KindDatabase {
			s.dbs = append(s.dbs, d)
		}
	}
	schs, err := b.Coll.ListNames(b.Ctx, b.DB, 0)
	if err != nil {
		return nil, err
	}
	s.schemaOf[pgCatalogOID] = "pg_catalog"
	s.schemaOf[infoSchemaOID] = "information_schema"
	for _, sid := range sortedIDs(schs) {
		sd, err := b.Coll.Get(b.Ctx, sid)
		if err != nil {
			return nil, err
		}
		if sd == nil || sd.Kind != catalog.KindSchema {
			continue
		}
		s.schemas = append(s.schemas, sd)
		s.schemaOf[sd.ID] = sd.Name
		objs, err := b.Coll.ListNames(b.Ctx, b.DB, sid)
		if err != nil {
			return nil, err
		}
		for _, oid := range sortedIDs(objs) {
			od, err := b.Coll.Get(b.Ctx, oid)
			if err != nil {
				return nil, err
			}
			if od == nil {
				continue
			}
			if od.Kind == catalog.KindType {
				s.enums = append(s.enums, od)
				continue
			}
			if od.Kind == catalog.KindFunction {
				s.funcs = append(s.funcs, od)
				continue
			}
			s.objs = append(s.objs, od)
			s.byName[sd.Name+"."+od.Name] = int64(od.ID)
			if sd.ID == b.Schema || sd.ID == b.TempSchema || slices.Contains(b.SearchPath, sd.ID) {
				if _, taken := s.byName[od.Name]; !taken || sd.ID == b.TempSchema {
					s.byName[od.Name] = int64(od.ID)
				}
			}
			for _, ix := range relIndexes(od) {
				o := indexOID(od.ID, ix.ID)
				s.indexDesc[o] = vindex{table: od, idx: ix, prim: ix == od.Primary}
				s.byName[sd.Name+"."+ix.Name] = o
				if sd.ID == b.Schema {
					s.byName[ix.Name] = o
				}
			}
			for i, ck := range od.Checks {
				s.checks[checkOID(od.ID, i)] = ck.Expr
			}
			for _, c := range od.Columns {
				s.typmods[[2]int64{int64(c.Type.OID()), int64(c.Type.Typmod())}] = c.Type.String()
			}
		}
	}
	for name := range virtualTables {
		sch, tbl, _ := strings.Cut(name, ".")
		s.byName[name] = virtualOID(name)
		if sch == "pg_catalog" {
			if _, ok := s.byName[tbl]; !ok {
				s.byName[tbl] = virtualOID(name)
			}
		}
	}
	b.vsnap = s
	return s, nil
}

func sortedIDs(m map[string]catalog.ID) []catalog.ID {
	out := make([]catalog.ID, 0, len(m))
	for _, id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// virtualOID numbers the virtual relations in name order.
func virtualOID(name string) int64 {
	return int64(virtualRelBase + sort.SearchStrings(virtualNames, name))
}

// isVirtualSchema reports whether a schema name is one of the virtual ones.
// isTemp reports whether schema id is a session's temporary schema.
func (s *vsnap) isTemp(id catalog.ID) bool { return strings.HasPrefix(s.schemaOf[id], "pg_temp_") }

func isVirtualSchema(s string) bool { return s == "pg_catalog" || s == "information_schema" }

// lookupVirtual finds a virtual table by (schema, name); an unqualified
// name finds pg_catalog's tables (PostgreSQL searches pg_catalog first; we
// let a user table of the same name win).
func lookupVirtual(schema, name string) (string, *vtable) {
	if schema == "" {
		schema = "pg_catalog"
	}
	full := schema + "." + name
	if vt, ok := virtualTables[full]; ok {
		return full, vt
	}
	return "", nil
}

// errVirtualWrite is the error for writing to a virtual table.
func errVirtualWrite(name string) error {
	return pgerr.New("42501", "permission denied: %q is a read-only virtual catalog table", name)
}

func (b *Binder) bindVirtual(full string, vt *vtable, alias string) (Node, []Col, error) {
	s, err := b.snapshot()
	if err != nil {
		return nil, nil, err
	}
	n := &VirtualScan{Name: full, Rows: vt.gen(s)}
	for _, c := range vt.cols {
		n.Cols = append(n.Cols, Col{Name: c.name, T: c.t, Table: alias, RegProc: c.regproc})
	}
	return n, n.Cols, nil
}

func dI(v int64) types.Datum  { return types.DInt(v) }
func dS(v string) types.Datum { return types.DString(v) }
func dB(v bool) types.Datum   { return types.DBool(v) }

func dTextArr(vs []string) types.Datum {
	a := &types.DArray{Elem: types.String}
	for _, v := range vs {
		a.Elems = append(a.Elems, types.DString(v))
	}
	return a
}

func relkind(d *catalog.Descriptor) string {
	switch d.Kind {
	case catalog.KindView:
		return "v"
	case catalog.KindSequence:
		return "S"
	}
	if d.MatView {
		return "m"
	}
	return "r"
}

// pgTypes are the scalar types pg_type lists (with their arrays).
// typCategory is pg_type.typcategory: the group of types the parser's
// implicit-cast rules treat alike (drivers read it to decode values).
func typCategory(t *types.T) string {
	switch t.Family {
	case types.ArrayFamily:
		return "A"
	case types.BoolFamily:
		return "B"
	case types.IntFamily, types.FloatFamily, types.DecimalFamily:
		return "N"
	case types.StringFamily:
		return "S"
	case types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		return "D"
	case types.IntervalFamily:
		return "T"
	case types.EnumFamily:
		return "E"
	}
	return "U" // bytea, uuid, json, jsonb
}

func pgTypes() []*types.T {
	var out []*types.T
	for _, t := range types.Scalars {
		out = append(out, t)
		if a, err := types.MakeArray(t); err == nil && a.OID() != 0 {
			out = append(out, a)
		}
	}
	return out
}

var virtualTables map[string]*vtable

// virtualNames are the virtual tables' full names in order (their OIDs).
var virtualNames []string

func init() {
	virtualTables = virtualTableDefs()
	for n := range virtualTables {
		virtualNames = append(virtualNames, n)
	}
	sort.Strings(virtualNames)
}

func virtualTableDefs() map[string]*vtable {
	return map[string]*vtable{
		"pg_catalog.pg_namespace": {cols("oid oid, nspname text, nspowner oid, nspacl text[]"), func(s *vsnap) [][]types.Datum {
			rows := [][]types.Datum{{dI(pgCatalogOID), dS("pg_catalog"), dI(10), types.Null}, {dI(infoSchemaOID), dS("information_schema"), dI(10), types.Null}}
			for _, sd := range s.schemas {
				rows = append(rows, []types.Datum{dI(int64(sd.ID)), dS(sd.Name), dI(10), types.Null})
			}
			return rows
		}},
		"pg_catalog.pg_class": {cols(`oid oid, relname text, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid,
		relfilenode oid, reltablespace oid, relpages int4, reltuples float4, reltoastrelid oid, relhasindex bool, relisshared bool,
		relpersistence text, relkind text, relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool,
		relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident text, relispartition bool,
		relacl text[], reloptions text[], relpartbound text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			row := func(oid int64, name string, ns int64, am int64, kind string, natts int, hasIndex bool) {
				rows = append(rows, []types.Datum{dI(oid), dS(name), dI(ns), dI(0), dI(0), dI(10), dI(am),
					dI(oid), dI(0), dI(0), types.DFloat(-1), dI(0), dB(hasIndex), dB(false),
					dS("p"), dS(kind), dI(int64(natts)), dI(0), dB(false), dB(false), dB(false),
					dB(false), dB(false), dB(true), dS("d"), dB(false),
					types.Null, types.Null, types.Null})
			}
			for _, d := range s.objs {
				am := int64(0)
				if d.Kind == catalog.KindTable {
					am = heapAMOID
				}
				n := len(s.columnsOf(d))
				row(int64(d.ID), d.Name, int64(d.SchemaID), am, relkind(d), n, len(relIndexes(d)) > 0)
				rows[len(rows)-1][17] = dI(int64(len(d.Checks))) // relchecks
				if s.isTemp(d.SchemaID) {
					rows[len(rows)-1][14] = dS("t") // relpersistence
				}
				// PostgreSQL's foreign keys are triggers on both tables:
				// psql shows the FK sections only when this is set
				rows[len(rows)-1][19] = dB(len(d.ForeignKeys)+len(d.ReferencedBy) > 0) // relhastriggers
				for _, ix := range relIndexes(d) {
					row(indexOID(d.ID, ix.ID), ix.Name, int64(d.SchemaID), btreeAMOID, "i", len(ix.ColumnIDs), false)
				}
			}
			for _, n := range virtualNames {
				sch, tbl, _ := strings.Cut(n, ".")
				ns := int64(pgCatalogOID)
				if sch == "information_schema" {
					ns = infoSchemaOID
				}
				kind := "r"
				if sch == "information_schema" {
					kind = "v"
				}
				row(virtualOID(n), tbl, ns, 0, kind, len(virtualTables[n].cols), false)
			}
			return rows
		}},
		"pg_catalog.pg_attribute": {cols(`attrelid oid, attname text, atttypid oid, attlen int2, attnum int2, atttypmod int4,
		attndims int2, attnotnull bool, atthasdef bool, attidentity text, attgenerated text, attisdropped bool,
		attislocal bool, attcollation oid, attstattarget int4, attstorage text, attcompression text, attacl text[]`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			row := func(rel int64, name string, t *types.T, num int, notNull, hasDef bool, ident, gen string) {
				nd := int64(0)
				if t.Family == types.ArrayFamily {
					nd = 1
				}
				coll := int64(0)
				if t.Family == types.StringFamily {
					coll = 100
				}
				storage := "p" // fixed-length types are stored plain, the rest extended
				if t.Family == types.DecimalFamily {
					storage = "m" // numeric is stored main (compressed in place)
				} else if t.Size() <= 0 {
					storage = "x"
				}
				rows = append(rows, []types.Datum{dI(rel), dS(name), dI(int64(t.OID())), dI(int64(t.Size())), dI(int64(num)), dI(int64(t.Typmod())),
					dI(nd), dB(notNull), dB(hasDef), dS(ident), dS(gen), dB(false), dB(true), dI(coll), dI(-1), dS(storage), dS(""), types.Null})
			}
			for _, d := range s.objs {
				if d.Kind == catalog.KindView {
					for i, c := range s.columnsOf(d) {
						row(int64(d.ID), c.name, c.t, i+1, false, false, "", "")
					}
					continue
				}
				num := 0
				for _, c := range d.Columns {
					if c.Hidden {
						continue
					}
					num++
					ident, gen := "", ""
					switch {
					case c.IdentityAlways:
						ident = "a"
					case c.Identity:
						ident = "d"
					}
					if c.Generated != "" {
						gen = "s"
					}
					row(int64(d.ID), c.Name, c.Type, num, !c.Nullable, c.Default != "" && !c.Identity || c.Generated != "", ident, gen)
				}
				for _, ix := range relIndexes(d) {
					for i, cid := range ix.ColumnIDs {
						if o := d.ColumnOrdinal(cid); o >= 0 {
							c := d.Columns[o]
							row(indexOID(d.ID, ix.ID), c.Name, c.Type, i+1, false, false, "", "")
						}
					}
				}
			}
			return rows
		}},
		"pg_catalog.pg_attrdef": {cols("oid oid, adrelid oid, adnum int2, adbin text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				num := 0
				for _, c := range d.Columns {
					if c.Hidden {
						continue
					}
					num++
					switch {
					case c.Generated != "":
						rows = append(rows, []types.Datum{dI(int64(d.ID)<<8 | int64(num)), dI(int64(d.ID)), dI(int64(num)), dS(c.Generated)})
					case c.Default != "" && !c.Identity:
						rows = append(rows, []types.Datum{dI(int64(d.ID)<<8 | int64(num)), dI(int64(d.ID)), dI(int64(num)), dS(displayDefault(c))})
					}
				}
			}
			return rows
		}},
		"pg_catalog.pg_type": {cols(`oid oid, typname text, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype text,
		typcategory text, typisdefined bool, typdelim text, typrelid oid, typelem oid, typarray oid, typnotnull bool,
		typbasetype oid, typtypmod int4, typndims int4, typcollation oid, typinput regproc, typoutput regproc`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, t := range pgTypes() {
				elem, arr, cat := int64(0), int64(0), typCategory(t)
				if t.Family == types.ArrayFamily {
					elem = int64(t.Elem.OID())
				} else if a, err := types.MakeArray(t); err == nil {
					arr = int64(a.OID())
				}
				coll := int64(0)
				if t.Family == types.StringFamily {
					coll = 100
				}
				rows = append(rows, []types.Datum{dI(int64(t.OID())), dS(t.PGName()), dI(pgCatalogOID), dI(10), dI(int64(t.Size())),
					dB(t.Size() > 0 && t.Size() <= 8), dS("b"), dS(cat), dB(true), dS(","), dI(0), dI(elem), dI(arr), dB(false),
					dI(0), dI(-1), dI(0), dI(coll), dI(ioProcOID(t, "in")), dI(ioProcOID(t, "out"))})
			}
			for _, d := range s.enums {
				if dd := d.Domain; dd != nil {
					// a domain: typtype d over its base type
					b := dd.Base
					rows = append(rows, []types.Datum{dI(int64(d.EnumType().OID())), dS(d.Name), dI(int64(d.SchemaID)), dI(10), dI(int64(b.Size())),
						dB(b.Size() > 0 && b.Size() <= 8), dS("d"), dS(typCategory(b)), dB(true), dS(","), dI(0), dI(0), dI(0), dB(dd.NotNull),
						dI(int64(b.OID())), dI(int64(b.Typmod())), dI(0), dI(0), dI(ioProcOID(b, "in")), dI(ioProcOID(b, "out"))})
					continue
				}
				et := d.EnumType()
				at, _ := types.MakeArray(et)
				rows = append(rows, []types.Datum{dI(int64(et.OID())), dS(d.Name), dI(int64(d.SchemaID)), dI(10), dI(4),
					dB(true), dS("e"), dS("E"), dB(true), dS(","), dI(0), dI(0), dI(int64(at.OID())), dB(false),
					dI(0), dI(-1), dI(0), dI(0), dI(3504), dI(3505)}) // enum_in, enum_out
				rows = append(rows, []types.Datum{dI(int64(at.OID())), dS("_" + d.Name), dI(int64(d.SchemaID)), dI(10), dI(-1),
					dB(false), dS("b"), dS("A"), dB(true), dS(","), dI(0), dI(int64(et.OID())), dI(0), dB(false),
					dI(0), dI(-1), dI(0), dI(0), dI(arrayInOID), dI(arrayOutOID)})
			}
			return rows
		}},
		"pg_catalog.pg_enum": {cols("oid oid, enumtypid oid, enumsortorder float4, enumlabel text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.enums {
				if d.Domain != nil {
					continue
				}
				toid := int64(d.EnumType().OID())
				for i, l := range d.EnumLabels {
					rows = append(rows, []types.Datum{dI(toid<<8 | int64(i)), dI(toid), types.DFloat(float64(i + 1)), dS(l)})
				}
			}
			return rows
		}},
		"pg_catalog.pg_index": {cols(`indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool,
		indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, indisclustered bool, indisvalid bool,
		indcheckxmin bool, indisready bool, indislive bool, indisreplident bool, indkey int2vector, indoption int2vector,
		indexprs text, indpred text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				for _, ix := range relIndexes(d) {
					key := &types.DArray{Elem: types.Int2}
					opt := &types.DArray{Elem: types.Int2}
					for j, cid := range ix.ColumnIDs {
						key.Elems = append(key.Elems, dI(int64(visibleAttnum(d, cid))))
						o := int64(0)
						if j < len(ix.Desc) && ix.Desc[j] {
							o = 3
						}
						opt.Elems = append(opt.Elems, dI(o))
					}
					prim := ix == d.Primary
					n := int64(len(ix.ColumnIDs))
					rows = append(rows, []types.Datum{dI(indexOID(d.ID, ix.ID)), dI(int64(d.ID)), dI(n), dI(n), dB(ix.Unique || prim),
						dB(false), dB(prim), dB(false), dB(true), dB(false), dB(true),
						dB(false), dB(true), dB(true), dB(false), key, opt, types.Null, types.Null})
				}
			}
			return rows
		}},
		"pg_catalog.pg_constraint": {cols(`oid oid, conname text, connamespace oid, contype text, condeferrable bool, condeferred bool,
		convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, conislocal bool,
		conkey int2[], confkey int2[], conbin text, confupdtype text, confdeltype text, confmatchtype text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			none := []types.Datum{dS(" "), dS(" "), dS(" ")}
			action := func(a catalog.FKAction) types.Datum {
				switch a {
				case catalog.FKRestrict:
					return dS("r")
				case catalog.FKCascade:
					return dS("c")
				case catalog.FKSetNull:
					return dS("n")
				}
				return dS("a")
			}
			for _, d := range s.objs {
				for _, ix := range relIndexes(d) {
					prim := ix == d.Primary
					if !isUniqueConstraint(d, ix) {
						continue
					}
					typ := "u"
					if prim {
						typ = "p"
					}
					key := &types.DArray{Elem: types.Int2}
					for _, cid := range ix.ColumnIDs {
						key.Elems = append(key.Elems, dI(int64(visibleAttnum(d, cid))))
					}
					rows = append(rows, []types.Datum{dI(constraintOID(d.ID, ix.ID)), dS(ix.Name), dI(int64(d.SchemaID)), dS(typ), dB(false), dB(false),
						dB(true), dI(int64(d.ID)), dI(0), dI(indexOID(d.ID, ix.ID)), dI(0), dI(0), dB(true), key, types.Null, types.Null, none[0], none[1], none[2]})
				}
				for i, ck := range d.Checks {
					if ck.Domain {
						continue // listed with its domain
					}
					rows = append(rows, []types.Datum{dI(checkOID(d.ID, i)), dS(ck.Name), dI(int64(d.SchemaID)), dS("c"), dB(false), dB(false),
						dB(!ck.NotValid), dI(int64(d.ID)), dI(0), dI(0), dI(0), dI(0), dB(true), checkColumns(d, ck.Expr), types.Null, dS(ck.Expr), none[0], none[1], none[2]})
				}
				for i, fk := range d.ForeignKeys {
					var p *catalog.Descriptor
					for _, o := range s.objs {
						if o.ID == fk.RefTable {
							p = o
						}
					}
					if p == nil {
						continue
					}
					key := &types.DArray{Elem: types.Int2}
					for _, cid := range fk.Columns {
						key.Elems = append(key.Elems, dI(int64(visibleAttnum(d, cid))))
					}
					fkey := &types.DArray{Elem: types.Int2}
					for _, cid := range fk.RefColumns {
						fkey.Elems = append(fkey.Elems, dI(int64(visibleAttnum(p, cid))))
					}
					var ixOID int64
					if ix := UniqueIndexOn(p, fk.RefColumns); ix != nil {
						ixOID = indexOID(p.ID, ix.ID)
					}
					rows = append(rows, []types.Datum{dI(foreignKeyOID(d.ID, i)), dS(fk.Name), dI(int64(d.SchemaID)), dS("f"), dB(false), dB(false),
						dB(!fk.NotValid), dI(int64(d.ID)), dI(0), dI(ixOID), dI(0), dI(int64(p.ID)), dB(true), key, fkey, types.Null, action(fk.OnUpdate), action(fk.OnDelete), dS("s")})
				}
			}
			return rows
		}},
		"pg_catalog.pg_database": {cols(`oid oid, datname text, datdba oid, encoding int4, datlocprovider text, datistemplate bool,
		datallowconn bool, datconnlimit int4, dattablespace oid, datcollate text, datctype text, daticulocale text,
		datcollversion text, datacl text[]`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.dbs {
				rows = append(rows, []types.Datum{dI(int64(d.ID)), dS(d.Name), dI(10), dI(6), dS("c"), dB(false),
					dB(true), dI(-1), dI(0), dS("C"), dS("C"), types.Null, types.Null, types.Null})
			}
			return rows
		}},
		"pg_catalog.pg_am": {cols("oid oid, amname text, amhandler text, amtype text"), func(*vsnap) [][]types.Datum {
			return [][]types.Datum{{dI(heapAMOID), dS("heap"), dS("heap_tableam_handler"), dS("t")},
				{dI(btreeAMOID), dS("btree"), dS("bthandler"), dS("i")}}
		}},
		"pg_catalog.pg_roles": {cols(`oid oid, rolname text, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool,
		rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz, rolbypassrls bool,
		rolconfig text[]`), func(s *vsnap) [][]types.Datum {
			rows := [][]types.Datum{{dI(10), dS(s.user()), dB(true), dB(true), dB(true), dB(true), dB(true), dB(false), dI(-1),
				dS("********"), types.Null, dB(true), types.Null}}
			for _, r := range s.roles() {
				d := r.Role
				rows = append(rows, []types.Datum{dI(int64(r.ID)), dS(r.Name), dB(d.Superuser), dB(!d.NoInherit), dB(d.CreateRole),
					dB(d.CreateDB), dB(d.Login), dB(d.Replication), dI(-1), dS("********"), types.Null, dB(d.BypassRLS), types.Null})
			}
			return rows
		}},
		"pg_catalog.pg_user": {cols(`usename text, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool,
		passwd text, valuntil timestamptz, useconfig text[]`), func(s *vsnap) [][]types.Datum {
			rows := [][]types.Datum{{dS(s.user()), dI(10), dB(true), dB(true), dB(false), dB(true), dS("********"), types.Null, types.Null}}
			for _, r := range s.roles() {
				if d := r.Role; d.Login {
					rows = append(rows, []types.Datum{dS(r.Name), dI(int64(r.ID)), dB(d.CreateDB), dB(d.Superuser), dB(d.Replication),
						dB(d.BypassRLS), dS("********"), types.Null, types.Null})
				}
			}
			return rows
		}},
		"pg_catalog.pg_auth_members": {cols("oid oid, roleid oid, member oid, grantor oid, admin_option bool"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.roles() {
				for _, of := range r.Role.MemberOf {
					rows = append(rows, []types.Datum{types.Null, dI(s.roleOID(of)), dI(int64(r.ID)), dI(10), dB(false)})
				}
			}
			return rows
		}},
		"information_schema.enabled_roles": {cols("role_name text"), func(s *vsnap) [][]types.Datum {
			rows := [][]types.Datum{{dS(s.user())}}
			for _, r := range s.roles() {
				rows = append(rows, []types.Datum{dS(r.Name)})
			}
			return rows
		}},
		"information_schema.table_privileges": {cols(`grantor text, grantee text, table_catalog text, table_schema text,
		table_name text, privilege_type text, is_grantable text, with_hierarchy text`), tablePrivileges},
		"information_schema.role_table_grants": {cols(`grantor text, grantee text, table_catalog text, table_schema text,
		table_name text, privilege_type text, is_grantable text, with_hierarchy text`), tablePrivileges},
		"information_schema.usage_privileges": {cols(`grantor text, grantee text, object_catalog text, object_schema text,
		object_name text, object_type text, privilege_type text, is_grantable text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.roles() {
				for _, g := range r.Role.Grants {
					if g.Kind == "sequence" && g.Privilege == "USAGE" {
						rows = append(rows, []types.Datum{dS(s.user()), dS(r.Name), dS(s.database()), dS(g.Schema), dS(g.Name),
							dS("SEQUENCE"), dS("USAGE"), dS("NO")})
					}
				}
			}
			return rows
		}},
		"pg_catalog.pg_sequence": {cols("seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind != catalog.KindSequence || d.Seq == nil {
					continue
				}
				// A SERIAL's sequence has its column's type.
				typ := types.Int8
				for _, o := range s.objs {
					for _, c := range o.Columns {
						if c.OwnedSeq == d.ID && c.Type.Family == types.IntFamily {
							typ = c.Type
						}
					}
				}
				rows = append(rows, []types.Datum{dI(int64(d.ID)), dI(int64(typ.OID())), dI(d.Seq.Start), dI(d.Seq.Increment),
					dI(d.Seq.Max), dI(d.Seq.Min), dI(1), dB(false)})
			}
			return rows
		}},
		"pg_catalog.pg_settings": {cols("name text, setting text, unit text, category text, short_desc text, context text, vartype text, source text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, kv := range [][2]string{{"server_version", s.serverVersion()}, {"server_encoding", "UTF8"},
				{"max_identifier_length", "63"}, {"standard_conforming_strings", "on"}, {"integer_datetimes", "on"}} {
				rows = append(rows, []types.Datum{dS(kv[0]), dS(kv[1]), types.Null, dS("Preset Options"), dS(""), dS("internal"), dS("string"), dS("default")})
			}
			return rows
		}},
		"pg_catalog.pg_proc": {cols(`oid oid, proname text, pronamespace oid, proowner oid, prolang oid, prokind text,
		proretset bool, prorettype oid, pronargs int2, prosrc text`), func(s *vsnap) [][]types.Datum {
			// the built-in functions, in pg_catalog, language internal
			// (12), then the user-defined SQL ones
			var rows [][]types.Datum
			for i, p := range sem.Builtins() {
				kind := map[sem.FuncClass]string{sem.Aggregate: "a", sem.Window: "w"}[p.Class]
				if kind == "" {
					kind = "f"
				}
				rows = append(rows, []types.Datum{dI(builtinProcBase + int64(i)), dS(p.Name), dI(pgCatalogOID), dI(10), dI(12),
					dS(kind), dB(p.RetSet), dI(int64(p.RetOID)), dI(int64(p.NArgs)), dS(p.Name)})
			}
			for _, d := range s.funcs { // language sql (14)
				f := d.Func
				rows = append(rows, []types.Datum{dI(int64(d.ID)), dS(f.Name), dI(int64(d.SchemaID)), dI(10), dI(14),
					dS("f"), dB(false), dI(int64(f.Return.OID())), dI(int64(len(f.Args))), dS(f.Body)})
			}
			return rows
		}},
		// classoid is the virtual catalog's OID, what 'pg_class'::regclass names.
		"pg_catalog.pg_description": {cols("objoid oid, classoid oid, objsubid int4, description text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Comment != "" {
					rows = append(rows, []types.Datum{dI(int64(d.ID)), dI(virtualOID("pg_catalog.pg_class")), dI(0), dS(d.Comment)})
				}
				for _, c := range d.Columns {
					if !c.Hidden && c.Comment != "" {
						rows = append(rows, []types.Datum{dI(int64(d.ID)), dI(virtualOID("pg_catalog.pg_class")), dI(int64(visibleAttnum(d, c.ID))), dS(c.Comment)})
					}
				}
			}
			for _, d := range s.enums {
				if d.Comment != "" {
					rows = append(rows, []types.Datum{dI(int64(d.EnumType().OID())), dI(virtualOID("pg_catalog.pg_type")), dI(0), dS(d.Comment)})
				}
			}
			return rows
		}},
		"pg_catalog.pg_stat_activity": {cols(`datid oid, datname text, pid int4, leader_pid int4, usesysid oid, usename text,
		application_name text, client_addr text, client_hostname text, client_port int4, backend_start timestamptz,
		xact_start timestamptz, query_start timestamptz, state_change timestamptz, wait_event_type text, wait_event text,
		state text, backend_xid text, backend_xmin text, query_id int8, query text, backend_type text`), statActivity},
		"pg_catalog.pg_locks": {cols(`locktype text, database oid, relation oid, page int4, tuple int2, virtualxid text,
		transactionid text, classid oid, objid oid, objsubid int2, virtualtransaction text, pid int4, mode text,
		granted bool, fastpath bool, waitstart timestamptz`), pgLocks},
		"pg_catalog.pg_shdescription": {cols("objoid oid, classoid oid, description text"), empty},
		"pg_catalog.pg_collation":     {cols("oid oid, collname text, collnamespace oid, collprovider text"), empty},
		// There are no range types.
		"pg_catalog.pg_range": {cols("rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, rngcanonical text, rngsubdiff text"), empty},
		// The one dependency Tessera records: a SERIAL column owns its
		// sequence (deptype 'a', as PostgreSQL lists it).
		"pg_catalog.pg_depend": {cols("classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			class := virtualOID("pg_catalog.pg_class")
			for _, d := range s.objs {
				for _, c := range d.Columns {
					if c.OwnedSeq != 0 && !c.Hidden {
						rows = append(rows, []types.Datum{dI(class), dI(int64(c.OwnedSeq)), dI(0), dI(class), dI(int64(d.ID)),
							dI(int64(visibleAttnum(d, c.ID))), dS("a")})
					}
				}
			}
			return rows
		}},
		"pg_catalog.pg_inherits":              {cols("inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool"), empty},
		"pg_catalog.pg_policy":                {cols("oid oid, polname text, polrelid oid, polcmd text, polpermissive bool, polroles oid[], polqual text, polwithcheck text"), empty},
		"pg_catalog.pg_statistic_ext":         {cols("oid oid, stxrelid oid, stxname text, stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys int2[], stxkind text[]"), empty},
		"pg_catalog.pg_publication":           {cols("oid oid, pubname text, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool"), empty},
		"pg_catalog.pg_publication_rel":       {cols("oid oid, prpubid oid, prrelid oid, prqual text, prattrs int2[]"), empty},
		"pg_catalog.pg_publication_namespace": {cols("oid oid, pnpubid oid, pnnspid oid"), empty},
		"pg_catalog.pg_trigger":               {cols("oid oid, tgrelid oid, tgparentid oid, tgname text, tgenabled text, tgisinternal bool"), empty},
		"pg_catalog.pg_rewrite":               {cols("oid oid, rulename text, ev_class oid, ev_type text"), empty},
		"pg_catalog.pg_foreign_table":         {cols("ftrelid oid, ftserver oid, ftoptions text[]"), empty},
		"pg_catalog.pg_partitioned_table":     {cols("partrelid oid, partstrat text, partnatts int2"), empty},
		"pg_catalog.pg_extension":             {cols("oid oid, extname text, extowner oid, extnamespace oid, extversion text"), empty},
		"pg_catalog.pg_indexes": {cols("schemaname text, tablename text, indexname text, tablespace text, indexdef text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				for _, ix := range relIndexes(d) {
					rows = append(rows, []types.Datum{dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(ix.Name), types.Null,
						dS(s.indexDef(indexOID(d.ID, ix.ID), 0))})
				}
			}
			return rows
		}},
		"pg_catalog.pg_tables": {cols("schemaname text, tablename text, tableowner text, tablespace text, hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind != catalog.KindTable || d.MatView {
					continue
				}
				rows = append(rows, []types.Datum{dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(s.user()), types.Null,
					dB(len(relIndexes(d)) > 0), dB(false), dB(len(d.ForeignKeys) > 0), dB(false)})
			}
			return rows
		}},
		"pg_catalog.pg_matviews": {cols("schemaname text, matviewname text, matviewowner text, tablespace text, hasindexes bool, ispopulated bool, definition text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind == catalog.KindTable && d.MatView {
					rows = append(rows, []types.Datum{dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(s.user()), types.Null,
						dB(len(d.Indexes) > 0), dB(!d.Unpopulated), dS(d.ViewQuery)})
				}
			}
			return rows
		}},
		"pg_catalog.pg_views": {cols("schemaname text, viewname text, viewowner text, definition text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind == catalog.KindView {
					rows = append(rows, []types.Datum{dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(s.user()), dS(d.ViewQuery)})
				}
			}
			return rows
		}},
		"information_schema.schemata": {cols("catalog_name text, schema_name text, schema_owner text, default_character_set_catalog text, default_character_set_schema text, default_character_set_name text, sql_path text"), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, n := range append([]string{"information_schema", "pg_catalog"}, s.schemaNames()...) {
				rows = append(rows, []types.Datum{dS(s.database()), dS(n), dS(s.user()), types.Null, types.Null, types.Null, types.Null})
			}
			return rows
		}},
		"information_schema.views": {cols(`table_catalog text, table_schema text, table_name text, view_definition text,
		check_option text, is_updatable text, is_insertable_into text, is_trigger_updatable text, is_trigger_deletable text,
		is_trigger_insertable_into text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind == catalog.KindView {
					rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(d.ViewQuery),
						dS("NONE"), dS("NO"), dS("NO"), dS("NO"), dS("NO"), dS("NO")})
				}
			}
			return rows
		}},
		"information_schema.check_constraints": {cols(`constraint_catalog text, constraint_schema text, constraint_name text,
		check_clause text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				for _, ck := range d.Checks {
					if ck.Domain {
						continue
					}
					rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[d.SchemaID]), dS(ck.Name), dS("((" + ck.Expr + "))")})
				}
			}
			return rows
		}},
		// There are no triggers.
		"information_schema.triggers": {cols(`trigger_catalog text, trigger_schema text, trigger_name text, event_manipulation text,
		event_object_catalog text, event_object_schema text, event_object_table text, action_order int4, action_condition text,
		action_statement text, action_orientation text, action_timing text`), empty},
		"information_schema.routines": {cols(`specific_catalog text, specific_schema text, specific_name text, routine_catalog text,
		routine_schema text, routine_name text, routine_type text, data_type text, routine_definition text, external_language text`), empty},
		"information_schema.tables": {cols(`table_catalog text, table_schema text, table_name text, table_type text,
		self_referencing_column_name text, reference_generation text, user_defined_type_catalog text, user_defined_type_schema text,
		user_defined_type_name text, is_insertable_into text, is_typed text, commit_action text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind == catalog.KindSequence || d.MatView {
					continue
				}
				tt, ins := "BASE TABLE", "YES"
				if d.Kind == catalog.KindView {
					tt, ins = "VIEW", "NO"
				} else if s.isTemp(d.SchemaID) {
					tt = "LOCAL TEMPORARY"
				}
				rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(tt),
					types.Null, types.Null, types.Null, types.Null, types.Null, dS(ins), dS("NO"), types.Null})
			}
			return rows
		}},
		"information_schema.table_constraints": {cols(`constraint_catalog text, constraint_schema text, constraint_name text,
		table_catalog text, table_schema text, table_name text, constraint_type text, is_deferrable text, initially_deferred text,
		enforced text, nulls_distinct text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind != catalog.KindTable {
					continue
				}
				sch := s.schemaOf[d.SchemaID]
				row := func(name, typ string, nullsDistinct types.Datum) {
					rows = append(rows, []types.Datum{dS(s.database()), dS(sch), dS(name), dS(s.database()), dS(sch), dS(d.Name),
						dS(typ), dS("NO"), dS("NO"), dS("YES"), nullsDistinct})
				}
				for _, ix := range relIndexes(d) {
					if ix == d.Primary {
						row(ix.Name, "PRIMARY KEY", types.Null)
					} else if isUniqueConstraint(d, ix) {
						row(ix.Name, "UNIQUE", dS("YES"))
					}
				}
				for _, ck := range d.Checks {
					if !ck.Domain {
						row(ck.Name, "CHECK", types.Null)
					}
				}
				for _, fk := range d.ForeignKeys {
					row(fk.Name, "FOREIGN KEY", types.Null)
				}
				// PostgreSQL lists each NOT NULL column as a CHECK named
				// <schema oid>_<table oid>_<attnum>_not_null.
				for _, c := range d.Columns {
					if !c.Hidden && !c.Nullable {
						row(strconv.FormatInt(int64(d.SchemaID), 10)+"_"+strconv.FormatInt(int64(d.ID), 10)+"_"+
							strconv.Itoa(visibleAttnum(d, c.ID))+"_not_null", "CHECK", types.Null)
					}
				}
			}
			return rows
		}},
		"information_schema.key_column_usage": {cols(`constraint_catalog text, constraint_schema text, constraint_name text,
		table_catalog text, table_schema text, table_name text, column_name text, ordinal_position int4,
		position_in_unique_constraint int4`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				sch := s.schemaOf[d.SchemaID]
				for _, ix := range relIndexes(d) {
					if !isUniqueConstraint(d, ix) {
						continue
					}
					for i, cid := range ix.ColumnIDs {
						o := d.ColumnOrdinal(cid)
						if o < 0 {
							continue
						}
						rows = append(rows, []types.Datum{dS(s.database()), dS(sch), dS(ix.Name), dS(s.database()), dS(sch), dS(d.Name),
							dS(d.Columns[o].Name), dI(int64(i + 1)), types.Null})
					}
				}
				for _, fk := range d.ForeignKeys {
					for i, cid := range fk.Columns {
						if o := d.ColumnOrdinal(cid); o >= 0 {
							rows = append(rows, []types.Datum{dS(s.database()), dS(sch), dS(fk.Name), dS(s.database()), dS(sch), dS(d.Name),
								dS(d.Columns[o].Name), dI(int64(i + 1)), dI(int64(i + 1))})
						}
					}
				}
			}
			return rows
		}},
		// the columns constraints use: a key's own columns, a foreign
		// key's referenced ones (CHECK constraints are not listed)
		"information_schema.constraint_column_usage": {cols(`table_catalog text, table_schema text, table_name text, column_name text,
		constraint_catalog text, constraint_schema text, constraint_name text`), func(s *vsnap) [][]types.Datum {
			byID := map[catalog.ID]*catalog.Descriptor{}
			for _, o := range s.objs {
				byID[o.ID] = o
			}
			var rows [][]types.Datum
			add := func(t *catalog.Descriptor, cid catalog.ColumnID, cname string, csch string) {
				if o := t.ColumnOrdinal(cid); o >= 0 && !t.Columns[o].Hidden {
					rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[t.SchemaID]), dS(t.Name), dS(t.Columns[o].Name),
						dS(s.database()), dS(csch), dS(cname)})
				}
			}
			for _, d := range s.objs {
				sch := s.schemaOf[d.SchemaID]
				for _, ix := range relIndexes(d) {
					if !isUniqueConstraint(d, ix) {
						continue
					}
					for _, cid := range ix.ColumnIDs {
						add(d, cid, ix.Name, sch)
					}
				}
				for _, fk := range d.ForeignKeys {
					if p := byID[fk.RefTable]; p != nil {
						for _, cid := range fk.RefColumns {
							add(p, cid, fk.Name, sch)
						}
					}
				}
			}
			return rows
		}},
		"information_schema.referential_constraints": {cols(`constraint_catalog text, constraint_schema text, constraint_name text,
		unique_constraint_catalog text, unique_constraint_schema text, unique_constraint_name text, match_option text,
		update_rule text, delete_rule text`), func(s *vsnap) [][]types.Datum {
			byID := map[catalog.ID]*catalog.Descriptor{}
			for _, o := range s.objs {
				byID[o.ID] = o
			}
			rule := func(a catalog.FKAction) string {
				if a == catalog.FKNoAction {
					return "NO ACTION"
				}
				return strings.ToUpper(string(a))
			}
			var rows [][]types.Datum
			for _, d := range s.objs {
				sch := s.schemaOf[d.SchemaID]
				for _, fk := range d.ForeignKeys {
					uname, usch := types.Datum(types.Null), types.Datum(types.Null)
					if p := byID[fk.RefTable]; p != nil {
						usch = dS(s.schemaOf[p.SchemaID])
						if ix := UniqueIndexOn(p, fk.RefColumns); ix != nil {
							uname = dS(ix.Name)
						}
					}
					rows = append(rows, []types.Datum{dS(s.database()), dS(sch), dS(fk.Name), dS(s.database()), usch, uname,
						dS("NONE"), dS(rule(fk.OnUpdate)), dS(rule(fk.OnDelete))})
				}
			}
			return rows
		}},
		"information_schema.sequences": {cols(`sequence_catalog text, sequence_schema text, sequence_name text, data_type text,
		numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, start_value text, minimum_value text,
		maximum_value text, increment text, cycle_option text`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind != catalog.KindSequence || d.Seq == nil {
					continue
				}
				typ := s.seqType(d)
				rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(typ.SQLName()),
					dI(int64(typ.Width)), dI(2), dI(0), dS(strconv.FormatInt(d.Seq.Start, 10)), dS(strconv.FormatInt(d.Seq.Min, 10)),
					dS(strconv.FormatInt(d.Seq.Max, 10)), dS(strconv.FormatInt(d.Seq.Increment, 10)), dS("NO")})
			}
			return rows
		}},
		"pg_catalog.pg_sequences": {cols(`schemaname text, sequencename text, sequenceowner text, data_type text, start_value int8,
		min_value int8, max_value int8, increment_by int8, cycle bool, cache_size int8, last_value int8`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind != catalog.KindSequence || d.Seq == nil {
					continue
				}
				rows = append(rows, []types.Datum{dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(s.user()), dS(s.seqType(d).SQLName()),
					dI(d.Seq.Start), dI(d.Seq.Min), dI(d.Seq.Max), dI(d.Seq.Increment), dB(false), dI(1), types.Null})
			}
			return rows
		}},
		"information_schema.columns": {cols(`table_catalog text, table_schema text, table_name text, column_name text,
		ordinal_position int4, column_default text, is_nullable text, data_type text, character_maximum_length int4,
		numeric_precision int4, numeric_scale int4, datetime_precision int4, udt_catalog text, udt_schema text, udt_name text,
		is_identity text, is_generated text, is_updatable text, interval_type text, interval_precision int4`), func(s *vsnap) [][]types.Datum {
			var rows [][]types.Datum
			for _, d := range s.objs {
				if d.Kind == catalog.KindSequence || d.MatView {
					continue
				}
				num := 0
				cs := d.Columns
				if d.Kind == catalog.KindView {
					cs = nil
					for _, vc := range s.columnsOf(d) {
						cs = append(cs, catalog.Column{Name: vc.name, Type: vc.t, Nullable: true})
					}
				}
				for _, c := range cs {
					if c.Hidden {
						continue
					}
					num++
					def := types.Datum(types.Null)
					if c.Default != "" {
						def = dS(displayDefault(c))
					}
					null := "NO"
					if c.Nullable {
						null = "YES"
					}
					dt := c.Type.SQLName()
					udtSchema := "pg_catalog"
					if c.Type.Family == types.ArrayFamily {
						dt = "ARRAY"
					}
					if c.Type.IsEnum() {
						dt = "USER-DEFINED"
						for _, e := range s.enums {
							if e.EnumType().Width == c.Type.Width {
								udtSchema = s.schemaOf[e.SchemaID]
							}
						}
					}
					maxLen, prec, scale, dtp := types.Datum(types.Null), types.Datum(types.Null), types.Datum(types.Null), types.Datum(types.Null)
					switch c.Type.Family {
					case types.StringFamily:
						if c.Type.Length > 0 {
							maxLen = dI(int64(c.Type.Length))
						}
					case types.IntFamily:
						prec, scale = dI(int64(c.Type.Width)), dI(0)
					case types.FloatFamily:
						prec = dI(map[int]int64{32: 24, 64: 53}[c.Type.Width])
					case types.DecimalFamily:
						if c.Type.Precision > 0 {
							prec, scale = dI(int64(c.Type.Precision)), dI(int64(c.Type.Scale))
						}
					case types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
						p := int64(6)
						if c.Type.Precision >= 0 {
							p = int64(c.Type.Precision)
						}
						dtp = dI(p)
					case types.DateFamily:
						dtp = dI(0)
					}
					itype := types.Datum(types.Null)
					if c.Type.Family == types.IntervalFamily {
						p := int64(6)
						if ip := c.Type.IntervalPrecision(); ip >= 0 {
							p = int64(ip)
						}
						dtp = dI(p)
						if f := c.Type.IntervalFields(); f != "" {
							itype = dS(strings.ToUpper(f))
						}
					}
					upd := "YES"
					if d.Kind == catalog.KindView {
						upd = "NO"
					}
					isIdent, isGen := "NO", "NEVER"
					if c.Identity {
						isIdent, def = "YES", types.Null
					}
					if c.Generated != "" {
						isGen = "ALWAYS"
					}
					rows = append(rows, []types.Datum{dS(s.database()), dS(s.schemaOf[d.SchemaID]), dS(d.Name), dS(c.Name),
						dI(int64(num)), def, dS(null), dS(dt), maxLen, prec, scale, dtp, dS(s.database()), dS(udtSchema), dS(c.Type.PGName()),
						dS(isIdent), dS(isGen), dS(upd), itype, types.Null})
				}
			}
			return rows
		}},
	}
}

// relIndexes are the indexes pg_class lists for a relation: none for
// views and sequences, and no primary index over a hidden rowid.
// isUniqueConstraint reports whether the index stands for a PRIMARY KEY
// or UNIQUE constraint in the catalogs: a unique index a constraint made
// (not CREATE UNIQUE INDEX), on plain columns over every row (an
// expression or partial unique index is an index only, as in
// PostgreSQL, which cannot declare such a constraint).
func isUniqueConstraint(d *catalog.Descriptor, ix *catalog.Index) bool {
	if ix == d.Primary {
		return true
	}
	if !ix.Unique || ix.IndexOnly || ix.Partial() {
		return false
	}
	for _, cid := range ix.ColumnIDs {
		if o := d.ColumnOrdinal(cid); o >= 0 && d.Columns[o].Hidden && d.Columns[o].Generated != "" {
			return false
		}
	}
	return true
}

func relIndexes(d *catalog.Descriptor) []*catalog.Index {
	if d.Kind != catalog.KindTable {
		return nil
	}
	out := []*catalog.Index{d.Primary}
	for i := range d.Indexes {
		if d.Indexes[i].Public() { // partial ones too
			out = append(out, &d.Indexes[i])
		}
	}
	all := out
	out = nil
	for _, ix := range all {
		if ix == nil {
			continue
		}
		if ix == d.Primary {
			hidden := true
			for _, cid := range ix.ColumnIDs {
				if o := d.ColumnOrdinal(cid); o >= 0 && !d.Columns[o].Hidden {
					hidden = false
				}
			}
			if hidden {
				continue
			}
		}
		out = append(out, ix)
	}
	return out
}

// visibleAttnum is a column's attnum: its 1-based position among the
// visible columns (0 for a hidden one such as rowid).
// checkColumns is a CHECK constraint's conkey: the attnums of the
// columns its expression reads, in attnum order (NULL when it reads none).
func checkColumns(d *catalog.Descriptor, expr string) types.Datum {
	_, e, err := parseStoredExpr(expr, "check constraint")
	if err != nil {
		return types.Null
	}
	v := &colNames{names: map[string]bool{}}
	e.Accept(v)
	out := &types.DArray{Elem: types.Int2}
	n := 0
	for _, c := range d.Columns {
		if c.Hidden {
			continue
		}
		n++
		if v.names[c.Name] {
			out.Elems = append(out.Elems, dI(int64(n)))
		}
	}
	if len(out.Elems) == 0 {
		return types.Null
	}
	return out
}

// colNames collects the column names an expression refers to.
type colNames struct{ names map[string]bool }

func (v *colNames) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok {
		v.names[c.Name.Name.O] = true
	}
	return n, false
}

func (v *colNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func visibleAttnum(d *catalog.Descriptor, id catalog.ColumnID) int {
	n := 0
	for _, c := range d.Columns {
		if c.Hidden {
			if c.ID == id {
				return 0
			}
			continue
		}
		n++
		if c.ID == id {
			return n
		}
	}
	return 0
}

// roles are the stored roles (CREATE ROLE), by name.
func (s *vsnap) roles() []*catalog.Descriptor {
	if s.roleDescs != nil {
		return *s.roleDescs
	}
	out := []*catalog.Descriptor{}
	s.roleDescs = &out
	names, err := s.b.Coll.ListNames(s.b.Ctx, 0, catalog.RoleNamespace)
	if err != nil {
		return out
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if d, err := s.b.Coll.Get(s.b.Ctx, names[k]); err == nil && d != nil && d.Kind == catalog.KindRole && d.Role != nil {
			out = append(out, d)
		}
	}
	*s.roleDescs = out
	return out
}

// roleOID is the OID of role name (10 for the session user).
func (s *vsnap) roleOID(name string) int64 {
	for _, r := range s.roles() {
		if r.Name == name {
			return int64(r.ID)
		}
	}
	return 10
}

// tablePrivileges lists the table privileges granted to stored roles
// (information_schema.table_privileges and role_table_grants).
func tablePrivileges(s *vsnap) [][]types.Datum {
	var rows [][]types.Datum
	for _, r := range s.roles() {
		for _, g := range r.Role.Grants {
			if g.Kind != "table" {
				continue
			}
			hier := "NO"
			if g.Privilege == "SELECT" {
				hier = "YES"
			}
			rows = append(rows, []types.Datum{dS(s.user()), dS(r.Name), dS(s.database()), dS(g.Schema), dS(g.Name),
				dS(g.Privilege), dS("NO"), dS(hier)})
		}
	}
	return rows
}

func (s *vsnap) user() string {
	if s.b.Eval != nil && s.b.Eval.User != "" {
		return s.b.Eval.User
	}
	return "root"
}

func (s *vsnap) database() string {
	if s.b.Eval != nil {
		return s.b.Eval.Database
	}
	return ""
}

func (s *vsnap) serverVersion() string {
	if s.b.Eval != nil && s.b.Eval.ServerVersion != "" {
		return s.b.Eval.ServerVersion
	}
	return "16.0"
}

func (s *vsnap) schemaNames() []string {
	var out []string
	for _, sd := range s.schemas {
		out = append(out, sd.Name)
	}
	return out
}

// formatType is format_type(type OID, typmod).
func (s *vsnap) formatType(oid, typmod int64) string {
	if n, ok := s.typmods[[2]int64{oid, typmod}]; ok {
		return n
	}
	if t, ok := types.FromOID(types.OID(oid)); ok {
		return withTypmod(t, typmod).String()
	}
	for _, d := range s.enums {
		if int64(d.EnumType().OID()) == oid {
			return quoteIdent(d.Name)
		}
	}
	return "???"
}

// withTypmod is t with the modifiers typmod encodes (as PostgreSQL
// encodes them: VARCHAR/CHAR length + 4, NUMERIC ((p << 16) | s) + 4);
// t itself for -1 or a typmod it cannot have.
func withTypmod(t *types.T, typmod int64) *types.T {
	if typmod < 4 {
		return t
	}
	var m *types.T
	var err error
	switch {
	case t.Family == types.StringFamily && t.Variant == types.VarChar:
		m, err = types.MakeVarChar(int(typmod - 4))
	case t.Family == types.StringFamily && t.Variant == types.Char:
		m, err = types.MakeChar(int(typmod - 4))
	case t.Family == types.DecimalFamily:
		m, err = types.MakeNumeric(int((typmod-4)>>16), int((typmod-4)&0xffff))
	default:
		return t
	}
	if err != nil {
		return t
	}
	return m
}

// indexDef is pg_get_indexdef(index OID, column, pretty).
func (s *vsnap) indexDef(oid int64, col int64) string {
	vi, ok := s.indexDesc[oid]
	if !ok {
		return ""
	}
	var parts []string
	for i, cid := range vi.idx.ColumnIDs {
		o := vi.table.ColumnOrdinal(cid)
		if o < 0 {
			continue
		}
		p := quoteIdent(vi.table.Columns[o].Name)
		if c := &vi.table.Columns[o]; c.Hidden && c.Generated != "" {
			p = indexExprText(c.Generated) // an expression index's key
		}
		if col > 0 {
			if int64(i+1) == col {
				return p
			}
			continue
		}
		if i < len(vi.idx.Desc) && vi.idx.Desc[i] {
			p += " DESC"
		}
		parts = append(parts, p)
	}
	if col > 0 {
		return ""
	}
	u := ""
	if vi.idx.Unique || vi.prim {
		u = "UNIQUE "
	}
	where := ""
	if vi.idx.Predicate != "" {
		where = " WHERE (" + storedExprText(vi.idx.Predicate) + ")"
	}
	return "CREATE " + u + "INDEX " + quoteIdent(vi.idx.Name) + " ON " + quoteIdent(s.schemaOf[vi.table.SchemaID]) + "." +
		quoteIdent(vi.table.Name) + " USING btree (" + strings.Join(parts, ", ") + ")" + where
}

// indexExprText is an index key expression as pg_get_indexdef shows it:
// a function call as it is, anything else in parentheses.
func indexExprText(text string) string {
	t := storedExprText(text)
	if i := strings.IndexByte(t, '('); i > 0 && strings.HasSuffix(t, ")") && !strings.ContainsAny(t[:i], " ") {
		return strings.ToLower(t[:i]) + t[i:]
	}
	return "(" + t + ")"
}

// constraintDef is pg_get_constraintdef(constraint OID).
func (s *vsnap) constraintDef(oid int64) string {
	if e, ok := s.checks[oid]; ok {
		return "CHECK (" + e + ")"
	}
	if oid&(1<<28|1<<29|1<<30) == 1<<28 {
		return s.foreignKeyDef(oid)
	}
	vi, ok := s.indexDesc[oid-1<<30]
	if !ok {
		return ""
	}
	var names []string
	for _, cid := range vi.idx.ColumnIDs {
		if o := vi.table.ColumnOrdinal(cid); o >= 0 {
			names = append(names, quoteIdent(vi.table.Columns[o].Name))
		}
	}
	kw := "UNIQUE"
	if vi.prim {
		kw = "PRIMARY KEY"
	}
	return kw + " (" + strings.Join(names, ", ") + ")"
}

// foreignKeyDef is pg_get_constraintdef of a FOREIGN KEY constraint.
func (s *vsnap) foreignKeyDef(oid int64) string {
	byID := map[catalog.ID]*catalog.Descriptor{}
	for _, o := range s.objs {
		byID[o.ID] = o
	}
	for _, d := range s.objs {
		for i, fk := range d.ForeignKeys {
			if foreignKeyOID(d.ID, i) != oid {
				continue
			}
			p := byID[fk.RefTable]
			if p == nil {
				return ""
			}
			names := func(t *catalog.Descriptor, ids []catalog.ColumnID) string {
				var out []string
				for _, cid := range ids {
					if o := t.ColumnOrdinal(cid); o >= 0 {
						out = append(out, quoteIdent(t.Columns[o].Name))
					}
				}
				return strings.Join(out, ", ")
			}
			def := "FOREIGN KEY (" + names(d, fk.Columns) + ") REFERENCES " + s.relName(int64(p.ID)) + "(" + names(p, fk.RefColumns) + ")"
			if fk.OnUpdate != catalog.FKNoAction {
				def += " ON UPDATE " + strings.ToUpper(string(fk.OnUpdate))
			}
			if fk.OnDelete != catalog.FKNoAction {
				def += " ON DELETE " + strings.ToUpper(string(fk.OnDelete))
			}
			return def
		}
	}
	return ""
}

// relName is a regclass's text: the relation name, schema-qualified when
// it is not visible.
func (s *vsnap) relName(oid int64) string {
	for k, v := range s.byName {
		if v == oid && !strings.Contains(k, ".") {
			return quoteIdent(k)
		}
	}
	for k, v := range s.byName {
		if v == oid {
			return k
		}
	}
	return strconv.FormatInt(oid, 10)
}

func (s *vsnap) visible(oid int64) bool {
	for k, v := range s.byName {
		if v == oid && !strings.Contains(k, ".") {
			return true
		}
	}
	return false
}

func quoteIdent(s string) string {
	ok := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// displayDefault is a column's DEFAULT as PostgreSQL's pg_get_expr prints
// it where that differs from the stored text: a sequence default is
// nextval('s'::regclass), a string literal for a column of a non-numeric
// type carries its cast ('q'::text, '2024-01-01'::date).
func displayDefault(c catalog.Column) string {
	d := c.Default
	if strings.HasPrefix(d, "nextval('") && strings.HasSuffix(d, "')") && !strings.Contains(d[9:len(d)-2], "'") {
		return d[:len(d)-1] + "::regclass)"
	}
	if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' && !strings.Contains(strings.ReplaceAll(d[1:len(d)-1], "''", ""), "'") {
		switch c.Type.Family {
		case types.IntFamily, types.FloatFamily, types.DecimalFamily, types.BoolFamily, types.ArrayFamily:
			return d
		}
		name := c.Type.SQLName()
		if c.Type.Family == types.StringFamily && c.Type.Variant == types.Char {
			name = "bpchar"
		}
		return d + "::" + name
	}
	return d
}

// seqType is a sequence's data type: a SERIAL's is its column's.
func (s *vsnap) seqType(d *catalog.Descriptor) *types.T {
	typ := types.Int8
	for _, o := range s.objs {
		for _, c := range o.Columns {
			if c.OwnedSeq == d.ID && c.Type.Family == types.IntFamily {
				typ = c.Type
			}
		}
	}
	return typ
}
