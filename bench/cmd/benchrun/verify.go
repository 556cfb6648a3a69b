package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/jebosio/matte/bench"
)

// sniff names an encoded image's format by its magic bytes.
func sniff(b []byte) string {
	switch {
	case len(b) > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(b) > 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) > 12 && string(b[4:8]) == "ftyp" && (bytes.Contains(b[8:min(len(b), 64)], []byte("avif")) || bytes.Contains(b[8:min(len(b), 64)], []byte("avis"))):
		return "avif"
	}
	return "unknown"
}

// dimensions decodes the size of an encoded image: the header of JPEG, PNG
// and WebP, the primary item's ispe box of AVIF.
func dimensions(b []byte, format string) (int, int, error) {
	if format == "avif" {
		return avifSize(b)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// avifSize reads the largest 'ispe' (image spatial extent) property, which
// is the primary image's (a thumbnail or alpha item would be smaller or
// equal).
func avifSize(b []byte) (int, int, error) {
	w, h := 0, 0
	for i := 4; i+16 <= len(b); i++ {
		if string(b[i:i+4]) != "ispe" {
			continue
		}
		size := binary.BigEndian.Uint32(b[i-4:])
		if size != 20 { // size + type + version/flags + width + height
			continue
		}
		iw := int(binary.BigEndian.Uint32(b[i+8:]))
		ih := int(binary.BigEndian.Uint32(b[i+12:]))
		if iw*ih > w*h {
			w, h = iw, ih
		}
	}
	if w == 0 {
		return 0, 0, errors.New("no ispe box in AVIF")
	}
	return w, h, nil
}

// check is what one verification fetch found.
type check struct {
	OK            bool
	Problem       string
	Format        string
	Width, Height int
	Bytes         int
	Took          time.Duration
	XCache        string // Matte's X-Cache header, if any
}

func xcacheNote(c check) string {
	if c.XCache == "" {
		return ""
	}
	return ", X-Cache " + c.XCache
}

// verify fetches url once and checks that the answer is a 200 image of the
// scenario's format and size (width exact, height within 1 px of the
// source's aspect ratio; the source's size when the scenario sets no
// width), or the stored bytes for a passthrough, or exactly want when it is
// not nil (file_server serving Matte's cached result).
func verify(client *http.Client, url string, s bench.Scenario, root string, want []byte) check {
	t0 := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return check{Problem: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	c := check{Bytes: len(body), Took: time.Since(t0), XCache: resp.Header.Get("X-Cache")}
	if err != nil {
		c.Problem = err.Error()
		return c
	}
	if resp.StatusCode != http.StatusOK {
		c.Problem = fmt.Sprintf("HTTP %d: %.200q", resp.StatusCode, body)
		return c
	}
	c.Format = sniff(body)
	if want != nil {
		if !bytes.Equal(body, want) {
			c.Problem = fmt.Sprintf("body differs from Matte's cached result (%d vs %d bytes)", len(body), len(want))
			return c
		}
		c.Width, c.Height, _ = dimensions(body, c.Format)
		c.OK = true
		return c
	}
	src, err := os.ReadFile(filepath.Join(root, s.File))
	if err != nil {
		c.Problem = err.Error()
		return c
	}
	if s.Passthrough() {
		if !bytes.Equal(body, src) {
			c.Problem = fmt.Sprintf("passthrough body differs from the file (%d vs %d bytes)", len(body), len(src))
			return c
		}
		c.Width, c.Height, _ = dimensions(body, c.Format)
		c.OK = true
		return c
	}
	if c.Format != s.Format {
		c.Problem = fmt.Sprintf("format %s, want %s (Content-Type %q)", c.Format, s.Format, resp.Header.Get("Content-Type"))
		return c
	}
	c.Width, c.Height, err = dimensions(body, c.Format)
	if err != nil {
		c.Problem = "decode: " + err.Error()
		return c
	}
	sw, sh, err := dimensions(src, s.SourceFormat())
	if err != nil {
		c.Problem = "source: " + err.Error()
		return c
	}
	wantW, wantH := s.Width, sh
	if s.Width > 0 {
		wantH = int(math.Round(float64(sh) * float64(s.Width) / float64(sw)))
	} else {
		wantW = sw
	}
	if c.Width != wantW || c.Height < wantH-1 || c.Height > wantH+1 {
		c.Problem = fmt.Sprintf("size %dx%d, want %dx%d", c.Width, c.Height, wantW, wantH)
		return c
	}
	c.OK = true
	return c
}
