// Package catalog owns the SQL schema as stored in the system key space
// (\x03): descriptors of databases, schemas, tables, views and sequences,
// the namespace table that maps (parent, schema, name) to an ID, the ID
// generators, and the encoding of table rows into KV keys and values
// (DESIGN.md §2).
//
// Keys:
//
//	\x03desc/<id>                      → JSON descriptor (Version bumped on every change)
//	\x03ns/<parent id>/<schema id>/<name> → id (8 bytes); databases use parent 0, schema 0
//	\x03descid                         → descriptor ID generator (non-transactional Inc)
//	\x03descgen                        → schema generation, incremented by every DDL transaction
//	\x03seq/<id>                       → sequence value (non-transactional Inc, as in PostgreSQL)
//	\x04<table id><index id><index columns…>[<pk columns…>] → row / index entry
//
// Seeing DDL: every statement reads \x03descgen in its own transaction
// before it resolves names (Collection.Begin). A node's Cache is valid for
// one generation; when the generation read differs, the cache is dropped
// and descriptors are read again, so every node sees a committed DDL before
// its next statement. Because the read is part of the statement's
// serializable transaction, a statement that used old descriptors cannot
// commit after the DDL that changed them (its read of descgen conflicts
// with the DDL's write). This is a version check, not a lease: there is no
// intermediate-state online schema change yet (CREATE INDEX backfills
// inside its own transaction). NewCollectionDeferred skips the read at
// the start: it assumes the cache's generation, and its caller reads
// descgen with its first other read (CheckGen) or before committing
// (Verify); the collection verifies on its own before reading any
// descriptor from KV, so the cache only holds descriptors read at a
// verified generation.
//
// Row encoding: the primary index key is the PK columns (a hidden rowid
// column when the table declares none, from UniqueRowID: a node-unique
// counter bit-reversed so consecutive inserts scatter over the key space
// instead of making one hot range). Its value is a 0x01 sentinel followed
// by rowenc's value encoding of the non-PK columns and of composite PK
// columns (rowenc.IsComposite). A secondary index entry's key is the index
// columns then all PK columns, its value the sentinel; UNIQUE is checked by
// a prefix scan on the index columns when none is NULL.
//
// Invariants: column and index IDs are never reused within a table;
// descriptors are written only in the DDL's transaction together with the
// descgen increment.
package catalog
