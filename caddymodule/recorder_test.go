package caddymodule

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jebosio/matte/admission"
)

// imageRecorder is a recorder that has taken a 200 image/png header
// (declaring size bytes when contentLength), and a body of size bytes.
func imageRecorder(limit int64, hold *admission.Hold, size int, contentLength bool) (*sourceRecorder, []byte) {
	rec := newSourceRecorder(httptest.NewRecorder(), limit, hold)
	rec.Header().Set("Content-Type", "image/png")
	if contentLength {
		rec.Header().Set("Content-Length", strconv.Itoa(size))
	}
	rec.WriteHeader(200)
	return rec, bytes.Repeat([]byte("x"), size)
}

// TestSourceRecorderReadFrom: a buffered source read through ReadFrom (as
// file_server's ServeContent writes) keeps every byte up to the limit and
// refuses one more, with or without a Content-Length.
func TestSourceRecorderReadFrom(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		name          string
		size          int
		contentLength bool
		wantOverflow  bool
	}{
		{"under the limit", 700, true, false},
		{"at the limit", limit, true, false},
		{"at the limit, no Content-Length", limit, false, false},
		{"one past the limit, no Content-Length", limit + 1, false, true},
		{"far past the limit, no Content-Length", 5 * limit, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, body := imageRecorder(limit, nil, tc.size, tc.contentLength)
			n, err := rec.ReadFrom(strings.NewReader(string(body)))
			if rec.overflow != tc.wantOverflow {
				t.Fatalf("overflow %v, want %v (read %d, err %v)", rec.overflow, tc.wantOverflow, n, err)
			}
			if tc.wantOverflow {
				if !errors.Is(err, errSourceTooLarge) {
					t.Fatalf("err %v, want errSourceTooLarge", err)
				}
				return
			}
			if err != nil || !bytes.Equal(rec.buf.Bytes(), body) || !rec.buffered() {
				t.Fatalf("read %d, err %v, buffered %d of %d bytes", n, err, rec.buf.Len(), tc.size)
			}
		})
	}
}

// TestSourceRecorderHoldsMissing: with holdMissing, a 404 or 410 is held
// (nothing reaches the client) with its header and body; one whose body
// passes the limit goes through after all, whole; other statuses, and a
// 404 without holdMissing, pass through as before.
func TestSourceRecorderHoldsMissing(t *testing.T) {
	const limit = 10
	for _, tc := range []struct {
		name        string
		hold        bool
		status      int
		body        string
		wantMissing bool
	}{
		{"a 404, held", true, 404, "no such", true},
		{"a 410, held", true, 410, "gone", true},
		{"a 404 without a fallback", false, 404, "no such", false},
		{"a 403", true, 403, "denied", false},
		{"a 500", true, 500, "broken", false},
		{"a 404 past the limit", true, 404, "a long page that says no such image", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := httptest.NewRecorder()
			rec := newSourceRecorder(client, limit, nil)
			rec.holdMissing = tc.hold
			rec.Header().Set("Content-Type", "text/plain")
			rec.WriteHeader(tc.status)
			// Two writes: the limit may be passed on the second.
			_, err1 := rec.Write([]byte(tc.body[:3]))
			_, err2 := rec.ReadFrom(strings.NewReader(tc.body[3:]))
			if err1 != nil || err2 != nil {
				t.Fatalf("write: %v, %v", err1, err2)
			}
			if rec.missing != tc.wantMissing || rec.buffered() {
				t.Fatalf("missing %v (want %v), buffered %v", rec.missing, tc.wantMissing, rec.buffered())
			}
			if tc.wantMissing {
				m := rec.missingAnswer()
				if client.Body.Len() != 0 || m.status != tc.status || string(m.body) != tc.body || m.header.Get("Content-Type") != "text/plain" {
					t.Fatalf("held %d %q %v; the client got %q", m.status, m.body, m.header, client.Body)
				}
				return
			}
			if client.Code != tc.status || client.Body.String() != tc.body || client.Header().Get("Content-Type") != "text/plain" {
				t.Fatalf("the client got %d %q %v", client.Code, client.Body, client.Header())
			}
		})
	}
}

// TestSourceRecorderBudget: a buffered source's bytes are taken from the
// request's hold (max_buffered_bytes); a declared length past the budget
// is refused before anything is read, an undeclared one at the read that
// passes it, and a held 404 goes through to the client instead.
func TestSourceRecorderBudget(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		name           string
		budget         int64
		size           int
		contentLength  bool
		viaWrite       bool
		wantOverloaded bool
	}{
		{"declared, within", 700, 700, true, false, false},
		{"declared, past", 699, 700, true, false, true},
		{"undeclared, within", 700, 700, false, false, false},
		{"undeclared, past", 699, 700, false, false, true},
		{"written, within", 700, 700, false, true, false},
		{"written, past", 699, 700, false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			budget := admission.NewBudget(tc.budget)
			hold := budget.Hold()
			rec, body := imageRecorder(limit, hold, tc.size, tc.contentLength)
			var err error
			if tc.viaWrite {
				for i := 0; i < tc.size && err == nil; i += 100 {
					_, err = rec.Write(body[i : i+100])
				}
			} else {
				_, err = rec.ReadFrom(strings.NewReader(string(body)))
			}
			if rec.overloaded != tc.wantOverloaded {
				t.Fatalf("overloaded %v, want %v (err %v)", rec.overloaded, tc.wantOverloaded, err)
			}
			used := budget.Stats().Used
			if !tc.wantOverloaded {
				if err != nil || rec.buf.Len() != tc.size || used != int64(tc.size) {
					t.Fatalf("err %v, buffered %d, budget used %d; want %d of each", err, rec.buf.Len(), used, tc.size)
				}
			} else if !errors.Is(err, errBuffersFull) && !(tc.contentLength && rec.buf.Len() == 0) || used > tc.budget {
				t.Fatalf("err %v, buffered %d, budget used %d of %d", err, rec.buf.Len(), used, tc.budget)
			}
			hold.Release()
			if used := budget.Stats().Used; used != 0 {
				t.Fatalf("budget used %d after the release", used)
			}
		})
	}

	t.Run("a held 404 past the budget goes through", func(t *testing.T) {
		client := httptest.NewRecorder()
		rec := newSourceRecorder(client, limit, admission.NewBudget(5).Hold())
		rec.holdMissing = true
		rec.Header().Set("Content-Type", "text/plain")
		rec.WriteHeader(404)
		for _, part := range []string{"no ", "such image"} {
			if _, err := rec.Write([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		if rec.missing || client.Code != 404 || client.Body.String() != "no such image" {
			t.Fatalf("missing %v; the client got %d %q", rec.missing, client.Code, client.Body)
		}
	})

	t.Run("a fetched body is adopted, not copied", func(t *testing.T) {
		budget := admission.NewBudget(100)
		rec := newSourceRecorder(httptest.NewRecorder(), limit, budget.Hold())
		rec.Header().Set("Content-Type", "image/png")
		rec.Header().Set("Content-Length", "60")
		body := bytes.Repeat([]byte("x"), 60)
		if !rec.reserve(60) { // as fetchOrigin's Reserve does
			t.Fatal("reserve refused")
		}
		if err := rec.writeFetched(body); err != nil {
			t.Fatal(err)
		}
		if &rec.buf.Bytes()[0] != &body[0] || budget.Stats().Used != 60 {
			t.Fatalf("buffer copied (%v) or budget used %d, want 60", &rec.buf.Bytes()[0] != &body[0], budget.Stats().Used)
		}
	})
}
