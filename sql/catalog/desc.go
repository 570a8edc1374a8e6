package catalog

import (
	"fmt"

	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/types"
)

// ID identifies a descriptor (database, schema, table, view, sequence).
type ID uint32

// IndexID identifies an index within its table; the primary index is 1.
type IndexID uint32

// ColumnID identifies a column within its table.
type ColumnID = rowenc.ColumnID

// Kind is the kind of a descriptor.
type Kind string

// Descriptor kinds.
const (
	KindDatabase Kind = "database"
	KindSchema   Kind = "schema"
	KindTable    Kind = "table"
	KindView     Kind = "view"
	KindSequence Kind = "sequence"
	// KindType is a user-defined type: an enum (EnumLabels). Types and
	// relations share a schema's names, as in PostgreSQL's pg_type.
	KindType Kind = "type"
	// KindFunction is one overload of a user-defined SQL function
	// (CREATE FUNCTION ... LANGUAGE sql); its Name is FunctionKey (the
	// name and argument types), which keeps overloads apart and clear of
	// relation names.
	KindFunction Kind = "function"
	// KindRole is a role (CREATE ROLE / USER): cluster-wide, named under
	// (0, RoleNamespace). Privileges are recorded, not enforced.
	KindRole Kind = "role"
)

// RoleNamespace is the schema slot of the role names (beside the
// databases' (0, 0)); no descriptor has this ID.
const RoleNamespace ID = 1

// RoleDef is a role's attributes, the roles it is a member of, and the
// privileges granted to it.
type RoleDef struct {
	Login, Superuser, CreateDB, CreateRole, Replication, BypassRLS bool     `json:",omitempty"`
	NoInherit                                                      bool     `json:",omitempty"`
	HasPassword                                                    bool     `json:",omitempty"`
	MemberOf                                                       []string `json:",omitempty"`
	Grants                                                         []Grant  `json:",omitempty"`
}

// Grant is a privilege on an object: Kind "table", "sequence", "schema",
// "database", "function", ...; Schema and Name the object; Privilege in
// upper case (SELECT, INSERT, ..., USAGE).
type Grant struct {
	Kind, Schema, Name, Privilege string
}

// FunctionKey is the namespace name of a function overload:
// name(type, type).
func FunctionKey(name string, args []*types.T) string {
	s := name + "("
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		s += a.String()
	}
	return s + ")"
}

// Descriptor is the stored form of every schema object.
type Descriptor struct {
	ID       ID
	Kind     Kind
	Name     string
	ParentID ID // database of a schema or table; 0 for a database
	SchemaID ID // schema of a table; 0 otherwise
	Version  int64

	// Tables.
	Columns      []Column `json:",omitempty"`
	NextColumnID ColumnID `json:",omitempty"`
	Primary      *Index   `json:",omitempty"`
	Indexes      []Index  `json:",omitempty"`
	NextIndexID  IndexID  `json:",omitempty"`
	// Checks are the table's CHECK constraints; every written row must
	// not make one false (NULL passes, as in PostgreSQL).
	Checks []Check `json:",omitempty"`
	// ForeignKeys are the table's FOREIGN KEY constraints (MATCH SIMPLE:
	// a row with a NULL among the columns is not checked); ReferencedBy
	// lists the constraints of other tables (or this one) referencing it.
	ForeignKeys  []ForeignKey `json:",omitempty"`
	ReferencedBy []FKBackRef  `json:",omitempty"`

	// Views: the query text and the output column names.
	ViewQuery   string   `json:",omitempty"`
	ViewColumns []string `json:",omitempty"`
	// MatView marks a materialized view: a KindTable whose rows are
	// ViewQuery's, as of its creation or last REFRESH; Unpopulated: made
	// WITH NO DATA and not refreshed since (it cannot be read).
	MatView     bool `json:",omitempty"`
	Unpopulated bool `json:",omitempty"`

	// Sequences.
	Seq *SequenceOpts `json:",omitempty"`

	// Enum types: the labels in declaration order.
	EnumLabels []string `json:",omitempty"`
	// Composite types (CREATE TYPE name AS (...)): the fields in order.
	Composite []FuncArg `json:",omitempty"`
	// Domain is set for a domain (CREATE DOMAIN), a KindType whose values
	// are its base type's.
	Domain *DomainDef `json:",omitempty"`
	// Func is a KindFunction's definition.
	Func *FuncDef `json:",omitempty"`
	// Role is a KindRole's definition.
	Role *RoleDef `json:",omitempty"`

	// Comment is the COMMENT ON text ("" = none).
	Comment string `json:",omitempty"`
}

