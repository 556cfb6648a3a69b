package caddymodule

import (
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

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/fapihub"
	"github.com/jebosio/matte/dialect/rembgcom"
	"github.com/jebosio/matte/dialect/removebg"
)

// DefaultAPIBodyTimeout is how long a hosted-API request body may take to
// arrive when body_timeout is not set.
const DefaultAPIBodyTimeout = 30 * time.Second

// APIConfig enables the hosted background-removal API dialects on the
// matte handler: remove.bg v1.0, rembg.com and fapihub. They share the
// handler's pipeline, caches, limits and one key store; image_url and
// bg_image_url are fetched by the handler's SSRF-safe fetcher for client
// URLs (allow_hosts, allow_private_remote, allow_loopback_remote; never
// the origin URL's allow_private or allow_loopback). The
// zero value serves none of them. Each dialect is a dialect.API served by
// the one flow of api_flow.go.
//
// A new hosted API is a package under dialect/ that exports a
// dialect.API; here it takes an *APIEndpoint field, an entry in dialects()
// and its Caddyfile name in parseAPIDirective.
type APIConfig struct {
	// RemoveBG serves POST <prefix>/v1.0/removebg, GET <prefix>/v1.0/account
	// and POST <prefix>/v1.0/improve.
	RemoveBG *APIEndpoint `json:"removebg,omitempty"`
	// RembgCom serves POST <prefix>/rmbg and GET <prefix>/api/membership-usage.
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
	// BodyTimeout bounds the time a request body may take to arrive, from
	// the moment Matte starts reading it (default 30s; the server's own
	// read timeout, when shorter, wins). Past it the request answers 408
	// and the connection is closed.
	BodyTimeout caddy.Duration `json:"body_timeout,omitempty"`
	// ImproveDir is where remove.bg's POST /v1.0/improve stores the
	// submitted images (default: Caddy's data folder, matte/improve).
	ImproveDir string `json:"improve_dir,omitempty"`
	// ImproveMax is how many submissions ImproveDir may hold (default
	// 1000); past it a submission is refused with a 429 until the operator
	// moves some out.
	ImproveMax int `json:"improve_max,omitempty"`

	state *apiState
}

// APIEndpoint is one enabled dialect.
type APIEndpoint struct {
	// Prefix is the path its routes hang under ("/api" serves
	// /api/v1.0/removebg). Empty matches the routes as a path suffix, so
	// they work under whatever prefix the site mounts.
	Prefix string `json:"prefix,omitempty"`
	// MaxFileBytes overrides the upload limit the API documents (its
	// dialect.API.MaxFileBytes); max_source_bytes still applies when
	// smaller. Zero: the documented limit.
	MaxFileBytes int64 `json:"max_file_bytes,omitempty"`
}

// apiState is the provisioned APIConfig.
type apiState struct {
	h           *Handler
	routes      []apiRoute
	keys        *apiKeys // nil: open
	improve     *improveStore
	bodyTimeout time.Duration
	// fileLimits are the configured max_file overrides by API.
	fileLimits map[*dialect.API]int64
	logger     *zap.Logger
}

// apiRoute is one route of an enabled dialect under its prefix.
type apiRoute struct {
	prefix string
	route  dialect.Route
	api    *dialect.API
}

// dialects pairs each configurable endpoint with its dialect.
func (c *APIConfig) dialects() []struct {
	endpoint *APIEndpoint
	api      *dialect.API
} {
	return []struct {
		endpoint *APIEndpoint
		api      *dialect.API
	}{{c.RemoveBG, removebg.API}, {c.RembgCom, rembgcom.API}, {c.FAPIHub, fapihub.API}}
}

func (c *APIConfig) enabled() bool { return c.RemoveBG != nil || c.RembgCom != nil || c.FAPIHub != nil }

// largestBody is the largest request body an enabled API takes
// (apiBodyLimit), 0 with none: a body is held whole against
// max_buffered_bytes while it is read, so the budget must hold one.
func (c *APIConfig) largestBody(maxSource int64) int64 {
	var largest int64
	for _, d := range c.dialects() {
		if d.endpoint != nil {
			largest = max(largest, apiBodyLimit(d.api, apiFileLimit(d.api, max(d.endpoint.MaxFileBytes, 0), maxSource)))
		}
	}
	return largest
}

