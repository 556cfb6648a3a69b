package caddymodule

import (
	"strings"
	"testing"
	"time"
)

// `caddy matte-sign --expires -1h` (or 0s) minted a URL that never
// expires and exited 0; a key the server refuses at load (under 16 bytes,
// signature.MinKeyLen) signed URLs no server would verify. Both are
// refused with a message naming the flag or the key.
func TestSignCommand(t *testing.T) {
	const key = "0123456789abcdef" // 16 bytes: the shortest a signature block accepts
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name       string
		key        string
		expires    time.Duration
		expiresSet bool
		bindHost   bool
		url        string
		want       string // a substring of the URL, or of the error when wantErr
		wantErr    bool
	}{
		{"no --expires: never expires", key, 0, false, false, "/a.jpg?w=10", "/a.jpg?w=10&s=", false},
		{"--expires 1h", key, time.Hour, true, false, "/a.jpg?w=10", "expires=1800003600", false},
		{"--expires 0s", key, 0, true, false, "/a.jpg?w=10", "--expires", true},
		{"--expires -1h", key, -time.Hour, true, false, "/a.jpg?w=10", "--expires", true},
		{"--expires -1h --bind-host", key, -time.Hour, true, true, "https://cdn.example/a.jpg", "--expires", true},
		{"15-byte key", key[:15], 0, false, false, "/a.jpg", "15 bytes", true},
		{"15-byte key --bind-host", key[:15], time.Hour, true, true, "https://cdn.example/a.jpg", "15 bytes", true},
		{"no key", "", 0, false, false, "/a.jpg", "no key", true},
	} {
		got, err := signCommand(tc.key, tc.url, tc.expires, tc.expiresSet, tc.bindHost, now)
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %q, %v; want an error naming %q", tc.name, got, err, tc.want)
		case !tc.wantErr && (err != nil || !strings.Contains(got, tc.want)):
			t.Errorf("%s: %q, %v; want %q in the URL", tc.name, got, err, tc.want)
		}
		if tc.wantErr || tc.expires != 0 {
			continue
		}
		if strings.Contains(got, "expires=") {
			t.Errorf("%s: %q has expires=", tc.name, got)
		}
	}
	// SignURL, the Go API, refuses a negative validity too.
	if got, err := SignURL([]byte(key), "/a.jpg", -time.Second, now); err == nil {
		t.Errorf("SignURL with validity -1s: %q, want an error", got)
	}
}
