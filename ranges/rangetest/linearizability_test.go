package rangetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

type regOp int

const (
	opGet regOp = iota
	opPut
	opCPut
)

type regInput struct {
	op    regOp
	key   string
	value string
	exp   *string // CPut: expected value, nil = absent
}

type regOutput struct {
	found   bool   // Get
	value   string // Get
	ok      bool   // CPut succeeded
	unknown bool   // write with ambiguous outcome
}

type regState struct {
	exists bool
	value  string
}

func matches(s regState, exp *string) bool {
	if exp == nil {
		return !s.exists
	}
	return s.exists && s.value == *exp
}

// registerModel is one register per key (partitioned by key). A write
// whose outcome is unknown may take effect at any point after its call
// (its return time is set to the end of time) or not at all.
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, o := range h {
			k := o.Input.(regInput).key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], o)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() interface{} { return regState{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(regState), input.(regInput), output.(regOutput)
		switch in.op {
		case opGet:
			return out.found == s.exists && (!s.exists || out.value == s.value), s
		case opPut:
			return true, regState{exists: true, value: in.value}
		default:
			if out.unknown {
				if matches(s, in.exp) {
					return true, regState{exists: true, value: in.value}
				}
				return true, s
			}
			if out.ok {
				return matches(s, in.exp), regState{exists: true, value: in.value}
			}
			return !matches(s, in.exp), s
		}
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(regInput), output.(regOutput)
		switch in.op {
		case opGet:
			return fmt.Sprintf("get(%s) -> %v %q", in.key, out.found, out.value)
		case opPut:
			return fmt.Sprintf("put(%s, %s) unknown=%v", in.key, in.value, out.unknown)
		}
		exp := "<absent>"
		if in.exp != nil {
			exp = *in.exp
		}
		return fmt.Sprintf("cput(%s, %s, exp %s) -> ok=%v unknown=%v", in.key, in.value, exp, out.ok, out.unknown)
	},
}

// TestPorcupineSelfCheck: the checker rejects known non-linearizable
// histories (so the real test can fail).
func TestPorcupineSelfCheck(t *testing.T) {
	one := "1"
	stale := []porcupine.Operation{
		{ClientId: 0, Input: regInput{op: opPut, key: "x", value: "1"}, Call: 0, Output: regOutput{}, Return: 10},
		{ClientId: 1, Input: regInput{op: opGet, key: "x"}, Call: 20, Output: regOutput{found: false}, Return: 30},
	}
	require.False(t, porcupine.CheckOperations(registerModel, stale), "a read missing a completed write")
	doubleCPut := []porcupine.Operation{
		{ClientId: 0, Input: regInput{op: opPut, key: "x", value: "1"}, Call: 0, Output: regOutput{}, Return: 1},
		{ClientId: 0, Input: regInput{op: opCPut, key: "x", value: "2", exp: &one}, Call: 2, Output: regOutput{ok: true}, Return: 5},
		{ClientId: 1, Input: regInput{op: opCPut, key: "x", value: "3", exp: &one}, Call: 3, Output: regOutput{ok: true}, Return: 6},
	}
	require.False(t, porcupine.CheckOperations(registerModel, doubleCPut), "two CPuts winning on the same value")
	ok := append([]porcupine.Operation(nil), stale[0],
		porcupine.Operation{ClientId: 1, Input: regInput{op: opGet, key: "x"}, Call: 5, Output: regOutput{found: false}, Return: 30})
	require.True(t, porcupine.CheckOperations(registerModel, ok), "a concurrent read may miss the write")
}

