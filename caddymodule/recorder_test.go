package caddymodule

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

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
			rec := newSourceRecorder(httptest.NewRecorder(), limit)
			rec.Header().Set("Content-Type", "image/png")
			if tc.contentLength {
				rec.Header().Set("Content-Length", strconv.Itoa(tc.size))
			}
			rec.WriteHeader(200)
			body := bytes.Repeat([]byte("x"), tc.size)
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
