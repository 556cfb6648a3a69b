package caddymodule

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/jebosio/matte/internal/durable"
)

// A submission whose image or record cannot be made durable (the
// directory's fsync fails after its rename has put the file in place) is
// refused and leaves no file behind: the folder holds both files of a
// submission, counted, or neither. A later save works and is counted.
func TestImproveSaveLeavesBothOrNeither(t *testing.T) {
	for _, failing := range []int{1, 2} { // the image's fsync, the record's
		t.Run(fmt.Sprintf("fsync %d fails", failing), func(t *testing.T) {
			dir := t.TempDir()
			boom := errors.New("boom")
			calls := 0
			s := &improveStore{dir: dir, max: 1, fs: &durable.FS{SyncDirFunc: func(d string) error {
				calls++
				if calls == failing {
					return boom
				}
				return (*durable.FS)(nil).SyncDir(d)
			}}}
			if _, err := s.save([]byte("image"), submissionRecord{Type: "png"}); !errors.Is(err, boom) {
				t.Fatalf("save with fsync %d failing: %v, want it", failing, err)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Fatalf("a failed save left %q", names)
			}
			id, err := s.save([]byte("image"), submissionRecord{Type: "png"})
			if err != nil {
				t.Fatalf("the next save: %v", err)
			}
			if names := dirNames(t, dir); len(names) != 2 || names[0] != id+".json" || names[1] != id+".png" {
				t.Fatalf("after a save: %q, want its image and record", names)
			}
			if _, err := s.save([]byte("image"), submissionRecord{Type: "png"}); !errors.Is(err, errStoreFull) {
				t.Fatalf("a second save into a store of 1: %v, want it full", err)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
