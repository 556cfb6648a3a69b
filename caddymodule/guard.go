package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/signature"
	"github.com/jebosio/matte/transform"
)

// Signature configures signed URLs (the `signature` block).
type Signature struct {
	// Keys verify `s=`; any one passes, so keys can rotate. At least 16 bytes.
	Keys []string `json:"keys,omitempty"`
	// Required refuses unsigned requests, except those using only Unsigned
	// parameters and presets.
	Required bool     `json:"required,omitempty"`
	Unsigned []string `json:"unsigned,omitempty"`
	// Presets are named parameter sets (`preset=thumb`), usable unsigned.
	Presets map[string]string `json:"presets,omitempty"`
}

// Origin configures fetching sources from a remote origin instead of the
// next handler (the `origin` block).
type Origin struct {
	// URL is the base the request path is appended to.
	URL string `json:"url,omitempty"`
	// AllowHosts limits remote hosts (origin, bg-image URLs); `*.example.com`
	// matches subdomains. Empty allows any public host.
	AllowHosts []string `json:"allow_hosts,omitempty"`
	// AllowPrivate permits private-range addresses (loopback, link-local and
	// metadata addresses stay denied); AllowLoopback permits loopback.
	AllowPrivate  bool           `json:"allow_private,omitempty"`
	AllowLoopback bool           `json:"allow_loopback,omitempty"`
	Timeout       caddy.Duration `json:"timeout,omitempty"`
	MaxRedirects  int            `json:"max_redirects,omitempty"`
}

// guard is the per-handler state of the hardening features.
type guard struct {
	policy  *signature.Policy // nil: no signature checks
	admit   *admission.Pool
	fetcher *fetch.Fetcher
	origin  *url.URL

	load *fetchLoad
}

// fetchLoad lets queueFull refuse a burst of misses before each one buffers
// its source only to be refused at admission: fetching counts requests that
// passed queueFull and are reading or probing their source, not yet at
// admission; avgCost is a moving average of admitted costs (in 1/1024 cost
// units).
type fetchLoad struct {
	fetching atomic.Int64
	avgCost  atomic.Int64
}

func (h *Handler) provisionGuard() error {
	g := &h.guard
	if s := h.Signature; s != nil {
		p := &signature.Policy{Required: s.Required, Unsigned: s.Unsigned}
		for _, k := range s.Keys {
			p.Keys = append(p.Keys, []byte(k))
		}
		if len(s.Presets) > 0 {
			p.Presets = map[string]url.Values{}
			for name, q := range s.Presets {
				v, err := url.ParseQuery(q)
				if err != nil {
					return fmt.Errorf("matte: signature preset %q: %w", name, err)
				}
				if _, err := imgix.ParseQuery(v); err != nil {
					return fmt.Errorf("matte: signature preset %q: %w", name, err)
				}
				p.Presets[name] = v
			}
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("matte: signature: %w", err)
		}
		g.policy = p
	}
	capacity := int64(h.Workers) * 25 // megapixels in flight
	pool, err := admission.New(admission.Config{Capacity: capacity, MaxQueueCost: int64(h.QueueMegapixels)})
	if err != nil {
		return fmt.Errorf("matte: queue: %w", err)
	}
	g.admit = pool
	g.load = &fetchLoad{}
	livePools.Store(pool, struct{}{})

	o := h.Origin
	opts := fetch.Options{MaxBodyBytes: h.MaxSourceBytes}
	if o != nil {
		opts.AllowedHosts = o.AllowHosts
		opts.IPPolicy = fetch.IPPolicy{AllowPrivate: o.AllowPrivate, AllowLoopback: o.AllowLoopback}
		opts.TotalTimeout = time.Duration(o.Timeout)
		opts.MaxRedirects = o.MaxRedirects
		if o.URL != "" {
			u, err := url.Parse(o.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("matte: origin %q: want an http(s) URL", o.URL)
			}
			g.origin = u
		}
	}
	if g.fetcher, err = fetch.New(opts); err != nil {
		return fmt.Errorf("matte: origin: %w", err)
	}
	return nil
}

