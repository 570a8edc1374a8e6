// Package settings owns the placement driver's cluster settings: their
// names, defaults, descriptions, parsing and validation, and a Registry
// that holds the current values.
//
// Names are part of the user interface (`tessera settings set NAME VALUE`,
// `SET CLUSTER SETTING name = value`) and never change: range_max_bytes,
// range_min_bytes, load_split_qps, load_split_window, time_until_store_dead,
// rebalance_threshold, replication_factor, max_disk_fullness,
// range_cooldown, max_rebalance_ops, store_max_concurrent_snapshots, and
// gc.ttl (how long MVCC history is kept; read by each store's GC queue —
// the one setting that is not the placement driver's).
//
// Values are parsed from strings: sizes accept plain bytes and the binary
// suffixes B, KiB, MiB, GiB, TiB (`64KiB`, `1MiB`, `512MiB`); durations use
// Go syntax (`10s`, `5m`, `1h30m`). Bad input gets an *Error that wraps
// ErrUnknownSetting or ErrInvalidValue; nothing panics.
//
// Invariants: a Registry always holds a valid, mutually consistent set of
// values (each within its documented bounds; the merge threshold actually
// used is EffectiveRangeMinBytes, at most a quarter of range_max_bytes); Values() returns an immutable
// copy, so a decision cycle sees one consistent set even while an operator
// changes settings.
//
// Concurrency: Registry is safe for concurrent use. Reads (Values, Get,
// List) load an atomic pointer and never block; Set serializes writers on
// Registry.mu and publishes a new copy. Lock order: Registry.mu is a leaf.
package settings
