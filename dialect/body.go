// Package dialect is the helper library of the ways a request reaches
// Matte: the query dialect (package imgix) and the hosted
// background-removal APIs (packages removebg, rembgcom and fapihub). The
// hosted APIs share what is here: ReadBody, which reduces a request body
// to named fields, the value parsers of values.go, and the descriptor
// (API, Request, Plan, Result, Failure) through which each of them plugs
// into the one hosted-API flow of caddymodule. Nothing here knows Caddy: a
// dialect is handed the request's Content-Type and a body reader, and
// writes its answers to an http.ResponseWriter.
//
// ReadBody accepts multipart/form-data, application/x-www-form-urlencoded
// and JSON, and copes with mislabelled bodies (JSON sent as a form,
// multipart without a boundary parameter). It streams: a JSON body is
// walked token by token, a multipart body part by part, and nothing grows
// beyond Limits. Shared conventions, for every dialect:
//
//   - An empty value is an unset field; surrounding spaces are ignored.
//   - Booleans are true/false/1/0 (any case), or JSON booleans.
//   - A field given more than once takes its first non-empty value (in
//     JSON, where a key is one value, the last occurrence of a key wins).
//   - Fields a dialect does not know are ignored, as the hosted APIs do;
//     a JSON array or object is refused at its first token, whatever its
//     field.
//   - Image bytes are typed by sniffing them (the pipeline's Probe); the
//     declared part Content-Type and file name are ignored.
package dialect

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
)

// Kind is how a body was encoded.
type Kind uint8

const (
	KindForm Kind = iota + 1
	KindMultipart
	KindJSON
)

func (k Kind) String() string {
	switch k {
	case KindForm:
		return "form"
	case KindMultipart:
		return "multipart"
	case KindJSON:
		return "json"
	}
	return "unknown"
}

// File is an uploaded file part.
type File struct {
	Filename    string
	ContentType string // as declared by the client; not trusted
	Data        []byte
}

type value struct {
	text string
	file *File
}

// Body is a request body reduced to named fields, whatever its encoding.
type Body struct {
	Kind   Kind
	fields map[string][]value
}

// Limits bound what ReadBody reads and keeps.
type Limits struct {
	// MaxBytes bounds the whole body (0: 64 MiB).
	MaxBytes int64
	// MaxParts bounds the fields and files (0: 256).
	MaxParts int
	// MaxFieldBytes bounds one text value: a form or JSON value, or a
	// multipart part that is not a file (0: MaxBytes only). File parts and
	// the fields named in LargeFields (an image sent as base64 text) are
	// bounded by MaxBytes only.
	MaxFieldBytes int64
	LargeFields   []string
}

// BodyError is a body ReadBody cannot use. Err is the read error behind
// it, if any (for the log).
type BodyError struct {
	TooLarge bool // over Limits.MaxBytes
	Timeout  bool // the body did not arrive in time (a read deadline passed)
	// Field names the one field the body is refused for (a value over
	// MaxFieldBytes, a JSON array or object); "" when the fault is the
	// body's as a whole. Msg names it too.
	Field string
	Msg   string
	Err   error
}

func (e *BodyError) Error() string { return e.Msg }

func (e *BodyError) Unwrap() error { return e.Err }

// ErrBodyTooLarge is what a caller's reader may return (wrapped or not),
// besides *http.MaxBytesError, when the body is over its own limit;
// ReadBody reports either as TooLarge.
var ErrBodyTooLarge = errors.New("request body too large")

const (
	defaultMaxBytes = 64 << 20
	defaultMaxParts = 256
	// sniffBytes is how far ahead ReadBody looks for a body's first
	// non-space byte and a multipart boundary line.
	sniffBytes = 64 << 10
)

// ReadBody reads body according to contentType. A JSON body labelled as a
// form (curl -d '{...}' does that) is read as JSON; a multipart type
// without a boundary takes the boundary from the first line; a missing or
// unknown type is sniffed: "{" is JSON, "--boundary" multipart, anything
// else a form. It reads at most Limits.MaxBytes+1 bytes of body, and stops
// at the first thing it refuses.
func ReadBody(contentType string, body io.Reader, lim Limits) (*Body, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = defaultMaxBytes
	}
	if lim.MaxParts <= 0 {
		lim.MaxParts = defaultMaxParts
	}
	src := &limitedReader{r: body, max: lim.MaxBytes}
	b, err := readBody(contentType, bufio.NewReaderSize(src, sniffBytes), lim)
	if src.err != nil && src.err != io.EOF {
		// A read failure (too large, too slow, gone) explains whatever the
		// parser made of the truncated body.
		return nil, readError(src.err, lim.MaxBytes)
	}
	return b, err
}

