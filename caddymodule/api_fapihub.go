package caddymodule

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// fapihub: POST /v2/rembg/ and /v2/rembg/{mask,blur,color,gradient,shadow}/.

type fapiHubError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
	RequestID  string `json:"request_id"`
	RetryAfter *int   `json:"retry_after,omitempty"`
}

// writeFAPIHubErrors answers {"error":{"code","message","request_id"}}
// (with "field" for a bad field and "retry_after" on a 429), as fapihub
// does; several errors answer the first.
func writeFAPIHubErrors(w http.ResponseWriter, errs dialect.Errors, rl *rateState) {
	e := errs[0]
	body := fapiHubError{Code: e.Code, Message: e.Detail, Field: e.Field, RequestID: requestID()}
	if e.Status == http.StatusTooManyRequests && rl != nil && rl.retry > 0 {
		s := max(1, int(math.Ceil(rl.retry.Seconds())))
		body.RetryAfter = &s
	}
	w.Header().Set("X-Request-Id", body.RequestID)
	writeJSON(w, e.Status, struct {
		Error fapiHubError `json:"error"`
	}{body})
}

func fhErr(status int, code, field, msg string) dialect.Errors {
	return dialect.Errors{{Status: status, Code: code, Field: field, Detail: msg}}
}

func fapiHubTransformError(err error) dialect.Errors {
	first := params.AsErrors(err)[0]
	switch first.Code {
	case params.CodeUnknownFormat:
		return fhErr(http.StatusBadRequest, dialect.FHInvalidImage, "image", "The image is not a supported type (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF).")
	case params.CodeCorruptSource:
		return fhErr(http.StatusBadRequest, dialect.FHInvalidImage, "image", "The image could not be decoded.")
	case params.CodeSourceTooLarge, params.CodeResolutionTooHigh:
		return fhErr(http.StatusRequestEntityTooLarge, dialect.FHFileTooLarge, "image", first.Detail)
	}
	switch {
	case first.Status == http.StatusNotImplemented, first.Status == http.StatusServiceUnavailable:
		return fhErr(first.Status, dialect.FHUnavailable, "", first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return fhErr(http.StatusBadRequest, dialect.FHInvalidParameter, first.Field, first.Detail)
	}
	return fhErr(http.StatusInternalServerError, dialect.FHInternalError, "", "The image could not be processed.")
}

func (st *apiState) serveFAPIHub(w http.ResponseWriter, r *http.Request, endpoint string) {
	fail := func(errs dialect.Errors, rl *rateState) { st.writeErrors("fapihub", w, errs, rl) }
	caller, af := st.authenticate(r, "ApiKey")
	switch af {
	case authMissing:
		fail(fhErr(http.StatusUnauthorized, dialect.FHInvalidAPIKey, "", "Missing API key: send it in the ApiKey header."), nil)
		return
	case authInvalid:
		fail(fhErr(http.StatusUnauthorized, dialect.FHInvalidAPIKey, "", "The API key is not valid."), nil)
		return
	}
	if rl, ok := caller.precheck(); !ok {
		fail(fhErr(http.StatusTooManyRequests, dialect.FHRateLimitExceeded, "", "Too many requests. Please wait before making more requests."), rl)
		return
	}
	if err := st.queueFull(w); err != nil {
		fail(fapiHubTransformError(err), caller.rate())
		return
	}
	body, err := st.readAPIBody(w, r)
	if err != nil {
		var be *dialect.BodyError
		if errors.As(err, &be) && be.TooLarge {
			fail(fhErr(http.StatusRequestEntityTooLarge, dialect.FHFileTooLarge, "image", be.Msg), caller.rate())
		} else {
			fail(fhErr(http.StatusBadRequest, dialect.FHInvalidImage, "", err.Error()), caller.rate())
		}
		return
	}
	req, errs := dialect.ParseFAPIHub(endpoint, body, st.h.MaxSourceBytes)
	if errs != nil {
		fail(errs, caller.rate())
		return
	}
	info, err := st.h.pipeline.Probe(req.Source.Data)
	if err != nil {
		fail(fapiHubTransformError(err), caller.rate())
		return
	}
	if st.unavailable() {
		fail(fhErr(http.StatusNotImplemented, dialect.FHUnavailable, "", "Background removal is not available on this server."), caller.rate())
		return
	}
	adm, denied, rl := caller.admit(info.Width, info.Height, 1)
	switch denied {
	case "rate":
		fail(fhErr(http.StatusTooManyRequests, dialect.FHRateLimitExceeded, "", "Too many requests. Please wait before making more requests."), rl)
		return
	case "credits":
		fail(fhErr(http.StatusPaymentRequired, dialect.FHInsufficientCredits, "", "Insufficient credits for this billing month."), rl)
		return
	}
	res, err := st.renderAPI(r.Context(), req.Source.Data, info, req.Params, req.Params.Format, params.Extras{}, "")
	if err != nil {
		adm.done(false, st.logger)
		st.failed(w, r, err)
		fail(fapiHubTransformError(err), caller.rate())
		return
	}
	adm.done(true, st.logger)
	if rl := caller.rate(); rl != nil {
		setRateHeaders(w, *rl)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", res.entry.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(res.entry.Value)))
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.entry.Value)
}
