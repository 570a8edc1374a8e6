package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/internal/lazyctx"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

type namedSP struct {
	name string
	sp   any
	// descs is the block's descriptor overlay when the savepoint was taken.
	descs *catalog.TxnDescs
}

// MaxRetries bounds automatic retries of an implicit transaction.
const MaxRetries = 100

func newRestoreCtx(w *strings.Builder) *format.RestoreCtx {
	return format.NewRestoreCtx(format.DefaultRestoreFlags, w)
}

// Config configures an Engine.
type Config struct {
	NodeID uint32
	// MemoryBudget per statement in bytes (0 = 256 MiB).
	MemoryBudget int64
	// Admin reaches the cluster (SPLIT AT, SCATTER, SHOW RANGES, cluster
	// settings); nil without a cluster, where those statements fail with
	// 0A000 (admin.go).
	Admin ClusterAdmin
	// TempDir holds statements' temp files (sorts spilled to disk); it is
	// emptied when the engine is built (node start). "" uses the OS temp
	// directory.
	TempDir string
}

// Engine is the SQL layer of one node.
type Engine struct {
	db    kvtxn.DB
	cfg   Config
	cache *catalog.Cache

	bootMu sync.Mutex
	booted bool

	// backfillHook (tests) runs after each committed backfill chunk.
	backfillHook func(rows int)

	procs procTable // sessions by process ID (backend.go)
}

var _ conn.Engine = (*Engine)(nil)

// NewEngine returns the engine. The catalog (defaultdb, postgres) is
// bootstrapped by the first session, so a node can build its engine before
// its cluster is initialised.
func NewEngine(ctx context.Context, db kvtxn.DB, cfg Config) (*Engine, error) {
	if err := clearTempDir(cfg.TempDir); err != nil {
		return nil, fmt.Errorf("sql: clearing temp directory %s: %w", cfg.TempDir, err)
	}
	return &Engine{db: db, cfg: cfg, cache: catalog.NewCache()}, nil
}

func (e *Engine) ensureBootstrapped(ctx context.Context) error {
	e.bootMu.Lock()
	defer e.bootMu.Unlock()
	if e.booted {
		return nil
	}
	if err := catalog.Bootstrap(ctx, e.db); err != nil {
		return pgerr.New("57P03", "the database system is starting up: %v", err)
	}
	e.booted = true
	return nil
}

var defaultVars = map[string]string{
	"server_version":                "16.0 (Tessera)",
	"server_version_num":            "160000",
	"server_encoding":               "UTF8",
	"client_encoding":               "UTF8",
	"datestyle":                     "ISO, MDY",
	"timezone":                      "UTC",
	"integer_datetimes":             "on",
	"standard_conforming_strings":   "on",
	"application_name":              "",
	"search_path":                   `"$user", public`,
	"transaction_isolation":         "serializable",
	"default_transaction_isolation": "serializable",
	"statement_timeout":             "0",
	"work_mem":                      "64MB",
	"extra_float_digits":            "1",
	"intervalstyle":                 "postgres",
	"is_superuser":                  "on",
	"bytea_output":                  "hex",
	"transaction_read_only":         "off",
	"default_transaction_read_only": "off",
	"max_identifier_length":         "63",
}

// canonical spellings for ParameterStatus.
var varDisplay = map[string]string{"datestyle": "DateStyle", "timezone": "TimeZone", "intervalstyle": "IntervalStyle"}

