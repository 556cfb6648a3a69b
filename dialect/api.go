package dialect

import (
	"encoding/json"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jebosio/matte/params"
)

// API describes one hosted API to the generic flow that serves them all
// (caddymodule's api_flow.go): its routes, where its key travels, how big
// its bodies may be, how it parses a body, how it words each failure and
// how its errors look on the wire. A dialect package exports one API
// value; its parsed requests (Request) carry the rest: the transform to
// run and the success response.
//
// The flow, for an image route: authenticate (KeyHeader), refuse a
// declared Content-Length over the body limit, check the key's rate budget
// and the transform queue, read the body (bounded in size and time),
// Parse, fetch a URL source, probe the source and background, Plan, admit
// (rate units and credits), render (re-encoded in the job, for a Plan's
// Encoding), settle and Request.Respond. Every
// failure on the way is a Failure that Fail turns into the dialect's
// errors and WriteErrors writes. An Account route answers the key's
// credit balance with Account; a Submit route authenticates, reads and
// probes the image like an image route, stores it and answers Submitted;
// a Usage route answers the key's usage records with Usage.
type API struct {
	// Name is the dialect's name in logs ("removebg").
	Name   string
	Routes []Route
	// Namespace is the path segment every route of the API lies under
	// ("/v1.0/"): with no prefix configured, a request path that holds it
	// but matches no route is the API's 404 (FailNotFound). Empty: only a
	// configured prefix claims unknown paths, because the API's routes
	// share no segment that other sites' paths would not use.
	Namespace string
	// KeyHeader is the request header that carries the API key.
	KeyHeader string
	// MaxFileBytes is the upload size the API documents (0: none): the
	// server's max_source_bytes applies when it is smaller.
	MaxFileBytes int64
	// BMPInput: the API takes BMP sources, which the flow checks from
	// their header (BMPSize) before admission, and which their job decodes
	// into PNG (BMPToPNG) under its queue slot and worker.
	BMPInput bool
	// Images is how many images one body may carry (a source and a
	// background: 2); with the file limit it sizes the body limit.
	Images int
	// LargeFields are the text fields that may carry an image as base64,
	// exempt from the per-field size limit.
	LargeFields []string
	// Parse parses a body for a route's Endpoint, with the effective file
	// limit. It returns a nil Request exactly when errs is not empty.
	Parse func(endpoint string, b *Body, maxFileBytes int64) (Request, params.Errors)
	// Fail words a failure of the flow in the dialect's codes and messages.
	Fail func(Failure) params.Errors
	// WriteErrors writes errs in the dialect's shape; retryAfter is the
	// wait a refused rate budget asks for (0 otherwise).
	WriteErrors func(w http.ResponseWriter, errs params.Errors, retryAfter time.Duration)
	// Account writes the key's credit balance (nil without account routes).
	Account func(w http.ResponseWriter, credits float64)
	// ParseSubmission parses the body of a Submit route, with the
	// effective file limit; Submitted answers a stored submission by its
	// id (both nil without submit routes).
	ParseSubmission func(b *Body, maxFileBytes int64) (*Submission, params.Errors)
	Submitted       func(w http.ResponseWriter, id string)
	// Usage answers a Usage route from the caller's records and the
	// request's query, or returns the errors to write (having written
	// nothing). Nil without usage routes.
	Usage func(w http.ResponseWriter, query url.Values, rec UsageRecords) params.Errors
}

// Route is one path of an API. Paths match as a suffix of the request
// path, or exactly under a configured prefix, with or without a trailing
// slash.
type Route struct {
	Path     string // "/v1.0/removebg"
	Method   string // GET routes answer HEAD too
	Endpoint string // handed to Parse ("" for the API's only endpoint)
	Account  bool   // answers the key's credit balance instead of an image
	// Submit stores the body's image for the operator (remove.bg's
	// improvement program) instead of rendering it; nothing is charged.
	Submit bool
	// Usage answers the key's usage records (rembg.com's membership usage).
	Usage bool
}

