package caddymodule

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/transform"
)

func TestAPICaddyfile(t *testing.T) {
	d := caddyfile.NewTestDispenser(`matte {
		removebg
		rembg_com on /api
		fapihub off
		api_key k1 {
			credits 100
			rate 20
		}
		api_key k2
		api_usage_file /var/lib/matte/usage.json
	}`)
	var h Handler
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	a := h.APIs
	if a.RemoveBG == nil || a.RemoveBG.Prefix != "" || a.RembgCom == nil || a.RembgCom.Prefix != "/api" || a.FAPIHub != nil {
		t.Fatalf("dialects %+v", a)
	}
	if len(a.Keys) != 2 || a.Keys[0].Key != "k1" || *a.Keys[0].Credits != 100 || a.Keys[0].Rate != 20 || a.Keys[1].Credits != nil || a.Keys[1].Rate != 0 {
		t.Fatalf("keys %+v", a.Keys)
	}
	if a.UsageFile != "/var/lib/matte/usage.json" {
		t.Fatalf("usage file %q", a.UsageFile)
	}
	out, _ := json.Marshal(h.APIs)
	want := `{"removebg":{},"rembg_com":{"prefix":"/api"},"keys":[{"key":"k1","credits":100,"rate":20},{"key":"k2"}],"usage_file":"/var/lib/matte/usage.json"}`
	if string(out) != want {
		t.Fatalf("JSON\n got %s\nwant %s", out, want)
	}

	for _, bad := range []string{
		"matte {\n removebg maybe\n}",
		"matte {\n removebg on api\n}",
		"matte {\n removebg /api/\n}",
		"matte {\n api_key\n}",
		"matte {\n api_key a b\n}",
		"matte {\n api_key a {\n credits -1\n }\n}",
		"matte {\n api_key a {\n rate 0\n }\n}",
		"matte {\n api_key a {\n bonus 1\n }\n}",
		"matte {\n api_usage_file\n}",
		"matte {\n removebg max_file\n}",
		"matte {\n removebg max_file lots\n}",
		"matte {\n removebg max_file 0\n}",
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	// strconv.ParseFloat reads these: none is a quota or a rate, and the
	// error says why.
	for _, bad := range []string{
		"matte {\n api_key a {\n credits inf\n }\n}",
		"matte {\n api_key a {\n credits +Inf\n }\n}",
		"matte {\n api_key a {\n credits NaN\n }\n}",
		"matte {\n api_key a {\n rate inf\n }\n}",
		"matte {\n api_key a {\n rate infinity\n }\n}",
		"matte {\n api_key a {\n rate nan\n }\n}",
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad))
		if err == nil || !strings.Contains(err.Error(), "is not a finite, non-negative number") {
			t.Errorf("%q: %v, want a refusal of a non-finite number", bad, err)
		}
	}
	// The same from JSON config (or code), at provision.
	inf, nan := math.Inf(1), math.NaN()
	for _, k := range []APIKey{{Key: "a", Credits: &inf}, {Key: "a", Credits: &nan}, {Key: "a", Rate: inf}, {Key: "a", Rate: nan}} {
		c := &APIConfig{Keys: []APIKey{k}, UsageFile: filepath.Join(t.TempDir(), "usage.json")}
		app := &App{}
		_, err := c.provisionKeys(app)
		app.Cleanup()
		if err == nil || !strings.Contains(err.Error(), "must be finite") {
			t.Errorf("key %+v: %v, want a refusal of a non-finite number", k, err)
		}
	}
}

// TestAPIMaxFileCaddyfile: max_file overrides a dialect's documented
// upload limit, after the prefix or alone.
func TestAPIMaxFileCaddyfile(t *testing.T) {
	d := caddyfile.NewTestDispenser(`matte {
		removebg on /api max_file 20MiB
		rembg_com max_file 1MB
		fapihub
	}`)
	var h Handler
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	a := h.APIs
	if a.RemoveBG.Prefix != "/api" || a.RemoveBG.MaxFileBytes != 20<<20 || a.RembgCom.MaxFileBytes != 1_000_000 || a.FAPIHub.MaxFileBytes != 0 {
		t.Fatalf("%+v %+v %+v", a.RemoveBG, a.RembgCom, a.FAPIHub)
	}
}