// NewSession starts a session.
func (e *Engine) NewSession(ctx context.Context, args conn.SessionArgs) (conn.Session, error) {
	if err := e.ensureBootstrapped(ctx); err != nil {
		return nil, err
	}
	s := &Session{eng: e, user: args.User, vars: map[string]string{}, protoStmts: args.Statements}
	for k, v := range defaultVars {
		s.vars[k] = v
	}
	db := args.Database
	if db == "" {
		db = "defaultdb"
	}
	s.database = db
	for k, v := range args.Options {
		k = strings.ToLower(k)
		if k == "options" || k == "database" || k == "user" {
			continue
		}
		if err := s.setVar(k, v); err != nil {
			return nil, err
		}
	}
	// Check the database exists.
	err := s.implicit(ctx, func(st *stmtCtx) error {
		_, err := st.coll.Database(ctx, db)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Session is one connection.
type Session struct {
	eng      *Engine
	user     string
	database string
	vars     map[string]string
	// txnVars holds, for each variable SET in the open transaction block,
	// its value before the block and whether the last SET was LOCAL: at
	// the block's end a rollback restores every one, a commit the LOCAL
	// ones (as PostgreSQL does).
	txnVars map[string]txnVar
	// tempName is the session's schema of temporary tables (made by its
	// first CREATE TEMP TABLE, dropped with them by Close); onCommit the
	// ON COMMIT DROP / DELETE ROWS actions of its temporary tables.
	tempName string
	onCommit map[catalog.ID]string
	varsGen  uint64 // bumped by every change of vars (VarsGeneration)
	loc      *time.Location
	// varFn is s.Var as a func value, made once (evalCtx runs twice per
	// statement; a method value allocates each time).
	varFn func(string) (string, bool)
	setFn func(name, value string, local bool) error // set_config, made with varFn

	txn     kvtxn.Txn // open transaction block
	inBlock bool
	// txnDescs is the descriptor overlay of txnDescsOf, the block's KV
	// transaction (catalog.TxnDescs): a new KV transaction (a restart, or
	// a new block) gets a new, empty overlay, so what a rolled-back or
	// restarted attempt wrote is never seen again.
	txnDescs   *catalog.TxnDescs
	txnDescsOf kvtxn.Txn
	// implicitBlock: the open block was opened by BeginImplicit (the
	// statements of one extended-protocol batch, or of a multi-statement
	// simple query) rather than by BEGIN; EndImplicit ends it.
	implicitBlock bool
	readOnly      bool // the open block is READ ONLY
	failed        bool
	txnStmts      int
	restartSP     string
	// savepoints of the open block, innermost last.
	savepoints []namedSP
	txnStart   time.Time
	bk         backendState // pg_backend_pid, txid, advisory locks (backend.go)
	// blockAsOf is the open block's AS OF SYSTEM TIME timestamp, stmtAsOf
	// the running statement's (asof.go); zero when none.
	blockAsOf, stmtAsOf hlc.Timestamp

	prepared map[string]*Prepared
	// protoStmts: the front end's protocol-level statements (DEALLOCATE
	// drops them too); nil without one
	protoStmts conn.ProtocolStatements
	// implicitBuffer is how many writes an implicit transaction buffers
	// (0: kvtxn.MaxBufferedWrites; COPY sets more).
	implicitBuffer int
	// curParamTypes are the parameter types of the statement executing now.
	curParamTypes []*types.T
	// curPrepared is the prepared statement executing now (its plan cache).
	curPrepared *Prepared

	mu struct {
		sync.Mutex
		cancel context.CancelFunc
	}
}

// TxnStatus is the ReadyForQuery status.
func (s *Session) TxnStatus() byte {
	switch {
	case s.failed:
		return 'E'
	case s.inBlock:
		return 'T'
	}
	return 'I'
}

// Location is the session's TimeZone.
func (s *Session) Location() *time.Location { return s.loc }

// Var returns a session variable.
func (s *Session) Var(name string) (string, bool) {
	v, ok := s.vars[strings.ToLower(name)]
	return v, ok
}

// Cancel interrupts the running statement.
func (s *Session) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.cancel != nil {
		s.mu.cancel()
	}
}

// Close rolls back an open transaction and drops the session's
// temporary tables.
func (s *Session) Close() {
	if s.txn != nil {
		_ = s.txn.Rollback(context.Background())
		s.txn = nil
	}
	s.bk.closeBackend(s)
	s.dropTemp()
	s.txnDescs, s.txnDescsOf = nil, nil
	s.inBlock, s.failed = false, false
}

type txnVar struct {
	before string
	had    bool
	local  bool
}

// setVarStmt is SET [LOCAL] / RESET name in or out of a block.
func (s *Session) setVarStmt(res *result, name, value string, local bool) error {
	name = strings.ToLower(name)
	if !s.inBlock {
		if local {
			res.notices = append(res.notices, noticeCode("WARNING", pgerr.NoActiveTxn, "SET LOCAL can only be used in transaction blocks"))
			return nil
		}
		return s.setVar(name, value)
	}
	tv, seen := s.txnVars[name]
	if !seen {
		tv.before, tv.had = s.vars[name]
	}
	if err := s.setVar(name, value); err != nil {
		return err
	}
	tv.local = local
	if s.txnVars == nil {
		s.txnVars = map[string]txnVar{}
	}
	s.txnVars[name] = tv
	return nil
}

// endVars restores the variables set in the block that just ended.
func (s *Session) endVars(committed bool) {
	for name, tv := range s.txnVars {
		if committed && !tv.local {
			continue
		}
		if !tv.had {
			delete(s.vars, name)
			s.varsGen++
			continue
		}
		_ = s.setVar(name, tv.before)
	}
	s.txnVars = nil
}

func (s *Session) setVar(name, value string) error {
	name = strings.ToLower(name)
	switch name {
	case "timezone":
		if value == "" || strings.EqualFold(value, "default") || strings.EqualFold(value, "local") {
			value = "UTC"
		}
		loc, shown, ok := parseTimeZone(value)
		if !ok {
			return pgerr.New(pgerr.InvalidParameter, "invalid value for parameter \"TimeZone\": %q", value)
		}
		s.loc, value = loc, shown
	case "transaction_isolation", "default_transaction_isolation":
		value = "serializable"
	case "statement_timeout":
		_, shown, err := parseMillis(name, value)
		if err != nil {
			return err
		}
		value = shown
	case "work_mem":
		kb, err := parseWorkMem(value)
		if err != nil {
			return err
		}
		value = formatWorkMem(kb)
	}
	s.vars[name] = value
	s.varsGen++
	return nil
}

// VarsGeneration counts the changes of the session's variables since it
// started: pgwire sends ParameterStatus only after one.
func (s *Session) VarsGeneration() uint64 { return s.varsGen }

func (s *Session) evalCtx() *sem.EvalContext {
	now := time.Now()
	ts := now
	if s.inBlock && !s.txnStart.IsZero() {
		ts = s.txnStart
	}
	if s.varFn == nil {
		s.varFn = s.Var
		s.setFn = func(name, value string, local bool) error { return s.setVarStmt(&result{}, name, value, local) }
	}
	return &sem.EvalContext{TxnTimestamp: ts, StmtTimestamp: now, Location: s.loc, Database: s.database, Schema: "public",
		User: s.user, ServerVersion: "PostgreSQL 16.0 (Tessera)", Setting: s.varFn, SetSetting: s.setFn}
}

// stmtCtx is one statement attempt in a transaction.
type stmtCtx struct {
	ctx  context.Context
	txn  kvtxn.Txn
	coll *catalog.Collection
	dbID catalog.ID
	sch  catalog.ID
	// tempName is the session's temporary schema (pg_temp_…, "" before
	// its first temporary table); tempSch its ID if it exists.
	tempName string
	tempSch  catalog.ID
	// searchPath is the session's search_path setting; path the IDs of
	// its existing schemas (sch is the first, where new objects go).
	searchPath string
	path       []catalog.ID
	schName    string
}

func (s *Session) newStmtCtx(ctx context.Context, txn kvtxn.Txn) (*stmtCtx, error) {
	cache := s.eng.cache
	if _, hist := s.historical(); hist {
		cache = nil // the shared cache holds the current schema only
	}
	coll, err := catalog.NewCollectionIn(ctx, s.eng.db, txn, cache, s.blockDescs(txn))
	if err != nil {
		return nil, err
	}
	return &stmtCtx{ctx: ctx, txn: txn, coll: coll, tempName: s.tempName, searchPath: s.vars["search_path"]}, nil
}

// blockDescs returns the descriptor overlay of the block's transaction
// txn, a new one when txn is not the transaction the current one belongs
// to.
func (s *Session) blockDescs(txn kvtxn.Txn) *catalog.TxnDescs {
	if s.txnDescs == nil || s.txnDescsOf != txn {
		s.txnDescs, s.txnDescsOf = catalog.NewTxnDescs(), txn
	}
	return s.txnDescs
}

func (st *stmtCtx) resolveDB(name string) error {
	id, err := st.coll.Database(st.ctx, name)
	if err != nil {
		return err
	}
	sch, err := st.coll.LookupID(st.ctx, id, 0, "public")
	if err != nil {
		return err
	}
	st.dbID, st.sch, st.path, st.schName = id, sch, nil, "public"
	if st.searchPath != "" && st.searchPath != defaultVars["search_path"] {
		// search_path: its existing schemas in order ($user, pg_catalog
		// and pg_temp are searched by their own rules); the first one is
		// where new objects go
		first := true
		for _, nm := range strings.Split(st.searchPath, ",") {
			nm = strings.TrimSpace(nm)
			if len(nm) >= 2 && nm[0] == '"' && nm[len(nm)-1] == '"' {
				nm = strings.ReplaceAll(nm[1:len(nm)-1], `""`, `"`)
			} else {
				nm = strings.ToLower(nm)
			}
			if nm == "" || nm == "$user" || nm == "pg_catalog" || nm == "pg_temp" {
				continue
			}
			sid, err := st.coll.LookupID(st.ctx, id, 0, nm)
			if err != nil {
				return err
			}
			if sid == 0 {
				continue
			}
			if first {
				st.sch, st.schName, first = sid, nm, false
			}
			st.path = append(st.path, sid)
		}
		if st.path == nil {
			st.path = []catalog.ID{} // nothing to search
		}
	}
	if st.tempName != "" {
		if st.tempSch, err = st.coll.LookupID(st.ctx, id, 0, st.tempName); err != nil {
			return err
		}
	}
	return nil
}

// implicit runs f in its own transaction with retries. Writes are
// buffered (kvtxn.BufferWrites) and sent with the commit, so a statement
// whose writes land on one range commits in one phase; if a buffered
// conditional write fails (a unique violation found only at commit), the
// statement runs again unbuffered to report the precise error.
func (s *Session) implicit(ctx context.Context, f func(st *stmtCtx) error) error {
	defer func() {
		if !s.inBlock { // a statement's own transaction ended
			s.bk.endXact()
		}
	}()
	buffered := true
	for attempt := 0; ; attempt++ {
		txn := s.newTxn(ctx)
		cache := s.eng.cache
		if _, hist := s.historical(); hist {
			cache = nil // the shared cache holds the current schema only
		} else if buffered {
			txn = kvtxn.BufferWritesN(txn, s.implicitBuffer)
		}
		var st *stmtCtx
		coll, err := catalog.NewCollectionDeferred(ctx, s.eng.db, txn, cache)
		if err == nil {
			if !coll.Verified() {
				txn = &genTxn{Txn: txn, coll: coll}
			}
			st = &stmtCtx{ctx: ctx, txn: txn, coll: coll, tempName: s.tempName, searchPath: s.vars["search_path"]}
			err = runGuarded(txn, ctx, func() error {
				e := f(st)
				if e != nil && !coll.Verified() {
					// The error may come from stale cached descriptors.
					if ve := coll.Verify(ctx); ve != nil && kvtxn.IsRetryable(ve) {
						return ve
					}
				}
				return e
			})
		}
		if err == nil {
			err = txn.Commit(ctx)
			if err == nil {
				coll.Committed()
			}
		}
		if err != nil {
			// Also after a failed commit: a transaction that did not
			// commit must not be left open (its record heartbeated, its
			// intents blocking others).
			_ = txn.Rollback(ctx)
		}
		if err == nil {
			return nil
		}
		if buffered && errors.Is(err, kvtxn.ErrDeferredConditionFailed) && ctx.Err() == nil {
			buffered = false
			continue
		}
		if !kvtxn.IsRetryable(err) || attempt >= MaxRetries || ctx.Err() != nil {
			return wrapRetry(err)
		}
	}
}

// parseError gives parser errors the SQLSTATE and position interfaces.
func parseError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return &pgerr.Positioned{Code: pe.Code, Message: pe.Message, Pos: pe.Position}
	}
	return err
}

