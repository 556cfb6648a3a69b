// Package urltest holds what the URL dialects' tests share: the image URLs
// that the real npm URL builders (unpic, @unpic/core, next/image,
// @imgproxy/imgproxy-node) built, as test/clients/builders/build.mjs wrote
// them into test/clients/builders/testdata/builders.json (regenerate it with
// `node build.mjs >testdata/builders.json` there after changing the
// builders' versions), table runners for a dialect's Parse, and the
// URLDialect contract check its fuzz target runs (CheckURLDialect).
package urltest

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Case is one built URL and what Matte must answer it with.
type Case struct {
	Provider string `json:"provider"`
	Builder  string `json:"builder"`
	URL      string `json:"url"`
	// Request is URL's path and query, as sent to Matte.
	Request string `json:"request"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Format  string `json:"format"`
}

// File is builders.json.
type File struct {
	Base      string `json:"base"`
	Src       string `json:"src"`
	SrcWidth  int    `json:"src_width"`
	SrcHeight int    `json:"src_height"`
	Cases     []Case `json:"cases"`
}

// Load reads builders.json, failing t when it is missing or malformed.
func Load(t testing.TB) File {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "test", "clients", "builders", "testdata", "builders.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("builders.json: %v", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("builders.json: %v", err)
	}
	return f
}

// For returns the cases of one provider, failing t when there are none.
func (f File) For(t testing.TB, provider string) []Case {
	t.Helper()
	var out []Case
	for _, c := range f.Cases {
		if c.Provider == provider {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("builders.json has no %s case", provider)
	}
	return out
}

// RequestURL parses c.Request as a server sees it (Path decoded, RawQuery
// as sent).
func (c Case) RequestURL(t testing.TB) *url.URL {
	t.Helper()
	u, err := url.ParseRequestURI(c.Request)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Builder, c.Request, err)
	}
	return u
}