// Submission is a parsed Submit route: an image (bytes, or a URL for the
// flow to fetch) and the client's labels for it, stored as given.
type Submission struct {
	Image    Image
	Filename string // the filename the client gave, or the file part's
	Tag      string
}

// UsageRecords are the caller's credits as a Usage route reports them.
// Months are UTC calendar months.
type UsageRecords struct {
	Now time.Time
	// Credits is the monthly quota (an unlimited key and the open API
	// report a large number, as the account route does).
	Credits float64
	// Months are the months with charged credits, newest first; the
	// current month is always first, even when nothing was charged.
	Months []MonthUsage
}

// MonthUsage is one month's charged credits.
type MonthUsage struct {
	Start time.Time // the first instant of the month, UTC
	Used  float64
}

// Used is the credits charged in the month that starts at start (0 when
// there is no record of it).
func (u UsageRecords) Used(start time.Time) float64 {
	for _, m := range u.Months {
		if m.Start.Equal(start) {
			return m.Used
		}
	}
	return 0
}

// Request is a parsed image request of one dialect.
type Request interface {
	// Images are the source and the background image (nil when none):
	// bytes from the body or a URL for the flow to fetch.
	Images() (source Image, background *Image)
	// Plan is the transform for a w x h source (after EXIF orientation),
	// given the background's bytes (nil when none), or the errors that
	// source makes the request fail with.
	Plan(w, h int, background []byte) (Plan, params.Errors)
	// Respond writes the successful answer. The flow has set the rate
	// headers; Respond sets the rest. It returns the write's error: the
	// flow charges only an answer that was written.
	Respond(w http.ResponseWriter, r *http.Request, res Result) error
}

// SizeChecker is a Request whose API documents its own refusal of a
// source's size: CheckSize returns those errors for a w x h source (nil
// when the API takes it). The flow asks it before answering Matte's own
// resolution error (params.SourceSize), so that a source over both limits
// gets the API's documented message; Plan still checks the size itself.
type SizeChecker interface {
	CheckSize(w, h int) params.Errors
}

