package pgdialect

import (
	"strconv"
	"strings"
)

// Type is a PostgreSQL type name as written, canonicalised: Name is
// PostgreSQL's internal name (int4, int8, numeric, text, varchar, bpchar,
// bytea, bool, date, time, timetz, timestamp, timestamptz, interval, uuid,
// jsonb, json, float4, float8, int2, serial4 ...), Mods the type modifiers
// (e.g. precision and scale), Array whether it is a one-dimensional array.
type Type struct {
	Name  string
	Mods  []int
	Array bool
}

func (t Type) String() string {
	var b strings.Builder
	b.WriteString(t.Name)
	if len(t.Mods) > 0 {
		b.WriteByte('(')
		for i, m := range t.Mods {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(m))
		}
		b.WriteByte(')')
	}
	if t.Array {
		b.WriteString("[]")
	}
	return b.String()
}

// typeNames maps single-word spellings to canonical names.
var typeNames = map[string]string{
	"int2": "int2", "smallint": "int2",
	"int4": "int4", "int": "int4", "integer": "int4",
	"int8": "int8", "bigint": "int8",
	"real": "float4", "float4": "float4",
	"float8": "float8", "float": "float8",
	"numeric": "numeric", "decimal": "numeric", "dec": "numeric",
	"text": "text", "varchar": "varchar", "char": "bpchar", "character": "bpchar", "bpchar": "bpchar",
	"bytea": "bytea", "bool": "bool", "boolean": "bool",
	"date": "date", "time": "time", "timetz": "timetz", "timestamp": "timestamp", "timestamptz": "timestamptz",
	"interval": "interval", "uuid": "uuid", "jsonb": "jsonb", "json": "json",
	"serial": "serial4", "serial4": "serial4", "bigserial": "serial8", "serial8": "serial8",
	"smallserial": "serial2", "serial2": "serial2",
	"name": "name", "oid": "oid", "regclass": "regclass", "regtype": "regtype", "regproc": "regproc",
	"regnamespace": "regnamespace", "inet": "inet", "money": "money", "xid": "xid",
}

// IsTypeStart reports whether an identifier can begin a type name we know.
func IsTypeStart(word string) bool {
	_, ok := typeNames[word]
	return ok || word == "double" || word == "national"
}

// ParseType reads a type name starting at toks[i]. It returns the type and
// the index of the first token after it, or ok=false if toks[i] does not
// start a known type name. Unknown single identifiers are accepted as
// user-defined type names when allowUnknown is set.
func ParseType(toks []Token, i int, allowUnknown bool) (t Type, next int, ok bool) {
	if i >= len(toks) {
		return t, i, false
	}
	tk := toks[i]
	if tk.Kind == QIdent && allowUnknown {
		t.Name = tk.Val
		i++
	} else {
		if tk.Kind != Ident {
			return t, i, false
		}
		w := tk.Val
		// pg_catalog.int4 and the like
		if w == "pg_catalog" && i+2 < len(toks) && toks[i+1].IsP(".") && toks[i+2].Kind == Ident {
			i += 2
			w = toks[i].Val
		}
		switch {
		case w == "double" && i+1 < len(toks) && toks[i+1].Is("precision"):
			t.Name = "float8"
			i += 2
		case (w == "character" || w == "char") && i+1 < len(toks) && toks[i+1].Is("varying"):
			t.Name = "varchar"
			i += 2
		case w == "national" && i+2 < len(toks) && (toks[i+1].Is("character") || toks[i+1].Is("char")):
			t.Name = "bpchar"
			i += 2
			if toks[i].Is("varying") {
				t.Name = "varchar"
				i++
			}
		case w == "bit":
			t.Name = "bit"
			i++
			if toks[i].Is("varying") {
				t.Name = "varbit"
				i++
			}
		default:
			name, known := typeNames[w]
			if !known {
				if !allowUnknown {
					return t, i, false
				}
				name = w
			}
			t.Name = name
			i++
		}
	}
	// modifiers
	if i < len(toks) && toks[i].IsP("(") {
		j := i + 1
		var mods []int
		for j < len(toks) {
			if toks[j].Kind != Int {
				return t, i, false
			}
			v, err := strconv.Atoi(toks[j].Val)
			if err != nil {
				return t, i, false
			}
			mods = append(mods, v)
			j++
			if toks[j].IsP(",") {
				j++
				continue
			}
			if toks[j].IsP(")") {
				j++
				break
			}
			return t, i, false
		}
		t.Mods = mods
		i = j
	}
	// INTERVAL fields [TO field] [(p)]: the fields join the name
	if t.Name == "interval" && len(t.Mods) == 0 && i < len(toks) && toks[i].Kind == Ident && isIntervalField(toks[i].Val) {
		f := toks[i].Val
		j := i + 1
		if j+1 < len(toks) && toks[j].Is("to") && toks[j+1].Kind == Ident && isIntervalField(toks[j+1].Val) {
			f += " to " + toks[j+1].Val
			j += 2
		}
		if strings.HasSuffix(f, "second") && j+2 < len(toks) && toks[j].IsP("(") && toks[j+1].Kind == Int && toks[j+2].IsP(")") {
			p, err := strconv.Atoi(toks[j+1].Val)
			if err != nil {
				return t, i, false
			}
			t.Mods = []int{p}
			j += 3
		}
		t.Name += " " + f
		i = j
	}
	// with/without time zone
	if (t.Name == "timestamp" || t.Name == "time") && i+2 < len(toks) && (toks[i].Is("with") || toks[i].Is("without")) && toks[i+1].Is("time") && toks[i+2].Is("zone") {
		if toks[i].Is("with") {
			t.Name += "tz"
		}
		i += 3
	}
	if t.Name == "float8" && len(t.Mods) == 1 && t.Mods[0] <= 24 {
		t.Name, t.Mods = "float4", nil
	}
	// one-dimensional arrays: [] or [n] or ARRAY
	if i+1 < len(toks) && toks[i].IsP("[") {
		// int[], int[3], int[][]: PostgreSQL ignores the dimensions
		for i+1 < len(toks) && toks[i].IsP("[") {
			j := i + 1
			if toks[j].Kind == Int {
				j++
			}
			if !toks[j].IsP("]") {
				break
			}
			t.Array = true
			i = j + 1
		}
	} else if i < len(toks) && toks[i].Is("array") && !(i+1 < len(toks) && toks[i+1].IsP("[")) {
		t.Array = true
		i++
	}
	return t, i, true
}
