package placement

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// t0 is the snapshot time of every scripted cluster.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func parseID(t *testing.T, s, prefix string) uint64 {
	t.Helper()
	require.True(t, strings.HasPrefix(s, prefix), "want %s<n>, got %q", prefix, s)
	n, err := strconv.ParseUint(strings.TrimPrefix(s, prefix), 10, 64)
	require.NoError(t, err)
	return n
}

func parseAgo(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseDuration(strings.TrimPrefix(s, "-"))
	require.NoError(t, err)
	return t0.Add(-d)
}

// parseCluster reads a snapshot description:
//
//	store s1 n1 [live|suspect|dead|decommissioning|decommissioned] [full=0.95] [heartbeat=-6m]
//	range r2 start=a [end=b] size=10MiB [qps=100] voters=s1,s2,s3 [learners=s4] lease=s1
//	      [samples=a:10,b:20] [history=3000@-12s,3000@-5s] [changed=-30s]
func parseCluster(t *testing.T, input string, reg *settings.Registry) *Snapshot {
	s := &Snapshot{Now: t0, Settings: reg.Values()}
	nextRep := kvpb.ReplicaID(1)
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "store":
			st := Store{ID: kvpb.StoreID(parseID(t, f[1], "s")), Node: kvpb.NodeID(parseID(t, f[2], "n")),
				Capacity: Capacity{Total: 100 << 30, Available: 80 << 30, Used: 20 << 30}}
			for _, a := range f[3:] {
				k, v, _ := strings.Cut(a, "=")
				switch k {
				case "live":
					st.Liveness = Live
				case "suspect":
					st.Liveness = Suspect
				case "dead":
					st.Liveness = Dead
				case "decommissioning":
					st.Liveness = Decommissioning
				case "decommissioned":
					st.Liveness = Decommissioned
				case "full":
					f, err := strconv.ParseFloat(v, 64)
					require.NoError(t, err)
					st.Capacity.Available = int64(float64(st.Capacity.Total) * (1 - f))
				case "heartbeat":
					st.LastHeartbeat = parseAgo(t, v)
				default:
					t.Fatalf("unknown store attribute %q", a)
				}
			}
			s.Stores = append(s.Stores, st)
		case "range":
			r := Range{ID: kvpb.RangeID(parseID(t, f[1], "r"))}
			for _, a := range f[2:] {
				k, v, _ := strings.Cut(a, "=")
				switch k {
				case "start":
					r.StartKey = []byte(v)
				case "end":
					r.EndKey = []byte(v)
				case "size":
					n, err := settings.ParseBytes(v)
					require.NoError(t, err)
					r.SizeBytes = n
				case "qps":
					q, err := strconv.ParseFloat(v, 64)
					require.NoError(t, err)
					r.QPS = q
				case "voters", "learners":
					typ := Voter
					if k == "learners" {
						typ = Learner
					}
					for _, x := range strings.Split(v, ",") {
						r.Replicas = append(r.Replicas, Replica{Store: kvpb.StoreID(parseID(t, x, "s")), ID: nextRep, Type: typ})
						nextRep++
					}
				case "lease":
					r.Leaseholder = kvpb.StoreID(parseID(t, v, "s"))
				case "samples":
					for _, x := range strings.Split(v, ",") {
						key, cnt, _ := strings.Cut(x, ":")
						n, err := strconv.ParseInt(cnt, 10, 64)
						require.NoError(t, err)
						r.Samples = append(r.Samples, KeySample{Key: []byte(key), Count: n})
					}
				case "history":
					for _, x := range strings.Split(v, ",") {
						q, at, _ := strings.Cut(x, "@")
						qq, err := strconv.ParseFloat(q, 64)
						require.NoError(t, err)
						r.QPSHistory = append(r.QPSHistory, QPSSample{At: parseAgo(t, at), QPS: qq})
					}
				case "changed":
					r.LastChanged = parseAgo(t, v)
				default:
					t.Fatalf("unknown range attribute %q", a)
				}
			}
			s.Ranges = append(s.Ranges, r)
		default:
			t.Fatalf("unknown line %q", line)
		}
	}
	s.Index()
	return s
}

func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		reg := settings.NewRegistry()
		var snap *Snapshot
		var p Planner
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			seed := int64(1)
			for _, a := range d.CmdArgs {
				if a.Key == "seed" {
					n, err := strconv.ParseInt(a.Vals[0], 10, 64)
					require.NoError(t, err)
					seed = n
				}
			}
			switch d.Cmd {
			case "set":
				var out []string
				for _, a := range d.CmdArgs {
					if err := reg.Set(a.Key, a.Vals[0]); err != nil {
						out = append(out, "error: "+err.Error())
					}
				}
				if snap != nil {
					snap.Settings = reg.Values()
				}
				return strings.Join(out, "\n")
			case "cluster":
				snap = parseCluster(t, d.Input, reg)
				return ""
			case "safe-split-prefix":
				// Row boundary rule for the test: a row is everything up to
				// and including the first '/' after the table prefix.
				p.SafeSplitKey = func(k []byte) []byte {
					if i := strings.IndexByte(string(k), '/'); i >= 0 {
						return k[:i+1]
					}
					return k
				}
				return ""
			case "plan":
				ops := p.Plan(snap, rand.New(rand.NewSource(seed)))
				// Determinism: the same seed gives the same operators.
				again := p.Plan(snap, rand.New(rand.NewSource(seed)))
				require.Equal(t, fmtOps(ops), fmtOps(again))
				if len(ops) == 0 {
					return "no operators"
				}
				return fmtOps(ops)
			case "explain":
				var id uint64
				d.ScanArgs(t, "r", &id)
				out, err := p.Explain(snap, kvpb.RangeID(id), rand.New(rand.NewSource(seed)))
				if err != nil {
					return "error: " + err.Error()
				}
				return out
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}

func fmtOps(ops []*Operator) string {
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintln(&b, op)
	}
	return b.String()
}
