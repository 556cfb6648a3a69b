package caddymodule

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// APIConfig enables the hosted background-removal API dialects on the
// matte handler: remove.bg v1.0, rembg.com and fapihub. They share the
// handler's pipeline, caches, limits and one key store; image_url and
// bg_image_url are fetched by the handler's SSRF-safe fetcher, under the
// origin block's rules (allow_hosts, allow_private, allow_loopback). The
// zero value serves none of them.
type APIConfig struct {
	// RemoveBG serves POST <prefix>/v1.0/removebg and GET <prefix>/v1.0/account.
	RemoveBG *APIEndpoint `json:"removebg,omitempty"`
	// RembgCom serves POST <prefix>/rmbg.
	RembgCom *APIEndpoint `json:"rembg_com,omitempty"`
	// FAPIHub serves POST <prefix>/v2/rembg/ and its blur/, color/,
	// gradient/, shadow/ and mask/ endpoints.
	FAPIHub *APIEndpoint `json:"fapihub,omitempty"`
	// Keys are the API keys; none means the API is open (no key, no
	// credits, no rate limit).
	Keys []APIKey `json:"keys,omitempty"`
	// UsageFile persists each key's monthly usage (default: Caddy's data
	// folder, matte/api-usage.json).
	UsageFile string `json:"usage_file,omitempty"`

	state *apiState
}

// APIEndpoint is one enabled dialect.
type APIEndpoint struct {
	// Prefix is the path its routes hang under ("/api" serves
	// /api/v1.0/removebg). Empty matches the routes as a path suffix, so
	// they work under whatever prefix the site mounts.
	Prefix string `json:"prefix,omitempty"`
}

// apiState is the provisioned APIConfig.
type apiState struct {
	h      *Handler
	routes []apiRoute
	keys   *apiKeys // nil: open
	logger *zap.Logger
}

type apiRoute struct {
	prefix   string
	path     string // "/v1.0/removebg", ...
	dialect  string // "removebg", "rembg_com", "fapihub"
	endpoint string // "removebg", "account", "rmbg", or a fapihub endpoint
	method   string
}

func (c *APIConfig) enabled() bool { return c.RemoveBG != nil || c.RembgCom != nil || c.FAPIHub != nil }

func (c *APIConfig) provision(h *Handler) error {
	if !c.enabled() {
		return nil
	}
	for _, e := range []*APIEndpoint{c.RemoveBG, c.RembgCom, c.FAPIHub} {
		if e != nil && e.Prefix != "" && (!strings.HasPrefix(e.Prefix, "/") || strings.HasSuffix(e.Prefix, "/")) {
			return fmt.Errorf("matte: API prefix %q must start with / and not end with it", e.Prefix)
		}
	}
	st := &apiState{h: h, logger: h.logger.Named("api")}
	add := func(e *APIEndpoint, dialectName string, routes ...apiRoute) {
		if e == nil {
			return
		}
		for _, r := range routes {
			r.prefix, r.dialect = e.Prefix, dialectName
			st.routes = append(st.routes, r)
		}
	}
	add(c.RemoveBG, "removebg",
		apiRoute{path: "/v1.0/removebg", endpoint: "removebg", method: http.MethodPost},
		apiRoute{path: "/v1.0/account", endpoint: "account", method: http.MethodGet})
	add(c.RembgCom, "rembg_com", apiRoute{path: "/rmbg", endpoint: "rmbg", method: http.MethodPost})
	var fh []apiRoute
	for _, ep := range []string{dialect.FHBlur, dialect.FHColor, dialect.FHGradient, dialect.FHShadow, dialect.FHMask} {
		fh = append(fh, apiRoute{path: "/v2/rembg/" + ep + "/", endpoint: ep, method: http.MethodPost})
	}
	fh = append(fh, apiRoute{path: "/v2/rembg/", endpoint: dialect.FHRemove, method: http.MethodPost})
	add(c.FAPIHub, "fapihub", fh...)

	if len(c.Keys) == 0 {
		st.logger.Warn("hosted APIs are open: no api_key is configured, so requests need no key and have no credit quota or rate limit",
			zap.Strings("routes", st.routeNames()))
	} else {
		seen := map[string]bool{}
		for _, k := range c.Keys {
			if k.Key == "" {
				return errors.New("matte: api_key: empty key")
			}
			if seen[k.Key] {
				return errors.New("matte: api_key: a key is configured twice")
			}
			seen[k.Key] = true
			if k.Credits != nil && (*k.Credits < 0 || math.IsNaN(*k.Credits)) || k.Rate < 0 {
				return errors.New("matte: api_key: credits and rate must not be negative")
			}
		}
		path := c.UsageFile
		if path == "" {
			path = filepath.Join(caddy.AppDataDir(), "matte", "api-usage.json")
		}
		store, err := loadUsage(path)
		if err != nil {
			return fmt.Errorf("matte: api_usage_file: %w", err)
		}
		st.keys = &apiKeys{keys: c.Keys, store: store, path: path}
		st.logger.Info("hosted APIs need a key", zap.Int("keys", len(c.Keys)), zap.String("usage_file", path), zap.Strings("routes", st.routeNames()))
	}
	c.state = st
	return nil
}

