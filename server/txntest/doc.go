// Package txntest holds the end-to-end tests of transactions: kvclient
// transactions against an in-process cluster of real nodes
// (server/servertest) with many ranges: the bank invariant under faults,
// one test per anomaly that serializability forbids, a kvnemesis-like
// random history checked by a validator, deadlocks, and a coordinator
// that dies mid-transaction. It has only tests.
package txntest
