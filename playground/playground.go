// Package playground is Matte's browser playground: a page (static HTML,
// CSS and JavaScript embedded in the binary, no build step, nothing loaded
// from elsewhere) where a person tries Matte's parameters and URL dialects
// on an image, and the bounded in-memory store of the images uploaded to it.
//
// An uploaded image is served back at <path>/src/<sha256>.<ext>, so every
// transform URL (the query's ?w=320&rembg=1, a CDN dialect's path form)
// works on it as on any image of the site: the handler serves those paths
// as the source of a transform (ServeSource), in place of the next handler.
//
// The package knows nothing of Caddy or libvips: the caller hands it the
// probe that says whether the pipeline accepts an image, the fetcher for
// remote URLs, and writes the errors it returns (params.Error) in Matte's
// JSON shape. A Server is safe for concurrent use.
package playground

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/params"
)

//go:embed static
var static embed.FS

// Defaults of the upload store's bounds.
const (
	DefaultMaxUploads     = 64
	DefaultMaxUploadBytes = 128 << 20
	// bodyTimeout bounds the time an upload's body may take to arrive.
	bodyTimeout = 60 * time.Second
	// maxImportBody bounds the JSON body that names a URL to import.
	maxImportBody = 8 << 10
)

// Probed is what the pipeline read from an image's header.
type Probed struct {
	TypeName      string // a params.SourceType's name ("jpeg")
	Width, Height int
}

// Options configures a Server.
type Options struct {
	// Path is where the playground lives ("/playground"): the page at
	// Path + "/", uploads at Path + "/src/". It must start with "/" and
	// must not be "/" itself (the playground would then answer for the
	// whole site). A trailing "/" is ignored.
	Path string
	// MaxFileBytes bounds one upload (the handler's max_source_bytes).
	MaxFileBytes int64
	// MaxUploads and MaxUploadBytes bound what the store holds (defaults
	// DefaultMaxUploads and DefaultMaxUploadBytes; the byte bound is raised
	// to MaxFileBytes when smaller); past either, the oldest uploads go.
	MaxUploads     int
	MaxUploadBytes int64
	// Probe checks that the pipeline accepts data, within the source
	// limits; its error is answered as it is (a params.Error).
	Probe func(data []byte) (Probed, error)
	// Fetch downloads an absolute URL for import, under the server's
	// rules for remote sources, taking the bytes it reads with reserve
	// (nil: none); nil turns URL import off. Its error is answered as it
	// is.
	Fetch func(ctx context.Context, rawURL string, reserve func(n int64) error) ([]byte, error)
	// Buffer, when set, is asked once per upload or import before its
	// body is read: reserve takes the bytes from the server's in-memory
	// budget as they arrive (its error, a 503, refuses the upload), and
	// release gives them back once the upload is stored or refused. The
	// store then bounds what is kept; Buffer bounds what is in flight.
	Buffer func() (reserve func(n int64) error, release func())
	// Page is what the page is told of the server, besides the paths.
	Page PageConfig
}

// PageConfig is what the page needs to know of the server's configuration.
type PageConfig struct {
	// Removal: background removal is available (rembg=1 does not answer 501).
	Removal bool `json:"removal"`
	// Models are the models a request may pick, the default first.
	Models []string `json:"models"`
	// RemoveBG is the path of remove.bg's POST route when that API is on.
	RemoveBG string `json:"removebg,omitempty"`
	// APIKeys: the hosted APIs need a key.
	APIKeys bool `json:"apiKeys"`
	// Signed: transform URLs need a signature (signature { required }).
	Signed bool `json:"signed"`
	// Dialects names the URL dialects the site answers (its url_dialect
	// lines, such as "cloudflare"), in the order they are tried. The page
	// offers only these and Matte's query, which is always on, and says
	// which of the others are off. Nil is sent as [] (none).
	Dialects []string `json:"dialects"`
	// Cloudinary is the cloud line the page writes Cloudinary URLs for,
	// when the site's cloudinary dialect has cloud lines; nil when it has
	// none (its URLs then carry no cloud name) or is off.
	Cloudinary *CloudinaryCloud `json:"cloudinary,omitempty"`
}

// CloudinaryCloud is one cloud line: the cloud's name and the path prefix
// of its public IDs on this site ("" for the site's root).
type CloudinaryCloud struct {
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
}

// pageConfig is the JSON of <path>/config.json.
type pageConfig struct {
	PageConfig
	Path         string `json:"path"`
	MaxFileBytes int64  `json:"maxFileBytes"`
	MaxUploads   int    `json:"maxUploads"`
	MaxStored    int64  `json:"maxStoredBytes"`
	ImportURLs   bool   `json:"importURLs"`
}

