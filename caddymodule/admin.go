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
type AdminAPI struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.matte", New: func() caddy.Module { return new(AdminAPI) }}
}

// Provision fetches the config's matte app, whose caches the route purges.
func (a *AdminAPI) Provision(ctx caddy.Context) error {
	app, err := appFrom(ctx)
	if err != nil {
		return err
	}
	a.app = app
	return nil
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
		tag := req.Source
		if u, err := url.Parse(req.Source); err == nil && u.Host != "" {
			tag = u.RequestURI()
		}
		op = func(c *cache.Cache) error { return c.PurgeTag(tag) }
	default:
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(`give one of "key", "source" or "all": true`)}
	}
	var errs []error
	n := 0
	if a.app != nil {
		a.app.eachCache(func(_ string, c *cache.Cache) {
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

var (
	_ caddy.AdminRouter = AdminAPI{}
	_ caddy.Provisioner = (*AdminAPI)(nil)
)
