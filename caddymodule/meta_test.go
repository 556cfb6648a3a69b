package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

func TestMetaRoundTrip(t *testing.T) {
	hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for name, m := range map[string]entryMeta{
		"result":         {Result: &resultMeta{Width: 300, Height: 200}},
		"removal result": {Result: &resultMeta{Width: 300, Height: 200, Model: "isnet@abc", Foreground: transform.Box{Left: 1, Top: 2, Width: 30, Height: 40}, HasForeground: true}},
		"nothing found":  {Result: &resultMeta{Width: 10, Height: 10, Model: "isnet@abc", HasForeground: true}},
		"provisional":    {Result: &resultMeta{Width: 100, Height: 300, Provisional: true}},
		"memo": {Source: &sourceMemo{Hash: hash, ETag: `"e"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT", FreshUntil: time.Unix(1_700_000_000, 5),
			Info: transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 640, Height: 480, HasAlpha: true, Pages: 1}, Vary: []string{"Accept-Language"}}},
		"APNG memo": {Source: &sourceMemo{Hash: hash, FreshUntil: time.Unix(1_700_000_000, 0),
			Info: transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 40, Height: 20, Pages: 1, APNGFrames: 3}}},
		"vary index": {VaryOn: []string{"Accept-Language", "X-Tenant"}},
	} {
		got, ok := decodeMeta(encodeMeta(m))
		if !ok || !reflect.DeepEqual(got, m) {
			t.Errorf("%s: decodeMeta(encodeMeta(m)) = %+v, %v", name, got, ok)
		}
	}
}

func TestDecodeMetaMisses(t *testing.T) {
	for name, meta := range map[string]map[string]string{
		"no metadata":            nil,
		"the old string map":     {"w": "300", "h": "200", "model": "isnet", "fg": "1,2,3,4"},
		"another version":        {metaField: `{"v":3,"result":{"w":300,"h":200}}`},
		"a v1 (SHA-256) memo":    {metaField: `{"v":1,"source":{"hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","type":1,"type_name":"jpeg","w":1,"h":1,"pages":1,"fresh_until":0}}`},
		"a v1 result":            {metaField: `{"v":1,"result":{"w":300,"h":200}}`},
		"no version":             {metaField: `{"result":{"w":300,"h":200}}`},
		"not JSON":               {metaField: `w=300`},
		"no part":                {metaField: `{"v":2}`},
		"two parts":              {metaField: `{"v":2,"result":{"w":1,"h":1},"vary_on":["Accept"]}`},
		"memo with a short hash": {metaField: `{"v":2,"source":{"hash":"abc","type":1,"type_name":"jpeg","w":1,"h":1,"pages":1,"fresh_until":0}}`},
	} {
		if m, ok := decodeMeta(meta); ok {
			t.Errorf("%s: decoded as %+v, want a miss", name, m)
		}
	}
	// The documented format, written by hand.
	m, ok := decodeMeta(map[string]string{metaField: `{"v":2,"result":{"w":300,"h":200,"model":"isnet@x","fg":[1,2,30,40]}}`})
	if want := (resultMeta{Width: 300, Height: 200, Model: "isnet@x", Foreground: transform.Box{Left: 1, Top: 2, Width: 30, Height: 40}, HasForeground: true}); !ok || m.Result == nil || *m.Result != want {
		t.Fatalf("hand-written v2 result: %+v, %v", m, ok)
	}
}

// TestMetaAPNGFrames pins how a memo records an animated PNG's frames
// (transform.Source.APNGFrames): "apng_frames" in a v2 record, left out
// when 0, so that a v2 memo written before it was recorded still decodes,
// as a still.
func TestMetaAPNGFrames(t *testing.T) {
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	memo := func(frames int) entryMeta {
		return entryMeta{Source: &sourceMemo{Hash: hash, FreshUntil: time.Unix(0, 0),
			Info: transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 40, Height: 20, Pages: 1, APNGFrames: frames}}}
	}
	prefix := `{"v":2,"source":{"hash":"` + hash + `","type":` + fmt.Sprint(int(params.FormatPNG)) + `,"type_name":"png","w":40,"h":20,"pages":1`
	for _, tc := range []struct {
		name, enc string
		frames    int
	}{
		{"an APNG's record", prefix + `,"apng_frames":3,"fresh_until":0}}`, 3},
		// A still PNG's record, and any record written before
		// apng_frames was (the same bytes).
		{"a record without apng_frames", prefix + `,"fresh_until":0}}`, 0},
	} {
		m, ok := decodeMeta(map[string]string{metaField: tc.enc})
		if !ok || m.Source == nil || !reflect.DeepEqual(m, memo(tc.frames)) {
			t.Errorf("%s: decoded as %+v, %v; want a PNG memo of %d APNG frames", tc.name, m.Source, ok, tc.frames)
		}
	}
	if got := encodeMeta(memo(3))[metaField]; got != prefix+`,"apng_frames":3,"fresh_until":0}}` {
		t.Errorf("an APNG's memo encodes as %s", got)
	}
	if got := encodeMeta(memo(0))[metaField]; got != prefix+`,"fresh_until":0}}` {
		t.Errorf("a still PNG's memo encodes as %s (changed from before apng_frames)", got)
	}
}

// TestDecodeMetaRemembers: a repeat decode of one encoding is answered from
// the table without parsing (no allocation), and strings that share a slot
// each get their own answer, however they alternate.
func TestDecodeMetaRemembers(t *testing.T) {
	enc := func(w int) map[string]string {
		return map[string]string{metaField: fmt.Sprintf(`{"v":2,"result":{"w":%d,"h":7}}`, w)}
	}
	first := enc(1)
	decodeMeta(first)
	if n := testing.AllocsPerRun(100, func() { decodeMeta(first) }); n != 0 {
		t.Errorf("a repeat decode allocates %v times, want 0 (parsed again)", n)
	}
	// More encodings than slots: some share one, and every answer must
	// still be its own string's.
	n := 3 * len(decoded.slots)
	for round := 0; round < 2; round++ {
		for w := 1; w <= n; w++ {
			m, ok := decodeMeta(enc(w))
			if !ok || m.Result == nil || m.Result.Width != w || m.Result.Height != 7 {
				t.Fatalf("round %d: decodeMeta of width %d = %+v, %v", round, w, m.Result, ok)
			}
		}
	}
	// A miss is remembered as a miss.
	bad := map[string]string{metaField: `{"v":9,"result":{"w":1,"h":1}}`}
	for range 2 {
		if _, ok := decodeMeta(bad); ok {
			t.Fatal("another version decoded")
		}
	}
}

// TestOtherVersionIsAMiss: entries written by another metadata version
// (as the string maps before it) are not served.
func TestOtherVersionIsAMiss(t *testing.T) {
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := &Handler{cache: c}
	old := map[string]string{"w": "300", "h": "200"}
	c.Set(nsResult, "k", cache.Entry{Value: []byte("img"), ContentType: "image/png", Meta: old})
	if _, ok := h.cachedResult("k"); ok {
		t.Error("a result with the old metadata was served")
	}
	req := &imageRequest{srcID: "example.com/a.jpg", origin: &http.Request{URL: &url.URL{Path: "/a.jpg"}, Header: http.Header{}}}
	c.Set(nsSource, memoKey(req.srcID, nil, nil), cache.Entry{Value: []byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), Meta: map[string]string{"etag": `"x"`, "fresh-until": "0"}})
	if _, ok := h.lookupMemo(req); ok {
		t.Error("a memo with the old metadata was used")
	}
	memo := sourceMemo{Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ETag: `"x"`}
	h.storeMemo(req, memo)
	if got, ok := h.lookupMemo(req); !ok || got.ETag != `"x"` {
		t.Errorf("stored memo read back as %+v, %v", got, ok)
	}
}

// headerOf is a header of name, value pairs (a name may repeat).
func headerOf(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestShareability(t *testing.T) {
	hdr := headerOf
	bearer := hdr("Authorization", "Bearer alice")
	for _, tc := range []struct {
		name     string
		req, res http.Header
		want     sharing
	}{
		{"plain", nil, hdr(), sharing{store: true}},
		{"public max-age", nil, hdr("Cache-Control", "public, max-age=60"), sharing{store: true}},
		{"no-cache is stored (and revalidated)", nil, hdr("Cache-Control", "no-cache"), sharing{store: true}},
		{"private", nil, hdr("Cache-Control", "private, max-age=60"), sharing{}},
		{"private with a field list", nil, hdr("Cache-Control", `private="Set-Cookie"`), sharing{}},
		{"no-store", nil, hdr("Cache-Control", "max-age=60, No-Store"), sharing{noStore: true}},
		{"Authorization, max-age only", bearer, hdr("Cache-Control", "max-age=60"), sharing{}},
		{"Authorization, nothing", bearer, hdr(), sharing{}},
		{"Authorization, public", bearer, hdr("Cache-Control", "public, max-age=60"), sharing{store: true}},
		{"Authorization, s-maxage", bearer, hdr("Cache-Control", "s-maxage=60"), sharing{store: true}},
		{"Authorization, must-revalidate", bearer, hdr("Cache-Control", "must-revalidate"), sharing{store: true}},
		{"Authorization, public but private", bearer, hdr("Cache-Control", "public, private"), sharing{}},
		{"Vary: Cookie", nil, hdr("Vary", "Cookie", "Cache-Control", "public, max-age=60"), sharing{vary: []string{"Cookie"}}},
		{"Vary: *", nil, hdr("Vary", "*"), sharing{vary: []string{"*"}}},
		{"Vary: Accept-Encoding (sources are fetched unencoded)", nil, hdr("Vary", "Accept-Encoding"), sharing{store: true}},
		{"Vary: accept-encoding beside another name", nil, hdr("Vary", "accept-encoding, X-Tenant"), sharing{store: true, vary: []string{"X-Tenant"}}},
		{"Vary names, canonical and sorted", nil, hdr("Vary", "x-tenant, accept-language", "Vary", "Accept-Language"), sharing{store: true, vary: []string{"Accept-Language", "X-Tenant"}}},
	} {
		if got := shareability(tc.req, tc.res); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestFreshness(t *testing.T) {
	hdr := headerOf
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) string { return now.Add(-d).Format(http.TimeFormat) }
	const sec = time.Second
	for _, tc := range []struct {
		name             string
		res              http.Header
		floor, heuristic time.Duration
		want             time.Duration
	}{
		{"nothing", hdr(), 0, sec, 0},
		{"max-age", hdr("Cache-Control", "max-age=60"), 0, sec, 60 * sec},
		{"max-age less Age", hdr("Cache-Control", "max-age=60", "Age", "15"), 0, sec, 45 * sec},
		{"s-maxage over max-age", hdr("Cache-Control", "max-age=60, s-maxage=5"), 0, sec, 5 * sec},
		// A quoted argument's commas are its own: what it holds is not a
		// directive of the answer's (splitDirectives, as capMaxAge reads).
		{"quoted argument", hdr("Cache-Control", `ext="a, s-maxage=9999", max-age=60`), 0, sec, 60 * sec},
		{"max-age=0 is explicit: no heuristic", hdr("Cache-Control", "max-age=0", "Last-Modified", ago(time.Hour)), 0, sec, 0},
		{"no-cache", hdr("Cache-Control", "no-cache, max-age=60", "Last-Modified", ago(time.Hour)), 0, sec, 0},
		{"no-cache, floor", hdr("Cache-Control", "no-cache"), 30 * sec, sec, 30 * sec},
		{"Expires against Date", hdr("Expires", "Sun, 06 Dec 2026 12:10:00 GMT", "Date", "Sun, 06 Dec 2026 12:00:00 GMT"), 0, sec, 10 * time.Minute},
		{"Expires that does not parse: expired, no heuristic", hdr("Expires", "0", "Last-Modified", ago(time.Hour)), 0, sec, 0},
		{"heuristic: an old file, capped", hdr("Last-Modified", ago(time.Hour)), 0, sec, sec},
		{"heuristic: a tenth of the age", hdr("Last-Modified", ago(5*sec)), 0, sec, 500 * time.Millisecond},
		{"heuristic against the origin's Date", hdr("Last-Modified", "Sun, 06 Dec 2026 11:59:00 GMT", "Date", "Sun, 06 Dec 2026 11:59:02 GMT"), 0, time.Minute, 200 * time.Millisecond},
		{"heuristic off", hdr("Last-Modified", ago(time.Hour)), 0, 0, 0},
		// Age counts against every lifetime (§4.2.3): a CDN that held the
		// response 50 minutes keeps the origin's Date and says so in Age.
		{"Expires less Age", hdr("Date", ago(50*time.Minute), "Expires", now.Add(10*time.Minute).Format(http.TimeFormat), "Age", "3000"), 0, sec, 10 * time.Minute},
		{"heuristic less Age", hdr("Date", ago(0), "Last-Modified", ago(100*sec), "Age", "4"), 0, time.Minute, 6 * sec},
		{"Age past the lifetime", hdr("Cache-Control", "max-age=60", "Age", "600"), 0, sec, 0},
		{"an Age that does not parse is none", hdr("Cache-Control", "max-age=60", "Age", "-5"), 0, sec, 60 * sec},
		// "use the first occurrence" of a directive given twice (§4.2.1).
		{"max-age twice: the first", hdr("Cache-Control", "max-age=0", "Cache-Control", "max-age=86400"), 0, sec, 0},
		// A delta-seconds past 2^31 is 2^31 (§1.2.2), not an overflow to none.
		{"max-age past 2^31", hdr("Cache-Control", "max-age=10000000000"), 0, sec, (1 << 31) * sec},
		{"max-age past int64", hdr("Cache-Control", "max-age=99999999999999999999999"), 0, sec, (1 << 31) * sec},
		{"heuristic under the floor", hdr("Last-Modified", ago(time.Hour)), 10 * sec, sec, 10 * sec},
		{"Last-Modified in the future", hdr("Last-Modified", "Sun, 06 Dec 2026 13:00:00 GMT"), 0, sec, 0},
		{"Last-Modified that does not parse", hdr("Last-Modified", "yesterday"), 0, sec, 0},
	} {
		if got := freshness(tc.res, now, tc.floor, tc.heuristic); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMemoKey(t *testing.T) {
	h := headerOf
	vary := []string{"Accept-Language"}
	plain := memoKey("h/a.jpg", nil, nil)
	if plain != hashKey("h/a.jpg") {
		t.Fatal("without Vary the memo key is the source's hash key")
	}
	en, de := memoKey("h/a.jpg", vary, h("Accept-Language", "en")), memoKey("h/a.jpg", vary, h("Accept-Language", "de"))
	if en == de || en == plain {
		t.Fatal("Vary values do not key the memo")
	}
	if memoKey("h/a.jpg", vary, h("Accept-Language", "en, fr")) != memoKey("h/a.jpg", vary, h("Accept-Language", "en", "Accept-Language", "fr")) ||
		memoKey("h/a.jpg", vary, h("Accept-Language", "en,fr")) != memoKey("h/a.jpg", vary, h("Accept-Language", " en ,  fr")) {
		t.Fatal("repeated fields and blanks around commas change the key")
	}
	if memoKey("h/a.jpg", vary, h("Accept-Language", "en", "Cookie", "a")) != en {
		t.Fatal("a header outside Vary changes the key")
	}
}

// TestSourceIDNeverRemote: a site's source, whatever its Host, is never
// named like a remote source (an absolute URL), whose memo and purge tag it
// would share; an empty port is the default one.
func TestSourceIDNeverRemote(t *testing.T) {
	for _, tc := range []struct{ host, uri, want string }{
		{"http:", "//127.0.0.1/a.jpg", "http//127.0.0.1/a.jpg"},
		{"https:", "//cdn.example/a.jpg", "https//cdn.example/a.jpg"},
		{"example.com:", "/a.jpg", "example.com/a.jpg"},
		{"example.com:8080", "/a.jpg", "example.com:8080/a.jpg"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tc.host
		got := sourceID(r, tc.uri)
		if got != tc.want || isRemoteRef(got) {
			t.Errorf("Host %q, %q: source ID %q (remote %v), want %q", tc.host, tc.uri, got, isRemoteRef(got), tc.want)
		}
	}
}

// TestResultKeyVariant: a variant keys the answers it changes, and only
// those (a progressive request answered as PNG is the plain PNG).
func TestResultKeyVariant(t *testing.T) {
	const hash = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	plain := params.Params{Width: 100}
	progressive := params.Params{Width: 100, Variant: params.VariantProgressive}
	if resultKey(hash, plain, params.FormatJPEG, "fp") == resultKey(hash, progressive, params.FormatJPEG, "fp") {
		t.Error("a progressive JPEG shares the baseline JPEG's key")
	}
	if resultKey(hash, plain, params.FormatPNG, "fp") != resultKey(hash, progressive, params.FormatPNG, "fp") {
		t.Error("a JPEG variant keys a PNG answer apart")
	}
}

// TestResultKeyFormatQuality: a per-format quality keys the answer in its
// format as that quality does, and leaves the other formats' keys alone.
func TestResultKeyFormatQuality(t *testing.T) {
	const hash = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	fq := params.Params{Width: 100, FormatQuality: params.FormatQualities{WebP: 70}}
	if resultKey(hash, fq, params.FormatWebP, "fp") != resultKey(hash, params.Params{Width: 100, Quality: 70}, params.FormatWebP, "fp") {
		t.Error("fq webp 70 is keyed apart from q 70 for a WebP answer")
	}
	if resultKey(hash, fq, params.FormatJPEG, "fp") != resultKey(hash, params.Params{Width: 100}, params.FormatJPEG, "fp") {
		t.Error("a WebP quality keys a JPEG answer apart")
	}
	withQ := fq
	withQ.Quality = 40 // q wins over fq
	if resultKey(hash, withQ, params.FormatWebP, "fp") != resultKey(hash, params.Params{Width: 100, Quality: 40}, params.FormatWebP, "fp") {
		t.Error("fq changes the key of an answer whose q is set")
	}
}

// TestResultKeyAnimation: an animated answer is keyed apart from the key
// the same request had before Matte animated (whose entries hold a first
// frame); a still answer keeps its key.
func TestResultKeyAnimation(t *testing.T) {
	const hash = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	h := &Handler{pipeline: transform.NewPipeline(transform.Options{})}
	p := params.Params{Width: 100}
	for _, tc := range []struct {
		name     string
		pages    int
		frames   params.Frames
		animated bool
	}{
		{"animated GIF", 3, params.FramesKeep, true},
		{"still GIF", 1, params.FramesKeep, false},
		{"animated GIF, first frame asked", 3, params.FramesFirst, false},
	} {
		p.Frames = tc.frames
		req := &imageRequest{Params: p, Format: params.FormatGIF,
			Memo: sourceMemo{Hash: hash, Info: transform.Source{Type: params.FormatGIF, Width: 40, Height: 20, Pages: tc.pages}}}
		req.Frames, req.FramesDecoded = h.pipeline.AnimatedFrames(req.Params, req.Memo.Info, req.Format)
		before := resultKey(hash, p, params.FormatGIF, h.pipeline.Fingerprint(params.FormatGIF))
		if animated := req.Frames > 0; animated != tc.animated || (h.resultKeyOf(req) == before) == tc.animated {
			t.Errorf("%s: animated %v, key kept %v; want animated %v and the key kept only for a still", tc.name, animated, h.resultKeyOf(req) == before, tc.animated)
		}
	}
}

// TestSourceHash pins the source content hash to BLAKE3-256 (the memo
// format of metaVersion 2): the digests of "" and "abc" from the BLAKE3
// specification's reference implementation.
func TestSourceHash(t *testing.T) {
	for in, want := range map[string]string{
		"":    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
		"abc": "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
	} {
		if got := sourceHash([]byte(in)); got != want {
			t.Errorf("sourceHash(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestSameSourceKeptHeaders: a refetch of the same bytes whose CORS or
// Cache-Control changed is not the same memo, so it is stored again.
func TestSameSourceKeptHeaders(t *testing.T) {
	m := sourceMemo{Hash: strings.Repeat("a", 64), ETag: `"e"`, CacheControl: "max-age=60", Sharing: map[string]string{"Access-Control-Allow-Origin": "*"}}
	same := m
	same.Sharing = map[string]string{"Access-Control-Allow-Origin": "*"}
	if !m.sameSource(same) {
		t.Error("equal memos differ")
	}
	for name, o := range map[string]sourceMemo{
		"CORS dropped":  {Hash: m.Hash, ETag: m.ETag, CacheControl: m.CacheControl},
		"CORS changed":  {Hash: m.Hash, ETag: m.ETag, CacheControl: m.CacheControl, Sharing: map[string]string{"Access-Control-Allow-Origin": "https://a.example"}},
		"Cache-Control": {Hash: m.Hash, ETag: m.ETag, CacheControl: "max-age=5", Sharing: m.Sharing},
		"Expires given": {Hash: m.Hash, ETag: m.ETag, CacheControl: m.CacheControl, Sharing: m.Sharing, Expires: "Thu, 01 Jan 2037 00:00:00 GMT"},
	} {
		if m.sameSource(o) {
			t.Errorf("%s: still the same source", name)
		}
	}
}

// TestSameHost: a redirect's absolute Location is this site's when it
// names the request's host, a port left out being its scheme's default.
func TestSameHost(t *testing.T) {
	for _, c := range []struct {
		loc, host string
		want      bool
	}{
		{"https://shop.example/a.jpg", "shop.example", true},
		{"https://shop.example:443/a.jpg", "shop.example", true},
		{"https://SHOP.example/a.jpg", "shop.example:443", true},
		{"http://shop.example/a.jpg", "shop.example:80", true},
		{"http://localhost:9080/a.jpg", "localhost:9080", true},
		{"http://[::1]:8080/a.jpg", "[::1]:8080", true},
		{"http://[::1]/a.jpg", "[::1]", true},
		{"https://shop.example:8443/a.jpg", "shop.example", false},
		{"http://shop.example/a.jpg", "shop.example:8080", false},
		{"https://cdn.example/a.jpg", "shop.example", false},
		{"https://shop.example.evil/a.jpg", "shop.example", false},
	} {
		u, err := url.Parse(c.loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameHost(u, c.host); got != c.want {
			t.Errorf("sameHost(%s, %s) = %v, want %v", c.loc, c.host, got, c.want)
		}
	}
}
