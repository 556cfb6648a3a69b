package caddymodule_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// remove.bg's POST /v1.0/improve and rembg.com's GET /api/membership-usage
// through the real server. Neither runs the model.

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// storedSubmissions reads the records in an improvement folder, and fails
// on any file that is neither a record nor the image one names.
func storedSubmissions(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	recs := map[string]map[string]any{}
	images := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			images[name] = true
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs[strings.TrimSuffix(name, ".json")] = rec
	}
	for _, rec := range recs {
		delete(images, rec["image"].(string))
	}
	if len(images) != 0 {
		t.Fatalf("files without a record (temporary files left?): %v", images)
	}
	return recs
}

// TestAPIImprove: POST /v1.0/improve as remove.bg's reference describes it
// (Improvement Program: image_file, image_file_b64 or image_url, plus
// image_filename and tag; 200 {"id"}), stored under api_improve_dir, at
// most api_improve_max submissions, no credits charged.
func TestAPIImprove(t *testing.T) {
	site := t.TempDir()
	img := solidPNG(t, 40, 30)
	os.WriteFile(filepath.Join(site, "photo.png"), img, 0o644)
	store := filepath.Join(t.TempDir(), "improve")
	extra := fmt.Sprintf(`api_key improve-key {
			credits 5
		}
		api_usage_file %s
		api_improve_dir %s
		api_improve_max 3`, filepath.Join(t.TempDir(), "usage.json"), store)
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(site, "", extra), "caddyfile")
	key := []string{"X-Api-Key", "improve-key"}
	b64 := base64.StdEncoding.EncodeToString(img)

	type check struct {
		status   int
		code     string         // remove.bg error code; "" for a 200 {"id"}
		record   map[string]any // fields the stored record must have
		imageURL bool
	}
	ct, multi := multipartOf(t, file("image_file", img), field("image_filename", "car.png"), field("tag", "batch_1_2020"))
	ctNoName, multiNoName := multipartOf(t, file("image_file", img))
	cases := []struct {
		name    string
		method  string
		ct      string
		body    []byte
		headers []string
		want    check
	}{
		{"no key", "POST", ct, multi, nil, check{status: 403, code: "auth_failed"}},
		{"wrong key", "POST", ct, multi, []string{"X-Api-Key", "nope"}, check{status: 403, code: "auth_failed"}},
		{"GET", "GET", "", nil, key, check{status: 405, code: "method_not_allowed"}},
		{"no image", "POST", "application/x-www-form-urlencoded", formOf("tag", "t"), key, check{status: 400, code: "missing_source"}},
		{"two sources", "POST", "application/x-www-form-urlencoded", formOf("image_file_b64", b64, "image_url", apiBase+"/photo.png"), key, check{status: 400, code: "multiple_sources"}},
		{"not an image", "POST", "application/x-www-form-urlencoded", formOf("image_file_b64", base64.StdEncoding.EncodeToString([]byte("plain text"))), key, check{status: 400, code: "invalid_file_type"}},
		// max_source_bytes (600KB) is below remove.bg's 12 MB: it is the file limit.
		{"file over the limit", "POST", "application/x-www-form-urlencoded", formOf("image_file_b64", base64.StdEncoding.EncodeToString(make([]byte, 700<<10))), key, check{status: 400, code: "file_too_large"}},
		{"missing url", "POST", "application/json", []byte(`{"image_url":"` + apiBase + `/missing.png"}`), key, check{status: 400, code: "failed_image_download"}},
		{"multipart with image_filename and tag", "POST", ct, multi, key,
			check{status: 200, record: map[string]any{"image_filename": "car.png", "tag": "batch_1_2020", "type": "png", "width": 40.0, "height": 30.0, "bytes": float64(len(img))}}},
		{"multipart keeps the part's filename", "POST", ctNoName, multiNoName, key, check{status: 200, record: map[string]any{"image_filename": "image_file.png"}}},
		{"image_url, JSON", "POST", "application/json", []byte(`{"image_url":"` + apiBase + `/photo.png","tag":"t"}`), key,
			check{status: 200, imageURL: true, record: map[string]any{"image_url": apiBase + "/photo.png", "tag": "t"}}},
		{"past api_improve_max", "POST", "application/x-www-form-urlencoded", formOf("image_file_b64", b64), key, check{status: 429, code: "rate_limit_exceeded"}},
	}
	// A declared body over the limit is refused before any of it is
	// read: only the head is sent, as a client that has not yet written
	// its body would (a client writing 3 MB races the server's close).
	t.Run("declared body over the limit", func(t *testing.T) {
		before := len(storedSubmissions(t, store))
		conn, br := rawRequest(t, "POST /v1.0/improve HTTP/1.1\r\nHost: localhost:9080\r\nX-Api-Key: improve-key\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4200000")
		res, v, _ := readAnswer(t, conn, br, 5*time.Second)
		if res.StatusCode != 400 || apiError(v) != "file_too_large" || len(storedSubmissions(t, store)) != before {
			t.Fatalf("%d %v, want 400 file_too_large and nothing stored", res.StatusCode, v)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, apiBase+"/v1.0/improve", bytes.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			for i := 0; i+1 < len(tc.headers); i += 2 {
				req.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			before := storedSubmissions(t, store)
			res, err := tester.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(res.Body)
			res.Body.Close()
			after := storedSubmissions(t, store)
			if tc.want.code != "" {
				removeBGError(t, res, body.Bytes(), tc.want.status, tc.want.code)
				if len(after) != len(before) {
					t.Fatalf("a refused submission was stored: %d -> %d", len(before), len(after))
				}
				if tc.want.status == 405 && res.Header.Get("Allow") != "POST" {
					t.Fatalf("Allow %q", res.Header.Get("Allow"))
				}
				return
			}
			var v map[string]any
			if err := json.Unmarshal(body.Bytes(), &v); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body.Bytes())
			}
			sameKeys(t, "body", v, "id")
			id := v["id"].(string)
			if !uuidPattern.MatchString(id) {
				t.Fatalf("id %q is not a UUID", id)
			}
			if res.Header.Get("X-Credits-Charged") != "" || res.Header.Get("X-RateLimit-Limit") != "500" {
				t.Fatalf("headers %v", res.Header)
			}
			rec, ok := after[id]
			if !ok || len(after) != len(before)+1 {
				t.Fatalf("record %s not stored: %v", id, after)
			}
			for k, want := range tc.want.record {
				if rec[k] != want {
					t.Errorf("record %s = %v, want %v", k, rec[k], want)
				}
			}
			sum := sha256.Sum256([]byte("improve-key"))
			if rec["id"] != id || rec["image"] != id+".png" || rec["key"] != hex.EncodeToString(sum[:]) {
				t.Errorf("record %v", rec)
			}
			if _, err := time.Parse(time.RFC3339, rec["received"].(string)); err != nil {
				t.Errorf("received %v", rec["received"])
			}
			if !tc.want.imageURL && rec["image_url"] != nil {
				t.Errorf("image_url %v for an upload", rec["image_url"])
			}
			if stored, _ := os.ReadFile(filepath.Join(store, id+".png")); !bytes.Equal(stored, img) {
				t.Errorf("stored image differs (%d bytes)", len(stored))
			}
		})
	}
	// Nothing was charged.
	res, body := get(t, tester, apiBase+"/v1.0/account", key...)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"total":5`) {
		t.Fatalf("account after submissions: %d %s", res.StatusCode, body)
	}
}

// TestAPIMembershipUsage: GET /api/membership-usage answers from the usage
// file's records: this month's credits and the history's.
func TestAPIMembershipUsage(t *testing.T) {
	usage := filepath.Join(t.TempDir(), "usage.json")
	now := time.Now().UTC()
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev := this.AddDate(0, -1, 0)
	sum := sha256.Sum256([]byte("usage-key"))
	seed := fmt.Sprintf(`{"version":1,"keys":{%q:{"month":%q,"used":7.25,"history":{%q:3}}}}`,
		hex.EncodeToString(sum[:]), this.Format("2006-01"), prev.Format("2006-01"))
	if err := os.WriteFile(usage, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`api_key usage-key {
			credits 20
		}
		api_key free-key
		api_usage_file %s`, usage)
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(t.TempDir(), "", extra), "caddyfile")
	thisEnd, prevEnd := float64(this.AddDate(0, 1, 0).Unix()-1), float64(this.Unix()-1)
	top := []string{"membership", "credits", "prepaidCredits", "app_usage", "api_usage"}
	cases := []struct {
		name  string
		query string
		key   string
		want  map[string]any // top-level fields; nested objects as map[string]any, lists as []any
		keys  []string       // the top level's exact keys
	}{
		{"this month", "", "usage-key", map[string]any{"membership": "Matte", "credits": 20.0, "prepaidCredits": 0.0, "app_usage": 0.0, "api_usage": 7.25}, top},
		{"the month before", fmt.Sprintf("year=%d&month=%d", prev.Year(), int(prev.Month())), "usage-key", map[string]any{"api_usage": 3.0}, top},
		{"a month without records", "year=2001&month=5", "usage-key", map[string]any{"api_usage": 0.0}, top},
		{"expand=billing_cycle", "expand=billing_cycle", "usage-key", map[string]any{"api_usage": 7.25, "billingCycle": map[string]any{
			"periodStartUnix": float64(this.Unix()), "periodEndUnix": thisEnd, "appUsage": 0.0, "apiUsage": 7.25, "includedCredits": 20.0,
			"prepaidCredits": 0.0, "usedIncludedCredits": 7.25, "remainingIncludedCredits": 12.75, "stripeBillingSynced": false}},
			append(top, "billingCycle")},
		{"periodStartUnix", fmt.Sprintf("periodStartUnix=%d&includeBillingCycle=true", prev.Unix()), "usage-key", map[string]any{"api_usage": 3.0, "billingCycle": map[string]any{
			"periodStartUnix": float64(prev.Unix()), "periodEndUnix": prevEnd, "appUsage": 0.0, "apiUsage": 3.0, "includedCredits": 20.0,
			"prepaidCredits": 0.0, "usedIncludedCredits": 3.0, "remainingIncludedCredits": 17.0, "stripeBillingSynced": false}},
			append(top, "billingCycle")},
		{"listBillingCycles", "listBillingCycles=1&year=nonsense", "usage-key", map[string]any{"billingCycles": []any{
			map[string]any{"periodStartUnix": float64(this.Unix()), "periodEndUnix": thisEnd, "appUsage": 0.0, "apiUsage": 7.25},
			map[string]any{"periodStartUnix": float64(prev.Unix()), "periodEndUnix": prevEnd, "appUsage": 0.0, "apiUsage": 3.0}}},
			[]string{"billingCycles"}},
		{"a key without a quota", "", "free-key", map[string]any{"credits": 1e9, "api_usage": 0.0}, top},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tester, apiBase+"/api/membership-usage?"+tc.query, "x-api-key", tc.key)
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			sameKeys(t, "body", v, tc.keys...)
			for k, want := range tc.want {
				if got, _ := json.Marshal(v[k]); string(got) != mustJSON(t, want) {
					t.Errorf("%s = %s, want %s", k, got, mustJSON(t, want))
				}
			}
			if res.Header.Get("X-RateLimit-Limit") != "500" || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", res.Header)
			}
		})
	}
	errCases := []struct {
		name, query, key string
		status           int
		field, msg       string
	}{
		{"no key", "", "", 401, "x-api-key", ""},
		{"wrong key", "", "nope", 401, "x-api-key", ""},
		{"periodStartUnix with year", "periodStartUnix=1740441600&year=2025", "usage-key", 400, "periodStartUnix",
			"Cannot use 'periodStartUnix' together with 'year' or 'month'."},
		{"month out of range", "month=13", "usage-key", 400, "month", "'month' must be between 1 and 12, got: 13"},
		{"year not a number", "year=soon", "usage-key", 400, "year", "'year' must be an integer, got: 'soon'"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.key != "" {
				hdr = []string{"x-api-key", tc.key}
			}
			res, body := get(t, tester, apiBase+"/api/membership-usage?"+tc.query, hdr...)
			rembgComError(t, res, body, tc.status, tc.field, tc.msg)
		})
	}
	t.Run("two errors", func(t *testing.T) {
		res, body := get(t, tester, apiBase+"/api/membership-usage?year=0&month=x", "x-api-key", "usage-key")
		want := `{"error":"Multiple validation errors","details":[{"field":"year","message":"'year' must be between 1 and 9999, got: 0"},` +
			`{"field":"month","message":"'month' must be an integer, got: 'x'"}],"status":400}`
		if res.StatusCode != 400 || string(body) != want {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
	})
	t.Run("POST", func(t *testing.T) {
		res, _ := post(t, tester, "/api/membership-usage", "application/x-www-form-urlencoded", nil, "x-api-key", "usage-key")
		if res.StatusCode != 405 || res.Header.Get("Allow") != "GET" {
			t.Fatalf("%d Allow %q", res.StatusCode, res.Header.Get("Allow"))
		}
	})
}

// TestAPIOpenMembershipUsage: without keys, nothing is recorded: the
// current month, nothing used, no quota.
func TestAPIOpenMembershipUsage(t *testing.T) {
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(t.TempDir(), "", ""), "caddyfile")
	res, body := get(t, tester, apiBase+"/api/membership-usage?listBillingCycles=true")
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	want := fmt.Sprintf(`{"billingCycles":[{"periodStartUnix":%d,"periodEndUnix":%d,"appUsage":0,"apiUsage":0}]}`, start.Unix(), start.AddDate(0, 1, 0).Unix()-1)
	if res.StatusCode != 200 || string(body) != want {
		t.Fatalf("%d %s, want %s", res.StatusCode, body, want)
	}
	res, body = get(t, tester, apiBase+"/api/membership-usage")
	if res.StatusCode != 200 || string(body) != `{"membership":"Matte","credits":1000000000,"prepaidCredits":0,"app_usage":0,"api_usage":0}` {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