func (g *guard) cleanup() {
	if g.admit != nil {
		livePools.Delete(g.admit)
	}
	if g.fetcher != nil {
		g.fetcher.Close()
	}
}

// checkSignature applies the signature policy to r. It returns the query
// Matte should act on (signature, expiry and preset names removed, the
// preset expanded), or a client error.
func (h *Handler) checkSignature(r *http.Request) (string, error) {
	p := h.guard.policy
	if p == nil {
		return r.URL.RawQuery, nil
	}
	path := r.URL.EscapedPath()
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		path = or.URL.EscapedPath() // what the signer saw, before handle_path and rewrites
	}
	res, err := p.Check(path, r.URL.RawQuery)
	if err != nil {
		var se *signature.Error
		if errors.As(err, &se) {
			return "", &params.Error{Status: se.Status, Code: se.Code, Title: http.StatusText(se.Status), Detail: se.Detail, Field: se.Field}
		}
		return "", err
	}
	return res.RawQuery, nil
}

// admit reserves a megapixel-weighted slot in the transform queue; past the
// queue limit it answers 503 with Retry-After at once.
func (h *Handler) admit(ctx context.Context, info transform.Source) (func(), error) {
	cost := admission.Cost(info.Width, info.Height)
	for avg := &h.guard.load.avgCost; ; { // avg += (cost - avg) / 8
		old := avg.Load()
		next := old + (cost<<10-old)/8
		if old == 0 {
			next = cost << 10
		}
		if avg.CompareAndSwap(old, next) {
			break
		}
	}
	release, err := h.guard.admit.Acquire(ctx, cost)
	if errors.Is(err, admission.ErrQueueFull) {
		return nil, overloaded(h.guard.admit.RetryAfter())
	}
	return release, err
}

// queueFull reports, before the source is fetched, that the transform queue
// is past its limit, counting the requests still fetching their sources at
// the recent average cost, so the request is refused without buffering. A
// true answer is a refusal: it is counted in the pool's Rejected, so the
// caller must answer 503.
func (h *Handler) queueFull() bool {
	if h.QueueMegapixels <= 0 {
		return false
	}
	st := h.guard.admit.Stats()
	l := h.guard.load
	expected := st.QueuedCost + l.fetching.Load()*l.avgCost.Load()>>10
	if expected < int64(h.QueueMegapixels) {
		return false
	}
	h.guard.admit.Refused()
	return true
}

// startFetch counts a request that passed queueFull until done is called
// (at most once takes effect).
func (h *Handler) startFetch() (done func()) {
	l := h.guard.load
	l.fetching.Add(1)
	return sync.OnceFunc(func() { l.fetching.Add(-1) })
}

type overloadError struct{ retryAfter time.Duration }

func (e overloadError) Error() string { return "matte: transform queue full" }

func overloaded(retry time.Duration) error {
	return &params.Error{Status: http.StatusServiceUnavailable, Code: "overloaded", Title: "Overloaded",
		Detail: "Too many images are waiting to be processed; try again shortly.", Cause: overloadError{retry}}
}

// retryAfterSeconds is the Retry-After for a 503.
func retryAfterSeconds(err error) string {
	var oe overloadError
	if errors.As(err, &oe) && oe.retryAfter > time.Second {
		return strconv.Itoa(int(oe.retryAfter.Seconds() + 0.5))
	}
	return "1"
}

