package pgwire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

func pgxConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestPgx(t *testing.T) {
	_, _, addr := startTestServer(t, Config{})
	c := pgxConnect(t, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Simple protocol, several rows.
	rows, err := c.Query(ctx, "series 3", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3}, got)

	// Extended protocol with binary parameters and results.
	var (
		b   bool
		i2  int16
		i4  int32
		i8  int64
		f4  float32
		f8  float64
		num pgtype.Numeric
		s   string
		by  []byte
		d   time.Time
		ts  time.Time
		tz  time.Time
		iv  pgtype.Interval
		u   [16]byte
		js  map[string]any
	)
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	stamp := time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC)
	uuid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	err = c.QueryRow(ctx, "echo boolean,smallint,integer,bigint,real,double precision,numeric,text,bytea,date,timestamp without time zone,timestamp with time zone,interval,uuid,jsonb",
		true, int16(-3), int32(70000), int64(-1)<<40, float32(1.25), 2.5e300, "123.450", "snow ☃", []byte{0, 1, 255},
		day, stamp, stamp, pgtype.Interval{Months: 14, Days: -3, Microseconds: 5e6, Valid: true}, uuid, map[string]any{"k": "v"},
	).Scan(&b, &i2, &i4, &i8, &f4, &f8, &num, &s, &by, &d, &ts, &tz, &iv, &u, &js)
	require.NoError(t, err)
	require.True(t, b)
	require.Equal(t, int16(-3), i2)
	require.Equal(t, int32(70000), i4)
	require.Equal(t, int64(-1)<<40, i8)
	require.Equal(t, float32(1.25), f4)
	require.Equal(t, 2.5e300, f8)
	nv, err := num.Value()
	require.NoError(t, err)
	require.Equal(t, "123.450", nv)
	require.Equal(t, "snow ☃", s)
	require.Equal(t, []byte{0, 1, 255}, by)
	require.True(t, day.Equal(d))
	require.True(t, stamp.Equal(ts), ts)
	require.True(t, stamp.Equal(tz), tz)
	require.Equal(t, pgtype.Interval{Months: 14, Days: -3, Microseconds: 5e6, Valid: true}, iv)
	require.Equal(t, uuid, u)
	require.Equal(t, map[string]any{"k": "v"}, js)

	// NULL parameters and results.
	var np *int32
	require.NoError(t, c.QueryRow(ctx, "echo integer", nil).Scan(&np))
	require.Nil(t, np)

	// An empty value is not NULL, in the first row of a connection too
	// (text and binary results).
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		c2 := pgxConnect(t, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
		var es *string
		require.NoError(t, c2.QueryRow(ctx, "echo text", mode, "").Scan(&es))
		require.NotNil(t, es, "mode %v", mode)
		require.Equal(t, "", *es)
		var eb []byte
		require.NoError(t, c2.QueryRow(ctx, "echo bytea", mode, []byte{}).Scan(&eb))
		require.NotNil(t, eb, "mode %v", mode)
	}

	// The statement cache: the same text again reuses the prepared statement.
	for k := range 3 {
		var v int32
		require.NoError(t, c.QueryRow(ctx, "echo integer", int32(k)).Scan(&v))
		require.Equal(t, int32(k), v)
	}

	// Errors with their SQLSTATE; the connection stays usable.
	_, err = c.Exec(ctx, "error 23505")
	require.Equal(t, "23505", pgCode(err))
	_, err = c.Exec(ctx, "nonsense")
	require.Equal(t, "42601", pgCode(err))
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "some hint", pe.Hint)
	require.Equal(t, int32(1), pe.Position)
	tag, err := c.Exec(ctx, "insert")
	require.NoError(t, err)
	require.Equal(t, "INSERT 0 1", tag.String())
	require.Equal(t, int64(1), tag.RowsAffected())

	// A transaction.
	tx, err := c.Begin(ctx)
	require.NoError(t, err)
	require.Equal(t, byte('T'), c.PgConn().TxStatus())
	require.NoError(t, tx.Rollback(ctx))
	require.Equal(t, byte('I'), c.PgConn().TxStatus())

	// COPY FROM STDIN.
	tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("a\nb\nc\nd\n"), "copy")
	require.NoError(t, err)
	require.Equal(t, "COPY 4", tag.String())
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("a\nbad\nc\n"), "copy")
	require.Equal(t, "22P02", pgCode(err))

}

func TestPgxCancelRequest(t *testing.T) {
	_, eng, addr := startTestServer(t, Config{})
	c := pgxConnect(t, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "sleep", pgx.QueryExecModeSimpleProtocol)
		done <- err
	}()
	<-eng.sleeping
	require.NoError(t, c.PgConn().CancelRequest(ctx))
	require.Equal(t, "57014", pgCode(<-done))
	var v int32
	require.NoError(t, c.QueryRow(ctx, "select 5").Scan(&v))
	require.Equal(t, int32(5), v)
}

func TestSCRAM(t *testing.T) {
	v, err := NewSCRAMVerifier("s3cret", DefaultSCRAMIterations)
	require.NoError(t, err)
	parsed, err := ParseSCRAMVerifier(v.String())
	require.NoError(t, err)
	require.Equal(t, v, parsed)
	_, addr := func() (*Server, string) {
		s, _, a := startTestServer(t, Config{Users: StaticUsers{"alice": v}})
		return s, a
	}()
	c := pgxConnect(t, "postgres://alice:s3cret@"+addr+"/defaultdb?sslmode=disable")
	var one int32
	require.NoError(t, c.QueryRow(context.Background(), "select 1").Scan(&one))

	for _, url := range []string{
		"postgres://alice:wrong@" + addr + "/defaultdb?sslmode=disable",
		"postgres://bob:s3cret@" + addr + "/defaultdb?sslmode=disable",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := pgx.Connect(ctx, url)
		cancel()
		require.Equal(t, "28P01", pgCode(err), "%v", err)
	}
	for _, bad := range []string{"", "SCRAM-SHA-256$x:AA==$AA==:AA==", "md5abc", "SCRAM-SHA-256$4096:AA==$AA==:AA=="} {
		_, err := ParseSCRAMVerifier(bad)
		require.Error(t, err, bad)
	}
}

func TestTLS(t *testing.T) {
	_, _, addr := startTestServer(t, Config{TLS: selfSignedTLS(t)})
	c := pgxConnect(t, "postgres://root@"+addr+"/defaultdb?sslmode=require")
	_, isTLS := c.PgConn().Conn().(*tls.Conn)
	require.True(t, isTLS)
	var one int32
	require.NoError(t, c.QueryRow(context.Background(), "select 1").Scan(&one))
	// A client that does not ask for TLS still gets in.
	c2 := pgxConnect(t, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
	require.NoError(t, c2.Ping(context.Background()))
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}
