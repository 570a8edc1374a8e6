// Package plan turns parsed statements into plans: it binds names and
// types (PostgreSQL's operator and function resolution through sql/sem,
// implicit casts made explicit as Cast nodes, unknown-typed literals and
// placeholders typed from context), normalises (constant folding of
// literal casts, conjunct splitting, and simplify.go's folding of what
// PostgreSQL's planner folds: strict operators with a NULL constant
// operand, NOT pushed down, constant AND/OR/NOT/IS, a WHERE/HAVING that
// is FALSE or NULL planned as no rows without running its input; filter
// conjuncts ordered pseudo-constant first, then by estimated cost, as
// PostgreSQL evaluates them — that order decides which errors happen),
// and chooses access paths (point get
// and span scan on the primary key or a secondary index with an index join
// back to the primary, full scan otherwise) and join methods (merge join
// when both inputs come ordered on equality keys — ProvidedOrder knows
// primary key scans, sorts and what passes an order through — hash join
// on other equalities, nested loop otherwise). WHERE conjuncts [NOT]
// EXISTS (correlated subquery) and x [NOT] IN (uncorrelated subquery) run
// as semi/anti joins (unnest.go; NOT IN as a null-aware anti join).
//
// Plans are data: relational Nodes (Scan, Values, Filter, Project, Join,
// Agg, Sort, Limit, Distinct, SetOp, Window, Apply, Insert, Update, Delete)
// with scalar Exprs that refer to input columns by position (ColRef), to
// rows of enclosing queries (OuterRef, for correlated subqueries), and to
// statement parameters (Param). sql/exec builds operators from them.
// A data-modifying WITH query (parser's DataCTEs) is a CTE whose Plan is
// an Insert, Update or Delete, listed in Binder.WriteCTEs: the caller runs
// each once before the statement; a table one writes may not be named
// elsewhere in the statement (it would see the writes, PostgreSQL's does
// not).
//
// Invariants: every Expr has a concrete type (never sem.Unknown after
// binding, except Const NULL typed by context); a Node's Columns() is the
// layout of the rows it produces; OuterRef.Level counts expression-subquery
// boundaries crossed (derived tables in FROM add none).
package plan