func readBody(contentType string, br *bufio.Reader, lim Limits) (*Body, error) {
	head, _ := br.Peek(sniffBytes)
	mediaType, mediaParams, _ := mime.ParseMediaType(contentType)
	mediaType = strings.ToLower(mediaType)
	first := byte(0)
	if i := strings.IndexFunc(string(head), func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) }); i >= 0 {
		first = head[i]
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		boundary := mediaParams["boundary"]
		if boundary == "" {
			boundary = sniffBoundary(head)
		}
		if boundary == "" {
			return nil, &BodyError{Msg: "The multipart body has no boundary."}
		}
		return readMultipart(br, boundary, lim)
	case first == '{':
		return readJSON(br, lim)
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		if first == 0 && len(head) < sniffBytes {
			return &Body{Kind: KindJSON, fields: map[string][]value{}}, nil
		}
		return readJSON(br, lim)
	case mediaType != "application/x-www-form-urlencoded" && strings.HasPrefix(string(head), "--"):
		if b := sniffBoundary(head); b != "" {
			return readMultipart(br, b, lim)
		}
	}
	return readForm(br, lim)
}

// limitedReader reads at most max bytes of r, and fails with
// ErrBodyTooLarge when r has more. Its first error sticks.
type limitedReader struct {
	r   io.Reader
	max int64
	n   int64
	err error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if left := l.max + 1 - l.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		n -= int(l.n - l.max)
		l.n, err = l.max, ErrBodyTooLarge
	}
	if err != nil {
		l.err = err
	}
	return n, err
}

// readError classifies a failure to read the body.
func readError(err error, max int64) *BodyError {
	var mbe *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, ErrBodyTooLarge) || errors.As(err, &mbe):
		return &BodyError{TooLarge: true, Msg: fmt.Sprintf("The request body is larger than %d bytes.", max), Err: err}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout():
		return &BodyError{Timeout: true, Msg: "The request body did not arrive in time.", Err: err}
	}
	return &BodyError{Msg: "The request body could not be read.", Err: err}
}

// sniffBoundary takes the boundary from a multipart body's first line.
func sniffBoundary(head []byte) string {
	line, _, _ := strings.Cut(string(head), "\n")
	line = strings.TrimRight(line, "\r")
	if !strings.HasPrefix(line, "--") || len(line) < 3 || len(line) > 72 {
		return ""
	}
	b := line[2:]
	if strings.ContainsAny(b, " \t") {
		return ""
	}
	return b
}

// add appends a value of name, within the part and field limits.
func (b *Body) add(name string, v value, lim Limits) error {
	if err := checkField(name, v, lim); err != nil {
		return err
	}
	if b.count() >= lim.MaxParts {
		return &BodyError{Msg: fmt.Sprintf("The request has more than %d fields.", lim.MaxParts)}
	}
	b.fields[name] = append(b.fields[name], v)
	return nil
}

func checkField(name string, v value, lim Limits) error {
	if v.file == nil && lim.MaxFieldBytes > 0 && int64(len(v.text)) > lim.MaxFieldBytes && !slices.Contains(lim.LargeFields, name) {
		return &BodyError{Field: name, Msg: fmt.Sprintf("The field %s is larger than %d bytes.", Quote(name), lim.MaxFieldBytes)}
	}
	return nil
}

func (b *Body) count() int {
	n := 0
	for _, vs := range b.fields {
		n += len(vs)
	}
	return n
}

