package fetch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Errors of SafeJoin and OpenInRoot (wrapped; test with errors.Is). A
// missing file is reported with an error that wraps fs.ErrNotExist.
var (
	// ErrUnsafePath: the URL path holds "..", a NUL byte, a backslash, or a
	// percent-encoded separator, dot or NUL left after one decoding.
	ErrUnsafePath = errors.New("source: unsafe path")
	// ErrOutsideRoot: the path resolves, through a symbolic link, to a
	// file outside the root.
	ErrOutsideRoot = errors.New("source: path resolves outside the root")
)

// encodedLeftovers are percent-escapes that must not survive the one
// decoding a URL path gets: a second decoding elsewhere would turn them into
// separators, dots or NUL.
var encodedLeftovers = []string{"%2f", "%5c", "%2e", "%00"}

// cleanRel checks a decoded URL path and returns it relative, with empty and
// "." segments dropped ("" for the root itself).
func cleanRel(urlPath string) (string, error) {
	switch {
	case strings.IndexByte(urlPath, 0) >= 0:
		return "", fmt.Errorf("%w: NUL byte", ErrUnsafePath)
	case strings.IndexByte(urlPath, '\\') >= 0:
		return "", fmt.Errorf("%w: backslash", ErrUnsafePath)
	}
	lower := strings.ToLower(urlPath)
	for _, enc := range encodedLeftovers {
		if strings.Contains(lower, enc) {
			return "", fmt.Errorf("%w: encoded %s after decoding", ErrUnsafePath, enc)
		}
	}
	segs := make([]string, 0, 8)
	for seg := range strings.SplitSeq(urlPath, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("%w: .. segment", ErrUnsafePath)
		}
		segs = append(segs, seg)
	}
	rel := strings.Join(segs, "/")
	if rel != "" && !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("%w: not a local path", ErrUnsafePath)
	}
	return rel, nil
}

// SafeJoin maps urlPath, a decoded URL path (url.URL.Path, after the one
// decoding the server does), to the file it names under root, and returns
// that file's real path (symbolic links resolved).
//
// It refuses (ErrUnsafePath) a path with a ".." segment, a NUL byte, a
// backslash, or "%2f", "%5c", "%2e" or "%00" in any case (a double-encoded
// separator, dot or NUL). Empty and "." segments are ignored. Symbolic
// links are followed, but the resolved file must lie under the resolved
// root (ErrOutsideRoot otherwise). The file must exist.
//
// The result is checked at call time only: a link changed between SafeJoin
// and the open is not seen. Prefer OpenInRoot, which opens the file with the
// same rules and no such window.
func SafeJoin(root, urlPath string) (string, error) {
	rel, err := cleanRel(urlPath)
	if err != nil {
		return "", err
	}
	realRoot, err := resolve(root)
	if err != nil {
		return "", err
	}
	joined := filepath.Join(realRoot, filepath.FromSlash(rel))
	target, err := resolve(joined)
	if err != nil {
		// A missing file under a link that leaves the root is reported as
		// outside, not as missing: the difference would let a client probe
		// for files outside the root.
		if parent := deepestExisting(joined, realRoot); parent != "" && !within(realRoot, parent) {
			return "", fmt.Errorf("%w: %s", ErrOutsideRoot, urlPath)
		}
		return "", err
	}
	if !within(realRoot, target) {
		return "", fmt.Errorf("%w: %s", ErrOutsideRoot, urlPath)
	}
	return target, nil
}

// OpenInRoot opens the file urlPath names under root, with SafeJoin's
// rules, race-free: the open itself (os.OpenInRoot) refuses to leave root,
// through ".." or a symbolic link, whatever happens to the tree meanwhile.
func OpenInRoot(root, urlPath string) (*os.File, error) {
	rel, err := cleanRel(urlPath)
	if err != nil {
		return nil, err
	}
	if rel == "" {
		rel = "."
	}
	f, err := os.OpenInRoot(root, filepath.FromSlash(rel))
	if err != nil {
		var pe *os.PathError
		// os reports an escape with its unexported errPathEscapes; any
		// other failure is returned as it is (still a refusal).
		if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
			return nil, fmt.Errorf("%w: %v", ErrOutsideRoot, err)
		}
		return nil, err
	}
	return f, nil
}

// deepestExisting resolves the nearest ancestor of p (below root) that
// resolves, or returns "".
func deepestExisting(p, root string) string {
	for dir := filepath.Dir(p); dir != p && within(root, dir) && dir != root; p, dir = dir, filepath.Dir(dir) {
		if r, err := resolve(dir); err == nil {
			return r
		}
	}
	return ""
}

func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether target is root or below it (both resolved).
func within(root, target string) bool {
	if target == root {
		return true
	}
	prefix := root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	return strings.HasPrefix(target, prefix)
}
