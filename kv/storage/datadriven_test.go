package storage

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

// TestMVCCHistories runs the scripts in testdata/mvcc_histories. Each
// "run [ok|error]" block holds one command per line; the output lists each
// command's result, then (if the block wrote) every engine key, then the
// error that stopped the block, if any. After every command the harness
// checks that the incrementally maintained stats equal a recomputation.
//
// Commands (timestamps are "wall" or "wall,logical"):
//
//	txn_begin t=<name> ts=<ts> [epoch=<n>]
//	txn_step t=<name> [n=<n>]          sequence += n
//	txn_advance t=<name> ts=<ts>       write timestamp
//	txn_restart t=<name> [ts=<ts>]     epoch++, sequence = 0
//	txn_seq t=<name> seq=<n>           set the sequence (reads at old seqs)
//	txn_epoch t=<name> epoch=<n>       set the epoch (stale coordinators)
//	put k=<key> v=<val> [ts=<ts>] [t=<txn>]
//	del k=<key> [ts=] [t=]
//	cput k=<key> v=<val> [exp=<val>] [ts=] [t=]
//	inc k=<key> [inc=<n>] [ts=] [t=]
//	get k=<key> [ts=] [t=] [unc=<ts>]
//	scan k=<key> end=<key> [ts=] [t=] [unc=] [max=] [bytes=] [reverse]
//	del_range k= end= [ts=] [t=] [max=]
//	resolve k= t=<txn> status=committed|aborted|pending [ignore=<a>-<b>]
//	resolve_range k= end= t= status= [max=]
//	gc k= end= threshold=<ts>
//	gc_find k= end= threshold=<ts> [max=]   keys with garbage (read only)
//	raw_put k= v= / raw_get k= / raw_del k=
//	stats
//
// A txn's writes use its write timestamp, its reads its read timestamp
// (the begin ts), unless ts= is given.
func TestMVCCHistories(t *testing.T) {
	datadriven.Walk(t, "testdata/mvcc_histories", func(t *testing.T, path string) {
		e, err := Open("", InMemory())
		require.NoError(t, err)
		defer e.Close()
		env := &ddEnv{t: t, eng: e, txns: map[string]*ddTxn{}, names: map[TxnID]string{}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "run":
				return env.run(d)
			default:
				t.Fatalf("%s: unknown directive %s", d.Pos, d.Cmd)
				return ""
			}
		})
	})
}

type ddTxn struct {
	meta   TxnMeta
	readTs hlc.Timestamp
}

type ddEnv struct {
	t     *testing.T
	eng   Engine
	txns  map[string]*ddTxn
	names map[TxnID]string
	ms    MVCCStats
}

func parseTs(s string) (hlc.Timestamp, error) {
	w, l, hasL := strings.Cut(s, ",")
	wall, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return hlc.Timestamp{}, err
	}
	var logical int64
	if hasL {
		if logical, err = strconv.ParseInt(l, 10, 32); err != nil {
			return hlc.Timestamp{}, err
		}
	}
	return hlc.Timestamp{WallTime: wall, Logical: int32(logical)}, nil
}

func fmtTs(ts hlc.Timestamp) string {
	if ts.Logical == 0 {
		return strconv.FormatInt(ts.WallTime, 10)
	}
	return fmt.Sprintf("%d,%d", ts.WallTime, ts.Logical)
}

type ddArgs map[string]string

func (a ddArgs) has(k string) bool { _, ok := a[k]; return ok }

func (env *ddEnv) run(d *datadriven.TestData) string {
	var out strings.Builder
	wrote := false
	var runErr error
	for _, line := range strings.Split(d.Input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, cargs, err := datadriven.ParseLine(line)
		if err != nil {
			env.t.Fatalf("%s: %v", d.Pos, err)
		}
		args := ddArgs{}
		for _, a := range cargs {
			args[a.Key] = strings.Join(a.Vals, ",")
		}
		w, err := env.exec(cmd, args, &out)
		wrote = wrote || w
		env.checkStats(d, line)
		if err != nil {
			runErr = err
			break
		}
	}
	if wrote {
		env.dump(&out)
	}
	if runErr != nil {
		env.requireTyped(d, runErr)
		fmt.Fprintf(&out, "error: (%T) %s\n", runErr, env.errString(runErr))
		if len(d.CmdArgs) == 0 || d.CmdArgs[0].Key != "error" {
			env.t.Errorf("%s: unexpected error: %v", d.Pos, runErr)
		}
	} else if len(d.CmdArgs) > 0 && d.CmdArgs[0].Key == "error" {
		env.t.Errorf("%s: expected an error", d.Pos)
	}
	if out.Len() == 0 {
		return "ok\n"
	}
	return out.String()
}

