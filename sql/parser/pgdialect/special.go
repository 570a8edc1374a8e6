package pgdialect

import "strings"

// specialCalls are the functions PostgreSQL calls with keyword-separated
// arguments (SQL-standard syntax). The rewriter turns each into a plain
// call of PostgreSQL's underlying function, quoted so that the MySQL
// grammar reads it as a generic call and not as its own (different)
// EXTRACT/TRIM/POSITION syntax.
var specialCalls = map[string]bool{
	"extract": true, "trim": true, "substring": true, "overlay": true, "position": true,
}

// segment is a run of tokens [a,b) inside a call's parentheses that follows
// the depth-0 keyword kw ("" for the first).
type segment struct {
	kw   string
	a, b int
}

// splitKeywords splits toks(open+1 .. close) at the depth-0 words of kws.
func splitKeywords(toks []Token, open, close int, kws ...string) []segment {
	segs := []segment{{a: open + 1}}
	depth := 0
	for j := open + 1; j < close; j++ {
		t := toks[j]
		switch {
		case t.IsP("(") || t.IsP("["):
			depth++
		case t.IsP(")") || t.IsP("]"):
			depth--
		case depth == 0 && t.Kind == Ident:
			for _, k := range kws {
				if t.Val == k {
					segs[len(segs)-1].b = j
					segs = append(segs, segment{kw: k, a: j + 1})
					break
				}
			}
		}
	}
	segs[len(segs)-1].b = close
	return segs
}

// specialCall rewrites toks[i]( ... ) for a specialCalls name when it uses
// the keyword syntax; it reports whether it did, and the index after ")".
func (w *Rewriter) specialCall(i, to int) (int, bool) {
	toks := w.Toks
	name := toks[i].Val
	close := matchClose(toks, i+1, to)
	if close < 0 {
		return 0, false
	}
	pos := toks[i].Pos
	var args [][2]int
	fn := name
	syntax := func(j int) (int, bool) {
		w.fail(toks[j], "42601", "syntax error")
		return close + 1, true
	}
	nonEmpty := func(s segment) bool { return s.b > s.a }
	switch name {
	case "extract":
		segs := splitKeywords(toks, i+1, close, "from")
		if len(segs) != 2 {
			return syntax(close)
		}
		if segs[0].b-segs[0].a != 1 || !nonEmpty(segs[1]) {
			return syntax(segs[0].a)
		}
		f := toks[segs[0].a]
		if f.Kind != Ident && f.Kind != String && f.Kind != QIdent {
			return syntax(segs[0].a)
		}
		w.emit(QuoteIdent("extract"), pos)
		w.emit("(", toks[i+1].Pos)
		w.emit(quoteStr(strings.ToLower(f.Val)), f.Pos)
		w.emit(",", toks[segs[1].a-1].Pos)
		w.R.Outs = append(w.R.Outs, w.sub(segs[1].a, segs[1].b)...)
		w.emit(")", toks[close].Pos)
		return close + 1, true
	case "position":
		segs := splitKeywords(toks, i+1, close, "in")
		if len(segs) == 1 {
			return 0, false // position(s, sub): the function
		}
		if len(segs) != 2 || !nonEmpty(segs[0]) || !nonEmpty(segs[1]) {
			return syntax(close)
		}
		args = [][2]int{{segs[1].a, segs[1].b}, {segs[0].a, segs[0].b}}
	case "trim":
		start := i + 2
		fn = "btrim"
		switch {
		case toks[start].Is("leading"):
			fn, start = "ltrim", start+1
		case toks[start].Is("trailing"):
			fn, start = "rtrim", start+1
		case toks[start].Is("both"):
			start++
		}
		segs := splitKeywords(toks, start-1, close, "from")
		switch len(segs) {
		case 1:
			// trim([dir] s [, chars])
			if !nonEmpty(segs[0]) {
				return syntax(close)
			}
			args = [][2]int{{segs[0].a, segs[0].b}}
		case 2:
			if !nonEmpty(segs[1]) {
				return syntax(close)
			}
			args = [][2]int{{segs[1].a, segs[1].b}}
			if nonEmpty(segs[0]) {
				args = append(args, [2]int{segs[0].a, segs[0].b})
			}
		default:
			return syntax(close)
		}
	case "substring":
		segs := splitKeywords(toks, i+1, close, "from", "for", "similar", "escape")
		if len(segs) == 1 {
			return 0, false
		}
		if !nonEmpty(segs[0]) {
			return syntax(close)
		}
		args = [][2]int{{segs[0].a, segs[0].b}}
		switch {
		case len(segs) == 2 && segs[1].kw == "from" && nonEmpty(segs[1]):
			args = append(args, [2]int{segs[1].a, segs[1].b})
		case len(segs) == 3 && segs[1].kw == "from" && segs[2].kw == "for" && nonEmpty(segs[1]) && nonEmpty(segs[2]):
			args = append(args, [2]int{segs[1].a, segs[1].b}, [2]int{segs[2].a, segs[2].b})
		case len(segs) == 3 && segs[1].kw == "for" && segs[2].kw == "from" && nonEmpty(segs[1]) && nonEmpty(segs[2]):
			args = append(args, [2]int{segs[2].a, segs[2].b}, [2]int{segs[1].a, segs[1].b})
		case len(segs) == 2 && segs[1].kw == "for" && nonEmpty(segs[1]):
			args = append(args, [2]int{-1, -1}, [2]int{segs[1].a, segs[1].b})
		case len(segs) == 3 && segs[1].kw == "similar" && segs[2].kw == "escape" && nonEmpty(segs[1]) && nonEmpty(segs[2]):
			// substring(s SIMILAR pattern ESCAPE e): substring(s, pattern, e)
			args = append(args, [2]int{segs[1].a, segs[1].b}, [2]int{segs[2].a, segs[2].b})
		default:
			if segs[1].kw == "similar" {
				w.fail(toks[segs[1].a-1], "0A000", "SUBSTRING ... SIMILAR is not supported")
				return close + 1, true
			}
			return syntax(close)
		}
	case "overlay":
		segs := splitKeywords(toks, i+1, close, "placing", "from", "for")
		if len(segs) == 1 {
			return 0, false
		}
		ok := len(segs) >= 3 && len(segs) <= 4 && segs[1].kw == "placing" && segs[2].kw == "from" && (len(segs) == 3 || segs[3].kw == "for")
		for _, s := range segs {
			ok = ok && nonEmpty(s)
		}
		if !ok {
			return syntax(close)
		}
		for _, s := range segs {
			args = append(args, [2]int{s.a, s.b})
		}
	default:
		return 0, false
	}
	w.emit(QuoteIdent(fn), pos)
	w.emit("(", toks[i+1].Pos)
	for k, a := range args {
		if k > 0 {
			w.emit(",", toks[close].Pos)
		}
		if a[0] < 0 {
			w.emit("1", toks[close].Pos)
			continue
		}
		w.R.Outs = append(w.R.Outs, w.sub(a[0], a[1])...)
	}
	w.emit(")", toks[close].Pos)
	return close + 1, true
}
