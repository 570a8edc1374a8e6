package parser

import "github.com/tesseradb/tessera/sql/parser/pgdialect"

// explainOptions rewrites PostgreSQL's EXPLAIN (option [value], ...) and
// EXPLAIN [ANALYZE] [VERBOSE] for the grammar: ANALYZE [true|on|1] stays
// (EXPLAIN ANALYZE), VERBOSE, COSTS, BUFFERS, TIMING, SUMMARY, SETTINGS,
// WAL and FORMAT TEXT are accepted and cut (the plan has no costs or
// buffers to show), another FORMAT is refused (a tool asking for JSON
// cannot read our text).
func explainOptions(sql string, toks []pgdialect.Token, a, b int, w *pgdialect.Rewriter) error {
	if !toks[a].Is("explain") || a+1 >= b {
		return nil
	}
	i := a + 1
	if toks[i].Is("analyze") || toks[i].Is("analyse") {
		i++
	}
	if toks[i].Is("verbose") {
		w.Skip = setSkip(w.Skip, i, i+1)
		return nil
	}
	if i != a+1 || !toks[i].IsP("(") {
		return nil
	}
	close := matchParen(toks, i, b)
	if close < 0 {
		return nil
	}
	analyze := false
	for k := i + 1; k < close; {
		opt := toks[k]
		if opt.Kind != pgdialect.Ident {
			return syntaxErrorAt(sql, opt.Pos, opt.Raw(sql))
		}
		k++
		val := ""
		if k < close && !toks[k].IsP(",") {
			val = toks[k].Val
			k++
		}
		on := val == "" || val == "true" || val == "on" || val == "1"
		switch opt.Val {
		case "analyze", "analyse":
			analyze = on
		case "format":
			if val != "text" {
				return errorAt(sql, opt.Pos, CodeFeatureNotSupported, "EXPLAIN (FORMAT "+val+") is not supported")
			}
		case "verbose", "costs", "buffers", "timing", "summary", "settings", "wal", "generic_plan":
		default:
			return errorAt(sql, opt.Pos, "42601", "unrecognized EXPLAIN option \""+opt.Val+"\"")
		}
		if k < close && toks[k].IsP(",") {
			k++
		}
	}
	w.Skip = setSkip(w.Skip, i, close+1)
	if analyze {
		w.Insert = setInsert(w.Insert, close+1, "ANALYZE")
	}
	return nil
}