// errString replaces txn IDs by their names.
func (env *ddEnv) errString(err error) string {
	s := err.Error()
	for id, name := range env.names {
		s = strings.ReplaceAll(s, id.Short(), name)
	}
	return s
}

var typedErrors = []error{ErrEmptyKey, ErrKeyTooLarge, ErrValueTooLarge, ErrInvalidKey, ErrZeroTimestamp,
	ErrInvalidTxn, ErrWriteTooOld, ErrUncertainty, ErrLockConflict, ErrConditionFailed, ErrIntentNotFound,
	ErrNotAnInteger, ErrIntegerOverflow, ErrTxnEpochRegression, ErrTxnSequenceRegression}

func (env *ddEnv) requireTyped(d *datadriven.TestData, err error) {
	for _, te := range typedErrors {
		if errors.Is(err, te) {
			return
		}
	}
	env.t.Errorf("%s: untyped error %v", d.Pos, err)
}

func (env *ddEnv) checkStats(d *datadriven.TestData, line string) {
	got, err := ComputeStats(env.eng, []byte{0}, []byte{0xff})
	require.NoError(env.t, err)
	if got != env.ms {
		env.t.Errorf("%s: after %q: stats mismatch\nincremental: %s\nrecomputed:  %s", d.Pos, line, env.ms, got)
		env.ms = got
	}
}

func (env *ddEnv) txn(args ddArgs) *ddTxn {
	name, ok := args["t"]
	if !ok {
		return nil
	}
	tx, ok := env.txns[name]
	if !ok {
		env.t.Fatalf("unknown txn %s", name)
	}
	return tx
}

func (env *ddEnv) ts(args ddArgs, key string, tx *ddTxn, write bool) hlc.Timestamp {
	if s, ok := args[key]; ok {
		ts, err := parseTs(s)
		require.NoError(env.t, err)
		return ts
	}
	if tx != nil {
		if write {
			return tx.meta.WriteTimestamp
		}
		return tx.readTs
	}
	return hlc.Timestamp{}
}

func (env *ddEnv) int(args ddArgs, key string, def int64) int64 {
	s, ok := args[key]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(env.t, err)
	return n
}

func (env *ddEnv) writeOpts(tx *ddTxn, ms *MVCCStats) MVCCWriteOptions {
	o := MVCCWriteOptions{Stats: ms}
	if tx != nil {
		m := tx.meta
		o.Txn = &m
	}
	return o
}

func (env *ddEnv) readOpts(tx *ddTxn, args ddArgs) MVCCReadOptions {
	o := MVCCReadOptions{UncertaintyLimit: env.ts(args, "unc", nil, false)}
	if tx != nil {
		m := tx.meta
		o.Txn = &m
	}
	return o
}

// inBatch runs f in a batch and commits it with its stats only if f
// succeeded.
func (env *ddEnv) inBatch(f func(b Batch, ms *MVCCStats) error) error {
	b := env.eng.NewBatch()
	defer b.Close()
	var ms MVCCStats
	if err := f(b, &ms); err != nil {
		return err
	}
	if err := b.Commit(false); err != nil {
		return err
	}
	env.ms.Add(ms)
	return nil
}

func fmtVal(v MVCCValue, ok bool) string {
	if !ok {
		return "<no data>"
	}
	return fmt.Sprintf("%q @%s", v.Value, fmtTs(v.Timestamp))
}

