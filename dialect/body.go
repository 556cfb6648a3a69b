// Package dialect is the helper library of every way a request reaches
// Matte besides the URL: the hosted background-removal APIs in its
// subpackages (removebg, rembgcom, fapihub) and, in imgix, the query
// dialect. The hosted APIs share what is here: ReadBody, which reduces a
// request body to named fields, the value parsers of values.go, and the
// descriptor (API, Request, Plan, Result, Failure) through which each of
// them plugs into the one hosted-API flow of caddymodule. Nothing here
// knows the HTTP server: a dialect is handed the request's Content-Type and
// (bounded) body, and answers with what it returns.
//
// ReadBody accepts multipart/form-data, application/x-www-form-urlencoded
// and JSON, and copes with mislabelled bodies (JSON sent as a form,
// multipart without a boundary parameter). Shared conventions, for every
// dialect:
//
//   - An empty value is an unset field; surrounding spaces are ignored.
//   - Booleans are true/false/1/0 (any case), or JSON booleans.
//   - A field given more than once takes its first non-empty value.
//   - Fields a dialect does not know are ignored, as the hosted APIs do.
//   - Image bytes are typed by sniffing them (the pipeline's Probe); the
//     declared part Content-Type and file name are ignored.
package dialect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
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

// Limits bound what ReadBody keeps.
type Limits struct {
	// MaxBytes bounds the whole body (0: 64 MiB).
	MaxBytes int64
	// MaxParts bounds the fields and files (0: 256).
	MaxParts int
}

// BodyError is a body ReadBody cannot use.
type BodyError struct {
	TooLarge bool // over Limits.MaxBytes
	Msg      string
}

func (e *BodyError) Error() string { return e.Msg }

// ErrBodyTooLarge is what a caller's reader may return (wrapped or not),
// besides *http.MaxBytesError, when the body is over its own limit;
// ReadBody reports either as TooLarge.
var ErrBodyTooLarge = errors.New("request body too large")

const (
	defaultMaxBytes = 64 << 20
	defaultMaxParts = 256
)

// ReadBody reads body according to contentType. A JSON body labelled as a
// form (curl -d '{...}' does that) is read as JSON; a multipart type
// without a boundary takes the boundary from the first line; a missing or
// unknown type is sniffed: "{" is JSON, "--boundary" multipart, anything
// else a form.
func ReadBody(contentType string, body io.Reader, lim Limits) (*Body, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = defaultMaxBytes
	}
	if lim.MaxParts <= 0 {
		lim.MaxParts = defaultMaxParts
	}
	data, err := io.ReadAll(io.LimitReader(body, lim.MaxBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, ErrBodyTooLarge) || errors.As(err, &mbe) {
			return nil, &BodyError{TooLarge: true, Msg: "The request body is too large."}
		}
		return nil, &BodyError{Msg: "The request body could not be read."}
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &BodyError{TooLarge: true, Msg: fmt.Sprintf("The request body is larger than %d bytes.", lim.MaxBytes)}
	}
	mediaType, mediaParams, _ := mime.ParseMediaType(contentType)
	mediaType = strings.ToLower(mediaType)
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		boundary := mediaParams["boundary"]
		if boundary == "" {
			boundary = sniffBoundary(data)
		}
		if boundary == "" {
			return nil, &BodyError{Msg: "The multipart body has no boundary."}
		}
		return readMultipart(data, boundary, lim)
	case len(trimmed) > 0 && trimmed[0] == '{':
		return readJSON(trimmed, lim)
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		if len(trimmed) == 0 {
			return &Body{Kind: KindJSON, fields: map[string][]value{}}, nil
		}
		return readJSON(trimmed, lim)
	case mediaType != "application/x-www-form-urlencoded" && bytes.HasPrefix(data, []byte("--")):
		if b := sniffBoundary(data); b != "" {
			return readMultipart(data, b, lim)
		}
	}
	return readForm(data, lim)
}

// sniffBoundary takes the boundary from a multipart body's first line.
func sniffBoundary(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if !bytes.HasPrefix(line, []byte("--")) || len(line) < 3 || len(line) > 72 {
		return ""
	}
	b := string(line[2:])
	if strings.ContainsAny(b, " \t") {
		return ""
	}
	return b
}

func (b *Body) add(name string, v value, lim Limits) error {
	if b.count() >= lim.MaxParts {
		return &BodyError{Msg: fmt.Sprintf("The request has more than %d fields.", lim.MaxParts)}
	}
	b.fields[name] = append(b.fields[name], v)
	return nil
}

func (b *Body) count() int {
	n := 0
	for _, vs := range b.fields {
		n += len(vs)
	}
	return n
}

func readForm(data []byte, lim Limits) (*Body, error) {
	q, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, &BodyError{Msg: "The form body is malformed: " + err.Error() + "."}
	}
	b := &Body{Kind: KindForm, fields: map[string][]value{}}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range q[name] {
			if err := b.add(name, value{text: v}, lim); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func readJSON(data []byte, lim Limits) (*Body, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, &BodyError{Msg: "The JSON body is malformed."}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &BodyError{Msg: "The JSON body has data after its object."}
	}
	b := &Body{Kind: KindJSON, fields: map[string][]value{}}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var s string
		switch v := obj[name].(type) {
		case nil:
			continue // null: unset
		case string:
			s = v
		case bool:
			s = fmt.Sprint(v)
		case json.Number:
			s = v.String()
		default:
			return nil, &BodyError{Msg: fmt.Sprintf("The JSON field %q must be a string, number or boolean.", name)}
		}
		if err := b.add(name, value{text: s}, lim); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func readMultipart(data []byte, boundary string, lim Limits) (*Body, error) {
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	b := &Body{Kind: KindMultipart, fields: map[string][]value{}}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, &BodyError{Msg: "The multipart body is malformed."}
		}
		name := part.FormName()
		content, err := io.ReadAll(bufio.NewReader(part))
		part.Close()
		if err != nil {
			return nil, &BodyError{Msg: "The multipart body is malformed."}
		}
		if name == "" {
			continue
		}
		v := value{text: string(content)}
		if fn := part.FileName(); fn != "" || isFileHeader(part.Header) {
			v = value{file: &File{Filename: fn, ContentType: part.Header.Get("Content-Type"), Data: content}}
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