// readForm parses an x-www-form-urlencoded body as url.ParseQuery does
// (the first malformed pair fails it), keeping at most MaxParts values.
func readForm(r io.Reader, lim Limits) (*Body, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &BodyError{Msg: "The request body could not be read.", Err: err}
	}
	b := &Body{Kind: KindForm, fields: map[string][]value{}}
	rest := string(data)
	for rest != "" {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		name, val, err := parseFormPair(pair)
		if err != nil {
			return nil, &BodyError{Msg: "The form body is malformed: " + err.Error() + "."}
		}
		if err := b.add(name, value{text: val}, lim); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// parseFormPair decodes one name=value pair of a form body as
// url.ParseQuery does, with its errors.
func parseFormPair(pair string) (name, val string, err error) {
	if strings.Contains(pair, ";") {
		return "", "", errors.New("invalid semicolon separator in query")
	}
	name, val, _ = strings.Cut(pair, "=")
	if name, err = url.QueryUnescape(name); err != nil {
		return "", "", err
	}
	if val, err = url.QueryUnescape(val); err != nil {
		return "", "", err
	}
	return name, val, nil
}

// readJSON walks one JSON object token by token. A member whose value is
// an array or an object fails at that token, before the value is read.
func readJSON(r io.Reader, lim Limits) (*Body, error) {
	w := newJSONWalker(r)
	if err := w.open(); err != nil {
		return nil, err
	}
	b := &Body{Kind: KindJSON, fields: map[string][]value{}}
	for {
		name, text, set, done, err := w.member()
		switch {
		case err != nil:
			return nil, err
		case done:
			return b, w.end()
		case !set:
			delete(b.fields, name) // null: unset, as a later key wins
			continue
		}
		v := value{text: text}
		if err := checkField(name, v, lim); err != nil {
			return nil, err
		}
		if _, seen := b.fields[name]; !seen && b.count() >= lim.MaxParts {
			return nil, &BodyError{Msg: fmt.Sprintf("The request has more than %d fields.", lim.MaxParts)}
		}
		b.fields[name] = []value{v}
	}
}

func readMultipart(r io.Reader, boundary string, lim Limits) (*Body, error) {
	mr := multipart.NewReader(r, boundary)
	b := &Body{Kind: KindMultipart, fields: map[string][]value{}}
	malformed := &BodyError{Msg: "The multipart body is malformed."}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, malformed
		}
		name := part.FormName()
		isFile := part.FileName() != "" || isFileHeader(part.Header)
		max := lim.MaxBytes
		if !isFile && lim.MaxFieldBytes > 0 && !slices.Contains(lim.LargeFields, name) {
			max = lim.MaxFieldBytes
		}
		content, err := io.ReadAll(io.LimitReader(part, max+1))
		part.Close()
		switch {
		case err != nil:
			return nil, malformed
		case int64(len(content)) > max:
			return nil, &BodyError{Field: name, Msg: fmt.Sprintf("The field %s is larger than %d bytes.", Quote(name), max)}
		case name == "":
			continue
		}
		v := value{text: string(content)}
		if isFile {
			v = value{file: &File{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: content}}
		}
		if err := b.add(name, v, lim); err != nil {
			return nil, err
		}
	}
}

// isFileHeader reports whether a part without a file name still declares
// binary content (some clients omit filename for Buffers).
func isFileHeader(h textproto.MIMEHeader) bool {
	ct := strings.ToLower(h.Get("Content-Type"))
	return strings.HasPrefix(ct, "image/") || ct == "application/octet-stream"
}

// Text returns the first non-empty value of name, without surrounding
// space. A file part's content counts as its text (curl -F name=@file).
func (b *Body) Text(name string) (string, bool) {
	for _, v := range b.fields[name] {
		s := v.text
		if v.file != nil {
			s = string(v.file.Data)
		}
		if s = strings.TrimSpace(s); s != "" {
			return s, true
		}
	}
	return "", false
}

// File returns the first file part of name, and whether name was given
// as a file at all (empty files included).
func (b *Body) File(name string) (*File, bool) {
	var empty *File
	for _, v := range b.fields[name] {
		if v.file == nil {
			continue
		}
		if len(v.file.Data) > 0 {
			return v.file, true
		}
		if empty == nil {
			empty = v.file
		}
	}
	return empty, empty != nil
}

// Given reports whether name has a non-empty value or a file part.
func (b *Body) Given(name string) bool {
	if _, ok := b.Text(name); ok {
		return true
	}
	_, ok := b.File(name)
	return ok
}

// Names lists the fields given, sorted.
func (b *Body) Names() []string {
	names := make([]string, 0, len(b.fields))
	for name := range b.fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
