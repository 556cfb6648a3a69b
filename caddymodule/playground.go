package caddymodule

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/playground"
)

// Playground serves the browser playground (package playground) on Path,
// with a bounded store of uploaded images served at Path/src/. Off unless
// configured: anyone who reaches the path can upload images into the
// server's memory, within these bounds.
type Playground struct {
	// Path is the playground's folder ("/playground/").
	Path string `json:"path"`
	// MaxUploads and MaxUploadBytes bound the uploads kept in memory
	// (defaults 64 and 128 MiB); past either the oldest go first.
	MaxUploads     int   `json:"max_uploads,omitempty"`
	MaxUploadBytes int64 `json:"max_upload_bytes,omitempty"`
}

// provisionPlayground builds the playground when it is configured, after
// the pipeline, the fetcher and the APIs.
func (h *Handler) provisionPlayground() error {
	p := h.Playground
	if p == nil {
		return nil
	}
	page := playground.PageConfig{Removal: h.matter != nil, Signed: h.Signature != nil && h.Signature.Required}
	for _, d := range h.URLDialects {
		page.Dialects = append(page.Dialects, d.Name)
		if d.Name == "cloudinary" && len(d.Clouds) > 0 {
			page.Cloudinary = playgroundCloud(d.Clouds, p.Path)
		}
	}
	if h.matter != nil {
		page.Models = append([]string{h.Rembg.Model}, h.Rembg.Allow...)
	}
	if e := h.APIs.RemoveBG; e != nil {
		page.RemoveBG = e.Prefix + "/v1.0/removebg"
		page.APIKeys = len(h.APIs.Keys) > 0
	}
	opts := playground.Options{
		Path: p.Path, MaxFileBytes: h.MaxSourceBytes, MaxUploads: p.MaxUploads, MaxUploadBytes: p.MaxUploadBytes, Page: page,
		Probe: func(data []byte) (playground.Probed, error) {
			info, err := h.pipeline.Probe(data)
			return playground.Probed{TypeName: info.TypeName, Width: info.Width, Height: info.Height}, err
		},
	}
	// Importing a remote URL is a fetch on a visitor's behalf: only to
	// the hosts the origin block allows.
	if h.Origin != nil && len(h.Origin.AllowHosts) > 0 {
		opts.Fetch = h.playgroundFetch
	}
	// An upload in flight holds its bytes against max_buffered_bytes, as a
	// source or a hosted-API body does.
	opts.Buffer = func() (func(int64) error, func()) {
		hold := h.guard.buffered.Hold()
		return h.reserveFor(hold), hold.Release
	}
	var err error
	h.play, err = playground.New(opts)
	return err
}

// playgroundFetch downloads a URL to import through the SSRF-safe fetcher;
// its failures are the client's, worded by the fetcher.
func (h *Handler) playgroundFetch(ctx context.Context, rawURL string, reserve func(int64) error) ([]byte, error) {
	res, err := h.guard.fetcher.Fetch(ctx, fetch.Request{URL: rawURL, Accept: "image/*", Reserve: reserve})
	if err != nil {
		var fe *fetch.FetchError
		if errors.As(err, &fe) {
			return nil, &params.Error{Status: fe.ClientKind().HTTPStatus(), Code: "failed_image_download", Title: "Image download failed",
				Field: "url", Detail: "The image could not be fetched: " + fe.Detail(), Cause: err}
		}
		return nil, err
	}
	return res.Body, nil
}

// servePlayground answers the playground's own routes (handled), and
// otherwise returns next wrapped so that the uploads under <path>/src/ are
// served as sources, in place of the next handler: a transform URL of any
// dialect naming an upload then works like one naming a file.
func (h *Handler) servePlayground(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (bool, caddyhttp.Handler, error) {
	if h.play == nil {
		return false, next, nil
	}
	if handled, err := h.play.Serve(w, r); handled {
		if err != nil {
			err = h.writeError(w, r, err)
		}
		return true, next, err
	}
	return false, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		handled, err := h.play.ServeSource(w, r)
		switch {
		case !handled:
			return next.ServeHTTP(w, r)
		case err != nil:
			return h.writeError(w, r, err)
		}
		return nil
	}), nil
}

// playgroundCloud picks the cloud line whose public IDs cover the
// playground's uploads (under path): the longest such prefix, then the
// first name; when none covers them, the first name (the page then says
// the image is outside its prefix).
func playgroundCloud(clouds map[string]string, path string) *playground.CloudinaryCloud {
	var best *playground.CloudinaryCloud
	covers := func(prefix string) bool {
		prefix = strings.TrimSuffix(prefix, "/")
		return prefix == "" || strings.HasPrefix(path, prefix+"/")
	}
	for _, name := range slices.Sorted(maps.Keys(clouds)) {
		c := &playground.CloudinaryCloud{Name: name, Prefix: strings.TrimSuffix(clouds[name], "/")}
		switch {
		case best == nil:
			best = c
		case covers(c.Prefix) && (!covers(best.Prefix) || len(c.Prefix) > len(best.Prefix)):
			best = c
		}
	}
	return best
}
