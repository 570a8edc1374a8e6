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
