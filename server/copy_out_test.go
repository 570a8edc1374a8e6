package server

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCopyToStdout checks COPY … TO STDOUT's text, CSV and binary output
// byte for byte against what PostgreSQL 15 writes for the same rows.
func TestCopyToStdout(t *testing.T) {
	url := startSQLNode(t)
	ctx, pg := connectSQL(t, url, 2*time.Minute)
	execAll(ctx, t, pg,
		"CREATE TABLE c (id INT PRIMARY KEY, s TEXT, n NUMERIC(6,2), b BOOL)",
		`INSERT INTO c VALUES (1, 'plain', 1.5, true), (2, E'tab\there\nnew\\line', NULL, false),
			(3, '', -2, NULL), (4, 'a,b "q"', 0, true)`,
		"CREATE VIEW cv AS SELECT id FROM c")
	pc := pg.PgConn()
	copyTo := func(sql string) (string, string) {
		var buf bytes.Buffer
		tag, err := pc.CopyTo(ctx, &buf, sql)
		if err != nil {
			return "", pgCode(err)
		}
		return buf.String(), tag.String()
	}

	out, tag := copyTo("COPY c TO STDOUT")
	require.Equal(t, "COPY 4", tag)
	require.Equal(t, "1\tplain\t1.50\tt\n2\ttab\\there\\nnew\\\\line\t\\N\tf\n3\t\t-2.00\t\\N\n4\ta,b \"q\"\t0.00\tt\n", out)

	out, tag = copyTo("COPY c (s, id) TO STDOUT WITH (FORMAT csv, HEADER)")
	require.Equal(t, "COPY 4", tag)
	require.Equal(t, "s,id\nplain,1\n\"tab\there\nnew\\line\",2\n\"\",3\n\"a,b \"\"q\"\"\",4\n", out)

	out, _ = copyTo("COPY (SELECT id, s FROM c WHERE id > 2 ORDER BY id DESC) TO STDOUT WITH DELIMITER '|' NULL 'nil'")
	require.Equal(t, "4|a,b \"q\"\n3|\n", out)

	out, _ = copyTo("COPY (SELECT NULL::int, 'x') TO STDOUT (FORMAT csv, NULL 'NULL', QUOTE '''')")
	require.Equal(t, "NULL,x\n", out)

	// Binary: signature, flags, extension, then tuples and the trailer.
	out, tag = copyTo("COPY (SELECT id, s FROM c WHERE id = 3 OR id = 1 ORDER BY id) TO STDOUT (FORMAT binary)")
	require.Equal(t, "COPY 2", tag)
	var want []byte
	want = append(want, "PGCOPY\n\xff\r\n\x00"...)
	want = binary.BigEndian.AppendUint32(want, 0)
	want = binary.BigEndian.AppendUint32(want, 0)
	for _, r := range []struct {
		id int32
		s  string
	}{{1, "plain"}, {3, ""}} {
		want = binary.BigEndian.AppendUint16(want, 2)
		want = binary.BigEndian.AppendUint32(want, 4)
		want = binary.BigEndian.AppendUint32(want, uint32(r.id))
		want = binary.BigEndian.AppendUint32(want, uint32(len(r.s)))
		want = append(want, r.s...)
	}
	want = binary.BigEndian.AppendUint16(want, 0xffff)
	require.Equal(t, string(want), out)

	// Errors carry PostgreSQL's SQLSTATEs; the connection stays usable.
	_, code := copyTo("COPY cv TO STDOUT")
	require.Equal(t, "42809", code)
	_, code = copyTo("COPY missing TO STDOUT")
	require.Equal(t, "42P01", code)
	_, code = copyTo("COPY (SELECT 1/0) TO STDOUT")
	require.Equal(t, "22012", code)
	_, code = copyTo("COPY c TO STDOUT (FORMAT binary, HEADER)")
	require.Equal(t, "0A000", code)
	out, _ = copyTo("COPY (VALUES (1), (2)) TO STDOUT")
	require.Equal(t, "1\n2\n", out)

	// Inside a transaction block COPY sees the block's own writes.
	execAll(ctx, t, pg, "BEGIN", "INSERT INTO c VALUES (5, 'mine', 5, false)")
	out, _ = copyTo("COPY (SELECT s FROM c WHERE id = 5) TO STDOUT")
	require.Equal(t, "mine\n", out)
	execAll(ctx, t, pg, "ROLLBACK")
	out, _ = copyTo("COPY (SELECT count(*) FROM c) TO STDOUT")
	require.Equal(t, "4\n", out)
}
