package ranges

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// raftLogger adapts slog to raft.Logger. Raft's info chatter goes to
// debug, except its rare notices that a conf change was turned into an
// empty entry (infoRaftNotices), which explain a replica change that has to
// be proposed again.
type raftLogger struct{ l *slog.Logger }

// infoRaftNotices are the fragments of raft's Infof formats logged at info.
var infoRaftNotices = []string{"ignoring conf change"}

func raftInfoLevel(format string) slog.Level {
	for _, n := range infoRaftNotices {
		if strings.Contains(format, n) {
			return slog.LevelInfo
		}
	}
	return slog.LevelDebug
}

func (r raftLogger) Debug(v ...any)            { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(f string, v ...any) { r.l.Debug(fmt.Sprintf(f, v...)) }
func (r raftLogger) Info(v ...any)             { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any) {
	if l := raftInfoLevel(f); r.l.Enabled(context.Background(), l) {
		r.l.Log(context.Background(), l, fmt.Sprintf(f, v...))
	}
}
func (r raftLogger) Warning(v ...any)            { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) { r.l.Warn(fmt.Sprintf(f, v...)) }
func (r raftLogger) Error(v ...any)              { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any)   { r.l.Error(fmt.Sprintf(f, v...)) }
func (r raftLogger) Fatal(v ...any)              { r.l.Error(fmt.Sprint(v...)); os.Exit(1) }
func (r raftLogger) Fatalf(f string, v ...any)   { r.l.Error(fmt.Sprintf(f, v...)); os.Exit(1) }
func (r raftLogger) Panic(v ...any)              { panic(fmt.Sprint(v...)) }
func (r raftLogger) Panicf(f string, v ...any)   { panic(fmt.Sprintf(f, v...)) }
