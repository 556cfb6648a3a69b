// Package durabletest helps the tests of code that removes the temporary
// files durable.WriteFile leaves behind after a crash.
package durabletest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Temps creates, next to name (its directory must exist), two temporary
// files of durable.WriteFile for name: one as a crash leaves it (last
// modified two minutes ago) and one as a write in progress leaves it
// (fresh). The returned check fails t unless the first is gone and the
// second is still there.
func Temps(t testing.TB, name string) (check func()) {
	t.Helper()
	dir, base := filepath.Dir(name), filepath.Base(name)
	stale := filepath.Join(dir, "."+base+".1234567.tmp")
	fresh := filepath.Join(dir, "."+base+".7654321.tmp")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := os.Lstat(stale); !os.IsNotExist(err) {
			t.Errorf("the stale temporary file %s is still there (%v)", stale, err)
		}
		if _, err := os.Lstat(fresh); err != nil {
			t.Errorf("the fresh temporary file %s, perhaps a write in progress, was removed (%v)", fresh, err)
		}
	}
}
