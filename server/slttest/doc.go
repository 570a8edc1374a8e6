// Package slttest runs the sqllogictest files — the shared slice
// ../shared/sqllogictest and our PostgreSQL-dialect files in
// sql/testdata/logic — against a real in-process 3-node cluster
// (servertest: Pebble stores in temporary directories, gRPC on loopback,
// every node serving pgwire with the real SQL engine), through the wire
// protocol with sql/logictest's runner. It is the acceptance run of
// issue 8; sql/logictest's own runs over the in-memory KV double are the
// engine-only fast path.
//
// It lives above server/ because sql/ must not import server/. It has no
// code outside its tests.
//
// Files go to the nodes round-robin: file k runs on node k mod 3 and its
// fresh database is created (and dropped) through node k+1 mod 3, so every
// file also checks that schema made on one node is usable on another.
//
// Running it (from the repository root):
//
//	go test ./server/slttest/                    # fixed subset + dialect files
//	make test-slt                                # the whole slice, also on PostgreSQL 15
//	TESSERA_SLT_FILES='^index/' go test -v -run SQLLogicTest ./server/slttest/
//
// Invariants: the cluster is started once per test binary run (per test
// function) and stopped at its Cleanup; tests talk only to 127.0.0.1.
package slttest
