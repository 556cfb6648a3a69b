package caddymodule

import (
	"strings"
	"testing"
)

// TestProvisionFetcherOrigin: the origin's allowances (allow_private,
// allow_loopback) need an origin URL, since they apply to it alone; the
// client URLs' (allow_*_remote) need allow_hosts; allow_hosts may name a
// port. A config that relied on `origin { allow_loopback }` for client
// URLs is told what to write instead, rather than silently changing.
func TestProvisionFetcherOrigin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       *Origin
		wantErr string // "" when accepted
	}{
		{"no origin block", nil, ""},
		{"origin URL with allow_loopback", &Origin{URL: "http://127.0.0.1:9000/assets", AllowLoopback: true}, ""},
		{"origin URL with allow_private", &Origin{URL: "http://minio.internal:9000", AllowPrivate: true}, ""},
		{"allow_loopback without URL", &Origin{AllowLoopback: true, AllowHosts: []string{"127.0.0.1"}},
			"allow_private and allow_loopback apply to the origin URL only, and none is given; for the URLs clients name (remote sources, bg-image, mark, image_url) use allow_private_remote or allow_loopback_remote with allow_hosts"},
		{"allow_private without URL", &Origin{AllowPrivate: true}, "apply to the origin URL only"},
		{"allow_loopback_remote with allow_hosts", &Origin{AllowHosts: []string{"127.0.0.1:9001"}, AllowLoopbackRemote: true}, ""},
		{"allow_private_remote without allow_hosts", &Origin{URL: "https://img.example.com", AllowPrivateRemote: true},
			"allow_private_remote and allow_loopback_remote need allow_hosts: list the hosts clients may name"},
		{"allow_loopback_remote without allow_hosts", &Origin{AllowLoopbackRemote: true}, "need allow_hosts"},
		{"allow_hosts with ports", &Origin{AllowHosts: []string{"img.example.com:8443", "[::1]:9000", "*.cdn.test:80"}}, ""},
		{"allow_hosts with a bad port", &Origin{AllowHosts: []string{"img.example.com:0"}}, `allowed host "img.example.com:0"`},
		{"origin URL not http", &Origin{URL: "ftp://img.example.com"}, "want an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Origin: tc.o}
			err := h.provisionFetcher()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if h.guard.fetcher == nil || (h.guard.originFetcher != nil) != (tc.o != nil && tc.o.URL != "") {
				t.Fatalf("fetcher %v, origin fetcher %v", h.guard.fetcher, h.guard.originFetcher)
			}
			h.Cleanup()
		})
	}
}