func (c *APIConfig) provision(h *Handler) error {
	if !c.enabled() {
		return nil
	}
	if c.BodyTimeout < 0 {
		return errors.New("matte: api_body_timeout must not be negative")
	}
	if c.ImproveMax < 0 {
		return errors.New("matte: api_improve_max must not be negative")
	}
	st := &apiState{h: h, logger: h.logger.Named("api"), bodyTimeout: time.Duration(c.BodyTimeout)}
	if st.bodyTimeout == 0 {
		st.bodyTimeout = DefaultAPIBodyTimeout
	}
	for _, d := range c.dialects() {
		e := d.endpoint
		if e == nil {
			continue
		}
		if e.Prefix != "" && (!strings.HasPrefix(e.Prefix, "/") || strings.HasSuffix(e.Prefix, "/")) {
			return fmt.Errorf("matte: API prefix %q must start with / and not end with it", e.Prefix)
		}
		if e.MaxFileBytes < 0 {
			return fmt.Errorf("matte: API %s: max_file must not be negative", d.api.Name)
		}
		if e.MaxFileBytes > 0 {
			if st.fileLimits == nil {
				st.fileLimits = map[*dialect.API]int64{}
			}
			st.fileLimits[d.api] = e.MaxFileBytes
		}
		for _, r := range d.api.Routes {
			if r.Account && d.api.Account == nil || r.Usage && d.api.Usage == nil ||
				r.Submit && (d.api.ParseSubmission == nil || d.api.Submitted == nil) {
				return fmt.Errorf("matte: API %s: route %s without its writer", d.api.Name, r.Path)
			}
			if r.Submit && st.improve == nil {
				st.improve = c.improveStore()
			}
			st.routes = append(st.routes, apiRoute{prefix: e.Prefix, route: r, api: d.api})
		}
	}
	if len(c.Keys) == 0 {
		st.logger.Warn("hosted APIs are open: no api_key is configured, so requests need no key and have no credit quota or rate limit",
			zap.Strings("routes", st.routeNames()))
		c.state = st
		return nil
	}
	keys, err := c.provisionKeys(h.app)
	if err != nil {
		return err
	}
	if h.CacheShared != nil { // one quota per key across the cluster (shared_quota.go)
		if keys.store, err = h.app.sharedUsage(h.CacheShared, keys); err != nil {
			return err
		}
	}
	st.keys = keys
	st.logger.Info("hosted APIs need a key", zap.Int("keys", len(c.Keys)), zap.String("usage_file", keys.path), zap.Strings("routes", st.routeNames()))
	c.state = st
	return nil
}

// improveStore is the configured store of improvement submissions.
func (c *APIConfig) improveStore() *improveStore {
	s := &improveStore{dir: c.ImproveDir, max: c.ImproveMax}
	if s.dir == "" {
		s.dir = filepath.Join(caddy.AppDataDir(), "matte", "improve")
	}
	if s.max == 0 {
		s.max = DefaultImproveMax
	}
	return s
}

// provisionKeys checks the keys and loads the usage file.
func (c *APIConfig) provisionKeys(app *App) (*apiKeys, error) {
	seen := map[string]bool{}
	for _, k := range c.Keys {
		if k.Key == "" {
			return nil, errors.New("matte: api_key: empty key")
		}
		if seen[k.Key] {
			return nil, errors.New("matte: api_key: a key is configured twice")
		}
		seen[k.Key] = true
		if k.Credits != nil && (*k.Credits < 0 || math.IsNaN(*k.Credits) || math.IsInf(*k.Credits, 0)) ||
			k.Rate < 0 || math.IsNaN(k.Rate) || math.IsInf(k.Rate, 0) {
			return nil, errors.New("matte: api_key: credits and rate must be finite and not negative")
		}
	}
	path := c.UsageFile
	if path == "" {
		path = filepath.Join(caddy.AppDataDir(), "matte", "api-usage.json")
	}
	// One store per file, however its path is written: two stores on one
	// file would each write their own counts over the other's.
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	v, err := app.Usage(path, func() (caddy.Destructor, error) { return openUsage(path) })
	if err != nil {
		return nil, fmt.Errorf("matte: api_usage_file: %w", err)
	}
	return &apiKeys{keys: c.Keys, store: v.(*usageStore), path: path}, nil
}