func (st *apiState) routeNames() []string {
	var out []string
	for _, r := range st.routes {
		p := r.prefix
		if p == "" {
			p = "*"
		}
		out = append(out, r.method+" "+p+r.path)
	}
	return out
}

func (c *APIConfig) cleanup() {
	st := c.state
	if st == nil {
		return
	}
	if st.keys != nil {
		_, _ = usagePool.Delete(st.keys.path)
	}
	c.state = nil
}

// match finds the route of path: the exact path under a configured prefix,
// or (no prefix) any path ending in the route's path. fapihub's routes
// match with or without their trailing slash.
func (st *apiState) match(path string) (apiRoute, bool) {
	for _, rt := range st.routes {
		for _, p := range []string{rt.path, strings.TrimSuffix(rt.path, "/")} {
			if p == "" {
				continue
			}
			if rt.prefix != "" {
				if path == rt.prefix+p {
					return rt, true
				}
			} else if strings.HasSuffix(path, p) {
				return rt, true
			}
		}
	}
	return apiRoute{}, false
}

// serve answers an API route; handled false passes the request on.
func (c *APIConfig) serve(h *Handler, w http.ResponseWriter, r *http.Request) (bool, error) {
	st := c.state
	if st == nil {
		return false, nil
	}
	rt, ok := st.match(r.URL.Path)
	if !ok || r.Method == http.MethodOptions {
		return false, nil
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		err := &dialect.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Title: "Method not allowed",
			Detail: fmt.Sprintf("%s takes %s.", rt.path, rt.method)}
		st.writeErrors(rt.dialect, w, dialect.Errors{err}, nil)
		return true, nil
	}
	switch rt.dialect {
	case "removebg":
		if rt.endpoint == "account" {
			st.serveAccount(w, r)
		} else {
			st.serveRemoveBG(w, r)
		}
	case "rembg_com":
		st.serveRembgCom(w, r)
	case "fapihub":
		st.serveFAPIHub(w, r, rt.endpoint)
	}
	return true, nil
}