func TestAPIBodyTimeoutCaddyfile(t *testing.T) {
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n removebg\n api_body_timeout 45s\n}")); err != nil {
		t.Fatal(err)
	}
	if time.Duration(h.APIs.BodyTimeout) != 45*time.Second {
		t.Fatalf("body timeout %v", h.APIs.BodyTimeout)
	}
	if out, _ := json.Marshal(h.APIs); string(out) != `{"removebg":{},"body_timeout":45000000000}` {
		t.Fatalf("JSON %s", out)
	}
	for _, bad := range []string{"api_body_timeout", "api_body_timeout 0s", "api_body_timeout -1s", "api_body_timeout soon", "api_body_timeout 1s 2s"} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n " + bad + "\n}")); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestAPIRouteMatching(t *testing.T) {
	st := &apiState{routes: []apiRoute{
		{route: dialect.Route{Path: "/v1.0/removebg", Endpoint: "removebg"}},
		{prefix: "/api", route: dialect.Route{Path: "/rmbg", Endpoint: "rmbg"}},
		{route: dialect.Route{Path: "/v2/rembg/blur/", Endpoint: "blur"}},
		{route: dialect.Route{Path: "/v2/rembg/", Endpoint: ""}},
	}}
	cases := map[string]string{
		"/v1.0/removebg":          "removebg",
		"/mount/v1.0/removebg":    "removebg",
		"/api/rmbg":               "rmbg",
		"/v2/rembg/blur/":         "blur",
		"/x/v2/rembg/blur":        "blur",
		"/v2/rembg/":              "",
		"/v2/rembg":               "",
		"/rmbg":                   "-",
		"/other/api/rmbg":         "-",
		"/v1.0/removebg/":         "removebg", // either form of a route matches
		"/api/rmbg/":              "rmbg",
		"/v1.0/removebg//":        "-",
		"/img/photo.jpg":          "-",
		"/v1.0/removebg.jpg":      "-",
		"/prefix/v2/rembg/shadow": "-",
	}
	for path, want := range cases {
		rt, ok := st.match(path)
		got := rt.route.Endpoint
		if !ok {
			got = "-"
		}
		if got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

func TestUsageStore(t *testing.T) {
	path := t.TempDir() + "/u.json"
	s, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	quota := 1.0
	if !s.reserve("a", &quota, 0.75) || s.reserve("a", &quota, 0.5) {
		t.Fatal("reservations do not add up")
	}
	if err := s.settle("a", &quota, 0.75, false); err != nil {
		t.Fatal(err)
	}
	if r := s.remaining("a", &quota); r != 1 {
		t.Fatalf("a released reservation still counts: %v", r)
	}
	s.reserve("a", &quota, 0.25)
	if err := s.settle("a", &quota, 0.25, true); err != nil {
		t.Fatal(err)
	}
	if r := s.remaining("a", &quota); r != 0.75 {
		t.Fatalf("remaining %v", r)
	}
	// A new month starts from nothing.
	s.now = func() time.Time { return time.Now().AddDate(0, 2, 0) }
	if r := s.remaining("a", &quota); r != 1 {
		t.Fatalf("next month: %v", r)
	}

	// Rate buckets: megapixel units refilled at rate per minute.
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	if st, ok := s.take("b", 10, 4); !ok || st.remaining != 6 || st.limit != 10 {
		t.Fatalf("take 4 of 10: %+v %v", st, ok)
	}
	st, ok := s.take("b", 10, 7)
	if ok || st.retry != 6*time.Second || st.reset.Unix() != now.Add(24*time.Second).Unix() {
		t.Fatalf("take 7 of 6: %+v %v", st, ok)
	}
	now = now.Add(6 * time.Second)
	if _, ok := s.take("b", 10, 7); !ok {
		t.Fatal("refilled bucket refuses")
	}
	s.refund("b", 10, 7)
	now = now.Add(time.Hour)
	if st, ok := s.take("b", 10, 50); !ok || st.remaining != 0 {
		t.Fatalf("a cost above the budget needs a full bucket: %+v %v", st, ok)
	}
	if st := s.peek("b", 10); st.remaining != 0 {
		t.Fatalf("peek %+v", st)
	}
}

// TestRateDebt pins issue 16's weight rule: an image that costs more than
// the whole per-minute budget waits for a full bucket and then pays its
// full cost, so the key waits until the debt is refilled.
func TestRateDebt(t *testing.T) {
	path := t.TempDir() + "/u.json"
	s, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(2_000_000, 0)
	s.now = func() time.Time { return now }
	// A 12 MP image on a 3-unit key: not before the bucket is full.
	s.take("k", 3, 1)
	if st, ok := s.take("k", 3, 12); ok || st.retry != 20*time.Second {
		t.Fatalf("12 units of a 2-unit bucket: %+v %v, want a 20s wait for the full 3", st, ok)
	}
	now = now.Add(20 * time.Second)
	st, ok := s.take("k", 3, 12)
	if !ok || st.remaining != 0 || st.reset.Sub(now) != 4*time.Minute {
		t.Fatalf("12 units of a full 3-unit bucket: %+v %v, want it taken, full again in 4 minutes", st, ok)
	}
	// 9 units in debt: one more unit waits (1+9)/3 minutes.
	if st, ok := s.take("k", 3, 1); ok || st.retry != 200*time.Second {
		t.Fatalf("after the debt: %+v %v, want a 200s wait", st, ok)
	}
	// A refund never fills the bucket past its size.
	s.refund("k", 3, 100)
	if st := s.peek("k", 3); st.remaining != 3 {
		t.Fatalf("after a refund: %+v", st)
	}
}

func TestEncoderSettingsCaddyfile(t *testing.T) {
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n png_compression 0\n png_filter adaptive\n avif_effort 9\n gif_effort 10\n avif_chroma 444\n vips_cache_memory 64MiB\n vips_concurrency 2\n free_memory_interval 30s\n}")); err != nil {
		t.Fatal(err)
	}
	if deref(h.VipsCacheMemory) != 64<<20 || deref(h.VipsConcurrency) != 2 || time.Duration(deref(h.FreeMemoryInterval)) != 30*time.Second {
		t.Fatalf("vips settings %v %v %v", h.VipsCacheMemory, h.VipsConcurrency, h.FreeMemoryInterval)
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if e := h.encoding(); e.PNGCompression != 0 || e.PNGFilter != "adaptive" || e.AVIFEffort != 9 || e.GIFEffort != 10 || !e.AVIFFullChroma {
		t.Fatalf("encoding %+v", e)
	}
	var unset Handler
	if e := unset.encoding(); *e != transform.DefaultEncoding {
		t.Fatalf("defaults %+v", e)
	}
	for _, bad := range []string{"png_compression 10", "png_filter all", "png_filter", "png_filter up sub", "avif_effort -1", "avif_effort fast", "png_compression", "gif_effort 0", "gif_effort 11",
		"avif_chroma 422", "avif_chroma", "avif_chroma 444 420",
		"vips_cache_memory lots", "vips_concurrency -1", "free_memory_interval soon", "free_memory_interval -1s"} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n " + bad + "\n}"))
		if err == nil {
			err = h.Validate()
		}
		if err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestAPIImproveCaddyfile(t *testing.T) {
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n removebg\n api_improve_dir /srv/improve\n api_improve_max 50\n}")); err != nil {
		t.Fatal(err)
	}
	if out, _ := json.Marshal(h.APIs); string(out) != `{"removebg":{},"improve_dir":"/srv/improve","improve_max":50}` {
		t.Fatalf("JSON %s", out)
	}
	if s := (&APIConfig{}).improveStore(); filepath.Base(s.dir) != "improve" || filepath.Base(filepath.Dir(s.dir)) != "matte" || s.max != 1000 {
		t.Fatalf("defaults %+v", s)
	}
	for _, bad := range []string{"api_improve_dir", "api_improve_dir a b", "api_improve_max", "api_improve_max 0", "api_improve_max -3", "api_improve_max many", "api_improve_max 1 2"} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n " + bad + "\n}")); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestUsageHistory: a month's charged credits move to the history when
