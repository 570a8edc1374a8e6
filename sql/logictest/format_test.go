package logictest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		typ  byte
		oid  uint32
		in   any // nil, string
		want string
	}{
		{'I', oidInt4, nil, "NULL"},
		{'T', 25, nil, "NULL"},
		{'R', oidFloat8, nil, "NULL"},
		{'I', oidInt8, "-9223372036854775808", "-9223372036854775808"},
		{'I', oidNumeric, "12.99", "12"},
		{'I', oidNumeric, "-0.5", "0"},
		{'I', oidNumeric, "-12.5", "-12"},
		{'I', oidFloat8, "1e+20", "9223372036854775807"},
		{'I', oidFloat8, "-3.75", "-3"},
		{'I', oidFloat8, "NaN", "0"},
		{'I', oidBool, "t", "1"},
		{'I', oidBool, "f", "0"},
		{'I', 25, "42abc", "42"},
		{'I', 25, "abc", "0"},
		{'R', oidInt4, "5", "5.000"},
		{'R', oidNumeric, "2.0005", "2.001"},
		{'R', oidFloat8, "-0.25", "-0.250"},
		{'R', 25, "3.5x", "3.500"},
		{'T', 25, "", "(empty)"},
		{'T', 25, "a\tb\u00e9", "a@b@@"},
		{'T', oidInt4, "7", "7"},
	} {
		var v []byte
		if s, ok := tc.in.(string); ok {
			v = []byte(s)
		}
		require.Equal(t, tc.want, FormatValue(tc.typ, tc.oid, v), "%c %d %v", tc.typ, tc.oid, tc.in)
	}
}

func TestSortValues(t *testing.T) {
	v := []string{"b", "2", "a", "1", "b", "1"}
	SortValues(RowSort, 2, v)
	require.Equal(t, []string{"a", "1", "b", "1", "b", "2"}, v)
	v = []string{"b", "2", "a", "1"}
	SortValues(ValueSort, 2, v)
	require.Equal(t, []string{"1", "2", "a", "b"}, v)
	v = []string{"b", "a"}
	SortValues(NoSort, 1, v)
	require.Equal(t, []string{"b", "a"}, v)
	// string comparison, as sqllogictest does: "10" < "9"
	v = []string{"9", "10"}
	SortValues(ValueSort, 1, v)
	require.Equal(t, []string{"10", "9"}, v)
}

func TestHashValues(t *testing.T) {
	// md5 of "1\n" (printf '1\n' | md5sum)
	require.Equal(t, "b026324c6904b2a9cb4b88d6d61c81d1", HashValues([]string{"1"}))
	require.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", HashValues(nil))
}

func TestParse(t *testing.T) {
	recs, err := ParseFile("testdata/runner.test")
	require.NoError(t, err)
	kinds := map[Kind]int{}
	for _, r := range recs {
		kinds[r.Kind]++
	}
	require.Equal(t, 1, kinds[KindHashThreshold])
	require.Equal(t, 2, kinds[KindHalt])
	var hashed, skip, only, labelled int
	for _, r := range recs {
		if r.Hashed {
			hashed++
			require.Equal(t, 9, r.HashedCount)
		}
		if len(r.SkipIf) > 0 {
			skip++
		}
		if len(r.OnlyIf) > 0 {
			only++
		}
		if r.Label != "" {
			labelled++
		}
	}
	require.Equal(t, 1, hashed)
	require.Equal(t, 1, skip)
	require.Equal(t, 3, only)
	require.Equal(t, 2, labelled)
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"statement maybe\nSELECT 1\n",
		"query X\nSELECT 1\n",
		"query I sideways\nSELECT 1\n",
		"hash-threshold many\n",
		"skipif\n",
		"frobnicate\n",
		"statement ok\n\n",
		"statement error (\nSELECT 1\n",
	} {
		_, err := Parse("x.test", strings.NewReader(in))
		var pe *ParseError
		require.ErrorAs(t, err, &pe, "%q", in)
	}
}
