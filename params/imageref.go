package params

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxImageRef bounds an image reference a URL names (a watermark, a
// background image), in bytes.
const MaxImageRef = 2048

// CheckImageRef accepts an image reference as a URL may give it: an
// http(s) URL with a host and without user info or fragment (the handler
// still fetches it only from allowed hosts), or an absolute path starting
// with a single / without . or .. segments, as written or percent-decoded,
// / and \ both separating them (served by the next handler); at most
// MaxImageRef bytes, printable UTF-8.
func CheckImageRef(v string) error {
	if err := CheckPrintable(v, MaxImageRef); err != nil {
		return err
	}
	if strings.HasPrefix(v, "/") {
		if strings.HasPrefix(v, "//") {
			return errors.New("a path starts with a single /")
		}
		// The path is checked as written and decoded: the handler
		// requests it decoded, so /%2e%2e/ would be a .. segment there.
		p, _, _ := strings.Cut(v, "?")
		decoded, err := url.PathUnescape(p)
		if err != nil {
			return ErrSyntax
		}
		if HasDotSegment(v) || HasDotSegment(decoded) {
			return errors.New(". and .. segments are not allowed")
		}
		return nil
	}
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return ErrSyntax
	}
	if strings.ContainsAny(v, " #") {
		return ErrSyntax
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ErrSyntax
	}
	if u.User != nil {
		return errors.New("user info is not allowed")
	}
	return nil
}

// HasDotSegment reports whether path p has a "." or ".." segment, "/" and
// "\" both separating segments (some servers read a backslash as one).
func HasDotSegment(p string) bool {
	for seg := range strings.FieldsFuncSeq(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// MaxFileName bounds a file name a URL gives for a download (a common
// file system limit).
const MaxFileName = 255

// CheckFileName accepts "" or a file name: at most MaxFileName bytes of
// UTF-8 without a path separator, control character, or the names . and ..
func CheckFileName(v string) error {
	if err := CheckPrintable(v, MaxFileName); err != nil {
		return err
	}
	if v == "." || v == ".." || strings.ContainsAny(v, "/\\") {
		return ErrSyntax
	}
	return nil
}

// CheckPrintable accepts UTF-8 of at most max bytes without control
// characters.
func CheckPrintable(v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%d bytes long", len(v))
	}
	if !utf8.ValidString(v) {
		return errors.New("not UTF-8")
	}
	for _, c := range v {
		if c < ' ' || c == 0x7f {
			return errors.New("control character")
		}
	}
	return nil
}