// DomainDef is a domain's base type and constraints: a column declared
// with the domain gets them as its own (NOT NULL, DEFAULT when it names
// none, each CHECK with VALUE read as the column, marked Check.Domain);
// a cast to the domain checks them.
type DomainDef struct {
	Base    *types.T
	NotNull bool   `json:",omitempty"`
	Default string `json:",omitempty"`
	Checks  []Check
}

// FuncDef is a user-defined SQL function: its name, parameters, result
// type, body (a SELECT of one expression, $n or a parameter's name for
// the arguments), volatility ("immutable", "stable", "volatile") and
// whether it is STRICT (NULL for a NULL argument without running).
type FuncDef struct {
	Name       string
	Args       []FuncArg
	Return     *types.T
	Body       string
	Volatility string
	Strict     bool `json:",omitempty"`
	// Set: RETURNS SETOF / TABLE, rows of Return (one column) or of
	// OutCols. OutCols are the result columns of RETURNS TABLE or of two
	// or more OUT parameters (Return is then unused: a record).
	Set     bool      `json:",omitempty"`
	OutCols []FuncArg `json:",omitempty"`
	// Variadic: the last argument is VARIADIC (an array the call's
	// trailing arguments are gathered into).
	Variadic bool `json:",omitempty"`
	// OutName is the name of a single OUT parameter (the result column's
	// name in FROM).
	OutName string `json:",omitempty"`
}

// RowsResult reports whether the function's result is rows (a set) or a
// record of OutCols: it can only be called in FROM.
func (f *FuncDef) RowsResult() bool { return f.Set || len(f.OutCols) > 0 }

// FuncArg is a function parameter ("" Name: positional only); Default
// is the SQL text of its DEFAULT value ("" when it has none).
type FuncArg struct {
	Name    string `json:",omitempty"`
	Type    *types.T
	Default string `json:",omitempty"`
}

// EnumOIDBase is added to an enum type's descriptor ID to make its type
// OID, clear of the built-in types' OIDs.
const EnumOIDBase = 1 << 20

// CompositeType returns the SQL type of a composite type's descriptor.
func (d *Descriptor) CompositeType() *types.T {
	info := &types.CompositeInfo{OID: types.OID(EnumOIDBase + uint32(d.ID)), Name: d.Name}
	for _, f := range d.Composite {
		info.Fields = append(info.Fields, f.Name)
		info.Types = append(info.Types, f.Type)
	}
	return types.MakeComposite(info)
}

// EnumType returns the SQL type of an enum type's descriptor.
func (d *Descriptor) EnumType() *types.T {
	return types.MakeEnum(&types.EnumInfo{OID: types.OID(EnumOIDBase + uint32(d.ID)), Name: d.Name, Labels: d.EnumLabels})
}

// Check is a CHECK constraint: a boolean expression over the row, as SQL
// text, and its name.
type Check struct {
	Name string
	Expr string
	// NotValid: added NOT VALID, the rows before it were not checked
	// (until VALIDATE CONSTRAINT).
	NotValid bool `json:",omitempty"`
	// Domain: a domain's CHECK on a column declared with it (listed with
	// the domain, not the table, in the catalogs).
	Domain bool `json:",omitempty"`
}

// FKAction is a foreign key's referential action.
type FKAction string