// Server answers the playground's routes.
type Server struct {
	opts   Options
	base   string // Path without its trailing "/"
	store  *store
	assets map[string]asset // by name under base + "/"
	config []byte
}

// New checks o and builds a Server.
func New(o Options) (*Server, error) {
	base := strings.TrimSuffix(o.Path, "/")
	if !strings.HasPrefix(o.Path, "/") || base == "" || strings.ContainsAny(base, "?#*% \t") || strings.Contains(base, "//") {
		return nil, fmt.Errorf("playground: path %q must be a folder such as /playground/ (not / itself)", o.Path)
	}
	if o.MaxFileBytes <= 0 || o.Probe == nil {
		return nil, errors.New("playground: MaxFileBytes and Probe are required")
	}
	if o.MaxUploads < 0 || o.MaxUploadBytes < 0 {
		return nil, errors.New("playground: upload bounds must not be negative")
	}
	if o.MaxUploads == 0 {
		o.MaxUploads = DefaultMaxUploads
	}
	if o.MaxUploadBytes == 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	o.MaxUploadBytes = max(o.MaxUploadBytes, o.MaxFileBytes)
	if o.Page.Dialects == nil {
		o.Page.Dialects = []string{}
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(pageConfig{PageConfig: o.Page, Path: base, MaxFileBytes: o.MaxFileBytes, MaxUploads: o.MaxUploads,
		MaxStored: o.MaxUploadBytes, ImportURLs: o.Fetch != nil})
	if err != nil {
		return nil, err
	}
	return &Server{opts: o, base: base, store: newStore(o.MaxUploads, o.MaxUploadBytes), assets: assets, config: cfg}, nil
}

// Serve answers r when it is one of the playground's own routes: the page,
// its files, config.json and uploads (POST to the page). Paths under
// <path>/src/ are not among them: they are image requests, whose source
// ServeSource serves. A non-nil err is the public error to write, nothing
// having been written.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	p := r.URL.Path
	if p == s.base {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return true, methodNotAllowed(w, "GET, HEAD")
		}
		target := s.base + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
		return true, nil
	}
	rest, ok := strings.CutPrefix(p, s.base+"/")
	if !ok || strings.HasPrefix(rest, "src/") {
		return false, nil
	}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		return true, s.upload(w, r)
	case rest == "config.json":
		return true, s.serveBytes(w, r, asset{data: s.config, contentType: "application/json", etag: ""})
	}
	if rest == "" {
		rest = "index.html"
	}
	a, ok := s.assets[rest]
	if !ok {
		return true, notFound("The playground has no " + params.QuoteShort(rest) + ".")
	}
	return true, s.serveBytes(w, r, a)
}

// ServeSource serves the upload r's path names (GET and HEAD, with ranges
// and conditional requests); handled is false for a path outside
// <path>/src/. An upload that is not (or no longer) held is a 404.
func (s *Server) ServeSource(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	name, ok := strings.CutPrefix(r.URL.Path, s.base+"/src/")
	if !ok {
		return false, nil
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return true, methodNotAllowed(w, "GET, HEAD")
	}
	var u *upload
	if validName(name) {
		u, ok = s.store.get(name)
	}
	if !ok || u == nil {
		return true, notFound("This upload is not held (uploads are kept in memory, oldest dropped first); upload the image again.")
	}
	hdr := w.Header()
	hdr.Set("Content-Type", u.contentType)
	hash, _, _ := strings.Cut(u.name, ".")
	hdr.Set("ETag", `"`+hash+`"`)
	// The name is the content's hash: what it names never changes.
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, u.name, u.added, bytes.NewReader(u.data))
	return true, nil
}

// SourcePrefix is the path prefix of uploaded images ("/playground/src/").
func (s *Server) SourcePrefix() string { return s.base + "/src/" }

// uploaded is the answer to an upload.
type uploaded struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
}

