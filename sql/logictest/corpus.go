package logictest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
