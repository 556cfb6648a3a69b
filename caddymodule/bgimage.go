package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// subrequestKey marks the context of a bg-image subrequest. A matte handler
// serves such a request untransformed: no recursion, and no signature
// check (the signed request that named the image was checked).
type subrequestKey struct{}

func isSubrequest(r *http.Request) bool {
	v, _ := r.Context().Value(subrequestKey{}).(bool)
	return v
}

// loadBackgroundImage loads req's bg-image (an allowed URL, through the
// SSRF-safe fetcher, or a path on this site, through the site's own
// routes) for the pipeline: req.Extras carries the bytes, and
// Params.Removal.BgImage becomes their content reference, so the cache key
// follows the image's content. A background that a shared cache may not
// store makes the result private, as a private source does.
func (h *Handler) loadBackgroundImage(req *imageRequest) error {
	ref := req.Params.Removal.BgImage
	var data []byte
	var share sharing
	var err error
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		data, share, err = h.fetchBackgroundURL(req.r.Context(), ref)
	} else {
		data, share, err = h.fetchBackgroundPath(req.r, ref)
	}
	if err != nil {
		return err
	}
	req.restrict(share)
	if _, err := h.pipeline.Probe(data); err != nil {
		return bgImageError(http.StatusUnprocessableEntity, "The background image is not a supported image.", err)
	}
	req.Params.Removal.BgImage = params.BgImageRef(data)
	req.Extras.BgImage = data
	return nil
}

func bgImageError(status int, detail string, cause error) error {
	return &params.Error{Status: status, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "bg-image", Detail: detail, Cause: cause}
}

// fetchBackgroundURL downloads a remote bg-image (the fetcher sends none of
// the client's headers).
func (h *Handler) fetchBackgroundURL(ctx context.Context, ref string) ([]byte, sharing, error) {
	res, err := h.guard.fetcher.Fetch(ctx, fetch.Request{URL: ref, Accept: "image/*"})
	if err != nil {
		var fe *fetch.FetchError
		if errors.As(err, &fe) {
			return nil, sharing{}, bgImageError(fe.Kind.HTTPStatus(), "The background image could not be fetched: "+fe.Detail(), err)
		}
		return nil, sharing{}, err
	}
	return res.Body, shareability(http.Header{}, res.Header), nil
}

// fetchBackgroundPath gets a bg-image path as the client itself would: a GET
// subrequest through this server's routes, with the request's own headers
// (credentials, cookies), client address and TLS state, so basic_auth,
// forward_auth, file_server's hide, matchers and every other handler decide
// as they would for a direct request. Only a 200 image answer, within
// max_source_bytes, is used; anything else is the client's 400.
func (h *Handler) fetchBackgroundPath(r *http.Request, ref string) ([]byte, sharing, error) {
	srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(http.Handler)
	if !ok {
		return nil, sharing{}, bgImageError(http.StatusBadRequest, "A bg-image path needs Caddy's HTTP server; give a URL instead.", nil)
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, sharing{}, bgImageError(http.StatusBadRequest, "A bg-image path must be an absolute path on this site.", err)
	}
	sub := r.Clone(context.WithValue(r.Context(), subrequestKey{}, true))
	sub.Method = http.MethodGet
	sub.URL = &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	sub.RequestURI = sub.URL.RequestURI()
	sub.Body, sub.ContentLength, sub.TransferEncoding, sub.Trailer = http.NoBody, 0, nil, nil
	for _, k := range []string{"Content-Length", "Content-Type", "Transfer-Encoding", "Expect"} {
		sub.Header.Del(k)
	}
	sanitizeSourceHeader(sub.Header)

	rec := newSourceRecorder(discardWriter{header: http.Header{}}, h.MaxSourceBytes)
	_, aborted := catchAbort(func() error { srv.ServeHTTP(rec, sub); return nil })
	switch {
	case rec.overflow:
		return nil, sharing{}, bgImageError(http.StatusRequestEntityTooLarge, "The background image is over max_source_bytes.", nil)
	case aborted:
		return nil, sharing{}, bgImageError(http.StatusBadGateway, "The background image could not be read completely.", nil)
	case !rec.buffered():
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		return nil, sharing{}, bgImageError(http.StatusBadRequest,
			fmt.Sprintf("The background image path answers %d %s, not an image; it must answer 200 with an image/* body.", status, http.StatusText(status)), nil)
	}
	return rec.buf.Bytes(), shareability(sub.Header, rec.header), nil
}

// discardWriter is the client side of a subrequest whose answer Matte reads
// from the recorder: what the recorder passes through is dropped.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
