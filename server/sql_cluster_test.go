package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/server/servertest"
)

// TestSQLClusterStatements runs the cluster statements on a 3-node
// in-process cluster, each through a different node: a setting set on one
// node is what the placement service of another reports; SPLIT AT three
// values leaves the table four ranges, each with three replicas and a
// leaseholder, whose boundaries SHOW RANGES prints as SQL values; AS OF
// SYSTEM TIME on a third node reads the value from before an UPDATE.
func TestSQLClusterStatements(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conns := make([]*pgx.Conn, 3)
	for i := range conns {
		cn, err := pgx.Connect(ctx, c.SQLURL(i))
		require.NoError(t, err)
		t.Cleanup(func() { cn.Close(context.Background()) })
		conns[i] = cn
	}
	exec := func(i int, q string) {
		t.Helper()
		_, err := conns[i].Exec(ctx, q)
		require.NoError(t, err, "n%d: %s", i+1, q)
	}

	// A setting through n2, read back from n1's placement service.
	// range_min_bytes 0 also keeps the driver from merging the SQL splits
	// (they are not sticky yet).
	exec(1, "SET CLUSTER SETTING range_min_bytes = '0'")
	// No driver lease moves while the test splits: a split racing a lease
	// transfer can stall (known bug, issue 5 note; see TestRangesCLI).
	exec(2, "SET CLUSTER SETTING max_rebalance_ops = 0")
	conn, err := c.DB(kvclient.Config{}).Conn(c.Addrs[0])
	require.NoError(t, err)
	resp, err := pb.NewPlacementClient(conn).ListSettings(ctx, &pb.ListSettingsRequest{})
	require.NoError(t, err)
	found := false
	for _, e := range resp.GetSettings() {
		if e.GetName() == "range_min_bytes" {
			found = true
			require.NotEqual(t, e.GetDefault(), e.GetValue())
			var shown string
			require.NoError(t, conns[2].QueryRow(ctx, "SHOW CLUSTER SETTING range_min_bytes").Scan(&shown))
			require.Equal(t, e.GetValue(), shown)
		}
	}
	require.True(t, found)

	exec(0, "CREATE TABLE t (k INT PRIMARY KEY, v TEXT)")
	exec(0, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 30) AS g")
	exec(1, "ALTER TABLE t SPLIT AT VALUES (8), (16), (24)")

	var rr []rangeRow
	c.WaitFor(time.Minute, "four ranges with 3 replicas and a leaseholder", func() error {
		rows, err := conns[2].Query(ctx, "SHOW RANGES FROM TABLE t")
		if err != nil {
			return err
		}
		rr = rr[:0]
		for rows.Next() {
			var r rangeRow
			if err := rows.Scan(&r.start, &r.end, &r.id, &r.replicas, &r.holder, &r.size); err != nil {
				return err
			}
			rr = append(rr, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range rr {
			if len(r.replicas) != 3 || r.holder == nil {
				return fmt.Errorf("r%d: replicas %v, leaseholder %v", r.id, r.replicas, r.holder)
			}
		}
		return nil
	})
	var bounds []string
	for _, r := range rr {
		bounds = append(bounds, str(r.start)+".."+str(r.end))
		require.Contains(t, r.replicas, *r.holder)
	}
	require.Equal(t, []string{"NULL../8", "/8../16", "/16../24", "/24..NULL"}, bounds)
	var n int
	require.NoError(t, conns[0].QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	require.Equal(t, 30, n)

	// AS OF SYSTEM TIME across nodes.
	then := c.Node(0).DB().Clock().Now()
	exec(0, "UPDATE t SET v = 'new' WHERE k = 12")
	c.WaitFor(30*time.Second, "n3's clock past the chosen time", func() error {
		if now := c.Node(2).DB().Clock().Now(); !then.Less(now) {
			return fmt.Errorf("n3 now %s, want > %s", now, then)
		}
		return nil
	})
	var v string
	q := fmt.Sprintf("SELECT v FROM t AS OF SYSTEM TIME '%d.%010d' WHERE k = 12", then.WallTime, then.Logical)
	require.NoError(t, conns[2].QueryRow(ctx, q).Scan(&v))
	require.Equal(t, "v12", v)
	require.NoError(t, conns[2].QueryRow(ctx, "SELECT v FROM t WHERE k = 12").Scan(&v))
	require.Equal(t, "new", v)
}

type rangeRow struct {
	start, end *string
	id         int64
	replicas   []int64
	holder     *int64
	size       int64
}

func str(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}