// the month rolls over, newest first, at most usageHistoryMonths of them,
// and survive a reload of the usage file.
func TestUsageHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	s, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	// 30 months, each charging its month number's credits; one month
	// charges nothing and leaves no history entry.
	for i := 0; i < 30; i++ {
		now = time.Date(2024, time.Month(1+i), 15, 12, 0, 0, 0, time.UTC)
		if i == 27 {
			continue
		}
		if err := s.settle("k", nil, float64(i+1), true); err != nil {
			t.Fatal(err)
		}
	}
	got := s.months("k")
	if len(got) != 1+usageHistoryMonths {
		t.Fatalf("%d months: %v", len(got), got)
	}
	// 2026-06 is the current month (i=29); 2026-04 (i=27) charged nothing.
	want := []struct {
		month string
		used  float64
	}{{"2026-06", 30}, {"2026-05", 29}, {"2026-03", 27}, {"2026-02", 26}}
	for i, w := range want {
		if m := got[i].Start.Format("2006-01"); m != w.month || got[i].Used != w.used {
			t.Fatalf("month %d: %s %v, want %s %v", i, m, got[i].Used, w.month, w.used)
		}
	}
	if last := got[len(got)-1].Start.Format("2006-01"); last != "2024-05" {
		t.Fatalf("oldest kept %s, want 2024-05", last)
	}
	again, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	again.now = s.now
	if m := again.months("k"); len(m) != len(got) || m[2] != got[2] {
		t.Fatalf("after a reload: %v", m)
	}
}

// TestEndpointLike: with no prefix, what counts as an unknown endpoint
// under a namespace (a name without a dot), and what stays the site's.
func TestEndpointLike(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1.0/removebgx":     true,
		"/v1.0/":              true,
		"/api/v1.0/accounts/": true,
		"/v1.0/logo.png":      false,
		"/v1.0/sub/file":      false,
		"/v1.0":               false,
		"/img/shoe.jpg":       false,
	} {
		if got := endpointLike(path, "/v1.0/"); got != want {
			t.Errorf("endpointLike(%q) = %v, want %v", path, got, want)
		}
	}
}

// One usage file is one store, however its path is written (relative or
// absolute), in every handler and generation.
func TestAPIUsageFileOneStorePerFile(t *testing.T) {
	t.Chdir(t.TempDir())
	abs, err := filepath.Abs("usage.json")
	if err != nil {
		t.Fatal(err)
	}
	app := &App{}
	defer app.Cleanup()
	var stores []quotaStore
	for _, path := range []string{"usage.json", "./usage.json", abs} {
		k, err := (&APIConfig{Keys: []APIKey{{Key: "a"}}, UsageFile: path}).provisionKeys(app)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, k.store)
	}
	if stores[0] != stores[1] || stores[0] != stores[2] {
		t.Fatalf("usage.json, ./usage.json and %s opened %p, %p, %p: want one store", abs, stores[0], stores[1], stores[2])
	}
}
