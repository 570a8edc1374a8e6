package session

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// Roles: CREATE / ALTER / DROP ROLE and GRANT / REVOKE are recorded in
// role descriptors (pg_roles, pg_auth_members, information_schema's
// privilege views read them); privileges are not enforced.

// sessionUser is the user the session runs as (a role that always exists).
func (d *ddl) sessionUser() string {
	if d.b.Eval != nil && d.b.Eval.User != "" {
		return d.b.Eval.User
	}
	return "root"
}

// roleDesc finds a stored role; nil when there is none.
func (d *ddl) roleDesc(name string) (*catalog.Descriptor, error) {
	id, err := d.coll.LookupID(d.ctx, 0, catalog.RoleNamespace, name)
	if err != nil || id == 0 {
		return nil, err
	}
	desc, err := d.coll.Get(d.ctx, id)
	if err != nil || desc == nil || desc.Kind != catalog.KindRole {
		return nil, err
	}
	return desc, nil
}

// grantee resolves a role named in GRANT / REVOKE / membership lists:
// the stored role (nil for PUBLIC, the session user and CURRENT_USER),
// or 42704.
func (d *ddl) grantee(name string) (*catalog.Descriptor, string, error) {
	switch name {
	case "current_user", "session_user", "current_role":
		name = d.sessionUser()
	}
	r, err := d.roleDesc(name)
	if err != nil {
		return nil, "", err
	}
	if r == nil && name != "public" && name != d.sessionUser() {
		return nil, "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", name)
	}
	return r, name, nil
}

func reservedRoleName(name string) error {
	switch {
	case name == "public" || name == "none":
		return pgerr.New(pgerr.ReservedName, "role name %q is reserved", name)
	case strings.HasPrefix(name, "pg_"):
		return pgerr.New(pgerr.ReservedName, "role name %q is reserved", name)
	}
	return nil
}

func applyRoleOptions(r *catalog.RoleDef, opts map[string]bool) {
	for k, v := range opts {
		switch k {
		case "login":
			r.Login = v
		case "superuser":
			r.Superuser = v
		case "createdb":
			r.CreateDB = v
		case "createrole":
			r.CreateRole = v
		case "inherit":
			r.NoInherit = !v
		case "replication":
			r.Replication = v
		case "bypassrls":
			r.BypassRLS = v
		case "password":
			r.HasPassword = v
		}
	}
}

// Roles and privileges are catalog records only: pgwire authenticates
// against the server's --sql-users file and nothing checks a privilege.
// The statements say so with a WARNING, so that nobody takes a GRANT or a
// PASSWORD for a guarantee.
const (
	roleAuthWarning  = "Tessera records roles but does not authenticate them: logins and passwords come from the server's --sql-users file"
	privilegeWarning = "Tessera records privileges but does not enforce them"
)

func (d *ddl) role(n *parser.RoleStmt) (string, error) {
	switch n.Op {
	case "create", "alter":
		if n.User || n.Options["login"] || n.Options["password"] {
			d.notices = append(d.notices, noticeCode("WARNING", "01000", roleAuthWarning))
		}
		if n.Op == "create" {
			return d.createRole(n)
		}
		return d.alterRole(n)
	}
	return d.dropRoles(n)
}