// runGuarded rolls txn back if f panics, then re-panics for run's recover.
func runGuarded(txn kvtxn.Txn, ctx context.Context, f func() error) error {
	ok := false
	defer func() {
		if !ok {
			_ = txn.Rollback(ctx)
		}
	}()
	err := f()
	ok = true
	return err
}

// wrapRetry gives the KV errors a client must tell apart their SQLSTATE:
// retryable ones 40001, a read below the MVCC GC threshold 72000.
func wrapRetry(err error) error {
	if err == nil || pgerr.Code(err) != "" {
		return err
	}
	if kvtxn.IsRetryable(err) {
		return pgerr.New(pgerr.SerializationFailure, "restart transaction: %v", err)
	}
	if kvtxn.IsBelowGCThreshold(err) {
		return pgerr.New(pgerr.SnapshotTooOld, "snapshot too old: %v", err)
	}
	if kvtxn.IsLockNotAvailable(err) {
		return pgerr.New(pgerr.LockNotAvailable, "could not obtain lock on row: %v", err)
	}
	if kvtxn.IsAmbiguous(err) {
		return pgerr.New(pgerr.StatementCompletionUnknown, "result is ambiguous: the transaction may have committed: %v", err)
	}
	return err
}

// result is one statement's buffered output.
type result struct {
	cols    []conn.Column
	rows    []exec.Row
	tag     string
	notices []conn.Notice
	// jobs are online index changes to finish after the commit.
	jobs []schemaJob
}

func (s *Session) withCancel(ctx context.Context) (context.Context, func()) {
	var cctx context.Context
	var cancel func()
	if v := s.vars["statement_timeout"]; v != "" && v != "0" {
		// The value was checked (and normalised) by SET.
		if ms, _, err := parseMillis("statement_timeout", v); err == nil && ms > 0 {
			cctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		}
	}
	if cctx == nil {
		// Cancelled by a CancelRequest (another goroutine) or when the
		// statement ends. Most statements never wait on it, so it joins
		// the connection's context (context.WithCancel, a registration
		// with the parent) only when something asks for Done, AfterFunc
		// or a derived context; until then Err answers from the parent and
		// the cancellation. Its Join, though a plain WithCancel, is set so
		// that a lazily joined waiter below (lazyctx.WaitExceptJoin) stops
		// here and watches this context, not the one above it.
		lc := lazyctx.New(ctx, lazyctx.Config{Join: joinCancel})
		cctx, cancel = lc, lc.Release
	}
	s.mu.Lock()
	s.mu.cancel = cancel
	s.mu.Unlock()
	return cctx, func() {
		s.mu.Lock()
		s.mu.cancel = nil
		s.mu.Unlock()
		cancel()
	}
}

func joinCancel(p context.Context) (context.Context, func()) {
	c, cancel := context.WithCancel(p)
	return c, cancel
}

// ExecSimple runs a simple-protocol query.
func (s *Session) ExecSimple(ctx context.Context, query string, begin func() conn.ResultWriter, end func(tag string) error) (err error) {
	stmts, err := parser.Parse(query)
	if err != nil {
		if s.inBlock {
			s.failed = true
		}
		return parseError(err)
	}
	if len(stmts) == 0 {
		return conn.ErrEmptyQuery
	}
	if len(stmts) > 1 {
		// PostgreSQL runs the statements of one Query message in one
		// implicit transaction (unless transaction control says otherwise):
		// an error rolls back the statements before it.
		defer func() {
			if cerr := s.EndImplicit(ctx, err == nil); cerr != nil && err == nil {
				err = cerr
			}
		}()
	}
	for i := range stmts {
		if i < len(stmts)-1 {
			s.BeginImplicit()
		}
		w := begin()
		var res *result
		var err error
		if cp, ok := stmts[i].Ext.(*parser.CopyStmt); ok {
			res, err = s.copy(ctx, cp, w)
			if err != nil && s.inBlock {
				s.failed = true
			}
		} else {
			res, err = s.run(ctx, &stmts[i], nil)
		}
		if err != nil {
			return err
		}
		if err := writeResult(w, res, -1); err != nil {
			return err
		}
		if err := end(res.tag); err != nil {
			return err
		}
	}
	return nil
}