func (env *ddEnv) exec(cmd string, args ddArgs, out *strings.Builder) (wrote bool, err error) {
	for _, f := range []string{"k", "end", "v", "exp"} {
		if s, ok := args[f]; ok {
			u, err := strconv.Unquote(`"` + s + `"`)
			require.NoError(env.t, err)
			args[f] = u
		}
	}
	key := []byte(args["k"])
	end := []byte(args["end"])
	var tx *ddTxn
	if cmd != "txn_begin" {
		tx = env.txn(args)
	}
	switch cmd {
	case "txn_begin":
		name := args["t"]
		var id TxnID
		copy(id[:], name)
		ts := env.ts(args, "ts", nil, false)
		env.txns[name] = &ddTxn{meta: TxnMeta{ID: id, Epoch: uint32(env.int(args, "epoch", 0)), WriteTimestamp: ts}, readTs: ts}
		env.names[id] = name
		return false, nil
	case "txn_step":
		tx.meta.Sequence += int32(env.int(args, "n", 1))
		return false, nil
	case "txn_seq":
		tx.meta.Sequence = int32(env.int(args, "seq", 0))
		return false, nil
	case "txn_epoch":
		tx.meta.Epoch = uint32(env.int(args, "epoch", 0))
		return false, nil
	case "txn_advance":
		tx.meta.WriteTimestamp = env.ts(args, "ts", nil, false)
		return false, nil
	case "txn_restart":
		tx.meta.Epoch++
		tx.meta.Sequence = 0
		if args.has("ts") {
			tx.readTs = env.ts(args, "ts", nil, false)
			tx.meta.WriteTimestamp = tx.readTs
		}
		return false, nil
	case "put":
		ts := env.ts(args, "ts", tx, true)
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			return MVCCPut(b, key, ts, []byte(args["v"]), env.writeOpts(tx, ms))
		})
	case "del":
		ts := env.ts(args, "ts", tx, true)
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			found, err := MVCCDelete(b, key, ts, env.writeOpts(tx, ms))
			if err == nil {
				fmt.Fprintf(out, "del: %s: found=%t\n", FormatKey(key), found)
			}
			return err
		})
	case "cput":
		ts := env.ts(args, "ts", tx, true)
		var exp []byte
		if args.has("exp") {
			exp = []byte(args["exp"])
		}
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			return MVCCConditionalPut(b, key, ts, []byte(args["v"]), exp, env.writeOpts(tx, ms))
		})
	case "inc":
		ts := env.ts(args, "ts", tx, true)
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			n, err := MVCCIncrement(b, key, ts, env.int(args, "inc", 1), env.writeOpts(tx, ms))
			if err == nil {
				fmt.Fprintf(out, "inc: %s = %d\n", FormatKey(key), n)
			}
			return err
		})
	case "get":
		v, ok, err := MVCCGet(env.eng, key, env.ts(args, "ts", tx, false), env.readOpts(tx, args))
		if err == nil {
			fmt.Fprintf(out, "get: %s -> %s\n", FormatKey(key), fmtVal(v, ok))
		}
		return false, err
	case "scan":
		so := MVCCScanOptions{MVCCReadOptions: env.readOpts(tx, args), MaxKeys: env.int(args, "max", 0),
			TargetBytes: env.int(args, "bytes", 0), Reverse: args.has("reverse")}
		res, err := MVCCScan(env.eng, key, end, env.ts(args, "ts", tx, false), so)
		if err != nil {
			return false, err
		}
		for _, kv := range res.KVs {
			fmt.Fprintf(out, "scan: %s -> %s\n", FormatKey(kv.Key), fmtVal(kv.Value, true))
		}
		if len(res.KVs) == 0 {
			fmt.Fprintf(out, "scan: [%s, %s) -> <no data>\n", FormatKey(key), FormatKey(end))
		}
		if res.ResumeSpan != nil {
			fmt.Fprintf(out, "scan: resume span [%s, %s) bytes=%d\n", FormatKey(res.ResumeSpan.Key), FormatKey(res.ResumeSpan.EndKey), res.NumBytes)
		}
		return false, nil
	case "del_range":
		ts := env.ts(args, "ts", tx, true)
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			keys, resume, err := MVCCDeleteRange(b, key, end, ts, env.int(args, "max", 0), env.writeOpts(tx, ms))
			if err != nil {
				return err
			}
			for _, k := range keys {
				fmt.Fprintf(out, "del_range: deleted %s\n", FormatKey(k))
			}
			if resume != nil {
				fmt.Fprintf(out, "del_range: resume span [%s, %s)\n", FormatKey(resume.Key), FormatKey(resume.EndKey))
			}
			return nil
		})
	case "resolve", "resolve_range":
		u := LockUpdate{Txn: tx.meta}
		switch args["status"] {
		case "committed":
			u.Status = Committed
		case "aborted":
			u.Status = Aborted
		case "pending":
			u.Status = Pending
		default:
			env.t.Fatalf("bad status %q", args["status"])
		}
		if s, ok := args["ignore"]; ok {
			a, b, _ := strings.Cut(s, "-")
			x, _ := strconv.Atoi(a)
			y, _ := strconv.Atoi(b)
			u.IgnoredSeqNums = []SeqRange{{Start: int32(x), End: int32(y)}}
		}
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			if cmd == "resolve" {
				return MVCCResolveIntent(b, key, u, ms)
			}
			n, resume, err := MVCCResolveIntentRange(b, key, end, u, env.int(args, "max", 0), ms)
			if err == nil {
				fmt.Fprintf(out, "resolve_range: %d intents\n", n)
				if resume != nil {
					fmt.Fprintf(out, "resolve_range: resume span [%s, %s)\n", FormatKey(resume.Key), FormatKey(resume.EndKey))
				}
			}
			return err
		})
	case "gc":
		th := env.ts(args, "threshold", nil, false)
		return true, env.inBatch(func(b Batch, ms *MVCCStats) error {
			n, err := MVCCGarbageCollect(b, key, end, th, ms)
			if err == nil {
				fmt.Fprintf(out, "gc: removed %d versions\n", n)
			}
			return err
		})
	case "gc_find":
		th := env.ts(args, "threshold", nil, false)
		ks, n, resume, err := MVCCFindGarbage(env.eng, key, end, th, int(env.int(args, "max", 0)))
		if err == nil {
			for _, k := range ks {
				fmt.Fprintf(out, "gc_find: %s\n", FormatKey(k))
			}
			fmt.Fprintf(out, "gc_find: %d versions\n", n)
			if resume != nil {
				fmt.Fprintf(out, "gc_find: resume at %s\n", FormatKey(resume))
			}
		}
		return false, err
	case "raw_put":
		return true, env.eng.PutRaw(key, []byte(args["v"]))
	case "raw_del":
		return true, env.eng.DeleteRaw(key)
	case "raw_get":
		v, ok, err := env.eng.GetRaw(key)
		if err == nil {
			fmt.Fprintf(out, "raw_get: %s -> %q found=%t\n", FormatKey(key), v, ok)
		}
		return false, err
	case "stats":
		fmt.Fprintf(out, "stats: %s\n", env.ms)
		return false, nil
	default:
		env.t.Fatalf("unknown command %s", cmd)
	}
	return false, nil
}