func (d *ddl) createRole(n *parser.RoleStmt) (string, error) {
	name := n.Names[0]
	if err := reservedRoleName(name); err != nil {
		return "", err
	}
	old, err := d.roleDesc(name)
	if err != nil {
		return "", err
	}
	if old != nil || name == d.sessionUser() {
		return "", pgerr.New(pgerr.DuplicateObject, "role %q already exists", name)
	}
	def := &catalog.RoleDef{Login: n.User}
	applyRoleOptions(def, n.Options)
	for _, in := range n.InRoles {
		if _, in, err = d.grantee(in); err != nil {
			return "", err
		}
		def.MemberOf = appendNew(def.MemberOf, in)
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	if err := d.coll.Write(d.ctx, &catalog.Descriptor{ID: id, Kind: catalog.KindRole, Name: name, Role: def}); err != nil {
		return "", err
	}
	if err := d.coll.SetName(d.ctx, 0, catalog.RoleNamespace, name, id); err != nil {
		return "", err
	}
	for _, m := range n.Members {
		if err := d.addMember(name, m); err != nil {
			return "", err
		}
	}
	return "CREATE ROLE", nil
}

// addMember makes role member a member of role of.
func (d *ddl) addMember(of, member string) error {
	r, member, err := d.grantee(member)
	if err != nil {
		return err
	}
	if member == of {
		return pgerr.New(pgerr.InvalidGrantOperation, "role %q is a member of role %q", member, of)
	}
	if r == nil {
		return nil // PUBLIC and the session user: nothing to record
	}
	r = catalog.Mutable(r)
	r.Role.MemberOf = appendNew(r.Role.MemberOf, of)
	return d.coll.Write(d.ctx, r)
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (d *ddl) alterRole(n *parser.RoleStmt) (string, error) {
	name := n.Names[0]
	r, err := d.roleDesc(name)
	if err != nil {
		return "", err
	}
	if r == nil {
		if name == d.sessionUser() {
			return "ALTER ROLE", nil // the built-in user keeps its attributes
		}
		return "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", name)
	}
	r = catalog.Mutable(r)
	if n.RenameTo != "" {
		if err := reservedRoleName(n.RenameTo); err != nil {
			return "", err
		}
		taken, err := d.roleDesc(n.RenameTo)
		if err != nil {
			return "", err
		}
		if taken != nil || n.RenameTo == d.sessionUser() {
			return "", pgerr.New(pgerr.DuplicateObject, "role %q already exists", n.RenameTo)
		}
		if err := d.coll.RemoveName(d.ctx, 0, catalog.RoleNamespace, name); err != nil {
			return "", err
		}
		if err := d.coll.SetName(d.ctx, 0, catalog.RoleNamespace, n.RenameTo, r.ID); err != nil {
			return "", err
		}
		r.Name = n.RenameTo
		if err := d.coll.Write(d.ctx, r); err != nil {
			return "", err
		}
		return "ALTER ROLE", d.forEachRole(func(o *catalog.Descriptor) (bool, error) {
			i := slices.Index(o.Role.MemberOf, name)
			if i >= 0 {
				o.Role.MemberOf[i] = n.RenameTo
			}
			return i >= 0, nil
		})
	}
	applyRoleOptions(r.Role, n.Options)
	return "ALTER ROLE", d.coll.Write(d.ctx, r)
}

// forEachRole calls f with a mutable copy of every stored role and writes
// those it reports changed.
func (d *ddl) forEachRole(f func(*catalog.Descriptor) (bool, error)) error {
	names, err := d.coll.ListNames(d.ctx, 0, catalog.RoleNamespace)
	if err != nil {
		return err
	}
	for _, nm := range sortedKeys(names) {
		r, err := d.coll.Get(d.ctx, names[nm])
		if err != nil {
			return err
		}
		if r == nil || r.Kind != catalog.KindRole {
			continue
		}
		m := catalog.Mutable(r)
		changed, err := f(m)
		if err != nil {
			return err
		}
		if changed {
			if err := d.coll.Write(d.ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]catalog.ID) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (d *ddl) dropRoles(n *parser.RoleStmt) (string, error) {
	for _, name := range n.Names {
		if name == d.sessionUser() || name == "current_user" || name == "session_user" {
			return "", pgerr.New(pgerr.ObjectInUse, "current user cannot be dropped")
		}
		r, err := d.roleDesc(name)
		if err != nil {
			return "", err
		}
		if r == nil {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("role %q does not exist, skipping", name)))
				continue
			}
			return "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", name)
		}
		if len(r.Role.Grants) > 0 {
			return "", pgerr.New(pgerr.DependentObjects, "role %q cannot be dropped because some objects depend on it", name)
		}
		if err := d.coll.RemoveName(d.ctx, 0, catalog.RoleNamespace, name); err != nil {
			return "", err
		}
		if err := d.coll.Delete(d.ctx, r.ID); err != nil {
			return "", err
		}
		if err := d.forEachRole(func(o *catalog.Descriptor) (bool, error) {
			i := slices.Index(o.Role.MemberOf, name)
			if i >= 0 {
				o.Role.MemberOf = slices.Delete(o.Role.MemberOf, i, i+1)
			}
			return i >= 0, nil
		}); err != nil {
			return "", err
		}
	}
	return "DROP ROLE", nil
}

// privilegesOf are the privileges each object kind has (ALL grants them
// all), as PostgreSQL names them.
var privilegesOf = map[string][]string{
	"table":    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
	"sequence": {"USAGE", "SELECT", "UPDATE"},
	"schema":   {"USAGE", "CREATE"},
	"database": {"CREATE", "CONNECT", "TEMPORARY"},
	"function": {"EXECUTE"},
	"type":     {"USAGE"},
	"language": {"USAGE"},
}

