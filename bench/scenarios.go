// Package bench holds Matte's benchmark scenarios, the in-process pipeline
// benchmarks (pipeline_test.go) and, under cmd/benchrun, the harness behind
// `make bench` that times Matte over HTTP against same-run peers. See
// README.md.
package bench

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
)

// Kind says what a scenario measures and so which servers take part.
type Kind string

const (
	// KindTransform (a-e, pass): every request decodes and encodes (Matte's
	// result cache off), against ipx, nginx image_filter and, for the
	// passthrough, Caddy's file_server.
	KindTransform Kind = ""
	// KindHitMemory (f): Matte with its result cache on, warmed so that
	// every request is a memory-tier hit, against Caddy's file_server
	// serving the same bytes.
	KindHitMemory Kind = "hit-memory"
	// KindHitDisk (g, g0): the same with every result read from the disk
	// tier: the memory tier is too small to hold it.
	KindHitDisk Kind = "hit-disk"
	// KindRembg (h): background removal end to end, against the imgly
	// Node peer on the same model and the raw inference time.
	KindRembg Kind = "rembg"
	// KindCoalesce (i): 50 concurrent identical misses with the result
	// cache on; counts the transforms executed. Not timed with wrk.
	KindCoalesce Kind = "coalesce"
)

// Scenario is one request shape timed by the harness and the pipeline
// benchmarks. Width 0 and no Format means a passthrough: the file as stored;
// Width 0 with a Format keeps the source's size.
type Scenario struct {
	ID      string // short name used in tables and flags: a, b, c, ...
	Title   string
	File    string // path under the corpus root, e.g. "perf/photo-4mp.jpg"
	Width   int    // output width; the height follows the aspect ratio
	Format  string // output format: jpg, png, webp, avif ("" for passthrough)
	Quality int    // 0: the format has no quality (PNG) or passthrough
	Kind    Kind
	Rembg   bool    // ?rembg=1: cut the subject out
	Target  float64 // a-e: least Matte ÷ best peer req/s when not 1.2; f, g: least Matte ÷ file_server req/s; h: most request ÷ inference time; i: transforms
	// MatteBlock, when set, is added to the matte block of the Matte
	// servers that run this scenario (the harness starts them afresh for
	// it): d444 runs d at sharp's AVIF settings, like for like with ipx;
	// f0 runs f with a conditional request to the origin on every hit; g
	// sets the memory tier beside the disk tier (a block without
	// cache_memory gets a 1-byte one: g0).
	MatteBlock string
}

// Scenarios are the default scenarios, in table order. a-e are the bench
// brief's; e400 repeats e at the width used by the imgproxy/imaginary
// reference figures (shared/bench-reference.md) so that cross-run ratios
// compare like with like; pass is a plain fetch of the 4 MP file.
var Scenarios = []Scenario{
	{ID: "a", Title: "photo-4mp.jpg → 800w JPEG q80", File: "perf/photo-4mp.jpg", Width: 800, Format: "jpg", Quality: 80},
	{ID: "b", Title: "photo-12mp.jpg → 800w JPEG q80", File: "perf/photo-12mp.jpg", Width: 800, Format: "jpg", Quality: 80},
	{ID: "c", Title: "photo-1mp.jpg → 400w WebP q80", File: "perf/photo-1mp.jpg", Width: 400, Format: "webp", Quality: 80},
	{ID: "d", Title: "photo-4mp.jpg → 800w AVIF q60", File: "perf/photo-4mp.jpg", Width: 800, Format: "avif", Quality: 60},
	{ID: "d444", Title: "d like for like: AVIF q60 at sharp's defaults on both sides (Matte: `avif_effort 4`, `avif_chroma 444`)", File: "perf/photo-4mp.jpg", Width: 800, Format: "avif", Quality: 60, Target: 1, MatteBlock: "avif_effort 4\navif_chroma 444"},
	{ID: "e", Title: "photo-alpha.png → 600w PNG", File: "perf/photo-alpha.png", Width: 600, Format: "png"},
	{ID: "e400", Title: "photo-alpha.png → 400w PNG (reference's e)", File: "perf/photo-alpha.png", Width: 400, Format: "png"},
	{ID: "pass", Title: "passthrough: photo-4mp.jpg as stored", File: "perf/photo-4mp.jpg"},
	{ID: "f", Title: "cache hit, memory tier: a's request (photo-4mp.jpg → 800w JPEG q80)", File: "perf/photo-4mp.jpg", Width: 800, Format: "jpg", Quality: 80, Kind: KindHitMemory, Target: 1.3},
	{ID: "f0", Title: "f with every hit revalidated (`source_heuristic_ttl 0`: a conditional request to file_server per hit, as before the heuristic)", File: "perf/photo-4mp.jpg", Width: 800, Format: "jpg", Quality: 80, Kind: KindHitMemory, Target: 1.3, MatteBlock: "source_heuristic_ttl 0"},
	{ID: "g", Title: "cache hit, disk tier: a's request (photo-4mp.jpg → 800w JPEG q80); a 64 KiB memory tier keeps the source's memo, never the 91 KB result, as a deployment whose memory tier has evicted the result", File: "perf/photo-4mp.jpg", Width: 800, Format: "jpg", Quality: 80, Kind: KindHitDisk, Target: 1.0, MatteBlock: "cache_memory 64KiB"},
	{ID: "g0", Title: "g with nothing in memory (`cache_memory 1B`): the source's memo is read from the disk tier too, as after a restart", File: "perf/photo-4mp.jpg", Width: 800, Format: "jpg", Quality: 80, Kind: KindHitDisk, Target: 1.0},
	{ID: "h", Title: "background removal: photos/animal-1.jpg (1000×667) → PNG cut-out", File: "photos/animal-1.jpg", Format: "png", Rembg: true, Kind: KindRembg, Target: 1.10},
	{ID: "i", Title: "50 concurrent identical misses, cache on: b's request (photo-12mp.jpg → 800w JPEG q80)", File: "perf/photo-12mp.jpg", Width: 800, Format: "jpg", Quality: 80, Kind: KindCoalesce, Target: 1},
}