func (st *apiState) routeNames() []string {
	var out []string
	for _, r := range st.routes {
		p := r.prefix
		if p == "" {
			p = "*"
		}
		out = append(out, r.route.Method+" "+p+r.route.Path)
	}
	return out
}

func (c *APIConfig) cleanup() {
	st := c.state
	if st == nil {
		return
	}
	c.state = nil
}

// match finds the route of path: the exact path under a configured prefix,
// or (no prefix) any path ending in the route's path. A route matches with
// or without a trailing slash, whichever form it is written in
// (/v2/rembg/ and /v2/rembg, /rmbg and /rmbg/).
func (st *apiState) match(path string) (apiRoute, bool) {
	for _, rt := range st.routes {
		bare := strings.TrimSuffix(rt.route.Path, "/")
		for _, p := range []string{bare, bare + "/"} {
			if p == "/" {
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

// unknown finds the API whose configured prefix, or (without one) whose
// Namespace (endpointLike), holds a path that matched no route: the
// longest prefix wins, then the first namespace.
func (st *apiState) unknown(path string) (*dialect.API, bool) {
	var best *dialect.API
	bestLen := -1
	for _, rt := range st.routes {
		switch {
		case rt.prefix != "":
			if strings.HasPrefix(path, rt.prefix+"/") && len(rt.prefix) > bestLen {
				best, bestLen = rt.api, len(rt.prefix)
			}
		case rt.api.Namespace != "" && bestLen < 0 && best == nil:
			if endpointLike(path, rt.api.Namespace) {
				best = rt.api
			}
		}
	}
	return best, best != nil
}

// endpointLike reports whether path ends in namespace and at most one more
// segment without a dot ("/x/v1.0/removebgx", "/v1.0/"): what an API
// endpoint's name looks like, unlike a file ("/img/v1.0/logo.png") or a
// folder below it, which pass on to the site.
func endpointLike(path, namespace string) bool {
	i := strings.LastIndex(path, namespace)
	if i < 0 {
		return false
	}
	rest := strings.TrimSuffix(path[i+len(namespace):], "/")
	return !strings.ContainsAny(rest, "/.")
}

// serve answers an API route; handled false passes the request on.
func (c *APIConfig) serve(_ *Handler, w http.ResponseWriter, r *http.Request) (bool, error) {
	st := c.state
	if st == nil {
		return false, nil
	}
	rt, ok := st.match(r.URL.Path)
	if !ok {
		api, under := st.unknown(r.URL.Path)
		if !under || r.Method == http.MethodOptions {
			return false, nil
		}
		call := &apiCall{st: st, api: api, w: w, r: r}
		call.fail(dialect.Failure{Kind: dialect.FailNotFound, Detail: fmt.Sprintf("No such endpoint: %s.", dialect.Quote(r.URL.Path))})
		return true, nil
	}
	if r.Method == http.MethodOptions {
		return false, nil
	}
	call := &apiCall{st: st, api: rt.api, route: rt.route, w: w, r: r}
	method := rt.route.Method
	switch {
	case r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead):
		w.Header().Set("Allow", method)
		call.fail(dialect.Failure{Kind: dialect.FailMethod, Detail: fmt.Sprintf("%s takes %s.", rt.route.Path, method)})
	case rt.route.Account:
		call.serveAccount()
	case rt.route.Usage:
		call.serveUsage()
	case rt.route.Submit:
		call.serveSubmit()
	default:
		call.serveImage()
	}
	return true, nil
}

func setRateHeaders(w http.ResponseWriter, rl rateState) {
	hdr := w.Header()
	hdr.Set("X-RateLimit-Limit", strconv.FormatFloat(rl.limit, 'f', -1, 64))
	hdr.Set("X-RateLimit-Remaining", strconv.FormatFloat(math.Floor(rl.remaining), 'f', -1, 64))
	hdr.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(rl.reset.UnixNano())/1e9)), 10))
	if wait := rl.retryAfter(); wait > 0 {
		hdr.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	}
}

// retryAfter is a refused request's Retry-After: the time until the limit
// resets (X-RateLimit-Reset), as remove.bg documents it ("Seconds until
// rate limit will reset"), never less than the time until the request
// would pass. Zero when the request was not refused.
func (rl rateState) retryAfter() time.Duration {
	if rl.retry <= 0 {
		return 0
	}
	return max(rl.retry, time.Until(rl.reset))
}