func (d *ddl) grant(n *parser.GrantStmt) (string, error) {
	tag := n.StatementTag()
	d.notices = append(d.notices, noticeCode("WARNING", "01000", privilegeWarning))
	if n.OnKind == "" {
		// GRANT role, ... TO role, ...: memberships
		for _, of := range n.Privileges {
			r, of, err := d.grantee(of)
			if err != nil {
				return "", err
			}
			if r == nil && of == "public" {
				return "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", of)
			}
			for _, g := range n.Grantees {
				if n.Revoke {
					gr, _, err := d.grantee(g)
					if err != nil {
						return "", err
					}
					if gr != nil {
						gr = catalog.Mutable(gr)
						if i := slices.Index(gr.Role.MemberOf, of); i >= 0 {
							gr.Role.MemberOf = slices.Delete(gr.Role.MemberOf, i, i+1)
							if err := d.coll.Write(d.ctx, gr); err != nil {
								return "", err
							}
						}
					}
					continue
				}
				if err := d.addMember(of, g); err != nil {
					return "", err
				}
			}
		}
		return tag, nil
	}
	kind := n.OnKind
	objKind := strings.TrimPrefix(kind, "all ")
	objKind = strings.TrimSuffix(objKind, "s")
	switch objKind {
	case "procedure", "routine":
		objKind = "function"
	case "domain":
		objKind = "type"
	}
	valid, ok := privilegesOf[objKind]
	if !ok {
		return tag, nil // objects we keep no privileges for
	}
	var privs []string
	for _, p := range n.Privileges {
		p = strings.ToUpper(p)
		if p == "TEMP" {
			p = "TEMPORARY"
		}
		if p == "ALL" {
			privs = append(privs, valid...)
			continue
		}
		if !slices.Contains(valid, p) {
			return "", pgerr.New(pgerr.InvalidGrantOperation, "invalid privilege type %s for %s", p, objKind)
		}
		privs = append(privs, p)
	}
	objs, err := d.grantObjects(kind, objKind, n.Objects)
	if err != nil {
		return "", err
	}
	for _, g := range n.Grantees {
		r, _, err := d.grantee(g)
		if err != nil {
			return "", err
		}
		if r == nil {
			continue // PUBLIC and the owner: not recorded
		}
		r = catalog.Mutable(r)
		for _, o := range objs {
			for _, p := range privs {
				gr := catalog.Grant{Kind: objKind, Schema: o[0], Name: o[1], Privilege: p}
				i := slices.Index(r.Role.Grants, gr)
				switch {
				case n.Revoke && i >= 0:
					r.Role.Grants = slices.Delete(r.Role.Grants, i, i+1)
				case !n.Revoke && i < 0:
					r.Role.Grants = append(r.Role.Grants, gr)
				}
			}
		}
		if err := d.coll.Write(d.ctx, r); err != nil {
			return "", err
		}
	}
	return tag, nil
}

// grantObjects resolves the objects of a GRANT / REVOKE to {schema,
// name} pairs: tables and sequences must exist (42P01), as must the
// schemas of ALL ... IN SCHEMA (3F000).
func (d *ddl) grantObjects(kind, objKind string, objs [][2]string) ([][2]string, error) {
	var out [][2]string
	for _, o := range objs {
		switch {
		case strings.HasPrefix(kind, "all "):
			sid, err := d.coll.LookupID(d.ctx, d.b.DB, 0, o[1])
			if err != nil {
				return nil, err
			}
			if sid == 0 {
				return nil, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", o[1])
			}
			names, err := d.coll.ListNames(d.ctx, d.b.DB, sid)
			if err != nil {
				return nil, err
			}
			for _, nm := range sortedKeys(names) {
				desc, err := d.coll.Get(d.ctx, names[nm])
				if err != nil {
					return nil, err
				}
				if desc == nil {
					continue
				}
				switch {
				case objKind == "table" && (desc.Kind == catalog.KindTable || desc.Kind == catalog.KindView),
					objKind == "sequence" && desc.Kind == catalog.KindSequence:
					out = append(out, [2]string{o[1], desc.Name})
				case objKind == "function" && desc.Kind == catalog.KindFunction && desc.Func != nil:
					out = append(out, [2]string{o[1], desc.Func.Name})
				}
			}
		case objKind == "table" || objKind == "sequence":
			desc, err := d.b.ResolveTable(o[0], o[1])
			if err != nil {
				return nil, err
			}
			if desc == nil || desc.Kind == catalog.KindType || desc.Kind == catalog.KindFunction {
				return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", o[1])
			}
			if objKind == "sequence" && desc.Kind != catalog.KindSequence {
				return nil, pgerr.New(pgerr.WrongObjectType, "%q is not a sequence", o[1])
			}
			sch := o[0]
			if sch == "" {
				sch = d.schemaName(desc.SchemaID)
			}
			out = append(out, [2]string{sch, desc.Name})
		case objKind == "schema":
			sid, err := d.coll.LookupID(d.ctx, d.b.DB, 0, o[1])
			if err != nil {
				return nil, err
			}
			if sid == 0 {
				return nil, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", o[1])
			}
			out = append(out, [2]string{"", o[1]})
		default:
			out = append(out, o)
		}
	}
	return out, nil
}