// TestLinearizability: concurrent Put/Get/CPut on a few keys while a
// nemesis partitions nodes, kills the leaseholder, transfers the lease and
// restarts nodes; the
// history must be linearizable.
func TestLinearizability(t *testing.T) {
	seed := testSeed(t)
	// Crashable FS: "kills" drop everything not yet synced.
	c := New(t, Config{Nodes: 3, Seed: seed, CrashableFS: true})
	ctx := ctxFor(t, 60*time.Second)
	const clients, runFor = 4, 6 * time.Second
	keys := []string{"x", "y", "z"}
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var mu sync.Mutex
	var history []porcupine.Operation
	var stopped = make(chan struct{})
	var wg sync.WaitGroup
	for cl := 0; cl < clients; cl++ {
		rng := rand.New(rand.NewSource(seed + int64(cl)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopped:
					return
				default:
				}
				in := regInput{op: regOp(rng.Intn(3)), key: keys[rng.Intn(len(keys))], value: fmt.Sprintf("c%d-%d", cl, i)}
				var req *kvpb.RequestUnion
				switch in.op {
				case opGet:
					req = kvpb.NewGet([]byte(in.key))
				case opPut:
					req = kvpb.NewPut([]byte(in.key), []byte(in.value))
				default:
					var exp []byte
					if rng.Intn(4) > 0 {
						// Expect the value we last saw (often right).
						mu.Lock()
						for j := len(history) - 1; j >= 0; j-- {
							if h := history[j]; h.Input.(regInput).key == in.key && h.Input.(regInput).op == opGet {
								if o := h.Output.(regOutput); o.found {
									v := o.value
									in.exp = &v
								}
								break
							}
						}
						mu.Unlock()
					}
					if in.exp != nil {
						exp = []byte(*in.exp)
					}
					req = kvpb.NewConditionalPut([]byte(in.key), []byte(in.value), exp)
				}
				call := now()
				octx, cancel := context.WithTimeout(ctx, 3*time.Second)
				br, err := c.Send(octx, c.batch(req))
				cancel()
				ret := now()
				var out regOutput
				var cfe *kvpb.ConditionFailedError
				switch {
				case err == nil && in.op == opGet:
					g := br.GetResponses()[0].GetGet()
					out.found, out.value = g.GetFound(), string(g.GetValue())
				case err == nil:
					out.ok = true
				case in.op == opCPut && errors.As(err, &cfe):
					out.ok = false
				case in.op == opGet:
					continue // a failed read tells nothing
				default:
					out.unknown = true // the write may or may not have happened
					ret = 1 << 62
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		}()
	}
	// Nemesis.
	rng := rand.New(rand.NewSource(seed))
	faults := 0
	for time.Since(start) < runFor {
		switch rng.Intn(4) {
		case 0:
			i := 1 + rng.Intn(3)
			var rest []int
			for j := 1; j <= 3; j++ {
				if j != i {
					rest = append(rest, j)
				}
			}
			c.Partition([]int{i}, rest)
			waitFor(ctx, time.Duration(200+rng.Intn(600))*time.Millisecond)
			c.Heal()
		case 1:
			if lh := c.Leaseholder(ctxFor(t, 5*time.Second), 1); lh != nil {
				i := nodeIndex(c, lh)
				c.Crash(i)
				waitFor(ctx, time.Duration(200+rng.Intn(600))*time.Millisecond)
				c.Restart(i)
			}
		case 2:
			if lh := c.Leaseholder(ctxFor(t, 5*time.Second), 1); lh != nil {
				to := c.Nodes[rng.Intn(3)]
				tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, _ = lh.Store().TransferLease(tctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(to.ID), StoreId: uint64(to.StoreID)})
				cancel()
			}
		default:
			i := 1 + rng.Intn(3)
			c.Stop(i)
			c.Restart(i)
		}
		faults++
		waitFor(ctx, time.Duration(100+rng.Intn(400))*time.Millisecond)
	}
	close(stopped)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	var completed, unknown int
	for _, o := range history {
		if o.Output.(regOutput).unknown {
			unknown++
		} else {
			completed++
		}
	}
	t.Logf("%d faults; %d operations (%d with unknown outcome)", faults, len(history), unknown)
	require.Greater(t, completed, 50, "too few operations completed to be meaningful")
	res := porcupine.CheckOperationsTimeout(registerModel, history, 60*time.Second)
	require.Equal(t, porcupine.Ok, res, "history is not linearizable (seed %d)", seed)
}

// waitFor pauses the nemesis (not synchronisation: faults are timed).
func waitFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
