package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// subrequestKey marks the context of Matte's own subrequests (subrequest:
// layer images, dialect sources). A matte handler serves such a request
// untransformed: no recursion, and no signature check (the signed request
// that named the image was checked).
type subrequestKey struct{}

func isSubrequest(r *http.Request) bool {
	v, _ := r.Context().Value(subrequestKey{}).(bool)
	return v
}

// layerSubrequestKey marks the context of a layer path's subrequest
// (fetchLayerPath): a URL with Matte parameters there is transformed
// (serveLayer), as imgix applies a mark URL's own parameters.
type layerSubrequestKey struct{}

func isLayerSubrequest(r *http.Request) bool {
	v, _ := r.Context().Value(layerSubrequestKey{}).(bool)
	return v
}

// serveLayer answers a layer path's subrequest that names Matte parameters
// (mark=/logo.png?w=50&sat=-100) with that transform of it. A layer of the
// layer (its own mark or bg-image) is refused: one level only, so a layer
// cannot make Matte fetch and draw without end.
func (h *Handler) serveLayer(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	opts, err := imgix.ParseQuery(matteQuery(r.URL.RawQuery))
	if err != nil {
		return h.writeError(w, r, err)
	}
	if opts.Watermark.Image != "" || opts.Removal.BgImage != "" {
		return h.writeError(w, r, &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter",
			Detail: "A mark's or bg-image's URL cannot name a mark or bg-image of its own."})
	}
	req := &imageRequest{Params: opts, Dialect: "imgix", w: w, r: r}
	req.fromSite(originRequest(r, r.URL.RawQuery))
	return h.serveImage(req, next)
}

// layerImage is a second image a request draws: bg-image behind a
// cut-out subject, or mark over the output. field names its parameter in
// errors, noun the image in their details.
type layerImage struct{ field, noun string }

var (
	backgroundLayer = layerImage{"bg-image", "background image"}
	watermarkLayer  = layerImage{"mark", "watermark"}
)

func (li layerImage) error(status int, detail string, cause error) error {
	return &params.Error{Status: status, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: li.field, Detail: detail, Cause: cause}
}

// remoteDenied refuses a URL for this layer image on a site whose origin
// block lists no allow_hosts (a 403 remote_source_denied naming the field),
// as a dialect's remote source is refused.
func (li layerImage) remoteDenied() error {
	return &params.Error{Status: http.StatusForbidden, Code: errRemoteNotAllowed.Code, Title: errRemoteNotAllowed.Title, Field: li.field,
		Detail: "A " + li.field + " URL is fetched only from the hosts the origin block's allow_hosts lists, and none are listed; give a path on this site, or list the host."}
}

// loadLayerImages loads the bg-image and the watermark req's Params name,
// for the pipeline (loadLayerImage).
func (h *Handler) loadLayerImages(req *imageRequest) error {
	if ref := req.Params.Removal.BgImage; ref != "" {
		data, _, err := h.loadLayerImage(req, backgroundLayer, ref)
		if err != nil {
			return err
		}
		req.Params.Removal.BgImage, req.Extras.BgImage = params.BgImageRef(data), data
	}
	if ref := req.Params.Watermark.Image; ref != "" {
		li := watermarkLayer
		if req.markField != "" {
			li.field = req.markField
		}
		data, _, err := h.loadLayerImage(req, li, ref)
		if err != nil {
			return err
		}
		req.Params.Watermark.Image, req.Extras.Mark = params.BgImageRef(data), data
	}
	return nil
}

// loadLayerImage loads the image ref names (a URL on a host the origin
// block's allow_hosts lists, through the SSRF-safe fetcher: with no list,
// 403 remote_source_denied; or a path on this site, through the site's own
// routes) and checks that it is a supported image, returning its bytes and
// header. The caller puts the
// bytes in req.Extras and their content reference (params.BgImageRef) in
// the Params, so the cache key follows the image's content. An image that
// a shared cache may not store makes the result private, as a private
// source does.
func (h *Handler) loadLayerImage(req *imageRequest, li layerImage, ref string) ([]byte, transform.Source, error) {
	var data []byte
	var share sharing
	var err error
	if isRemoteRef(ref) {
		if h.allowRemote() != nil {
			// As for a dialect's remote source: without an allowlist the
			// fetcher would take any public host (an open image proxy).
			return nil, transform.Source{}, li.remoteDenied()
		}
		data, share, err = h.fetchLayerURL(req.r.Context(), li, ref, h.bytesHold(req))
	} else {
		data, share, err = h.fetchLayerPath(req.r, li, ref, h.bytesHold(req))
	}
	if err != nil {
		return nil, transform.Source{}, err
	}
	req.restrict(share)
	info, err := h.pipeline.Probe(data)
	if err != nil {
		return nil, transform.Source{}, li.error(http.StatusUnprocessableEntity, "The "+li.noun+" is not a supported image.", err)
	}
	return data, info, nil
}

