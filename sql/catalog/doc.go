// Package catalog owns the SQL schema as stored in the system key space
// (\x03): descriptors of databases, schemas, tables, views, sequences and
// enum types (KindType; a type shares its schema's names with relations,
// its OID is EnumOIDBase + ID, its columns keep a copy of its labels that
// ALTER TYPE rewrites; stored enum values are label positions, so ADD
// VALUE BEFORE/AFTER another label also rewrites the tables using the
// type, the positions after the new label moving up one; its array type's
// OID is the enum's + types.EnumArrayOIDDelta),
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
//	\x03advisory/<db id><1|2><key>      → advisory lock: held by the transaction whose intent is there
//	\x03txid                           → txid_current() counter (non-transactional Inc)
//	\x04<table id><index id><index columns…>[<pk columns…>] → row / index entry
//
// Seeing DDL: every statement reads \x03descgen in its own transaction
// before it resolves names (Collection.Begin). A node's Cache is valid for
// one generation; when the generation read differs, the cache is dropped
// and descriptors are read again, so every node sees a committed DDL before
// its next statement. Because the read is part of the statement's
// serializable transaction, a statement that used old descriptors cannot
// commit after the DDL that changed them (its read of descgen conflicts
// with the DDL's write). This is a version check, not a lease, and it is
// stronger than the lease rule "at most two versions live": a transaction
// that read version v can commit only at a timestamp below the commit of
// v+1, so in the serial order every write used the version current at its
// timestamp. The online schema changer (sql/session/schemachange.go) so
// needs no wait for caches between steps: its wait rule is that each step
// is its own transaction committed after the previous one, and the
// backfill reads at a later timestamp, which resolves (waits for or
// pushes into a refresh failure) the intents of any transaction still
// finishing at the older version.
//
// Online index changes: Index.State is public (""), write-only or
// delete-only. Writers add entries to public and write-only indexes (with
// the UNIQUE check) and delete entries from every index; reads, the
// planner and ON CONFLICT use PublicIndexes only. CREATE INDEX (implicit
// transaction) commits the index delete-only, then steps it write-only,
// backfills in chunks (each chunk re-reads its primary rows and writes
// their entries in one serializable transaction; UNIQUE is checked per
// row against the index), then public; on failure it goes write-only →
// delete-only → removed (entries deleted). DROP INDEX goes public →
// write-only → delete-only → removed. Inside a transaction block both
// change the index in the block's transaction (blocking writers for the
// backfill). NewCollectionDeferred skips the read at
// the start: it assumes the cache's generation, and its caller reads
// descgen with its first other read (CheckGen) or with the commit as a
// guard in the commit's batch (GenGuard, GuardFailed: the commit fails,
// nothing written, if descgen moved) or before committing (Verify); the
// collection verifies on its own before reading any
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