func (env *ddEnv) dump(out *strings.Builder) {
	pr, err := env.eng.pebbleReader()
	require.NoError(env.t, err)
	it, err := pr.NewIter(&pebble.IterOptions{})
	require.NoError(env.t, err)
	defer it.Close()
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		n++
		uk, vts, err := DecodeEngineKey(it.Key())
		require.NoError(env.t, err)
		v := it.Value()
		switch {
		case !vts.IsEmpty():
			if len(v) == 0 {
				fmt.Fprintf(out, "data: %s@%s -> <tombstone>\n", FormatKey(uk), fmtTs(vts))
			} else {
				fmt.Fprintf(out, "data: %s@%s -> %q\n", FormatKey(uk), fmtTs(vts), v[1:])
			}
		case isLockTableKey(uk):
			m, err := decodeIntentMeta(v)
			require.NoError(env.t, err)
			fmt.Fprintf(out, "meta: %s -> txn=%s epo=%d seq=%d ts=%s", FormatKey(uk[len(lockTablePrefix):]),
				env.names[m.Txn.ID], m.Txn.Epoch, m.Txn.Sequence, fmtTs(m.Txn.WriteTimestamp))
			if len(m.History) > 0 {
				out.WriteString(" hist=[")
				for i, h := range m.History {
					if i > 0 {
						out.WriteString(" ")
					}
					if h.Tombstone {
						fmt.Fprintf(out, "%d:<tombstone>", h.Sequence)
					} else {
						fmt.Fprintf(out, "%d:%q", h.Sequence, h.Value)
					}
				}
				out.WriteString("]")
			}
			out.WriteString("\n")
		default:
			fmt.Fprintf(out, "raw: %s -> %q\n", FormatKey(uk), v)
		}
	}
	if n == 0 {
		out.WriteString("<no data>\n")
	}
}