// The referential actions. NO ACTION and RESTRICT both refuse the change
// (checked at the end of the statement).
const (
	FKNoAction FKAction = ""
	FKRestrict FKAction = "restrict"
	FKCascade  FKAction = "cascade"
	FKSetNull  FKAction = "set null"
)

// ForeignKey is a FOREIGN KEY constraint: Columns of this table reference
// RefColumns of table RefTable, which are its primary key or the columns of
// one of its unique indexes.
type ForeignKey struct {
	Name       string
	Columns    []ColumnID
	RefTable   ID
	RefColumns []ColumnID
	OnDelete   FKAction `json:",omitempty"`
	OnUpdate   FKAction `json:",omitempty"`
	// NotValid: added NOT VALID (see Check.NotValid).
	NotValid bool `json:",omitempty"`
}

// FKBackRef names a foreign key of table Table referencing this table.
type FKBackRef struct {
	Table ID
	Name  string
}

// ForeignKeyByName returns the index of the named foreign key, or -1.
func (d *Descriptor) ForeignKeyByName(name string) int {
	for i := range d.ForeignKeys {
		if d.ForeignKeys[i].Name == name {
			return i
		}
	}
	return -1
}

// Column is a table column.
type Column struct {
	ID       ColumnID
	Name     string
	Type     *types.T
	Nullable bool
	// Default is the DEFAULT expression as SQL text ("" = NULL).
	Default string `json:",omitempty"`
	// Hidden columns (rowid) are not in SELECT *.
	Hidden bool `json:",omitempty"`
	// OwnedSeq is the sequence created for a SERIAL column.
	OwnedSeq ID `json:",omitempty"`
	// Domain is the domain the column was declared with (0: none); its
	// Type is the domain's base type.
	Domain ID `json:",omitempty"`
	// IdentityAlways marks a GENERATED ALWAYS AS IDENTITY column: only
	// DEFAULT may be written to it.
	IdentityAlways bool `json:",omitempty"`
	// Identity marks a GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY column.
	Identity bool `json:",omitempty"`
	// Generated is the expression (SQL text over the row's other columns)
	// of a GENERATED ALWAYS AS (expr) STORED column: every written row
	// stores its value, and only DEFAULT may be written to it.
	Generated string `json:",omitempty"`
	// Comment is the COMMENT ON COLUMN text ("" = none).
	Comment string `json:",omitempty"`
}

// Index is the primary or a secondary index.
type Index struct {
	ID        IndexID
	Name      string
	Unique    bool
	ColumnIDs []ColumnID
	Desc      []bool
	// State is where a secondary index is in an online schema change
	// (see the package doc); "" is public.
	State IndexState `json:",omitempty"`
	// DeclaredPrimary marks the unique index that ALTER TABLE … ADD
	// PRIMARY KEY made on a table keyed by the hidden rowid (its rows keep
	// that key); a table has at most one.
	DeclaredPrimary bool `json:",omitempty"`
	// Where is the hidden generated BOOL column holding a partial index's
	// predicate (CREATE INDEX ... WHERE); only rows where it is true have
	// entries (and take part in a UNIQUE check). 0: a total index.
	// Predicate is the predicate's text, for the catalogs.
	Where     ColumnID `json:",omitempty"`
	Predicate string   `json:",omitempty"`
	// IndexOnly marks a unique index made by CREATE UNIQUE INDEX rather
	// than by a PRIMARY KEY or UNIQUE constraint: the catalogs list no
	// constraint for it (it enforces uniqueness all the same).
	IndexOnly bool `json:",omitempty"`
}

// Partial reports whether only some rows have entries (CREATE INDEX ...
// WHERE). PublicIndexes leaves such an index out: foreign keys and plain
// ON CONFLICT inference need every row; the planner reads one only for a
// filter that implies its predicate, and ON CONFLICT (cols) WHERE pred
// infers one whose predicate pred implies (sql/plan).
func (ix *Index) Partial() bool { return ix.Where != 0 }

