package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/jebosio/matte/internal/durable"
)

// Charge is one credit charge made while Redis was unreachable. Token is
// the reservation's when the charge settles one (Quota.Settle failed: Redis
// may have applied it all the same); "" for a charge made without Redis.
type Charge struct {
	ID    string  `json:"id"`
	Month string  `json:"month"`
	Cost  float64 `json:"cost"`
	Token string  `json:"token,omitempty"`
}

// Journal records charges that could not reach Redis, in a file (one JSON
// object a line, appended and fsynced before Add returns), and merges them
// into the Quota when Redis is back: a charge with a Token by settling its
// reservation again (Quota.Settle, which charges a token once within
// SettledKeep), one without by Quota.Charge. A charge is removed from the
// file only after Redis has accepted it, so none is lost across an outage
// or a restart; a crash between the two can count a tokenless charge twice,
// as can a merge later than SettledKeep (never zero times). Safe for
// concurrent use.
type Journal struct {
	path string
	fs   *durable.FS // nil: the operating system's calls; tests record them

	mu      sync.Mutex // guards pending and the file
	pending []Charge
	merging bool
}

// OpenJournal reads the charges left in path (none: an empty journal). A
// line that does not parse (torn by a crash while appending) is skipped;
// the file is then rewritten with the charges read (rewriteLocked), as it is
// when it does not end in a newline: Add appends after what is there, and
// a charge appended to a torn line would be lost with it at the next open.
// An error of that rewrite is OpenJournal's.
func OpenJournal(path string) (*Journal, error) {
	j := &Journal{path: path}
	// Temporary files of the journal's rewrites that a crash left behind:
	// stale ones only (durable.RemoveStaleTemps), as another generation
	// may be rewriting it. Best effort: a failure leaves them for the next
	// open.
	_ = durable.RemoveStaleTemps(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(data, []byte("\n"))
	torn := len(lines[len(lines)-1]) > 0 // no newline at the end
	if !torn {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		// A last line whole but for its newline is a charge all the same.
		var c Charge
		if json.Unmarshal(line, &c) == nil && c.ID != "" {
			j.pending = append(j.pending, c)
		} else {
			torn = true
		}
	}
	if torn {
		j.mu.Lock()
		defer j.mu.Unlock()
		if err := j.rewriteLocked(); err != nil {
			return nil, fmt.Errorf("cluster: rewriting the journal %s without its torn line: %w", path, err)
		}
	}
	return j, nil
}

// Add appends c to the journal.
func (j *Journal) Add(c Charge) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending = append(j.pending, c)
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	created := errors.Is(err, os.ErrNotExist)
	if created {
		f, err = os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	}
	if err != nil {
		return err
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	if err := errors.Join(werr, serr, f.Close()); err != nil || !created {
		return err
	}
	// A new file's name survives a crash only once its folder is synced.
	return j.fs.SyncDir(filepath.Dir(j.path))
}

// Pending is the credits journalled for id and month, not yet merged.
func (j *Journal) Pending(id, month string) float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	var sum float64
	for _, c := range j.pending {
		if c.ID == id && c.Month == month {
			sum += c.Cost
		}
	}
	return sum
}

// Len is the number of charges waiting.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending)
}

// Merge charges every pending charge to q, in order, and drops those Redis
// accepted (from memory and the file). It stops at the first failure; the
// rest wait for the next Merge. Concurrent calls: one merges, the others
// return at once.
func (j *Journal) Merge(ctx context.Context, q *Quota) error {
	j.mu.Lock()
	if j.merging || len(j.pending) == 0 {
		j.mu.Unlock()
		return nil
	}
	j.merging = true
	todo := append([]Charge(nil), j.pending...)
	j.mu.Unlock()

	done := 0
	var err error
	for _, c := range todo {
		if c.Token != "" {
			_, err = q.Settle(ctx, c.ID, c.Month, c.Token, c.Cost, true)
		} else {
			err = q.Charge(ctx, c.ID, c.Month, c.Cost)
		}
		if err != nil {
			break
		}
		done++
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	j.merging = false
	j.pending = j.pending[done:] // Add only appends, so the merged ones are first
	if werr := j.rewriteLocked(); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil {
		return fmt.Errorf("cluster: journal merge stopped after %d of %d charges: %w", done, len(todo), err)
	}
	return nil
}

// rewriteLocked replaces the file with the pending charges, atomically
// and durably: a merged charge that came back after a crash would be
// charged again, one lost would never be.
func (j *Journal) rewriteLocked() error {
	if len(j.pending) == 0 {
		err := j.fs.Remove(j.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return j.fs.SyncDir(filepath.Dir(j.path))
	}
	var buf bytes.Buffer
	for _, c := range j.pending {
		b, _ := json.Marshal(c)
		buf.Write(append(b, '\n'))
	}
	return j.fs.WriteFile(j.path, buf.Bytes(), 0o600)
}
