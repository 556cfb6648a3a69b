package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jebosio/matte/internal/durable"
	"github.com/jebosio/matte/internal/durable/durabletest"
)

// The journal's folder is synced whenever its name changes (created,
// replaced, removed): a charge journalled into a new file must not vanish
// with a crash, nor a merged one come back to be charged twice.
func TestJournalSyncsItsFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.json.journal")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var synced []string
	j.fs = &durable.FS{SyncDirFunc: func(d string) error {
		synced = append(synced, d)
		return nil
	}}
	step := func(what string, do func() error, want int) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(synced) != want || !slices.ContainsFunc(synced, func(d string) bool { return d == dir }) {
			t.Fatalf("%s: folder synced %v, want %d syncs of %s", what, synced, want, dir)
		}
	}
	step("first charge (file created)", func() error { return j.Add(Charge{ID: "k", Month: "2026-12", Cost: 1}) }, 1)
	step("second charge (appended)", func() error { return j.Add(Charge{ID: "k", Month: "2026-12", Cost: 2}) }, 1)
	rewrite := func(keep int) func() error {
		return func() error {
			j.mu.Lock()
			defer j.mu.Unlock()
			j.pending = j.pending[len(j.pending)-keep:]
			return j.rewriteLocked()
		}
	}
	step("one merged (file replaced)", rewrite(1), 2)
	if j2, err := OpenJournal(path); err != nil || j2.Pending("k", "2026-12") != 2 {
		t.Fatalf("after the rewrite the file holds %v (%v), want the 2 not merged", j2.Pending("k", "2026-12"), err)
	}
	step("all merged (file removed)", rewrite(0), 3)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("journal file after the last merge: %v", err)
	}
}

// TestOpenJournalRemovesStaleTemps: a temporary file of the journal's that
// a crash left behind is removed when the journal is opened; a fresh one,
// perhaps another generation's write in progress, is kept.
func TestOpenJournalRemovesStaleTemps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json.journal")
	check := durabletest.Temps(t, path)
	if _, err := OpenJournal(path); err != nil {
		t.Fatal(err)
	}
	check()
}

// TestJournalTornLine: a crash while appending leaves a torn last line.
// OpenJournal skips it, and must not leave it for the next Add to append
// to: the charge added after it has to survive the next open. A last line
// whole but for its newline is a charge.
func TestJournalTornLine(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       float64 // pending for k after a reopen, with the Add of 4
	}{
		{"torn last line", `{"id":"k","month":"2026-12","cost":1}` + "\n" + `{"id":"k","mon`, 1 + 4},
		{"last line without its newline", `{"id":"k","month":"2026-12","cost":1}` + "\n" + `{"id":"k","month":"2026-12","cost":2}`, 1 + 2 + 4},
		{"torn line in the middle", `{"id":"k","mon` + "\n" + `{"id":"k","month":"2026-12","cost":1}` + "\n", 1 + 4},
		{"whole", `{"id":"k","month":"2026-12","cost":1}` + "\n", 1 + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "usage.json.journal")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Add(Charge{ID: "k", Month: "2026-12", Cost: 4}); err != nil {
				t.Fatal(err)
			}
			if got := j.Pending("k", "2026-12"); got != tc.want {
				t.Fatalf("pending before the reopen %v, want %v", got, tc.want)
			}
			j2, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := j2.Pending("k", "2026-12"); got != tc.want {
				b, _ := os.ReadFile(path)
				t.Fatalf("pending after the reopen %v, want %v (the charge added after the torn line lost); file:\n%s", got, tc.want, b)
			}
		})
	}
}