// fetchLayerURL downloads a remote layer image (the fetcher sends none of
// the client's headers).
func (h *Handler) fetchLayerURL(ctx context.Context, li layerImage, ref string, hold *admission.Hold) ([]byte, sharing, error) {
	res, err := h.guard.fetcher.Fetch(ctx, fetch.Request{URL: ref, Accept: "image/*", Reserve: h.reserveFor(hold)})
	if err != nil {
		var fe *fetch.FetchError
		if errors.As(err, &fe) {
			return nil, sharing{}, li.error(fe.ClientKind().HTTPStatus(), "The "+li.noun+" could not be fetched: "+fe.Detail(), err)
		}
		return nil, sharing{}, err
	}
	return res.Body, shareability(http.Header{}, res.Header), nil
}

// fetchLayerPath gets a layer image's path as the client itself would: a GET
// subrequest through this server's routes, with the request's own headers
// (credentials, cookies), client address and TLS state, so basic_auth,
// forward_auth, file_server's hide, matchers and every other handler decide
// as they would for a direct request. Only a 200 image answer, within
// max_source_bytes, is used; anything else is the client's 400.
func (h *Handler) fetchLayerPath(r *http.Request, li layerImage, ref string, hold *admission.Hold) ([]byte, sharing, error) {
	if isLayerSubrequest(r) {
		// A layer's own layer, or its fallback: one level only, so no
		// request nests subrequests without end (serveLayer).
		return nil, sharing{}, li.error(http.StatusBadRequest, "A layer's path cannot load a "+li.noun+" of its own.", nil)
	}
	sub, srv, ok := subrequest(r)
	if !ok {
		return nil, sharing{}, li.error(http.StatusBadRequest, "A "+li.field+" path needs Caddy's HTTP server; give a URL instead.", nil)
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, sharing{}, li.error(http.StatusBadRequest, "A "+li.field+" path must be an absolute path on this site.", err)
	}
	sub = sub.WithContext(context.WithValue(sub.Context(), layerSubrequestKey{}, true))
	sub.Method = http.MethodGet
	sub.URL = &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	sub.RequestURI = sub.URL.RequestURI()
	sub.Body, sub.ContentLength, sub.TransferEncoding, sub.Trailer = http.NoBody, 0, nil, nil
	for _, k := range []string{"Content-Length", "Content-Type", "Transfer-Encoding", "Expect"} {
		sub.Header.Del(k)
	}
	sanitizeSourceHeader(sub.Header)

	rec := newSourceRecorder(discardWriter{header: http.Header{}}, h.MaxSourceBytes, hold)
	_, aborted := serveRoutes(srv, rec, sub)
	switch {
	case rec.overflow:
		return nil, sharing{}, li.error(http.StatusRequestEntityTooLarge, "The "+li.noun+" is over max_source_bytes.", nil)
	case rec.overloaded:
		return nil, sharing{}, h.buffersFull()
	case aborted:
		return nil, sharing{}, li.error(http.StatusBadGateway, "The "+li.noun+" could not be read completely.", nil)
	case !rec.buffered():
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		return nil, sharing{}, li.error(http.StatusBadRequest,
			fmt.Sprintf("The %s path answers %d %s, not an image; it must answer 200 with an image/* body.", li.noun, status, http.StatusText(status)), nil)
	}
	return rec.buf.Bytes(), shareability(sub.Header, rec.header), nil
}

// discardWriter is the client side of a subrequest whose answer Matte reads
// from the recorder: what the recorder passes through is dropped.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