// IndexState is a secondary index's state in an online schema change.
// Writers maintain an index according to its state; only public indexes
// are read (planner, ON CONFLICT inference, catalogs).
type IndexState string

// Index states, in the order CREATE INDEX goes through them (DROP INDEX
// and a failed CREATE INDEX go back: write-only → delete-only → removed).
const (
	// IndexPublic: complete; read and written.
	IndexPublic IndexState = ""
	// IndexDeleteOnly: writers delete entries of the rows they delete or
	// change, never add entries; nothing reads it.
	IndexDeleteOnly IndexState = "delete_only"
	// IndexWriteOnly: writers maintain it fully (puts, deletes and the
	// UNIQUE check) while the backfill fills in the entries of older
	// rows; nothing reads it.
	IndexWriteOnly IndexState = "write_only"
)

// Public reports whether the index may be read.
func (ix *Index) Public() bool { return ix.State == IndexPublic }

// Writable reports whether writers add entries to the index (public or
// write-only); a delete-only index only has entries removed.
func (ix *Index) Writable() bool { return ix.State != IndexDeleteOnly }

// SequenceOpts are a sequence's parameters.
type SequenceOpts struct {
	Start, Increment, Min, Max int64
}

// IsTable reports whether the descriptor holds rows.
func (d *Descriptor) IsTable() bool { return d.Kind == KindTable }

// HasGenerated reports whether a column is GENERATED ALWAYS AS (expr).
func (d *Descriptor) HasGenerated() bool {
	for i := range d.Columns {
		if d.Columns[i].Generated != "" {
			return true
		}
	}
	return false
}

// ColumnByName finds a column (hidden ones too).
func (d *Descriptor) ColumnByName(name string) (int, *Column) {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			return i, &d.Columns[i]
		}
	}
	return -1, nil
}

// ColumnOrdinal returns the position of column id in Columns.
func (d *Descriptor) ColumnOrdinal(id ColumnID) int {
	for i := range d.Columns {
		if d.Columns[i].ID == id {
			return i
		}
	}
	return -1
}

// IndexByName finds a secondary index.
func (d *Descriptor) IndexByName(name string) int {
	for i := range d.Indexes {
		if d.Indexes[i].Name == name {
			return i
		}
	}
	return -1
}

// AllIndexes returns the primary index followed by the secondary ones,
// in every state (for writes and key prefixes; reads use PublicIndexes).
func (d *Descriptor) AllIndexes() []*Index {
	out := []*Index{d.Primary}
	for i := range d.Indexes {
		out = append(out, &d.Indexes[i])
	}
	return out
}

// PublicIndexes returns the primary index followed by the secondary ones
// that are public: the indexes that reads may use.
func (d *Descriptor) PublicIndexes() []*Index {
	out := []*Index{d.Primary}
	for i := range d.Indexes {
		if d.Indexes[i].Public() && !d.Indexes[i].Partial() {
			out = append(out, &d.Indexes[i])
		}
	}
	return out
}

// IndexByID finds a secondary index by ID; -1 if absent.
func (d *Descriptor) IndexByID(id IndexID) int {
	for i := range d.Indexes {
		if d.Indexes[i].ID == id {
			return i
		}
	}
	return -1
}

// Validate checks a table descriptor's internal consistency.
func (d *Descriptor) Validate() error {
	if d.Kind != KindTable {
		return nil
	}
	if d.Primary == nil || len(d.Primary.ColumnIDs) == 0 {
		return fmt.Errorf("catalog: table %q has no primary index", d.Name)
	}
	seen := map[string]bool{}
	for _, c := range d.Columns {
		if seen[c.Name] {
			return fmt.Errorf("catalog: table %q has two columns %q", d.Name, c.Name)
		}
		seen[c.Name] = true
	}
	for _, ix := range d.AllIndexes() {
		for _, id := range ix.ColumnIDs {
			if d.ColumnOrdinal(id) < 0 {
				return fmt.Errorf("catalog: index %q of %q names missing column %d", ix.Name, d.Name, id)
			}
		}
	}
	return nil
}
