package caddymodule

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/internal/durable"
)

// DefaultImproveMax is how many submissions the improvement store keeps
// when api_improve_max is not set.
const DefaultImproveMax = 1000

// improveStore keeps the images sent to a Submit route (remove.bg's POST
// /v1.0/improve) in one folder, for the operator: <id>.<type> holds the
// image as received and <id>.json its record (submissionRecord), written
// after the image, so a record always names a complete image. Both are
// written atomically and durably (durable.WriteFile); a save that fails
// leaves neither (save). The folder holds at
// most max records: past that, a submission is refused (never an older one
// dropped), until the operator moves or deletes some.
type improveStore struct {
	dir string
	max int
	fs  *durable.FS // nil: the operating system's calls; tests inject faults
}

// improveMu serializes the count-then-write of every improvement store
// (all config generations), so that none holds more than its max.
var improveMu sync.Mutex

// submissionRecord is the <id>.json of a stored submission.
type submissionRecord struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	Image    string    `json:"image"` // the image's file name in the folder
	Type     string    `json:"type"`  // as probed: jpeg, png, webp...
	Bytes    int       `json:"bytes"`
	Width    int       `json:"width"`
	Height   int       `json:"height"`
	Filename string    `json:"image_filename,omitempty"` // as the client gave it
	Tag      string    `json:"tag,omitempty"`
	URL      string    `json:"image_url,omitempty"` // where the image was fetched from
	Key      string    `json:"key,omitempty"`       // the key's SHA-256 (keyID); none on an open API
}

// errStoreFull is save's answer when the folder holds max records.
var errStoreFull = errors.New("improvement store full")

// save stores data under a new id with rec's labels, and returns the id.
// It leaves both files (the submission counted) or, when it returns an
// error, neither (unless removing them failed too: that error is joined).
func (s *improveStore) save(data []byte, rec submissionRecord) (string, error) {
	improveMu.Lock()
	defer improveMu.Unlock()
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", err
	}
	// Temporary files of saves that a crash left behind (every name is
	// new, so they are looked for by folder): stale ones only
	// (durable.RemoveStaleTempsIn), as a save of another config
	// generation, or of another process on the folder, may be writing
	// one. Best effort: a failure leaves them for the next save.
	_ = durable.RemoveStaleTempsIn(s.dir)
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return "", err
	}
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	if n >= s.max {
		return "", errStoreFull
	}
	rec.ID = newUUID()
	rec.Image = rec.ID + "." + rec.Type
	image, record := filepath.Join(s.dir, rec.Image), filepath.Join(s.dir, rec.ID+".json")
	// A write can fail after its rename put the file in place (the
	// directory's fsync, durable.WriteFile): on any error both names are
	// removed again, so that no image is left uncounted and no record
	// names a missing image.
	if err := s.fs.WriteFile(image, data, 0o600); err != nil {
		return "", s.unsave(err, image)
	}
	meta, _ := json.MarshalIndent(rec, "", "\t")
	if err := s.fs.WriteFile(record, append(meta, '\n'), 0o600); err != nil {
		return "", s.unsave(err, record, image)
	}
	return rec.ID, nil
}

// unsave removes names, in order (a record before its image), after err
// failed a save, and syncs the folder; it returns err with any failure of
// its own (the operator then finds what is left named in the log).
func (s *improveStore) unsave(err error, names ...string) error {
	for _, name := range names {
		if rerr := s.fs.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	if serr := s.fs.SyncDir(s.dir); serr != nil {
		err = errors.Join(err, serr)
	}
	return err
}

// newUUID is a random (version 4) UUID, the form of remove.bg's ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fileType is a probed type name fit for a file extension ("bin" if not).
func fileType(name string) string {
	if name == "" || len(name) > 8 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return "bin"
	}
	return name
}

// serveSubmit runs a Submit route: authenticate, refuse a declared
// Content-Length over the body limit and an empty rate budget, read and
// parse the body, fetch an image_url (SSRF-safe, as for an image route),
// probe the image (only images are kept), store it and answer its id. It
// charges no credits and spends no rate units. Its body and download count
// against max_buffered_bytes, as an image route's do.
func (c *apiCall) serveSubmit() {
	limit, ok := c.open()
	if !ok {
		return
	}
	c.hold = c.st.h.holdBytes()
	defer c.hold.Release()
	body, ok := c.body(limit)
	if !ok {
		return
	}
	sub, errs := c.api.ParseSubmission(body, c.st.maxFile(c.api))
	if errs != nil {
		c.writeErrors(errs, c.caller.rate())
		return
	}
	data, ok := c.image(sub.Image, false)
	if !ok {
		return
	}
	info, err := c.st.h.pipeline.Probe(data)
	if err != nil {
		c.fail(dialect.Failure{Kind: dialect.FailProbe, Field: sub.Image.Field, Err: err})
		return
	}
	rec := submissionRecord{Received: time.Now().UTC(), Type: fileType(info.TypeName), Bytes: len(data), Width: info.Width, Height: info.Height,
		Filename: sub.Filename, Tag: sub.Tag, URL: sub.Image.URL, Key: c.caller.id}
	id, err := c.st.improve.save(data, rec)
	switch {
	case errors.Is(err, errStoreFull):
		c.fail(dialect.Failure{Kind: dialect.FailStoreFull, Limit: int64(c.st.improve.max)})
		return
	case err != nil:
		c.st.logger.Error("storing an improvement submission", zap.String("dir", c.st.improve.dir), zap.Error(err))
		c.fail(dialect.Failure{Kind: dialect.FailTransform, Err: fmt.Errorf("storing the submission: %w", err)})
		return
	}
	c.st.logger.Info("improvement submission stored", zap.String("id", id), zap.String("dir", c.st.improve.dir))
	if rl := c.caller.rate(); rl != nil {
		setRateHeaders(c.w, *rl)
	}
	c.api.Submitted(c.w, id)
}
