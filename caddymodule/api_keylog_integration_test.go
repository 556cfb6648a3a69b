package caddymodule_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The hosted APIs' keys travel in headers Caddy's access log writes as
// they are (it redacts only Authorization, Cookie, Set-Cookie and
// Proxy-Authorization, from a copy of the request taken before any handler
// runs, so Matte cannot blank them itself). README's Observability section
// gives the log filter that replaces them; this runs that snippet and
// checks that no key reaches the log while the lines still name the
// headers.
func TestAPIKeysLeftOutOfTheAccessLog(t *testing.T) {
	site := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "access.log")
	const secret = "key-that-must-not-be-logged-0123"
	extra := fmt.Sprintf("api_key %s {\n\t\t\tcredits 5\n\t\t}\n\t\tapi_usage_file %s", secret, filepath.Join(t.TempDir(), "usage.json"))
	// README: Observability, Log (the hosted APIs' keys).
	const filter = `
	log {
		output file %s
		format filter {
			request>headers>X-Api-Key replace REDACTED
			request>headers>Apikey replace REDACTED
		}
	}
	file_server
}`
	cfg := strings.Replace(apiCaddyfile(site, "", extra), "\tfile_server\n}", fmt.Sprintf(filter, logFile), 1)
	tester := caddytest.NewTester(t)
	tester.InitServer(cfg, "caddyfile")
	for _, c := range []struct{ method, path, header string }{
		{"GET", "/v1.0/account", "X-Api-Key"},         // remove.bg
		{"GET", "/api/membership-usage", "x-api-key"}, // rembg.com
		{"POST", "/v2/rembg/", "ApiKey"},              // fapihub
		{"GET", "/v1.0/account", "X-Api-Key"},         // a wrong key is as secret
	} {
		req, _ := http.NewRequest(c.method, "http://localhost:9080"+c.path, nil)
		req.Header.Set(c.header, secret)
		res, err := tester.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	tester.InitServer(globalOptions+"\nhttp://localhost:9080 {\n\trespond ok\n}", "caddyfile") // closes the log file
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	if n := strings.Count(log, "\n"); n < 4 {
		t.Fatalf("%d access log lines, want 4:\n%s", n, log)
	}
	if strings.Contains(log, secret) {
		t.Fatalf("an API key reached the access log:\n%s", log)
	}
	for _, h := range []string{`"X-Api-Key":"REDACTED"`, `"Apikey":"REDACTED"`} {
		if !strings.Contains(log, h) {
			t.Errorf("no %s in the access log:\n%s", h, log)
		}
	}
}