// fetchOrigin gets the source from the configured origin URL (SSRF-safe),
// conditionally when validators are given. It fills rec as the next handler
// would.
func (h *Handler) fetchOrigin(r *http.Request, or *http.Request, rec *sourceRecorder, etag, lastModified string) error {
	u := *h.guard.origin
	u.Path = strings.TrimSuffix(u.Path, "/") + or.URL.Path
	u.RawQuery = or.URL.RawQuery
	res, err := h.guard.fetcher.Fetch(r.Context(), fetch.Request{URL: u.String(), IfNoneMatch: etag, IfModifiedSince: lastModified, Accept: "image/*"})
	if err != nil {
		var fe *fetch.FetchError
		if errors.As(err, &fe) {
			status := fe.Kind.HTTPStatus()
			if fe.Kind == fetch.KindTooLarge {
				rec.overflow = true
				return nil
			}
			return &params.Error{Status: status, Code: params.CodeUpstream, Title: http.StatusText(status), Detail: fe.Detail(), Cause: err}
		}
		return err
	}
	for k, v := range res.Header {
		rec.header[k] = v
	}
	if res.NotModified {
		rec.conditional = true
		rec.WriteHeader(http.StatusNotModified)
		return nil
	}
	if !isImage(res.ContentType) {
		return &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
			Detail: "The origin did not answer with an image."}
	}
	rec.WriteHeader(http.StatusOK)
	_, err = rec.Write(res.Body)
	return err
}

// passOrigin answers a request without Matte parameters from the origin
// URL, bytes untouched.
func (h *Handler) passOrigin(w http.ResponseWriter, r *http.Request, rawQuery string) error {
	u := *h.guard.origin
	u.Path = strings.TrimSuffix(u.Path, "/") + r.URL.Path
	u.RawQuery = rawQuery
	res, err := h.guard.fetcher.Fetch(r.Context(), fetch.Request{URL: u.String(),
		IfNoneMatch: r.Header.Get("If-None-Match"), IfModifiedSince: r.Header.Get("If-Modified-Since")})
	if err != nil {
		var fe *fetch.FetchError
		if errors.As(err, &fe) {
			status := fe.Kind.HTTPStatus()
			return h.writeError(w, r, &params.Error{Status: status, Code: params.CodeUpstream, Title: http.StatusText(status), Detail: fe.Detail(), Cause: err})
		}
		return h.writeError(w, r, err)
	}
	for _, k := range []string{"Content-Type", "Etag", "Last-Modified", "Cache-Control", "Expires"} {
		if v := res.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	if res.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.Body)
	}
	return nil
}

// withBackgroundImage loads the bg-image of params (an allowed URL, through
// the SSRF-safe fetcher, or a path under the site's root) and returns r
// carrying it for the pipeline. po.Removal.BgImage becomes the bytes'
// content reference, so the cache key follows the image's content.
func (h *Handler) withBackgroundImage(r *http.Request, po *params.Params) (*http.Request, error) {
	ref := po.Removal.BgImage
	bad := func(status int, detail string, cause error) error {
		return &params.Error{Status: status, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "bg-image", Detail: detail, Cause: cause}
	}
	var data []byte
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		res, err := h.guard.fetcher.Fetch(r.Context(), fetch.Request{URL: ref, Accept: "image/*"})
		if err != nil {
			var fe *fetch.FetchError
			if errors.As(err, &fe) {
				return r, bad(fe.Kind.HTTPStatus(), "The background image could not be fetched: "+fe.Detail(), err)
			}
			return r, err
		}
		data = res.Body
	} else {
		root, _ := caddyhttp.GetVar(r.Context(), "root").(string)
		if root == "" {
			return r, bad(http.StatusBadRequest, "A bg-image path needs the site's `root`; give a URL instead.", nil)
		}
		f, err := fetch.OpenInRoot(root, ref)
		if err != nil {
			return r, bad(http.StatusBadRequest, "The background image path is not a readable file under the site root.", err)
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, h.MaxSourceBytes+1))
		if err != nil {
			return r, err
		}
		if int64(len(data)) > h.MaxSourceBytes {
			return r, bad(http.StatusRequestEntityTooLarge, "The background image is over max_source_bytes.", nil)
		}
	}
	if _, err := h.pipeline.Probe(data); err != nil {
		return r, bad(http.StatusUnprocessableEntity, "The background image is not a supported image.", err)
	}
	po.Removal.BgImage = params.BgImageRef(data)
	ctx := withExtras(r.Context(), params.Extras{BgImage: data})
	return r.WithContext(ctx), nil
}
