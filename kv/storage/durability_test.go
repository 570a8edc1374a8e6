package storage

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

const crashDirEnv = "TESSERA_STORAGE_CRASH_CHILD_DIR"

func crashKey(i int) []byte { return []byte(fmt.Sprintf("crash/%07d", i)) }
func crashRaw(i int) []byte { return []byte(fmt.Sprintf("\x01crash/raw/%07d", i)) }

// crashChild writes batches with Sync forever, printing "ack <i>" after
// each commit returns. The parent kills it with SIGKILL.
func crashChild(dir string) {
	eng, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	// Continue after the last batch a previous child left.
	start := 0
	it, err := eng.NewRawIterator([]byte("\x01crash/raw/"), []byte("\x01crash/raw0"))
	if err == nil {
		if it.Last() {
			n, _ := strconv.Atoi(strings.TrimPrefix(string(it.Key()), "\x01crash/raw/"))
			start = n + 1
		}
		err = it.Close()
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := start; ; i++ {
		b := eng.NewBatch()
		ts := hlc.Timestamp{WallTime: int64(i + 1)}
		var txn *TxnMeta
		if i%3 == 0 {
			txn = &TxnMeta{ID: TxnID{1, byte(i)}, WriteTimestamp: ts}
		}
		err := MVCCPut(b, crashKey(i), ts, []byte(strconv.Itoa(i)), MVCCWriteOptions{Txn: txn})
		if err == nil {
			err = b.PutRaw(crashRaw(i), []byte(strconv.Itoa(i)))
		}
		if err == nil {
			err = b.Commit(true)
		}
		b.Close()
		if err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(2)
		}
		fmt.Fprintf(w, "ack %d\n", i)
		w.Flush()
	}
}

// TestDurabilityKill runs a child process that commits synced batches and
// acknowledges each on stdout, kills it with SIGKILL at a random moment,
// and checks that reopening the store finds every acknowledged write, and
// every batch whole or not at all.
func TestDurabilityKill(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	seed := time.Now().UnixNano()
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		// Round 1's child appends to the store left by round 0's crash.
		killAfter := 20 + rng.Intn(200)
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityKill$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		waited := false
		t.Cleanup(func() {
			// Never leave a child running if an assertion failed early.
			if !waited {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		sc := bufio.NewScanner(stdout)
		acked := map[int]bool{}
		killed := false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("child: %s", line)
			}
			n, ok := strings.CutPrefix(line, "ack ")
			if !ok {
				continue
			}
			i, err := strconv.Atoi(n)
			require.NoError(t, err)
			acked[i] = true
			if len(acked) >= killAfter && !killed {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				killed = true
			}
		}
		// Lines still in the pipe after the kill were acknowledged too.
		err = cmd.Wait()
		waited = true
		require.True(t, killed, "child exited before the kill: %v", err)
		require.GreaterOrEqual(t, len(acked), killAfter)

		eng, err := Open(dir)
		require.NoError(t, err)
		maxAck := 0
		for i := range acked {
			maxAck = max(maxAck, i)
		}
		// Every acked write is there; beyond the last ack, batches are
		// whole or absent.
		for i := 0; i <= maxAck+50; i++ {
			ts := hlc.Timestamp{WallTime: int64(i + 1)}
			var txn *TxnMeta
			if i%3 == 0 {
				txn = &TxnMeta{ID: TxnID{1, byte(i)}, WriteTimestamp: ts}
			}
			v, ok, err := MVCCGet(eng, crashKey(i), ts, MVCCReadOptions{Txn: txn})
			require.NoError(t, err)
			raw, rawOK, err := eng.GetRaw(crashRaw(i))
			require.NoError(t, err)
			require.Equal(t, ok, rawOK, "batch %d torn", i)
			if acked[i] || i <= maxAck {
				require.True(t, ok, "acknowledged write %d lost (round %d, %d acked)", i, round, len(acked))
			}
			if ok {
				require.Equal(t, strconv.Itoa(i), string(v.Value))
				require.Equal(t, strconv.Itoa(i), string(raw))
			}
		}
		require.NoError(t, eng.Close())
		t.Logf("round %d: killed after %d acks, max ack %d", round, len(acked), maxAck)
	}
}