// upload stores the image in r's body, or the image at the URL of its JSON
// body ({"url": "https://..."}), and answers where it is served. Only
// image/*, application/octet-stream and application/json bodies are
// taken: a cross-site form cannot send those without a CORS preflight,
// which Matte does not answer, so other sites cannot upload through a
// visitor's browser.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var reserve func(int64) error
	if s.opts.Buffer != nil {
		var release func()
		reserve, release = s.opts.Buffer()
		defer release()
	}
	var data []byte
	var err error
	switch {
	case mt == "application/json":
		data, err = s.importURL(w, r, reserve)
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream":
		data, err = s.readBody(w, r, s.opts.MaxFileBytes, reserve)
	default:
		return &params.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Title: "Unsupported media type",
			Detail: `Send the image itself as the body, with its image/* Content-Type, or JSON {"url":"https://..."}.`}
	}
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return &params.Error{Status: http.StatusBadRequest, Code: "empty_upload", Title: "Empty upload", Detail: "The body holds no image."}
	}
	info, err := s.opts.Probe(data)
	if err != nil {
		return err
	}
	t, ok := params.LookupSourceType(info.TypeName)
	if !ok {
		return &params.Error{Status: http.StatusUnsupportedMediaType, Code: params.CodeUnknownFormat, Title: "Unsupported source",
			Detail: "The playground does not keep " + params.QuoteShort(info.TypeName) + " images."}
	}
	u, added := s.store.put(data, t.Ext, t.ContentType, time.Now())
	body, _ := json.Marshal(uploaded{Path: s.SourcePrefix() + u.name, Type: u.contentType, Width: info.Width, Height: info.Height, Bytes: len(data)})
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Location", s.SourcePrefix()+u.name)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// readBody reads r's body, at most limit bytes, within bodyTimeout,
// taking what it reads with reserve (nil: none).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64, reserve func(int64) error) ([]byte, error) {
	tooLarge := &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Source too large",
		Detail: fmt.Sprintf("The upload is larger than %d bytes.", limit)}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	// Not every ResponseWriter supports deadlines; without one the
	// server's own read timeout bounds the body.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	var body io.Reader = io.LimitReader(r.Body, limit+1)
	if reserve != nil {
		body = admission.Reader{R: body, Take: reserve}
	}
	data, err := io.ReadAll(body)
	var refused *admission.Refused
	switch {
	case errors.As(err, &refused):
		w.Header().Set("Connection", "close") // the rest of the body is not read
		return nil, refused.Err
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return nil, &params.Error{Status: http.StatusRequestTimeout, Code: "request_timeout", Title: "Request timeout",
			Detail: "The upload did not arrive within " + bodyTimeout.String() + ".", Cause: err}
	case err != nil:
		return nil, &params.Error{Status: http.StatusBadRequest, Code: "incomplete_upload", Title: "Incomplete upload",
			Detail: "The upload could not be read to its end.", Cause: err}
	case int64(len(data)) > limit:
		return nil, tooLarge
	}
	return data, nil
}

// importURL reads {"url": "..."} and fetches that URL with Options.Fetch.
func (s *Server) importURL(w http.ResponseWriter, r *http.Request, reserve func(int64) error) ([]byte, error) {
	if s.opts.Fetch == nil {
		return nil, &params.Error{Status: http.StatusForbidden, Code: "import_disabled", Title: "Import disabled", Field: "url",
			Detail: "This server imports no remote URL: its origin block names no allow_hosts. Upload the image, or give a path on this site."}
	}
	body, err := s.readBody(w, r, maxImportBody, reserve)
	if err != nil {
		return nil, err
	}
	var req struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.URL == "" {
		return nil, params.BadParam("url", `The body must be JSON {"url":"https://..."}.`)
	}
	if !strings.HasPrefix(req.URL, "http://") && !strings.HasPrefix(req.URL, "https://") {
		return nil, params.BadParam("url", "url="+params.QuoteShort(req.URL)+" is not an http(s) URL.")
	}
	return s.opts.Fetch(r.Context(), req.URL, reserve)
}

func notFound(detail string) error {
	return &params.Error{Status: http.StatusNotFound, Code: "not_found", Title: "Not found", Detail: detail}
}

func methodNotAllowed(w http.ResponseWriter, allow string) error {
	w.Header().Set("Allow", allow)
	return &params.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Title: "Method not allowed",
		Detail: "This path answers " + allow + "."}
}

// serveBytes answers GET and HEAD with a, revalidated by its ETag.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, a asset) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		allow := "GET, HEAD"
		if a.page {
			allow = "GET, HEAD, POST"
		}
		return methodNotAllowed(w, allow)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a.etag != "" {
		hdr.Set("ETag", a.etag)
	}
	if a.page {
		hdr.Set("Content-Security-Policy", pagePolicy)
		hdr.Set("Referrer-Policy", "same-origin")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
	return nil
}

// pagePolicy lets the page load only its own files and talk only to this
// server: no CDN, no font service, no inline script.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
