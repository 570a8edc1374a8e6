package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// startSQLServer starts a bootstrapped one-node cluster (replication factor
// 1) serving SQL with the real engine on a loopback port and returns the
// node and its connection URL.
func startSQLServer(t *testing.T) (*Server, string) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := New(Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SQLAddr: "127.0.0.1:0", Logger: logger,
		ReplicationFactor: 1, SQLEngine: NewSQLEngine, ServerVersion: "16.0 (Tessera test)"})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(s.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = admin(t, s.Addr()).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	select {
	case <-s.SQLReady():
	case <-ctx.Done():
		t.Fatal("SQL engine not ready")
	}
	return s, "postgresql://root@" + s.SQLAddr() + "/defaultdb?sslmode=disable"
}

// connectSQL opens a pgx connection to url for the rest of the test and
// returns it with a context that ends after d.
func connectSQL(t *testing.T, url string, d time.Duration) (context.Context, *pgx.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	c, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(context.Background()) })
	return ctx, c
}

// execAll runs each statement, failing the test on the first error.
func execAll(ctx context.Context, t *testing.T, c *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		_, err := c.Exec(ctx, q)
		require.NoError(t, err, q)
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// waitSQL retries f until it returns nil or the deadline passes.
func waitSQL(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for attempt := 0; attempt < 100000; attempt++ {
		if last = f(); last == nil {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, last)
}

// TestSQLClusterSettings: SET CLUSTER SETTING changes the setting the
// placement service reports; SHOW reads it back; bad names and values get
// SQLSTATEs.
func TestSQLClusterSettings(t *testing.T) {
	s, url := startSQLServer(t)
	ctx, c := connectSQL(t, url, 2*time.Minute)
	var err error

	placementValue := func(name string) string {
		resp, err := placementClient(t, s.Addr()).ListSettings(ctx, &pb.ListSettingsRequest{})
		require.NoError(t, err)
		for _, e := range resp.GetSettings() {
			if e.GetName() == name {
				return e.GetValue()
			}
		}
		t.Fatalf("setting %s not listed", name)
		return ""
	}
	before := placementValue("range_max_bytes")
	_, err = c.Exec(ctx, "SET CLUSTER SETTING range_max_bytes = '1MiB'")
	require.NoError(t, err)
	after := placementValue("range_max_bytes")
	require.NotEqual(t, before, after)
	require.Equal(t, int64(1<<20), s.settings.Values().RangeMaxBytes)
	var shown string
	require.NoError(t, c.QueryRow(ctx, "SHOW CLUSTER SETTING range_max_bytes").Scan(&shown))
	require.Equal(t, after, shown)

	_, err = c.Exec(ctx, "SET CLUSTER SETTING time_until_store_dead TO '90s'", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	require.Equal(t, 90*time.Second, s.settings.Values().TimeUntilStoreDead)

	rows, err := c.Query(ctx, "SHOW ALL CLUSTER SETTINGS")
	require.NoError(t, err)
	all := map[string]string{}
	for rows.Next() {
		var name, value, dflt, kind, desc string
		require.NoError(t, rows.Scan(&name, &value, &dflt, &kind, &desc))
		all[name] = value
	}
	require.NoError(t, rows.Err())
	require.Equal(t, after, all["range_max_bytes"])
	require.Contains(t, all, "rebalance_threshold")

	_, err = c.Exec(ctx, "SET CLUSTER SETTING range_max_bytes = DEFAULT")
	require.NoError(t, err)
	require.Equal(t, before, placementValue("range_max_bytes"))

	_, err = c.Exec(ctx, "SET CLUSTER SETTING no_such_setting = 1")
	require.Equal(t, "42704", pgCode(err), "%v", err)
	_, err = c.Exec(ctx, "SET CLUSTER SETTING range_max_bytes = 'lots'")
	require.Equal(t, "22023", pgCode(err), "%v", err)
	err = c.QueryRow(ctx, "SHOW CLUSTER SETTING no_such_setting").Scan(&shown)
	require.Equal(t, "42704", pgCode(err), "%v", err)
	require.Equal(t, before, placementValue("range_max_bytes"))
}

type rangeRow struct {
	start, end *string
	id         int64
	replicas   []int64
	holder     *int64
	size       int64
}

func showRanges(ctx context.Context, c *pgx.Conn, q string) ([]rangeRow, error) {
	rows, err := c.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []rangeRow
	for rows.Next() {
		var r rangeRow
		if err := rows.Scan(&r.start, &r.end, &r.id, &r.replicas, &r.holder, &r.size); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func str(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// TestSQLSplitAtShowRanges: SPLIT AT three values gives the table four
// ranges whose boundaries SHOW RANGES prints as the same SQL values; the
// rows stay readable across them; secondary indexes split too.
func TestSQLSplitAtShowRanges(t *testing.T) {
	srv, url := startSQLServer(t)
	ctx, c := connectSQL(t, url, 3*time.Minute)
	var err error
	execAll(ctx, t, c,
		// The table's own start is not a SQL split: keep the driver from
		// merging it back behind the test's back.
		"SET CLUSTER SETTING range_min_bytes = '0'",
		"CREATE TABLE t (k INT PRIMARY KEY, v TEXT)",
		"CREATE INDEX t_v_idx ON t (v)",
		"INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 40) AS g",
	)
	rows, err := c.Query(ctx, "ALTER TABLE t SPLIT AT VALUES (10), (20), (30)")
	require.NoError(t, err)
	var pretty []string
	for rows.Next() {
		var key []byte
		var p string
		require.NoError(t, rows.Scan(&key, &p))
		require.NotEmpty(t, key)
		pretty = append(pretty, p)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"/10", "/20", "/30"}, pretty)

	// Splitting again at a boundary is no error.
	_, err = c.Exec(ctx, "ALTER TABLE t SPLIT AT VALUES (20)")
	require.NoError(t, err)

	var rr []rangeRow
	waitSQL(t, time.Minute, "SHOW RANGES with leaseholders", func() error {
		rr, err = showRanges(ctx, c, "SHOW RANGES FROM TABLE t")
		if err != nil {
			return err
		}
		for _, r := range rr {
			if r.holder == nil {
				return fmt.Errorf("r%d: no leaseholder reported yet", r.id)
			}
		}
		return nil
	})
	require.Len(t, rr, 4)
	var bounds []string
	ids := map[int64]bool{}
	for i, r := range rr {
		bounds = append(bounds, str(r.start)+".."+str(r.end))
		ids[r.id] = true
		require.Equal(t, []int64{1}, r.replicas, "range %d", i)
		require.Equal(t, int64(1), *r.holder)
		require.GreaterOrEqual(t, r.size, int64(0))
	}
	require.Equal(t, []string{"NULL../10", "/10../20", "/20../30", "/30..NULL"}, bounds)
	require.Len(t, ids, 4)
	// SPLIT AT is a user's split: sticky, so the merge checker leaves it.
	lr, err := admin(t, srv.Addr()).RangesList(ctx, &kvpb.RangesListRequest{})
	require.NoError(t, err)
	sticky := map[int64]bool{}
	for _, e := range lr.GetRanges() {
		sticky[int64(e.GetDesc().GetRangeId())] = e.GetDesc().GetStickyBit() != nil
	}
	for i, r := range rr {
		require.Equal(t, i > 0, sticky[r.id], "range %d (r%d) sticky bit", i, r.id)
	}
	var n int
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	require.Equal(t, 40, n)
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM t WHERE k >= 15 AND k < 35").Scan(&n))
	require.Equal(t, 20, n)

	// A secondary index, by table@index and by index name alone.
	_, err = c.Exec(ctx, "ALTER INDEX t@t_v_idx SPLIT AT VALUES ('v2')")
	require.NoError(t, err)
	ir, err := showRanges(ctx, c, "SHOW RANGES FROM INDEX t_v_idx")
	require.NoError(t, err)
	require.Len(t, ir, 2)
	require.Equal(t, "NULL", str(ir[0].start))
	require.Equal(t, "/'v2'", str(ir[0].end))
	require.Equal(t, "/'v2'", str(ir[1].start))
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM t WHERE v >= 'v2'").Scan(&n))
	require.Equal(t, 29, n) // v2, v20..v29, v3, v30..v39, v4, v40, v5..v9

	// Scatter runs on the placement driver's leader once there is one.
	waitSQL(t, time.Minute, "ALTER TABLE t SCATTER", func() error {
		_, err := c.Exec(ctx, "ALTER TABLE t SCATTER")
		return err
	})

	// Errors.
	for q, code := range map[string]string{
		"ALTER TABLE nope SPLIT AT VALUES (1)": "42P01",
		"ALTER TABLE t SPLIT AT VALUES (1, 2)": "42601",
		"ALTER TABLE t SPLIT AT VALUES ('x')":  "22P02",
		"SHOW RANGES FROM INDEX t@nope":        "42704",
		"SHOW RANGES FROM TABLE nope":          "42P01",
		"ALTER INDEX nope SCATTER":             "42704",
	} {
		_, err := c.Exec(ctx, q)
		require.Equal(t, code, pgCode(err), "%s: %v", q, err)
	}
}

// hlcDecimal formats a timestamp as AS OF SYSTEM TIME's decimal.
func hlcDecimal(wall int64, logical int32) string { return fmt.Sprintf("%d.%010d", wall, logical) }

// TestSQLAsOfSystemTime: reads at a fixed past timestamp see the value
// before an UPDATE, in a statement and in a block; such a block refuses
// writes (25006) and a future time is refused.
func TestSQLAsOfSystemTime(t *testing.T) {
	s, url := startSQLServer(t)
	ctx, c := connectSQL(t, url, 2*time.Minute)
	var err error
	execAll(ctx, t, c,
		"CREATE TABLE kv (k INT PRIMARY KEY, v TEXT)",
		"INSERT INTO kv VALUES (1, 'old'), (2, 'two')",
	)
	then := s.DB().Clock().Now()
	_, err = c.Exec(ctx, "UPDATE kv SET v = 'new' WHERE k = 1")
	require.NoError(t, err)
	dec := hlcDecimal(then.WallTime, then.Logical)

	var v string
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v))
	require.Equal(t, "new", v)
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv AS OF SYSTEM TIME '"+dec+"' WHERE k = 1").Scan(&v))
	require.Equal(t, "old", v)
	// The simple protocol with a bare decimal; '-0s' is now.
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv AS OF SYSTEM TIME "+dec+" WHERE k = 1", pgx.QueryExecModeSimpleProtocol).Scan(&v))
	require.Equal(t, "old", v)
	var cnt int
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM kv AS OF SYSTEM TIME '-0s'").Scan(&cnt))
	require.Equal(t, 2, cnt)

	// A block at the old timestamp: reads see it, writes are refused.
	_, err = c.Exec(ctx, "BEGIN AS OF SYSTEM TIME '"+dec+"'", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v))
	require.Equal(t, "old", v)
	_, err = c.Exec(ctx, "INSERT INTO kv VALUES (3, 'x')")
	require.Equal(t, "25006", pgCode(err), "%v", err)
	_, err = c.Exec(ctx, "ROLLBACK")
	require.NoError(t, err)

	_, err = c.Exec(ctx, "BEGIN; SET TRANSACTION AS OF SYSTEM TIME '"+dec+"'", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v))
	require.Equal(t, "old", v)
	_, err = c.Exec(ctx, "UPDATE kv SET v = 'x'")
	require.Equal(t, "25006", pgCode(err), "%v", err)
	_, err = c.Exec(ctx, "ROLLBACK")
	require.NoError(t, err)
	// After the block, reads are current again.
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v))
	require.Equal(t, "new", v)

	// The future, and nonsense.
	future := hlcDecimal(then.WallTime+int64(time.Hour), 0)
	for q, code := range map[string]string{
		"SELECT v FROM kv AS OF SYSTEM TIME '" + future + "'":     "22023",
		"SELECT v FROM kv AS OF SYSTEM TIME '+10s'":               "22023",
		"SELECT v FROM kv AS OF SYSTEM TIME 'soon'":               "22023",
		"SELECT v FROM kv AS OF SYSTEM TIME NULL":                 "22023",
		"BEGIN AS OF SYSTEM TIME '+1h'":                           "22023",
		"INSERT INTO kv SELECT * FROM kv AS OF SYSTEM TIME '-1s'": "25006",
	} {
		_, err := c.Exec(ctx, q)
		require.Equal(t, code, pgCode(err), "%s: %v", q, err)
	}
	require.Equal(t, byte('I'), c.PgConn().TxStatus())
}