func (d *ddl) schemaName(id catalog.ID) string {
	if desc, err := d.coll.Get(d.ctx, id); err == nil && desc != nil {
		return desc.Name
	}
	return ""
}

// owner accepts ALTER ... OWNER TO role: the role must exist, and so must
// a table, view or sequence named (Tessera keeps no owners).
func (d *ddl) owner(n *parser.OwnerStmt) (string, error) {
	tag := "ALTER " + strings.ToUpper(n.Kind)
	switch n.Kind {
	case "table", "view", "sequence", "materialized view", "foreign table":
		desc, err := d.b.ResolveTable(n.Schema, n.Name)
		if err != nil {
			return "", err
		}
		if desc == nil || desc.Kind == catalog.KindType || desc.Kind == catalog.KindFunction {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("relation %q does not exist, skipping", n.Name)))
				return tag, nil
			}
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name)
		}
	case "schema":
		sid, err := d.coll.LookupID(d.ctx, d.b.DB, 0, n.Name)
		if err != nil {
			return "", err
		}
		if sid == 0 {
			return "", pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", n.Name)
		}
	}
	if _, _, err := d.grantee(n.Role); err != nil {
		return "", err
	}
	return tag, nil
}

// maintenance accepts the statements of parser.MaintenanceStmt once the
// objects they name exist; ALTER SEQUENCE ... OWNED BY records the owning
// column and CREATE SCHEMA ... AUTHORIZATION creates the schema.
func (d *ddl) maintenance(n *parser.MaintenanceStmt) (string, error) {
	table := func(sch, name string) (*catalog.Descriptor, error) {
		t, err := d.b.ResolveTable(sch, name)
		if err != nil {
			return nil, err
		}
		if t == nil || t.Kind != catalog.KindTable {
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
		}
		return t, nil
	}
	switch n.Kind {
	case "alter table", "reindex table":
		_, err := table(n.Schema, n.Name)
		return n.Tag, err
	case "cluster":
		if n.Name == "" {
			return n.Tag, nil
		}
		_, err := table(n.Schema, n.Name)
		return n.Tag, err
	case "reindex index":
		sch := d.b.Schema
		if n.Schema != "" {
			id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, n.Schema)
			if err != nil {
				return "", err
			}
			sch = id
		}
		found, err := d.indexNameTaken(sch, n.Name)
		if err != nil {
			return "", err
		}
		if !found {
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name)
		}
		return n.Tag, nil
	case "reindex schema":
		id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, n.Name)
		if err != nil {
			return "", err
		}
		if id == 0 {
			return "", pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", n.Name)
		}
		return n.Tag, nil
	case "owned by":
		seq, err := d.b.ResolveTable(n.Schema, n.Name)
		if err != nil {
			return "", err
		}
		if seq == nil || seq.Kind != catalog.KindSequence {
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name)
		}
		if n.Column[1] == "" {
			return n.Tag, nil
		}
		t, err := table(n.Column[0], n.Column[1])
		if err != nil {
			return "", err
		}
		k, c := t.ColumnByName(n.Column[2])
		if c == nil {
			return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", n.Column[2], t.Name)
		}
		if c.OwnedSeq == 0 {
			m := catalog.Mutable(t)
			m.Columns[k].OwnedSeq = seq.ID
			if err := d.coll.Write(d.ctx, m); err != nil {
				return "", err
			}
		}
		return n.Tag, nil
	case "create schema":
		if _, _, err := d.grantee(n.Role); err != nil {
			return "", err
		}
		return d.createSchema(n.Name, n.IfNotExists)
	}
	return n.Tag, nil
}