// writeErrors answers errs in the dialect's shape.
func (st *apiState) writeErrors(dialectName string, w http.ResponseWriter, errs dialect.Errors, rl *rateState) {
	if rl != nil {
		setRateHeaders(w, *rl)
	}
	switch dialectName {
	case "removebg":
		writeRemoveBGErrors(w, errs)
	case "rembg_com":
		writeRembgComErrors(w, errs)
	default:
		writeFAPIHubErrors(w, errs, rl)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, _ := json.Marshal(v)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(buf)))
	hdr.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "" {
		hdr.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

func setRateHeaders(w http.ResponseWriter, rl rateState) {
	hdr := w.Header()
	hdr.Set("X-RateLimit-Limit", strconv.FormatFloat(rl.limit, 'f', -1, 64))
	hdr.Set("X-RateLimit-Remaining", strconv.FormatFloat(math.Floor(rl.remaining), 'f', -1, 64))
	hdr.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(rl.reset.UnixNano())/1e9)), 10))
	if rl.retry > 0 {
		hdr.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(rl.retry.Seconds())))))
	}
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// apiCaller is who is calling: a configured key, or nobody on an open API.
type apiCaller struct {
	keys *apiKeys
	key  *APIKey // nil on an open API
	id   string
}

// authFailure is why a request has no usable key.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authInvalid
)

// authenticate reads the key from header. On an open API every request
// passes (a key sent anyway is ignored).
func (st *apiState) authenticate(r *http.Request, header string) (apiCaller, authFailure) {
	if st.keys == nil {
		return apiCaller{}, authOK
	}
	key := strings.TrimSpace(r.Header.Get(header))
	if key == "" {
		return apiCaller{}, authMissing
	}
	k, ok := st.keys.lookup(key)
	if !ok {
		return apiCaller{}, authInvalid
	}
	return apiCaller{keys: st.keys, key: k, id: keyID(k.Key)}, authOK
}

// rate peeks at the caller's rate state (nil on an open API).
func (c apiCaller) rate() *rateState {
	if c.key == nil {
		return nil
	}
	rs := c.keys.store.peek(c.id, c.key.rate())
	return &rs
}

// precheck refuses a caller whose rate budget is spent, before the body is
// read (the real cost, by megapixels, is taken once the source is probed).
func (c apiCaller) precheck() (*rateState, bool) {
	if c.key == nil {
		return nil, true
	}
	rs, ok := c.keys.store.take(c.id, c.key.rate(), 1)
	if ok {
		c.keys.store.refund(c.id, c.key.rate(), 1)
		rs = c.keys.store.peek(c.id, c.key.rate())
	}
	return &rs, ok
}

// apiAdmission is a request's hold on its caller's rate budget and credits.
type apiAdmission struct {
	c       apiCaller
	units   float64
	credits float64
	rate    rateState
}

// admit spends the rate units of a w x h source (max(1, megapixels)) and
// reserves credits. A 429 (rate) or 402 (credits) comes back as a kind.
func (c apiCaller) admit(w, h int, credits float64) (*apiAdmission, string, *rateState) {
	a := &apiAdmission{c: c, credits: credits}
	if c.key == nil {
		return a, "", nil
	}
	a.units = math.Max(1, float64(w)*float64(h)/1e6)
	rs, ok := c.keys.store.take(c.id, c.key.rate(), a.units)
	if !ok {
		return nil, "rate", &rs
	}
	a.rate = rs
	if !c.keys.store.reserve(c.id, c.key.Credits, credits) {
		c.keys.store.refund(c.id, c.key.rate(), a.units)
		rs = c.keys.store.peek(c.id, c.key.rate())
		return nil, "credits", &rs
	}
	return a, "", &rs
}

// done settles the admission: charged on success, everything given back
// otherwise (errors charge nothing).
func (a *apiAdmission) done(charged bool, logger *zap.Logger) {
	c := a.c
	if c.key == nil {
		return
	}
	if !charged {
		c.keys.store.refund(c.id, c.key.rate(), a.units)
	}
	if err := c.keys.store.settle(c.id, c.key.Credits, a.credits, charged); err != nil {
		logger.Error("saving API usage", zap.String("file", c.keys.path), zap.Error(err))
	}
}

// charged is the X-Credits-Charged value: nothing on an open API.
func (a *apiAdmission) charged() float64 {
	if a.c.key == nil {
		return 0
	}
	return a.credits
}