// notice is a NOTICE (SQLSTATE 00000) for the client.
func notice(msg string) conn.Notice { return noticeCode("NOTICE", "00000", msg) }

// noticeCode is a notice of severity (NOTICE, WARNING) and SQLSTATE code,
// as PostgreSQL sends it.
func noticeCode(severity, code, msg string) conn.Notice {
	return conn.Notice{Severity: severity, Code: code, Message: msg}
}

func writeResult(w conn.ResultWriter, res *result, max int) error {
	for _, n := range res.notices {
		if err := w.Notice(n); err != nil {
			return err
		}
	}
	if res.cols != nil {
		if err := w.Columns(res.cols); err != nil {
			return err
		}
	}
	for i, r := range res.rows {
		if max >= 0 && i >= max {
			break
		}
		if err := w.Row(r); err != nil {
			return err
		}
	}
	return nil
}

// run executes one statement with the transaction rules.
func (s *Session) run(ctx context.Context, stmt *parser.Statement, params []types.Datum) (res *result, err error) {
	s.stmtStart(stmt.SQL)
	defer s.stmtEnd()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, pgerr.New(pgerr.Internal, "internal error: %v", r)
			if s.inBlock {
				s.failed = true
			}
		}
	}()
	ctx, done := s.withCancel(ctx)
	defer done()
	if stmt.Ext != nil {
		if res, handled, err := s.runExt(ctx, stmt); handled {
			if err != nil && s.inBlock {
				s.failed = true
			}
			return res, err
		}
	}
	if s.failed {
		return nil, pgerr.New(pgerr.InFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if stmt.AsOf != nil {
		if s.inBlock {
			s.failed = true
			return nil, pgerr.New(pgerr.FeatureNotSupported, "AS OF SYSTEM TIME on a statement inside a transaction block: use BEGIN AS OF SYSTEM TIME")
		}
		ts, err := s.evalAsOf(ctx, stmt, stmt.AsOf, params)
		if err != nil {
			return nil, err
		}
		s.stmtAsOf = ts
		defer func() { s.stmtAsOf = hlc.Timestamp{} }()
	}
	if err := s.checkReadOnly(stmt); err != nil {
		if s.inBlock {
			s.failed = true
		}
		return nil, err
	}
	res, err = s.inTxn(ctx, func(st *stmtCtx) (*result, error) { return s.execute(st, stmt, params) })
	if err == nil && res != nil && len(res.jobs) > 0 {
		// The statement's transaction committed the first state of an
		// online index change; finish it before answering.
		sc := &schemaChanger{db: s.eng.db, cache: s.eng.cache, afterChunk: s.eng.backfillHook}
		for _, j := range res.jobs {
			if err := sc.run(ctx, j); err != nil {
				if ctx.Err() != nil && pgerr.Code(err) == "" {
					return nil, canceled(ctx)
				}
				return nil, err
			}
		}
	}
	return res, err
}

// onlineDDL reports whether index changes run online (an implicit,
// current-time transaction; see ddl.online).
func (s *Session) onlineDDL() bool {
	_, hist := s.historical()
	return !s.inBlock && !hist
}

// inTxn runs f in the open transaction block or in an implicit,
// retried transaction.
func (s *Session) inTxn(ctx context.Context, f func(st *stmtCtx) (*result, error)) (res *result, err error) {
	if s.inBlock {
		if s.txn == nil {
			s.txn = s.newTxn(context.WithoutCancel(ctx)) // a block outlives its statements; Close rolls it back
		}
		s.txnStmts++
		var st *stmtCtx
		if st, err = s.newStmtCtx(ctx, s.txn); err == nil {
			res, err = f(st)
		}
		if err != nil {
			s.failed = true
			return nil, wrapRetry(err)
		}
		return res, nil
	}
	err = s.implicit(ctx, func(st *stmtCtx) error {
		var e error
		res, e = f(st)
		return e
	})
	if err != nil {
		if ctx.Err() != nil && pgerr.Code(err) == "" {
			return nil, canceled(ctx)
		}
		return nil, err
	}
	if err := s.afterCommit(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Session) runExt(ctx context.Context, stmt *parser.Statement) (*result, bool, error) {
	tag := stmt.Ext.StatementTag()
	res := &result{tag: tag}
	switch x := stmt.Ext.(type) {
	case *parser.BeginStmt:
		if s.implicitBlock {
			// BEGIN turns the implicit block into an ordinary one.
			s.implicitBlock = false
			if x.Modes.ReadOnly != nil {
				s.readOnly = *x.Modes.ReadOnly
			}
			return res, true, nil
		}
		if s.inBlock {
			res.notices = append(res.notices, noticeCode("WARNING", pgerr.ActiveTxn, "there is already a transaction in progress"))
			return res, true, nil
		}
		var ts hlc.Timestamp
		if x.Modes.AsOf != nil {
			var err error
			if ts, err = s.evalAsOf(ctx, stmt, x.Modes.AsOf, nil); err != nil {
				return nil, true, err
			}
		}
		s.beginBlock(ctx)
		s.blockAsOf = ts
		if x.Modes.ReadOnly != nil {
			s.readOnly = *x.Modes.ReadOnly
		}
		if x.Modes.Isolation != "" && x.Modes.Isolation != "serializable" {
			res.notices = append(res.notices, notice(fmt.Sprintf("isolation level %s runs as SERIALIZABLE", strings.ToUpper(x.Modes.Isolation))))
		}
		return res, true, nil
	case *parser.CommitStmt:
		if x.Chain {
			return s.endChained(ctx, res, true)
		}
		if !s.inBlock || s.implicitBlock {
			res.notices = append(res.notices, noticeCode("WARNING", pgerr.NoActiveTxn, "there is no transaction in progress"))
			if !s.inBlock {
				return res, true, nil
			}
			// An implicit block: COMMIT ends it (PostgreSQL warns and commits).
		}
		if s.failed {
			s.endBlock(ctx, false)
			res.tag = "ROLLBACK"
			return res, true, nil
		}
		err := s.endBlock(ctx, true)
		return res, true, wrapRetry(err)
	case *parser.RollbackStmt:
		if x.Savepoint != "" {
			if !s.inBlock || s.implicitBlock {
				return nil, true, pgerr.New(pgerr.NoActiveTxn, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
			}
			for i := len(s.savepoints) - 1; i >= 0; i-- {
				if s.savepoints[i].name != x.Savepoint {
					continue
				}
				if strings.EqualFold(x.Savepoint, s.restartSP) && i == 0 {
					// Restart: a fresh transaction (also after a retry error).
					if s.txn != nil {
						_ = s.txn.Rollback(ctx)
					}
					s.txn = s.newTxn(context.WithoutCancel(ctx)) // a block outlives its statements; Close rolls it back
					s.savepoints = []namedSP{{name: x.Savepoint}}
					s.failed = false
					s.txnStmts = 0
					return res, true, nil
				}
				sps, ok := s.txn.(kvtxn.Savepoints)
				if !ok || s.savepoints[i].sp == nil {
					return nil, true, pgerr.New(pgerr.FeatureNotSupported, "ROLLBACK TO SAVEPOINT is not supported by this transaction")
				}
				if err := sps.RollbackTo(ctx, s.savepoints[i].sp); err != nil {
					s.failed = true
					return nil, true, wrapRetry(err)
				}
				if d := s.savepoints[i].descs; d != nil {
					s.blockDescs(s.txn).Restore(d)
				}
				s.savepoints = s.savepoints[:i+1]
				s.failed = false
				return res, true, nil
			}
			return nil, true, pgerr.New(pgerr.InvalidSavepoint, "savepoint %q does not exist", x.Savepoint)
		}
		if x.Chain {
			return s.endChained(ctx, res, false)
		}
		if !s.inBlock || s.implicitBlock {
			res.notices = append(res.notices, noticeCode("WARNING", pgerr.NoActiveTxn, "there is no transaction in progress"))
			if !s.inBlock {
				return res, true, nil
			}
		}
		s.endBlock(ctx, false)
		return res, true, nil
	case *parser.SavepointStmt:
		if !s.inBlock || s.implicitBlock {
			return nil, true, pgerr.New(pgerr.NoActiveTxn, "SAVEPOINT can only be used in transaction blocks")
		}
		if s.failed {
			return nil, true, pgerr.New(pgerr.InFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
		}
		if s.txnStmts == 0 && len(s.savepoints) == 0 {
			s.restartSP = x.Name
			s.savepoints = append(s.savepoints, namedSP{name: x.Name})
			return res, true, nil
		}
		if s.txn == nil {
			s.txn = s.newTxn(context.WithoutCancel(ctx)) // a block outlives its statements; Close rolls it back
		}
		var sp any
		if sps, ok := s.txn.(kvtxn.Savepoints); ok {
			var err error
			if sp, err = sps.Savepoint(ctx); err != nil {
				return nil, true, err
			}
		}
		s.savepoints = append(s.savepoints, namedSP{name: x.Name, sp: sp, descs: s.blockDescs(s.txn).Snapshot()})
		return res, true, nil
	case *parser.ReleaseStmt:
		if !s.inBlock || s.implicitBlock {
			return nil, true, pgerr.New(pgerr.NoActiveTxn, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		if s.failed {
			return nil, true, pgerr.New(pgerr.InFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
		}
		for i := len(s.savepoints) - 1; i >= 0; i-- {
			if s.savepoints[i].name == x.Name {
				if sps, ok := s.txn.(kvtxn.Savepoints); ok && s.savepoints[i].sp != nil {
					if err := sps.Release(ctx, s.savepoints[i].sp); err != nil {
						return nil, true, err
					}
				}
				s.savepoints = s.savepoints[:i]
				return res, true, nil
			}
		}
		return nil, true, pgerr.New(pgerr.InvalidSavepoint, "savepoint %q does not exist", x.Name)
	}
	if s.failed {
		return nil, true, pgerr.New(pgerr.InFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if isAdminStmt(stmt.Ext) {
		r, err := s.runAdmin(ctx, stmt, nil)
		return r, true, err
	}
	switch x := stmt.Ext.(type) {
	case *parser.SetTransactionStmt:
		if x.Modes.AsOf != nil {
			if err := s.setTxnAsOf(ctx, stmt, x); err != nil {
				return nil, true, err
			}
		}
		if ro := x.Modes.ReadOnly; ro != nil {
			switch {
			case x.Session:
				s.vars["default_transaction_read_only"] = onOff(*ro)
				s.varsGen++
			case !s.inBlock:
				res.notices = append(res.notices, noticeCode("WARNING", pgerr.NoActiveTxn, "SET TRANSACTION can only be used in transaction blocks"))
			case !*ro && s.readOnly && s.txnStmts > 0:
				return nil, true, pgerr.New(pgerr.ActiveTxn, "transaction read-write mode must be set before any query")
			default:
				s.readOnly = *ro
			}
		}
		if x.Modes.Isolation != "" && x.Modes.Isolation != "serializable" {
			res.notices = append(res.notices, notice(fmt.Sprintf("isolation level %s runs as SERIALIZABLE", strings.ToUpper(x.Modes.Isolation))))
		}
		return res, true, nil
	case *parser.SetVarStmt:
		v := strings.Join(x.Values, ", ")
		if x.Default {
			v = defaultVars[strings.ToLower(x.Name)]
		}
		return res, true, s.setVarStmt(res, x.Name, v, x.Local)
	case *parser.ResetStmt:
		if x.All {
			for k, v := range defaultVars {
				s.vars[k] = v
			}
			s.varsGen++
			return res, true, nil
		}
		return res, true, s.setVarStmt(res, x.Name, defaultVars[strings.ToLower(x.Name)], false)
	case *parser.ShowStmt:
		if x.All {
			res.cols = []conn.Column{{Name: "name", Type: types.String}, {Name: "setting", Type: types.String}}
			var names []string
			for k := range s.vars {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				res.rows = append(res.rows, exec.Row{types.DString(k), types.DString(s.vars[k])})
			}
			return res, true, nil
		}
		name := strings.ToLower(x.Name)
		v, ok := s.vars[name]
		if !ok {
			return nil, true, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", x.Name)
		}
		if name == "transaction_read_only" {
			// the block's access mode (BEGIN READ ONLY, SET TRANSACTION),
			// outside one the default
			v = s.vars["default_transaction_read_only"]
			if s.inBlock {
				v = onOff(s.readOnly)
			}
		}
		disp := name
		if d, ok := varDisplay[name]; ok {
			disp = d
		}
		res.cols = []conn.Column{{Name: disp, Type: types.String}}
		res.rows = []exec.Row{{types.DString(v)}}
		return res, true, nil
	case *parser.CommentStmt:
		if x.Kind == "" {
			return res, true, nil // a kind of object whose comments we do not keep
		}
		return nil, false, nil
	case *parser.DiscardStmt, *parser.VacuumStmt, *parser.AnalyzeStmt:
		return res, true, nil
	case *parser.PrepareStmt:
		if _, dup := s.prepared[x.Name]; dup {
			return nil, true, pgerr.New("42P05", "prepared statement %q already exists", x.Name)
		}
		var oids []types.OID
		for _, pt := range x.ParamTypes {
			t, err := types.FromPG(pt)
			if err != nil {
				return nil, true, err
			}
			oids = append(oids, t.OID())
		}
		cp, err := s.Prepare(ctx, x.Stmt.SQL, oids)
		if err != nil {
			return nil, true, err
		}
		if s.prepared == nil {
			s.prepared = map[string]*Prepared{}
		}
		s.prepared[x.Name] = cp.(*Prepared)
		return res, true, nil
	case *parser.ExecuteStmt:
		p, ok := s.prepared[x.Name]
		if !ok {
			return nil, true, pgerr.New("26000", "prepared statement %q does not exist", x.Name)
		}
		if len(x.Args) != len(p.params) {
			return nil, true, pgerr.New(pgerr.Syntax, "wrong number of parameters for prepared statement %q", x.Name)
		}
		b := &plan.Binder{Ctx: ctx, Stmt: stmt, Eval: s.evalCtx()}
		env := &exec.Env{Ctx: ctx, EvalCtx: b.Eval}
		params := make([]types.Datum, len(x.Args))
		for i, a := range x.Args {
			e, err := b.BindScalar(a, nil)
			if err != nil {
				return nil, true, err
			}
			v, err := env.Eval(e, nil)
			if err != nil {
				return nil, true, err
			}
			if params[i], err = sem.Coerce(b.Eval, v, e.Type(), p.params[i]); err != nil {
				return nil, true, err
			}
		}
		saved := s.curParamTypes
		s.curParamTypes = p.params
		r, err := s.run(ctx, &p.stmt, params)
		s.curParamTypes = saved
		if r != nil && r.cols == nil && p.cols != nil {
			r.cols = p.cols
		}
		return r, true, err
	case *parser.CloseStmt:
		// DECLARE is not supported, so no cursor exists to close or fetch.
		if x.All {
			return res, true, nil
		}
		return nil, true, pgerr.New(pgerr.InvalidCursorName, "cursor %q does not exist", x.Name)
	case *parser.FetchStmt:
		return nil, true, pgerr.New(pgerr.InvalidCursorName, "cursor %q does not exist", x.Cursor)
	case *parser.DeallocateStmt:
		if x.All {
			s.prepared = nil
			if s.protoStmts != nil {
				s.protoStmts.DropAll()
			}
			return res, true, nil
		}
		if _, ok := s.prepared[x.Name]; ok {
			delete(s.prepared, x.Name)
			return res, true, nil
		}
		if s.protoStmts != nil && s.protoStmts.Drop(x.Name) {
			return res, true, nil
		}
		return nil, true, pgerr.New(pgerr.InvalidStatementName, "prepared statement %q does not exist", x.Name)
	}
	return nil, false, nil
}

// txnReadOnly reports whether the statement about to run is in a READ
// ONLY transaction (the block's mode, or the session default).
func (s *Session) txnReadOnly() bool {
	if s.inBlock {
		return s.readOnly
	}
	return s.vars["default_transaction_read_only"] == "on"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// writeKind names the statement as PostgreSQL's read-only error does
// when it writes (DML, DDL, SELECT … FOR UPDATE), "" when it only reads.
func writeKind(n ast.StmtNode, sql string) string {
	switch x := n.(type) {
	case nil:
		return ""
	case *ast.InsertStmt:
		return "INSERT"
	case *ast.UpdateStmt:
		return "UPDATE"
	case *ast.DeleteStmt:
		return "DELETE"
	case *ast.TruncateTableStmt:
		return "TRUNCATE TABLE"
	case *ast.SelectStmt:
		if x.LockInfo != nil && x.LockInfo.LockType != ast.SelectLockNone {
			return "SELECT FOR UPDATE"
		}
		return ""
	case ast.DDLNode:
		if w := strings.Fields(sql); len(w) >= 2 {
			return strings.ToUpper(w[0] + " " + w[1])
		}
		return "DDL"
	}
	return ""
}

// BeginImplicit implements conn.ImplicitBatches: unless a transaction
// block is open, the statements from now until EndImplicit run in one
// implicit transaction (PostgreSQL's implicit transaction block: BEGIN
// turns it into an ordinary block, COMMIT or ROLLBACK ends it early).
func (s *Session) BeginImplicit() {
	if s.inBlock {
		return
	}
	s.beginBlock(context.Background())
	s.implicitBlock = true
}

// EndImplicit implements conn.ImplicitBatches: it ends the implicit
// transaction BeginImplicit opened, if it is still open, committing it
// when ok and no statement in it failed and rolling it back otherwise.
// The error is the commit's.
func (s *Session) EndImplicit(ctx context.Context, ok bool) error {
	if !s.implicitBlock {
		return nil
	}
	commit := ok && !s.failed
	if err := s.endBlock(ctx, commit); err != nil {
		err = wrapRetry(err) // an ambiguous commit stays 40003 even when ctx ended
		if ctx.Err() != nil && pgerr.Code(err) == "" {
			return canceled(ctx)
		}
		return err
	}
	return nil
}

// endChained is COMMIT AND CHAIN (commit) or ROLLBACK AND CHAIN: the
// block ends (a failed one rolls back, tagged ROLLBACK) and a new one with
// the same access mode begins at once.
func (s *Session) endChained(ctx context.Context, res *result, commit bool) (*result, bool, error) {
	if !s.inBlock || s.implicitBlock {
		word := "COMMIT"
		if !commit {
			word = "ROLLBACK"
		}
		return nil, true, pgerr.New(pgerr.NoActiveTxn, "%s AND CHAIN can only be used in transaction blocks", word)
	}
	readOnly := s.readOnly
	if commit && s.failed {
		commit = false
		res.tag = "ROLLBACK"
	}
	if err := s.endBlock(ctx, commit); err != nil && commit {
		return nil, true, wrapRetry(err)
	}
	s.beginBlock(ctx)
	s.readOnly = readOnly
	return res, true, nil
}

func (s *Session) beginBlock(ctx context.Context) {
	s.inBlock, s.failed = true, false
	s.implicitBlock = false
	s.readOnly = s.vars["default_transaction_read_only"] == "on"
	s.txn = nil
	s.txnStmts = 0
	s.restartSP = ""
	s.savepoints = nil
	s.txnStart = time.Now()
	s.blockAsOf = hlc.Timestamp{}
}

func (s *Session) endBlock(ctx context.Context, commit bool) error {
	s.bk.endXact()
	txn := s.txn
	s.txn = nil
	s.inBlock, s.failed, s.implicitBlock = false, false, false
	s.blockAsOf = hlc.Timestamp{}
	descs := s.txnDescs
	if s.txnDescsOf != txn {
		descs = nil
	}
	s.txnDescs, s.txnDescsOf = nil, nil
	if txn == nil {
		s.endVars(commit)
		return nil
	}
	if commit {
		err := txn.Commit(ctx)
		s.endVars(err == nil)
		if err != nil {
			// The block is over either way (a failed COMMIT reports the
			// error and ends the block, as in PostgreSQL).
			_ = txn.Rollback(ctx)
			return err
		}
		if descs != nil {
			descs.Committed(s.eng.cache)
		}
		return s.afterCommit(ctx)
	}
	s.endVars(false)
	return txn.Rollback(ctx)
}

func columnsOf(cols []plan.Col) []conn.Column {
	out := make([]conn.Column, 0, len(cols))
	for _, c := range cols {
		if c.Hidden {
			continue
		}
		t := c.T
		if t.Family == types.UnknownFamily {
			t = types.String
		}
		out = append(out, conn.Column{Name: c.Name, Type: t, TableOID: c.TableOID, ColumnAttr: c.Attr})
	}
	return out
}

func (s *Session) binder(st *stmtCtx, stmt *parser.Statement, paramTypes []*types.T) *plan.Binder {
	ev := s.evalCtx()
	if st.schName != "" {
		ev.Schema = st.schName
	}
	ev.Backend = s.backend(st)
	return &plan.Binder{Ctx: st.ctx, Coll: st.coll, DB: st.dbID, Schema: st.sch, TempSchema: st.tempSch, SearchPath: st.path, Stmt: stmt, Eval: ev,
		Params: append([]*types.T(nil), paramTypes...), NumParams: stmt.NumParams}
}

// execute runs one non-control statement in st's transaction.
func (s *Session) execute(st *stmtCtx, stmt *parser.Statement, params []types.Datum) (*result, error) {
	if err := st.resolveDB(s.database); err != nil {
		return nil, err
	}
	b := s.binder(st, stmt, s.curParamTypes)
	// The binder's eval context is the statement's (current_schema()
	// follows search_path): one context, one clock reading.
	env := &exec.Env{Ctx: st.ctx, Txn: st.txn, DB: s.eng.db, EvalCtx: b.Eval, Params: params,
		NodeID: s.eng.cfg.NodeID, Budget: s.eng.cfg.MemoryBudget, WorkMem: s.workMem(), TempDir: s.eng.cfg.TempDir}
	defer env.Close() // results are buffered: the statement's temp files go now
	env.Binder = b
	if stmt.Ext != nil {
		d := &ddl{ctx: st.ctx, b: b, coll: st.coll, env: env, st: stmt, online: s.onlineDDL(), sess: s, stc: st}
		var tag string
		var err error
		switch x := stmt.Ext.(type) {
		case *parser.TruncateStmt:
			tag, err = d.truncate(x)
		case *parser.DropIndexStmt:
			tag, err = d.dropIndex(x)
		case *parser.AlterColumnStmt:
			tag, err = d.alterColumn(x)
		case *parser.CreateTypeStmt:
			tag, err = d.createType(x)
		case *parser.CreateDomainStmt:
			tag, err = d.createDomain(x)
		case *parser.CreateFunctionStmt:
			tag, err = d.createFunction(x)
		case *parser.DropFunctionStmt:
			tag, err = d.dropFunction(x)
		case *parser.DropTypeStmt:
			tag, err = d.dropType(x)
		case *parser.LockStmt:
			tag, err = d.lockTables(x)
		case *parser.RenameIndexStmt:
			tag, err = d.renameIndex(x)
		case *parser.CreateExtensionStmt:
			tag, err = d.createExtension(x)
		case *parser.AlterTypeStmt:
			tag, err = d.alterType(x)
		case *parser.CommentStmt:
			tag, err = d.comment(x)
		case *parser.ValidateConstraintStmt:
			tag, err = d.validateConstraint(x)
		case *parser.RoleStmt:
			tag, err = d.role(x)
		case *parser.GrantStmt:
			tag, err = d.grant(x)
		case *parser.MaintenanceStmt:
			tag, err = d.maintenance(x)
		case *parser.AlterDomainStmt:
			tag, err = d.alterDomain(x)
		case *parser.MatViewStmt:
			tag, err = d.matView(x)
		case *parser.OwnerStmt:
			tag, err = d.owner(x)
		case *parser.AlterDefaultPrivilegesStmt:
			tag = x.StatementTag()
		default:
			return nil, pgerr.New(pgerr.FeatureNotSupported, "%s is not supported", x.StatementTag())
		}
		if err != nil {
			return nil, err
		}
		return &result{tag: tag, notices: d.notices, jobs: d.jobs}, nil
	}
	return s.executeAST(st, b, env, stmt, stmt.AST)
}

func (s *Session) executeAST(st *stmtCtx, b *plan.Binder, env *exec.Env, stmt *parser.Statement, n ast.StmtNode) (*result, error) {
	d := &ddl{ctx: st.ctx, b: b, coll: st.coll, env: env, st: stmt, online: s.onlineDDL(), sess: s, stc: st}
	ddlRes := func(tag string, err error) (*result, error) {
		if err != nil {
			return nil, err
		}
		return &result{tag: tag, notices: d.notices, jobs: d.jobs}, nil
	}
	switch n := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		node, err := s.bindCached(st, b, stmt, n.(ast.ResultSetNode))
		if err != nil {
			return nil, err
		}
		if err := runWriteCTEs(b, env); err != nil {
			return nil, err
		}
		rows, err := exec.Collect(env, node)
		if err != nil {
			return nil, err
		}
		return &result{cols: columnsOf(node.Columns()), rows: rows, tag: "SELECT " + strconv.Itoa(len(rows))}, nil
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		node, tagf, err := s.bindDMLCached(st, b, stmt, n)
		if err != nil {
			return nil, err
		}
		if err := runWriteCTEs(b, env); err != nil {
			return nil, err
		}
		rows, err := exec.Collect(env, node)
		if err != nil {
			return nil, err
		}
		res := &result{rows: rows, tag: fmt.Sprintf(tagf, env.RowsAffected)}
		if len(b.Stmt.Returning) > 0 {
			res.cols = columnsOf(node.Columns())
		} else {
			res.rows = nil
		}
		return res, nil
	case *ast.CreateTableStmt:
		return ddlRes(d.createTable(n))
	case *ast.CreateIndexStmt:
		return ddlRes(d.createIndex(n))
	case *ast.DropTableStmt:
		return ddlRes(d.dropTable(n))
	case *ast.CreateViewStmt:
		return ddlRes(d.createView(n))
	case *ast.CreateSequenceStmt:
		return ddlRes(d.createSequence(n))
	case *ast.AlterSequenceStmt:
		return ddlRes(d.alterSequence(n))
	case *ast.DropSequenceStmt:
		return ddlRes(d.dropSequence(n))
	case *ast.AlterTableStmt:
		return ddlRes(d.alterTable(n))
	case *ast.CreateDatabaseStmt:
		if isSchemaStmt(stmt.SQL, "CREATE") {
			return ddlRes(d.createSchema(n.Name.O, n.IfNotExists))
		}
		if id, err := st.coll.LookupID(st.ctx, 0, 0, n.Name.O); err != nil {
			return nil, err
		} else if id != 0 {
			if n.IfNotExists {
				return &result{tag: "CREATE DATABASE"}, nil
			}
			return nil, pgerr.New(pgerr.DuplicateDatabase, "database %q already exists", n.Name.O)
		}
		_, err := st.coll.CreateDatabase(st.ctx, n.Name.O)
		return ddlRes("CREATE DATABASE", err)
	case *ast.DropDatabaseStmt:
		if isSchemaStmt(stmt.SQL, "DROP") {
			return ddlRes(d.dropSchema(n.Name.O, n.IfExists, endsWithCascade(stmt.SQL)))
		}
		id, err := st.coll.LookupID(st.ctx, 0, 0, n.Name.O)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			if n.IfExists {
				return &result{tag: "DROP DATABASE"}, nil
			}
			return nil, pgerr.New(pgerr.InvalidCatalogName, "database %q does not exist", n.Name.O)
		}
		if n.Name.O == s.database {
			return nil, pgerr.New(pgerr.ObjectInUse, "cannot drop the currently open database")
		}
		return ddlRes("DROP DATABASE", d.dropDatabase(id, n.Name.O))
	case *ast.ExplainStmt:
		return s.explain(b, env, n)
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "%s is not supported", stmtWords(stmt.SQL))
}

// stmtWords names an unsupported statement by its first words (GRANT,
// CREATE ROLE, ALTER DEFAULT PRIVILEGES ...).
func stmtWords(sql string) string {
	f := strings.Fields(strings.ToUpper(sql))
	n := 1
	if len(f) > 1 && (f[0] == "CREATE" || f[0] == "DROP" || f[0] == "ALTER") {
		n = 2
	}
	if len(f) < n {
		return "this statement"
	}
	return strings.Trim(strings.Join(f[:n], " "), ";")
}

// runWriteCTEs runs the statement's data-modifying WITH queries, each
// once, before the statement; the command tag counts the statement's own
// rows only.
func runWriteCTEs(b *plan.Binder, env *exec.Env) error {
	for _, c := range b.WriteCTEs {
		if err := env.RunCTE(c); err != nil {
			return err
		}
	}
	env.RowsAffected = 0
	return nil
}

func bindDML(b *plan.Binder, n ast.StmtNode) (plan.Node, string, error) {
	switch n := n.(type) {
	case *ast.InsertStmt:
		x, err := b.BindInsert(n)
		return x, dmlTag(n), err
	case *ast.UpdateStmt:
		x, err := b.BindUpdate(n)
		return x, dmlTag(n), err
	case *ast.DeleteStmt:
		x, err := b.BindDelete(n)
		return x, dmlTag(n), err
	}
	return nil, "", pgerr.New(pgerr.Internal, "not DML")
}

// dmlTag is the command tag format of a DML statement.
func dmlTag(n ast.StmtNode) string {
	switch n.(type) {
	case *ast.InsertStmt:
		return "INSERT 0 %d"
	case *ast.UpdateStmt:
		return "UPDATE %d"
	case *ast.DeleteStmt:
		return "DELETE %d"
	}
	return ""
}

func (d *ddl) dropDatabase(id catalog.ID, name string) error {
	schemas, err := d.coll.ListNames(d.ctx, id, 0)
	if err != nil {
		return err
	}
	for _, sid := range schemas {
		objs, err := d.coll.ListNames(d.ctx, id, sid)
		if err != nil {
			return err
		}
		for _, oid := range objs {
			o, err := d.coll.Get(d.ctx, oid)
			if err != nil {
				return err
			}
			if o != nil {
				if err := d.dropDesc(o); err != nil && pgerr.Code(err) == "" {
					return err
				}
			}
		}
		sd, err := d.coll.Get(d.ctx, sid)
		if err != nil {
			return err
		}
		if sd != nil {
			if err := d.coll.RemoveName(d.ctx, id, 0, sd.Name); err != nil {
				return err
			}
			if err := d.coll.Delete(d.ctx, sid); err != nil {
				return err
			}
		}
	}
	if err := d.coll.RemoveName(d.ctx, 0, 0, name); err != nil {
		return err
	}
	return d.coll.Delete(d.ctx, id)
}

// posixZone is a POSIX time zone of a fixed offset: an optional name (3+
// letters or <...>) and [+|-]hh[:mm[:ss]], positive WEST of Greenwich.
var posixZone = regexp.MustCompile(`^([A-Za-z]{3,}|<[^>]+>)?([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$`)

// parseTimeZone reads a TimeZone setting as PostgreSQL does: a zone of the
// time zone database, a number of hours east of Greenwich (SET TIME ZONE 2,
// shown as <+02>-02), or a POSIX fixed-offset spec ('+02:00' is two hours
// WEST, 'UTC+3'). It returns the location and the setting's shown value.
func parseTimeZone(v string) (*time.Location, string, bool) {
	if v != "" && v[0] != '+' && v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		if loc, err := time.LoadLocation(v); err == nil {
			return loc, v, true
		}
	}
	if h, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, ":eE") {
		if math.Abs(h) > 15*24 || math.IsNaN(h) {
			return nil, "", false
		}
		secs := int(math.Round(h * 3600))
		name := offsetText(secs)
		return time.FixedZone(name, secs), "<" + name + ">" + offsetText(-secs), true
	}
	m := posixZone.FindStringSubmatch(v)
	if m == nil {
		return nil, "", false
	}
	hh, _ := strconv.Atoi(m[3])
	mm, _ := strconv.Atoi(m[4])
	ss, _ := strconv.Atoi(m[5])
	if hh > 24 || mm > 59 || ss > 59 {
		return nil, "", false
	}
	west := hh*3600 + mm*60 + ss
	if m[2] == "-" {
		west = -west
	}
	name := strings.Trim(m[1], "<>")
	if name == "" {
		name = offsetText(-west)
	}
	return time.FixedZone(name, -west), v, true
}

// offsetText is an offset east in seconds as +hh[:mm[:ss]].
func offsetText(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	s := fmt.Sprintf("%s%02d", sign, secs/3600)
	if secs%3600 != 0 {
		s += fmt.Sprintf(":%02d", secs/60%60)
		if secs%60 != 0 {
			s += fmt.Sprintf(":%02d", secs%60)
		}
	}
	return s
}