// CoalesceClients is how many identical requests scenario i sends at once.
const CoalesceClients = 50

// Lookup returns the default scenario with id.
func Lookup(id string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.ID == id {
			return s, true
		}
	}
	return Scenario{}, false
}

// Passthrough reports whether s fetches the file untransformed.
func (s Scenario) Passthrough() bool { return s.Width == 0 && s.Format == "" }

// InProcess reports whether the in-process pipeline benchmarks run s: the
// plain transforms, not the passthrough, cache, rembg or coalescing
// scenarios.
// d444 too: it differs from d only in the server's encoder settings.
func (s Scenario) InProcess() bool {
	return s.Kind == KindTransform && !s.Passthrough() && s.MatteBlock == ""
}

// Hit reports whether s times cache hits (f, g).
func (s Scenario) Hit() bool { return s.Kind == KindHitMemory || s.Kind == KindHitDisk }

// SourceFormat is the format of s.File by its extension: jpg or png.
func (s Scenario) SourceFormat() string {
	switch filepath.Ext(s.File) {
	case ".jpg", ".jpeg":
		return "jpg"
	case ".png":
		return "png"
	case ".webp":
		return "webp"
	}
	return ""
}

// ContentType is the media type of s's answer (its output format's; the
// source's for a passthrough).
func (s Scenario) ContentType() string {
	f := s.Format
	if f == "" {
		f = s.SourceFormat()
	}
	if f == "jpg" {
		f = "jpeg"
	}
	return "image/" + f
}

// MatteQuery is s as Matte's imgix-style query (w, fm, q); empty for a
// passthrough.
func (s Scenario) MatteQuery() url.Values {
	v := url.Values{}
	if s.Passthrough() {
		return v
	}
	if s.Rembg {
		v.Set("rembg", "1")
	}
	if s.Width > 0 {
		v.Set("w", strconv.Itoa(s.Width))
	}
	v.Set("fm", s.Format)
	if s.Quality > 0 {
		v.Set("q", strconv.Itoa(s.Quality))
	}
	return v
}

// MattePath is the request path and query for Matte.
func (s Scenario) MattePath() string {
	if q := s.MatteQuery(); len(q) > 0 {
		return "/" + s.File + "?" + q.Encode()
	}
	return "/" + s.File
}

// IPXPath is the request path for ipx (modifiers in the first segment), or
// "" where ipx has no equivalent (a passthrough: ipx always re-encodes).
func (s Scenario) IPXPath() string {
	if s.Passthrough() || s.Kind != KindTransform {
		return ""
	}
	f := s.Format
	if f == "jpg" {
		f = "jpeg"
	}
	mods := fmt.Sprintf("w_%d,f_%s", s.Width, f)
	if s.Quality > 0 {
		mods += fmt.Sprintf(",q_%d", s.Quality)
	}
	return "/" + mods + "/" + s.File
}

// NginxPath is the request path for nginx: /<file> for a passthrough,
// /resize/<file>?w=&q= through image_filter, or "" where image_filter cannot
// do s: it only resizes into the source's own format (JPEG, PNG, GIF or
// WebP), so format conversions (c, d) are n/a. Only JPEG and PNG sources are
// used here.
func (s Scenario) NginxPath() string {
	if s.Kind != KindTransform {
		return ""
	}
	if s.Passthrough() {
		return "/" + s.File
	}
	if s.Format != s.SourceFormat() || (s.Format != "jpg" && s.Format != "png") {
		return ""
	}
	q := s.Quality
	if q == 0 {
		q = 75 // image_filter_jpeg_quality's default; unused for PNG
	}
	return fmt.Sprintf("/resize/%s?w=%d&q=%d", s.File, s.Width, q)
}