// apiBodyLimit bounds an API request body: a base64 source (4/3 of
// max_source_bytes), a background image and the fields.
func (h *Handler) apiBodyLimit() int64 {
	return h.MaxSourceBytes/3*4 + h.MaxSourceBytes + 1<<20
}

// readAPIBody reads and decodes the request body within the limit.
func (st *apiState) readAPIBody(w http.ResponseWriter, r *http.Request) (*dialect.Body, error) {
	limit := st.h.apiBodyLimit()
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return dialect.ReadBody(r.Header.Get("Content-Type"), r.Body, dialect.Limits{MaxBytes: limit})
}

// fetchImage downloads an image_url (or bg_image_url) through the
// SSRF-safe fetcher.
func (st *apiState) fetchImage(ctx context.Context, rawURL string) ([]byte, *fetch.FetchError) {
	res, err := st.h.guard.fetcher.Fetch(ctx, fetch.Request{URL: rawURL})
	if err != nil {
		var fe *fetch.FetchError
		if !errors.As(err, &fe) {
			fe = &fetch.FetchError{Kind: fetch.KindNetwork, Err: err}
		}
		st.logger.Debug("image download failed", zap.Error(err))
		return nil, fe
	}
	return res.Body, nil
}

// apiResult is a rendered image.
type apiResult struct {
	entry cache.Entry
	fg    transform.Box
	found bool // a subject was found (fg is not empty)
	w, h  int
}

// renderAPI runs one API request through the result cache (coalesced, the
// matte cached per source content), keyed like the query dialect's results:
// the source's SHA-256, Params, the format and the pipeline fingerprint
// (plus the Extras, when there are any).
func (st *apiState) renderAPI(ctx context.Context, src []byte, info transform.Source, po params.Params, format params.Format, extras params.Extras, tag string) (apiResult, error) {
	h := st.h
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:])
	key := resultKey(hash, po, format, h.pipeline.Fingerprint()+extras.Key())
	if tag == "" {
		tag = "upload:" + hash
	}
	e, _, err := h.render(withExtras(ctx, extras), key, tag, src, sourceMemo{Hash: hash, Info: info}, po, format)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			err = &params.Error{Status: http.StatusServiceUnavailable, Code: params.CodeTimeout, Title: "Timeout",
				Detail: "The image took too long to process.", Cause: err}
		}
		return apiResult{}, err
	}
	res := apiResult{entry: e}
	res.w, _ = strconv.Atoi(e.Meta["w"])
	res.h, _ = strconv.Atoi(e.Meta["h"])
	if fg := strings.Split(e.Meta["fg"], ","); len(fg) == 4 {
		v := make([]int, 4)
		for i := range fg {
			v[i], _ = strconv.Atoi(fg[i])
		}
		res.fg = transform.Box{Left: v[0], Top: v[1], Width: v[2], Height: v[3]}
		res.found = v[2] > 0 && v[3] > 0
	}
	return res, nil
}

// failed logs a transform failure at the level it deserves, and gives an
// overload (503) its Retry-After.
func (st *apiState) failed(w http.ResponseWriter, r *http.Request, err error) {
	list := params.AsErrors(err)
	if list.Status() == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds(err))
	}
	if list.Status() >= 500 {
		st.logger.Error("API transform failed", zap.String("uri", r.RequestURI), zap.Error(err))
	} else {
		st.logger.Debug("API client error", zap.String("uri", r.RequestURI), zap.Error(err))
	}
}

// unavailable is true when background removal cannot run on this server.
func (st *apiState) unavailable() bool { return st.h.matter == nil }

// queueFull is the 503 of a transform queue already past its limit (nil
// when there is room), so the body is not even read.
func (st *apiState) queueFull(w http.ResponseWriter) error {
	if !st.h.queueFull() {
		return nil
	}
	err := overloaded(st.h.guard.admit.RetryAfter())
	w.Header().Set("Retry-After", retryAfterSeconds(err))
	return err
}

func nowUnix() int64 { return time.Now().Unix() }
