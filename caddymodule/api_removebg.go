package caddymodule

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// remove.bg v1.0: POST /v1.0/removebg and GET /v1.0/account.

type removeBGErrorItem struct {
	Title  string `json:"title"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func writeRemoveBGErrors(w http.ResponseWriter, errs dialect.Errors) {
	body := struct {
		Errors []removeBGErrorItem `json:"errors"`
	}{Errors: make([]removeBGErrorItem, len(errs))}
	for i, e := range errs {
		body.Errors[i] = removeBGErrorItem{Title: e.Title, Code: e.Code, Detail: e.Detail}
	}
	writeJSON(w, errs.Status(), body)
}

func rbErr(status int, code, field, detail string) dialect.Errors {
	return dialect.Errors{dialect.RemoveBGError(status, code, field, "%s", detail)}
}

// removeBGFetchError maps a failed image_url or bg_image_url download.
func removeBGFetchError(fe *fetch.FetchError, field string) dialect.Errors {
	code := dialect.RBFailedImageDownload
	if fe.Kind == fetch.KindInvalidURL || fe.Kind == fetch.KindDenied {
		code = dialect.RBInvalidImageURL
	}
	return rbErr(http.StatusBadRequest, code, field, field+": "+fe.Detail())
}

// removeBGProbeError maps a source the pipeline refuses.
func removeBGProbeError(err error, field string) dialect.Errors {
	var te *params.Error
	if !errors.As(err, &te) {
		return rbErr(http.StatusInternalServerError, dialect.RBInternalError, "", "The image could not be processed.")
	}
	switch te.Code {
	case params.CodeSourceTooLarge:
		return rbErr(http.StatusBadRequest, dialect.RBFileTooLarge, field, te.Detail)
	case params.CodeResolutionTooHigh:
		return rbErr(http.StatusBadRequest, dialect.RBResolutionTooHigh, field, te.Detail)
	case params.CodeUnknownFormat:
		return rbErr(http.StatusBadRequest, dialect.RBInvalidFileType, field, te.Detail)
	case params.CodeCorruptSource:
		return rbErr(http.StatusBadRequest, dialect.RBInvalidFileType, field, "The image could not be decoded.")
	}
	return removeBGTransformError(err)
}

// removeBGTransformError maps a pipeline failure.
func removeBGTransformError(err error) dialect.Errors {
	list := params.AsErrors(err)
	first := list[0]
	switch {
	case first.Status == http.StatusNotImplemented:
		return rbErr(http.StatusNotImplemented, dialect.RBRemovalUnavailable, "", first.Detail)
	case first.Status == http.StatusServiceUnavailable:
		return rbErr(http.StatusServiceUnavailable, dialect.RBOverloaded, "", first.Detail)
	case first.Field == "roi":
		return rbErr(http.StatusBadRequest, dialect.RBInvalidROI, "roi", first.Detail)
	case first.Field == "crop_margin":
		return rbErr(http.StatusBadRequest, dialect.RBInvalidCropMargin, "crop_margin", first.Detail)
	case first.Field == "bg_image":
		return rbErr(http.StatusBadRequest, dialect.RBInvalidBgImageFile, "bg_image", first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return rbErr(http.StatusBadRequest, first.Code, first.Field, first.Detail)
	}
	return rbErr(http.StatusInternalServerError, dialect.RBInternalError, "", "The image could not be processed.")
}

func (st *apiState) serveRemoveBG(w http.ResponseWriter, r *http.Request) {
	fail := func(errs dialect.Errors, rl *rateState) { st.writeErrors("removebg", w, errs, rl) }
	caller, af := st.authenticate(r, "X-Api-Key")
	switch af {
	case authMissing:
		fail(rbErr(http.StatusForbidden, dialect.RBAuthFailed, "", "Missing API Key: send it in the X-Api-Key header."), nil)
		return
	case authInvalid:
		fail(rbErr(http.StatusForbidden, dialect.RBAuthFailed, "", "The API key is not valid."), nil)
		return
	}
	if rl, ok := caller.precheck(); !ok {
		fail(rbErr(http.StatusTooManyRequests, dialect.RBRateLimitExceeded, "", "Rate limit exceeded: retry after the Retry-After header's seconds."), rl)
		return
	}
	if err := st.queueFull(w); err != nil {
		fail(removeBGTransformError(err), caller.rate())
		return
	}
	body, err := st.readAPIBody(w, r)
	if err != nil {
		var be *dialect.BodyError
		if errors.As(err, &be) && be.TooLarge {
			fail(rbErr(http.StatusBadRequest, dialect.RBFileTooLarge, "", be.Msg), caller.rate())
		} else {
			fail(rbErr(http.StatusBadRequest, dialect.RBInvalidBody, "", err.Error()), caller.rate())
		}
		return
	}
	req, errs := dialect.ParseRemoveBG(body, st.h.MaxSourceBytes)
	if errs != nil {
		fail(errs, caller.rate())
		return
	}
	ctx := r.Context()
	src := req.Source.Data
	tag := ""
	if req.Source.URL != "" {
		var fe *fetch.FetchError
		if src, fe = st.fetchImage(ctx, req.Source.URL); fe != nil {
			fail(removeBGFetchError(fe, "image_url"), caller.rate())
			return
		}
		tag = req.Source.URL
	}
	info, err := st.h.pipeline.Probe(src)
	if err != nil {
		fail(removeBGProbeError(err, req.Source.Field), caller.rate())
		return
	}
	var bg []byte
	if req.BgImage != nil {
		bg = req.BgImage.Data
		if req.BgImage.URL != "" {
			var fe *fetch.FetchError
			if bg, fe = st.fetchImage(ctx, req.BgImage.URL); fe != nil {
				fail(removeBGFetchError(fe, "bg_image_url"), caller.rate())
				return
			}
		}
		if _, err := st.h.pipeline.Probe(bg); err != nil {
			errs := removeBGProbeError(err, req.BgImage.Field)
			if errs[0].Code == dialect.RBInvalidFileType {
				errs[0].Code, errs[0].Title = dialect.RBInvalidBgImageFile, "Invalid bg_image_file"
				errs[0].Detail = "The background image is not a supported image (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)."
			}
			fail(errs, caller.rate())
			return
		}
	}

	po := req.Params
	if req.Megapixels > 0 {
		bw, bh := dialect.SizeBox(info.Width, info.Height, req.Megapixels)
		if bw != info.Width || bh != info.Height {
			po.Width, po.Height, po.Fit = bw, bh, params.FitMax
		}
	}
	if bg != nil {
		po.Removal.BgImage = params.BgImageRef(bg)
	}
	extras, ok := req.Extras(info.Width, info.Height, bg)
	if !ok {
		fail(rbErr(http.StatusBadRequest, dialect.RBInvalidROI, "roi", "The region of interest is empty on this image."), caller.rate())
		return
	}
	format := req.OutputFormat()

	if st.unavailable() {
		fail(rbErr(http.StatusNotImplemented, dialect.RBRemovalUnavailable, "", "This server has no segmentation model configured."), caller.rate())
		return
	}
	adm, denied, rl := caller.admit(info.Width, info.Height, req.Credits)
	switch denied {
	case "rate":
		fail(rbErr(http.StatusTooManyRequests, dialect.RBRateLimitExceeded, "", "Rate limit exceeded: retry after the Retry-After header's seconds."), rl)
		return
	case "credits":
		fail(rbErr(http.StatusPaymentRequired, dialect.RBInsufficientCredits, "", "Insufficient credits: this image needs "+
			strconv.FormatFloat(req.Credits, 'f', -1, 64)+" and the key's monthly quota has "+
			strconv.FormatFloat(caller.keys.store.remaining(caller.id, caller.key.Credits), 'f', -1, 64)+" left."), rl)
		return
	}
	res, err := st.renderAPI(ctx, src, info, po, format, extras, tag)
	if err != nil {
		adm.done(false, st.logger)
		st.failed(w, r, err)
		fail(removeBGTransformError(err), caller.rate())
		return
	}
	if !res.found {
		adm.done(false, st.logger)
		fail(rbErr(http.StatusBadRequest, dialect.RBUnknownForeground, "", "Could not identify a foreground in the image."), caller.rate())
		return
	}
	adm.done(true, st.logger)

	hdr := w.Header()
	if rl := caller.rate(); rl != nil {
		setRateHeaders(w, *rl)
	}
	hdr.Set("X-Width", strconv.Itoa(res.w))
	hdr.Set("X-Height", strconv.Itoa(res.h))
	hdr.Set("X-Type", req.XType())
	hdr.Set("X-Credits-Charged", strconv.FormatFloat(adm.charged(), 'f', -1, 64))
	hdr.Set("X-Foreground-Top", strconv.Itoa(res.fg.Top))
	hdr.Set("X-Foreground-Left", strconv.Itoa(res.fg.Left))
	hdr.Set("X-Foreground-Width", strconv.Itoa(res.fg.Width))
	hdr.Set("X-Foreground-Height", strconv.Itoa(res.fg.Height))
	if m := res.model; m != "" {
		hdr.Set("X-Matte-Model", m)
	}
	hdr.Set("Cache-Control", "no-store")
	if acceptsJSON(r.Header.Get("Accept")) {
		type data struct {
			ResultB64        string `json:"result_b64"`
			ForegroundTop    int    `json:"foreground_top"`
			ForegroundLeft   int    `json:"foreground_left"`
			ForegroundWidth  int    `json:"foreground_width"`
			ForegroundHeight int    `json:"foreground_height"`
		}
		writeJSON(w, http.StatusOK, struct {
			Data data `json:"data"`
		}{data{base64.StdEncoding.EncodeToString(res.entry.Value), res.fg.Top, res.fg.Left, res.fg.Width, res.fg.Height}})
		return
	}
	hdr.Set("Content-Type", res.entry.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(res.entry.Value)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.entry.Value)
}

// acceptsJSON reports whether Accept asks for JSON rather than the image
// (remove.bg answers JSON for Accept: application/json).
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}

// serveAccount answers GET /v1.0/account with exactly remove.bg's keys.
func (st *apiState) serveAccount(w http.ResponseWriter, r *http.Request) {
	caller, af := st.authenticate(r, "X-Api-Key")
	switch af {
	case authMissing:
		st.writeErrors("removebg", w, rbErr(http.StatusForbidden, dialect.RBAuthFailed, "", "Missing API Key: send it in the X-Api-Key header."), nil)
		return
	case authInvalid:
		st.writeErrors("removebg", w, rbErr(http.StatusForbidden, dialect.RBAuthFailed, "", "The API key is not valid."), nil)
		return
	}
	total := float64(unlimitedCredits)
	if caller.key != nil && caller.key.Credits != nil {
		total = caller.keys.store.remaining(caller.id, caller.key.Credits)
	}
	type credits struct {
		Total        float64 `json:"total"`
		Subscription float64 `json:"subscription"`
		PayG         float64 `json:"payg"`
		Enterprise   float64 `json:"enterprise"`
	}
	type api struct {
		FreeCalls int    `json:"free_calls"`
		Sizes     string `json:"sizes"`
	}
	type attributes struct {
		Credits credits `json:"credits"`
		API     api     `json:"api"`
	}
	if rl := caller.rate(); rl != nil {
		setRateHeaders(w, *rl)
	}
	writeJSON(w, http.StatusOK, struct {
		Data struct {
			Attributes attributes `json:"attributes"`
		} `json:"data"`
	}{Data: struct {
		Attributes attributes `json:"attributes"`
	}{attributes{Credits: credits{Total: total, Subscription: total}, API: api{FreeCalls: 0, Sizes: "all"}}}})
}
