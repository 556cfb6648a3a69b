package caddymodule

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// loadBackgroundImage loads req's bg-image (an allowed URL, through the
// SSRF-safe fetcher, or a path under the site's root) for the pipeline:
// req.Extras carries the bytes, and Params.Removal.BgImage becomes their
// content reference, so the cache key follows the image's content.
func (h *Handler) loadBackgroundImage(req *imageRequest) error {
	ref := req.Params.Removal.BgImage
	r := req.r
	bad := func(status int, detail string, cause error) error {
		return &params.Error{Status: status, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "bg-image", Detail: detail, Cause: cause}
	}
	var data []byte
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		res, err := h.guard.fetcher.Fetch(r.Context(), fetch.Request{URL: ref, Accept: "image/*"})
		if err != nil {
			var fe *fetch.FetchError
			if errors.As(err, &fe) {
				return bad(fe.Kind.HTTPStatus(), "The background image could not be fetched: "+fe.Detail(), err)
			}
			return err
		}
		data = res.Body
	} else {
		root, _ := caddyhttp.GetVar(r.Context(), "root").(string)
		if root == "" {
			return bad(http.StatusBadRequest, "A bg-image path needs the site's `root`; give a URL instead.", nil)
		}
		f, err := fetch.OpenInRoot(root, ref)
		if err != nil {
			return bad(http.StatusBadRequest, "The background image path is not a readable file under the site root.", err)
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, h.MaxSourceBytes+1))
		if err != nil {
			return err
		}
		if int64(len(data)) > h.MaxSourceBytes {
			return bad(http.StatusRequestEntityTooLarge, "The background image is over max_source_bytes.", nil)
		}
	}
	if _, err := h.pipeline.Probe(data); err != nil {
		return bad(http.StatusUnprocessableEntity, "The background image is not a supported image.", err)
	}
	req.Params.Removal.BgImage = params.BgImageRef(data)
	req.Extras.BgImage = data
	return nil
}
