package fetch

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tree builds:
//
//	outside/secret.txt
//	outside/dir/other.txt
//	root/a.jpg
//	root/sub/b.jpg
//	root/link-in.jpg     -> sub/b.jpg          (inside: allowed)
//	root/link-abs-in.jpg -> <root>/a.jpg       (absolute, inside: allowed)
//	root/link-out.txt    -> ../outside/secret.txt
//	root/link-abs-out    -> <outside>/secret.txt
//	root/dir-out         -> ../outside/dir
//	root/sub/up          -> ..                 (inside: allowed)
//	root/loop            -> loop
//	rootlink             -> root               (the root itself through a link)
func tree(t *testing.T) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "root")
	out := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), filepath.Join(out, "dir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(root, "a.jpg"):           "A",
		filepath.Join(root, "sub", "b.jpg"):    "B",
		filepath.Join(out, "secret.txt"):       "SECRET",
		filepath.Join(out, "dir", "other.txt"): "OTHER",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(root, "link-in.jpg"):     "sub/b.jpg",
		filepath.Join(root, "link-abs-in.jpg"): filepath.Join(root, "a.jpg"),
		filepath.Join(root, "link-out.txt"):    "../outside/secret.txt",
		filepath.Join(root, "link-abs-out"):    filepath.Join(out, "secret.txt"),
		filepath.Join(root, "dir-out"):         "../outside/dir",
		filepath.Join(root, "sub", "up"):       "..",
		filepath.Join(root, "loop"):            "loop",
		filepath.Join(base, "rootlink"):        "root",
	}
	for p, target := range links {
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	return base, root
}

func TestSafeJoin(t *testing.T) {
	base, root := tree(t)
	realRoot, _ := filepath.EvalSymlinks(root)
	for _, tc := range []struct {
		path string
		want string // relative to the real root; "" when an error is expected
		err  error
	}{
		{"/a.jpg", "a.jpg", nil},
		{"a.jpg", "a.jpg", nil},
		{"/sub/b.jpg", "sub/b.jpg", nil},
		{"//sub//./b.jpg", "sub/b.jpg", nil},
		{"/link-in.jpg", "sub/b.jpg", nil},
		{"/link-abs-in.jpg", "a.jpg", nil},
		{"/sub/up/a.jpg", "a.jpg", nil},
		{"/", ".", nil},
		{"", ".", nil},
		{"/../outside/secret.txt", "", ErrUnsafePath},
		{"/sub/../a.jpg", "", ErrUnsafePath},
		{"/..", "", ErrUnsafePath},
		{"..", "", ErrUnsafePath},
		{"/a.jpg\x00.png", "", ErrUnsafePath},
		{"/sub\\..\\a.jpg", "", ErrUnsafePath},
		{"/..%2foutside/secret.txt", "", ErrUnsafePath},
		{"/..%2Foutside", "", ErrUnsafePath},
		{"/sub%5c..%5ca.jpg", "", ErrUnsafePath},
		{"/%2e%2e/outside/secret.txt", "", ErrUnsafePath},
		{"/a.jpg%00", "", ErrUnsafePath},
		{"/link-out.txt", "", ErrOutsideRoot},
		{"/link-abs-out", "", ErrOutsideRoot},
		{"/dir-out/other.txt", "", ErrOutsideRoot},
		{"/dir-out", "", ErrOutsideRoot},
		{"/missing.jpg", "", fs.ErrNotExist},
		{"/dir-out/missing.txt", "", ErrOutsideRoot}, // not a probe of the outside
		{"/dir-out/x/y/missing.txt", "", ErrOutsideRoot},
		{"/sub/missing/deeper.jpg", "", fs.ErrNotExist},
	} {
		got, err := SafeJoin(root, tc.path)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("SafeJoin(%q) = %q, %v; want %v", tc.path, got, err, tc.err)
			}
			continue
		}
		want := filepath.Join(realRoot, tc.want)
		if err != nil || got != want {
			t.Errorf("SafeJoin(%q) = %q, %v; want %q", tc.path, got, err, want)
		}
	}
	// A loop is an error, not a hang.
	if _, err := SafeJoin(root, "/loop"); err == nil {
		t.Error("SafeJoin followed a symlink loop")
	}
	// The root may itself be reached through a link.
	got, err := SafeJoin(filepath.Join(base, "rootlink"), "/sub/b.jpg")
	if err != nil || got != filepath.Join(realRoot, "sub", "b.jpg") {
		t.Errorf("through root link: %q, %v", got, err)
	}
	if _, err := SafeJoin(filepath.Join(base, "rootlink"), "/link-out.txt"); !errors.Is(err, ErrOutsideRoot) {
		t.Errorf("through root link, link-out: %v", err)
	}
	// A root of "/" works too (everything is inside it).
	if got, err := SafeJoin("/", filepath.ToSlash(filepath.Join(realRoot, "a.jpg"))); err != nil || got != filepath.Join(realRoot, "a.jpg") {
		t.Errorf("root /: %q, %v", got, err)
	}
}

func TestOpenInRoot(t *testing.T) {
	_, root := tree(t)
	read := func(p string) (string, error) {
		f, err := OpenInRoot(root, p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return string(b), err
	}
	for p, want := range map[string]string{"/a.jpg": "A", "/link-in.jpg": "B", "/sub/up/a.jpg": "A"} {
		if got, err := read(p); err != nil || got != want {
			t.Errorf("OpenInRoot(%q) = %q, %v", p, got, err)
		}
	}
	for p, want := range map[string]error{
		"/link-out.txt":          ErrOutsideRoot,
		"/link-abs-out":          ErrOutsideRoot,
		"/dir-out/other.txt":     ErrOutsideRoot,
		"/../outside/secret.txt": ErrUnsafePath,
		"/..%2f..%2fetc/passwd":  ErrUnsafePath,
		"/missing":               fs.ErrNotExist,
	} {
		if got, err := read(p); !errors.Is(err, want) {
			t.Errorf("OpenInRoot(%q) = %q, %v; want %v", p, got, err, want)
		}
	}
}
