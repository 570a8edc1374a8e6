package logictest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// FindCorpus locates the shared sqllogictest slice: $TESSERA_SLT_DIR if
// set, else the first ancestor A of dir (walking up) with
// A/shared/sqllogictest — the repository is cloned next to shared/.
func FindCorpus(dir string) (string, error) {
	if d := os.Getenv("TESSERA_SLT_DIR"); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("logictest: TESSERA_SLT_DIR: %w", err)
		}
		return d, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "sqllogictest")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("logictest: no shared/sqllogictest in any parent of %s (set TESSERA_SLT_DIR)", abs)
		}
	}
}

// TestFiles lists the .test files under root, sorted.
func TestFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".test") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Subset is the fixed part of ../shared/sqllogictest (paths below the
// corpus root) that make test runs; TESSERA_SLT_FULL=1 runs all of it.
var Subset = []string{"select1.test", "evidence/in1.test", "evidence/in2.test", "evidence/slt_lang_aggfunc.test",
	"evidence/slt_lang_createview.test", "evidence/slt_lang_update.test", "random/expr/slt_good_0.test"}

// SelectFiles returns the corpus files a run covers: every file under root
// when TESSERA_SLT_FULL=1, the files whose path below root matches the
// regular expression $TESSERA_SLT_FILES when that is set, else Subset.
func SelectFiles(root string) ([]string, error) {
	pat := os.Getenv("TESSERA_SLT_FILES")
	if os.Getenv("TESSERA_SLT_FULL") != "1" && pat == "" {
		var files []string
		for _, f := range Subset {
			files = append(files, filepath.Join(root, f))
		}
		return files, nil
	}
	files, err := TestFiles(root)
	if err != nil || pat == "" {
		return files, err
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("logictest: TESSERA_SLT_FILES: %w", err)
	}
	var sel []string
	for _, f := range files {
		if rel, _ := filepath.Rel(root, f); re.MatchString(rel) {
			sel = append(sel, f)
		}
	}
	return sel, nil
}

// DialectFiles lists the .test files of our PostgreSQL-dialect directory
// (sql/testdata/logic), restricted to the base names containing
// $TESSERA_LOGIC_FILES when that is set.
func DialectFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("logictest: no .test files in %s", dir)
	}
	if pat := os.Getenv("TESSERA_LOGIC_FILES"); pat != "" {
		var sel []string
		for _, f := range files {
			if strings.Contains(filepath.Base(f), pat) {
				sel = append(sel, f)
			}
		}
		files = sel
	}
	return files, nil
}
