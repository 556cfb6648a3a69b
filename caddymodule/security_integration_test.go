package caddymodule_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// aliceHash is bcrypt("alice-secret"), cost 4.
const aliceHash = "$2a$04$tOJFDJT8aoRrI7XLpbtf.uR9Q8CuoktVO9vwj8gRCe05dzoBDu6rS"

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// wantFieldError checks a JSON error answer naming field.
func wantFieldError(t *testing.T, what string, res *http.Response, body []byte, status int, field string) {
	t.Helper()
	if res.StatusCode != status || !bytes.Contains(body, []byte(`"field":"`+field+`"`)) {
		t.Errorf("%s: %d %s, want %d on field %s", what, res.StatusCode, body, status, field)
	}
}

// TestBackgroundImageUnderAccessControl: a bg-image path is fetched through
// the site's own routes with the request's credentials, so basic_auth and
// file_server's hide apply to it as to a direct request; a folder is a 400.
func TestBackgroundImageUnderAccessControl(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"img", "private"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gray := solidJPEG(t, 64, 64, color.RGBA{128, 128, 128, 255})
	for name, data := range map[string][]byte{
		"img/gray.jpg":       gray,
		"private/secret.jpg": solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}),
		".hidden.jpg":        solidJPEG(t, 64, 64, color.RGBA{0, 0, 200, 255}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	basic_auth /private/* {
		alice %s
	}
	matte {
		rembg off
	}
	file_server {
		hide .hidden*
	}
}`, dir, aliceHash), "caddyfile")
	base := "http://localhost:9080"
	alice := basicAuth("alice", "alice-secret")

	// The protected files, asked for directly.
	if res, _ := get(t, tester, base+"/private/secret.jpg"); res.StatusCode != 401 {
		t.Fatalf("direct /private/secret.jpg: %d, want 401", res.StatusCode)
	}
	if res, _ := get(t, tester, base+"/.hidden.jpg"); res.StatusCode != 404 {
		t.Fatalf("direct /.hidden.jpg: %d, want 404", res.StatusCode)
	}

	for _, tc := range []struct {
		name, bg string
		headers  []string
	}{
		{"protected, no credentials", "/private/secret.jpg", nil},
		{"protected, wrong credentials", "/private/secret.jpg", []string{"Authorization", basicAuth("alice", "guess")}},
		{"hidden", "/.hidden.jpg", nil},
		{"hidden, with credentials", "/.hidden.jpg", []string{"Authorization", alice}},
		{"site root folder", "/", nil},
		{"folder", "/img/", nil},
		{"folder without slash", "/img", nil},
		{"missing", "/img/none.jpg", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image="+tc.bg, tc.headers...)
			wantFieldError(t, "bg-image="+tc.bg, res, body, 400, "bg-image")
			if bytes.Contains(body, []byte(dir)) {
				t.Errorf("the answer shows the site's folder: %s", body)
			}
		})
	}

	// With the credentials the image itself needs, the background loads:
	// the request goes on to removal (off here: 501).
	res, body := get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image=/private/secret.jpg", "Authorization", alice)
	if res.StatusCode != 501 || bytes.Contains(body, []byte("bg-image")) {
		t.Fatalf("bg-image with alice's credentials: %d %s, want the 501 of rembg off", res.StatusCode, body)
	}
	res, body = get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image=/img/gray.jpg")
	if res.StatusCode != 501 {
		t.Fatalf("public bg-image: %d %s, want the 501 of rembg off", res.StatusCode, body)
	}
}
