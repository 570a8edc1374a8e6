// Package bank is the bank workload: accounts whose balances only move by
// transfers, so the total never changes. Workers transfer random amounts
// between random accounts in transactions and read the full total in
// others; a total that differs is an anomaly (a transaction saw a state
// no serial order produces), reported with the transaction that saw it.
// `tessera workload bank` and the transaction tests run it.
//
// Keys: Prefix + 8-byte big-endian account number; values: the balance as
// a decimal string.
package bank