// AsRequest hands a dialect's parse result to the flow: nil with errs, so
// that a nil *T never becomes a non-nil Request.
func AsRequest[R Request](r R, errs params.Errors) (Request, params.Errors) {
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// Plan is what a request asks of the pipeline and costs.
type Plan struct {
	Params params.Params
	Format params.Format
	Extras params.Extras
	// Credits is what a successful image costs.
	Credits float64
	// Cheaper, when set, is the plan to render instead when the caller's
	// credits cannot pay Credits (remove.bg's size=auto falls back to a
	// preview); it has no Cheaper of its own.
	Cheaper *Plan
	// NeedForeground: a result in which no subject was found is an error
	// (FailNoForeground), not an image, and costs no credits.
	NeedForeground bool
	// Encoding, when set, is the answer's format, one the pipeline does
	// not write: the pipeline renders Format and the render job re-encodes
	// it (rembg.com's format=bmp: BMPEncoding).
	Encoding *Encoding
}

// Encoding re-encodes the pipeline's output into a format libvips does not
// write. The render job runs Encode on its queue slot and worker, and the
// result cache keeps what it made, keyed apart by Name: a cached answer is
// served as stored, never encoded again. A failure of Encode fails the
// render, answered as the pipeline's failures are (FailTransform), and no
// credit is charged.
type Encoding struct {
	// Name tells the result apart from Format's own in its cache key
	// ("bmp"); it must be unique among Encodings.
	Name string
	// ContentType is the answer's ("image/bmp").
	ContentType string
	// Encode re-encodes a rendered image. Before it allocates, it calls
	// reserve (when not nil) with the bytes it will hold, and fails with
	// reserve's error as it is: the job counts them in max_buffered_bytes.
	// Safe for concurrent use.
	Encode func(rendered []byte, reserve func(n int64) error) ([]byte, error)
}

// Result is a rendered image.
type Result struct {
	Image       []byte
	ContentType string
	// Width and Height are the output's size.
	Width, Height int
	// Foreground is the subject's box in the output (zero when none).
	Foreground params.Rect
	// Model is the segmentation model that ran.
	Model string
	// Credits is what the request was charged (0 on an open API).
	Credits float64
}

// Found reports whether a subject was found.
func (r Result) Found() bool { return r.Foreground.W > 0 && r.Foreground.H > 0 }

// FailureKind is the step of the flow that failed.
type FailureKind uint8

const (
	// FailMethod: the route takes another method (Detail says which).
	FailMethod FailureKind = iota + 1
	// FailKeyMissing, FailKeyInvalid: no API key, or an unknown one.
	FailKeyMissing
	FailKeyInvalid
	// FailRateLimited: the key's rate budget cannot pay for the request.
	FailRateLimited
	// FailCredits: the key's monthly quota cannot (Need, Left).
	FailCredits
	// FailBodyTooLarge: the body is over the limit (Limit), as its
	// Content-Length declared (Size) or while it was read (Size 0).
	FailBodyTooLarge
	// FailBodyTimeout: the body did not arrive within the body timeout.
	FailBodyTimeout
	// FailBody: the body cannot be read as fields (Detail says why);
	// Field names the field refused, when the fault is one field's
	// (BodyError.Field).
	FailBody
	// FailFetch: downloading the image at Field's URL failed (Detail);
	// Denied when the URL itself is refused rather than failing.
	FailFetch
	// FailProbe: the pipeline refuses Field's image (Err, a
	// *params.Error); Background when it is the background image.
	FailProbe
	// FailUnavailable: this server cannot remove backgrounds.
	FailUnavailable
	// FailTransform: the pipeline failed, or the queue is full (Err).
	FailTransform
	// FailNoForeground: no subject was found (Plan.NeedForeground).
	FailNoForeground
	// FailStoreFull: a Submit route's store holds as many submissions as
	// it may (Limit).
	FailStoreFull
	// FailNotFound: the path is under the API's prefix or namespace but
	// names none of its routes (Detail says which path).
	FailNotFound
)

// Failure is one failure of the flow, with what a dialect may say about it.
type Failure struct {
	Kind       FailureKind
	Field      string
	Detail     string // a public sentence from the flow, when it has one
	Err        error  // FailProbe, FailTransform: the pipeline's error
	Denied     bool
	Background bool
	Need, Left float64 // FailCredits
	Size       int64   // FailBodyTooLarge: the declared length (0: unknown)
	Limit      int64   // FailBodyTooLarge: the body limit; FailStoreFull: the count
	// FileLimit is FailBodyTooLarge's and FailProbe's file limit: the
	// largest image the dialect takes (the body limit allows for base64
	// and the other fields on top of it).
	FileLimit int64
}

// jsonEncodeFailed is WriteJSON's answer when v does not encode.
const jsonEncodeFailed = `{"error":"internal error: the answer could not be encoded","status":500}`

// WriteJSON writes v as an uncacheable JSON answer. A 503 gets
// Retry-After: 1 unless the caller set one. A v that does not encode (a
// server bug, such as a NaN or infinite number) is never sent as an empty
// body with status: it is answered 500 with a fixed JSON body and logged
// through the standard logger (which Caddy sends to its own).
// It returns the body's write error (a client gone), which callers that
// charge for the answer check.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		log.Printf("matte: a %d answer could not be encoded as JSON: %v", status, err)
		status, buf = http.StatusInternalServerError, []byte(jsonEncodeFailed)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(buf)))
	hdr.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "" {
		hdr.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, err = w.Write(buf)
	return err
}

// WriteImage writes a result's image as an uncacheable 200, returning the
// write's error.
func WriteImage(w http.ResponseWriter, res Result) error {
	hdr := w.Header()
	hdr.Set("Content-Type", res.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(res.Image)))
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(res.Image)
	return err
}

// MethodNotAllowed is the 405 every dialect answers for FailMethod.
func MethodNotAllowed(f Failure) *params.Error {
	return &params.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Title: "Method not allowed", Detail: f.Detail}
}
