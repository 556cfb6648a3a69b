package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/jebosio/matte/cache"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI is the admin.api.matte module: POST /matte/purge on Caddy's admin
// endpoint removes cached results from every cache of the running config's
// matte handlers, both tiers.
//
// Body (one of):
//
//	{"key": "<ETag of a result, quoted or not>"}
//	{"source": "/img/shoe.jpg"}   // or a full URL: every variant of that source
//	{"all": true}
//
// A source named by an absolute http(s) URL is purged both as that URL (a
// remote source: a URL dialect's, a hosted API's image URL, a
// fallback_image) and as its path and query (a site's source named by its
// full URL); a URL of another scheme with a host by its path and query.
//
// The caches are those of the running config, looked up at each call:
// Caddy replaces the admin endpoint, this module with it, before a new
// config's apps load, so after a reload that failed this module belongs to
// the refused config while the old one goes on serving.
type AdminAPI struct{}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.matte", New: func() caddy.Module { return new(AdminAPI) }}
}

// runningApp is the matte app of the running config; nil where it has none.
func runningApp() *App {
	v, err := caddy.ActiveContext().AppIfConfigured(AppName)
	if err != nil {
		return nil
	}
	app, _ := v.(*App)
	return app
}

// Routes returns the admin routes.
func (a AdminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/matte/purge", Handler: caddy.AdminHandlerFunc(a.purge)}}
}

type purgeRequest struct {
	Key    string `json:"key"`
	Source string `json:"source"`
	All    bool   `json:"all"`
}

func (a AdminAPI) purge(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("method not allowed")}
	}
	var req purgeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("decoding request: %w", err)}
	}
	var op func(c *cache.Cache) error
	switch {
	case req.All:
		op = (*cache.Cache).PurgeAll
	case req.Key != "":
		key := strings.Trim(req.Key, `"`)
		op = func(c *cache.Cache) error { return c.Delete(nsResult, key) }
	case req.Source != "":
		tags := sourceTags(req.Source)
		op = func(c *cache.Cache) error {
			var errs []error
			for _, tag := range tags {
				errs = append(errs, c.PurgeTag(tag))
			}
			return errors.Join(errs...)
		}
	default:
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(`give one of "key", "source" or "all": true`)}
	}
	var errs []error
	n := 0
	if app := runningApp(); app != nil {
		app.eachCache(func(_ string, c *cache.Cache) {
			n++
			if err := op(c); err != nil && !errors.Is(err, cache.ErrInvalid) {
				errs = append(errs, err)
			}
		})
	}
	if err := errors.Join(errs...); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: err}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]int{"caches": n})
}

// sourceTags are the purge tags that a purge of source reaches (see
// sourceTag): a path as it is; an absolute http(s) URL as a remote
// source's tag and as a site's path; another URL with a host as a path.
func sourceTags(source string) []string {
	u, err := url.Parse(source)
	switch {
	case err != nil || u.Host == "":
		return []string{source}
	case isRemoteRef(source):
		return []string{source, u.RequestURI()}
	}
	return []string{u.RequestURI()}
}

var _ caddy.AdminRouter = AdminAPI{}
