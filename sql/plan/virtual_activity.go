package plan

import (
	"time"

	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// statActivity is pg_stat_activity: the client sessions of this node (a
// session on another node is not listed), as sem.Backend reports them.
func statActivity(s *vsnap) [][]types.Datum {
	ev := s.b.Eval
	if ev == nil || ev.Backend == nil {
		return nil
	}
	ts := func(t time.Time) types.Datum {
		if t.IsZero() {
			return types.Null
		}
		return sem.TimestampTZOf(t)
	}
	var rows [][]types.Datum
	for _, si := range ev.Backend.Sessions() {
		dbOID := types.Datum(types.Null)
		for _, d := range s.dbs {
			if d.Name == si.Database {
				dbOID = dI(int64(d.ID))
			}
		}
		rows = append(rows, []types.Datum{dbOID, dS(si.Database), dI(int64(si.PID)), types.Null, dI(10), dS(si.User),
			dS(si.ApplicationName), types.Null, types.Null, types.Null, ts(si.BackendStart),
			ts(si.XactStart), ts(si.QueryStart), ts(si.StateChange), types.Null, types.Null,
			dS(si.State), types.Null, types.Null, types.Null, dS(si.Query), dS("client backend")})
	}
	return rows
}

// pgLocks is pg_locks: the advisory locks the sessions of this node hold
// (granted; a waiter is not listed), keyed as PostgreSQL shows them: a
// bigint key split into classid (high half) and objid (low half) with
// objsubid 1, a pair of integers as classid and objid with objsubid 2.
// Tessera has no table, row or transaction-ID locks to list: a row lock
// is an intent in the KV layer, seen by no session catalog.
func pgLocks(s *vsnap) [][]types.Datum {
	ev := s.b.Eval
	if ev == nil || ev.Backend == nil {
		return nil
	}
	var rows [][]types.Datum
	for _, si := range ev.Backend.Sessions() {
		for _, l := range si.Locks {
			sub := int64(1)
			if l.Key.Pair {
				sub = 2
			}
			rows = append(rows, []types.Datum{dS("advisory"), dI(int64(l.DB)), types.Null, types.Null, types.Null, types.Null,
				types.Null, dI(int64(uint32(l.Key.K >> 32))), dI(int64(uint32(l.Key.K))), dI(sub), types.Null, dI(int64(si.PID)),
				dS("ExclusiveLock"), dB(true), dB(false), types.Null})
		}
	}
	return rows
}
