package caddymodule

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/jebosio/matte/internal/sendfiletest"
)

// connWriter stands in for net/http's response over a TCP connection:
// its ReadFrom notes, per call, whether the reader is in sendfile's form.
type connWriter struct {
	*httptest.ResponseRecorder
	sendfiletest.Conn
}

func newConnWriter() *connWriter {
	rec := httptest.NewRecorder()
	return &connWriter{ResponseRecorder: rec, Conn: sendfiletest.Conn{W: rec.Body}}
}

// behindIdleWriter is the chain Caddy's server puts in front of every
// handler with write_idle on (its default): conn ← IdleTimeoutWriter.
func behindIdleWriter(conn *connWriter) http.ResponseWriter {
	return &caddyhttp.IdleTimeoutWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: conn},
		Ctrl:                  http.NewResponseController(conn),
		Deadline:              caddyhttp.IdleDeadline{Start: time.Now(), Timeout: time.Minute},
		Logger:                zap.NewNop(),
	}
}

func TestSendfileWriterLetsFileServerReachSendfile(t *testing.T) {
	data := make([]byte, 300<<10) // several of the idle writer's 64 KiB chunks
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "big.jpg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// serve sends the file as file_server does (http.ServeContent).
	serve := func(w http.ResponseWriter, rangeHeader string) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := httptest.NewRequest(http.MethodGet, "/big.jpg", nil)
		if rangeHeader != "" {
			r.Header.Set("Range", rangeHeader)
		}
		http.ServeContent(w, r, "big.jpg", time.Time{}, f)
	}
	t.Run("whole file", func(t *testing.T) {
		conn := newConnWriter()
		serve(newSendfileWriter(behindIdleWriter(conn)), "")
		if conn.Code != 200 || !bytes.Equal(conn.Body.Bytes(), data) {
			t.Fatalf("status %d, %d bytes, want %d identical", conn.Code, conn.Body.Len(), len(data))
		}
		if len(conn.Forms) < 5 || !conn.AllSendfile() {
			t.Fatalf("copies reaching the connection, sendfile's form or not: %v; want every one of the 64 KiB chunks", conn.Forms)
		}
	})
	t.Run("without it, Caddy's chain declines sendfile", func(t *testing.T) {
		// The reason sendfileWriter exists. Should this fail after a Caddy
		// upgrade, Caddy passes files on in sendfile's form itself and the
		// wrapper can go.
		conn := newConnWriter()
		serve(behindIdleWriter(conn), "")
		if !bytes.Equal(conn.Body.Bytes(), data) {
			t.Fatalf("%d bytes, want %d identical", conn.Body.Len(), len(data))
		}
		if conn.AllSendfile() {
			t.Fatalf("forms %v: Caddy's idle writer now keeps sendfile's form", conn.Forms)
		}
	})
	t.Run("a range is copied as asked", func(t *testing.T) {
		conn := newConnWriter()
		serve(newSendfileWriter(behindIdleWriter(conn)), "bytes=1000-199999")
		if conn.Code != http.StatusPartialContent || !bytes.Equal(conn.Body.Bytes(), data[1000:200000]) {
			t.Fatalf("status %d, %d bytes, want 199000 identical", conn.Code, conn.Body.Len())
		}
	})
	t.Run("a range that ends the file is sent from the file", func(t *testing.T) {
		conn := newConnWriter()
		serve(newSendfileWriter(behindIdleWriter(conn)), "bytes=200000-")
		if conn.Code != http.StatusPartialContent || !bytes.Equal(conn.Body.Bytes(), data[200000:]) {
			t.Fatalf("status %d, %d bytes, want %d identical", conn.Code, conn.Body.Len(), len(data)-200000)
		}
		if !conn.AllSendfile() {
			t.Fatalf("forms %v", conn.Forms)
		}
	})
}

func TestFileTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name   string
		offset int64
		r      io.Reader
		tail   bool
	}{
		{"the whole file", 0, &io.LimitedReader{R: f, N: 1000}, true},
		{"the rest from an offset", 400, &io.LimitedReader{R: f, N: 600}, true},
		{"short of the end", 0, &io.LimitedReader{R: f, N: 999}, false},
		{"past the end", 0, &io.LimitedReader{R: f, N: 1001}, false},
		{"nothing left to send", 1000, &io.LimitedReader{R: f, N: 0}, false},
		{"the bare file", 0, f, false},
		{"not a file", 0, &io.LimitedReader{R: strings.NewReader("abc"), N: 3}, false},
		{"a limit around a limit", 0, &io.LimitedReader{R: &io.LimitedReader{R: f, N: 1000}, N: 1000}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.Seek(tc.offset, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			lr, got := fileTail(tc.r)
			if (got != nil) != tc.tail || (got != nil && (got != f || lr != tc.r)) {
				t.Fatalf("fileTail: %v, %v; want the file: %v", lr, got, tc.tail)
			}
		})
	}
}

func TestSendfileWriterChargesTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(3, io.SeekStart)
	lr := &io.LimitedReader{R: f, N: 7}
	conn := newConnWriter()
	n, err := newSendfileWriter(conn).ReadFrom(lr)
	if err != nil || n != 7 || lr.N != 0 || conn.Body.String() != "3456789" {
		t.Fatalf("ReadFrom: %d, %v; limit left %d; body %q", n, err, lr.N, conn.Body.String())
	}
	if len(conn.Forms) != 1 || !conn.Forms[0] {
		t.Fatalf("forms %v", conn.Forms)
	}
}
