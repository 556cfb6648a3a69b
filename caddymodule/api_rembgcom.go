package caddymodule

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// rembg.com: POST /rmbg.

type rembgComError struct {
	Error  string `json:"error"`
	Field  string `json:"field"`
	Status int    `json:"status"`
}

type rembgComDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// writeRembgComErrors answers {"error","field","status"} for one error and
// {"error":"Multiple validation errors","details":[{field,message}],
// "status":400} for several.
func writeRembgComErrors(w http.ResponseWriter, errs dialect.Errors) {
	if len(errs) == 1 {
		e := errs[0]
		writeJSON(w, e.Status, rembgComError{Error: e.Detail, Field: e.Field, Status: e.Status})
		return
	}
	details := make([]rembgComDetail, len(errs))
	for i, e := range errs {
		details[i] = rembgComDetail{Field: e.Field, Message: e.Detail}
	}
	writeJSON(w, http.StatusBadRequest, struct {
		Error   string           `json:"error"`
		Details []rembgComDetail `json:"details"`
		Status  int              `json:"status"`
	}{dialect.RCMsgMultiple, details, http.StatusBadRequest})
}

func rcErr(status int, field, msg string) dialect.Errors {
	return dialect.Errors{{Status: status, Code: "error", Field: field, Detail: msg}}
}

// rembgComTransformError maps a probe or pipeline failure.
func rembgComTransformError(err error) dialect.Errors {
	first := params.AsErrors(err)[0]
	switch first.Code {
	case params.CodeUnknownFormat:
		return rcErr(http.StatusBadRequest, "image", dialect.RCMsgUnsupported)
	case params.CodeCorruptSource:
		return rcErr(http.StatusBadRequest, "image", dialect.RCMsgCorrupt)
	case params.CodeSourceTooLarge, params.CodeResolutionTooHigh:
		return rcErr(http.StatusRequestEntityTooLarge, "image", first.Detail)
	}
	switch {
	case first.Status == http.StatusNotImplemented, first.Status == http.StatusServiceUnavailable:
		return rcErr(first.Status, "", first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return rcErr(http.StatusBadRequest, first.Field, first.Detail)
	}
	return rcErr(http.StatusInternalServerError, "", "The image could not be processed")
}

func (st *apiState) serveRembgCom(w http.ResponseWriter, r *http.Request) {
	fail := func(errs dialect.Errors, rl *rateState) { st.writeErrors("rembg_com", w, errs, rl) }
	caller, af := st.authenticate(r, "x-api-key")
	switch af {
	case authMissing:
		fail(rcErr(http.StatusUnauthorized, "x-api-key", "Missing API key"), nil)
		return
	case authInvalid:
		fail(rcErr(http.StatusUnauthorized, "x-api-key", "Invalid API key"), nil)
		return
	}
	if rl, ok := caller.precheck(); !ok {
		fail(rcErr(http.StatusTooManyRequests, "", "Rate limit exceeded"), rl)
		return
	}
	if err := st.queueFull(w); err != nil {
		fail(rembgComTransformError(err), caller.rate())
		return
	}
	body, err := st.readAPIBody(w, r)
	if err != nil {
		var be *dialect.BodyError
		if errors.As(err, &be) && be.TooLarge {
			fail(rcErr(http.StatusRequestEntityTooLarge, "image", dialect.RCMsgTooLarge), caller.rate())
		} else {
			fail(rcErr(http.StatusBadRequest, "", err.Error()), caller.rate())
		}
		return
	}
	req, errs := dialect.ParseRembgCom(body, st.h.MaxSourceBytes)
	if errs != nil {
		fail(errs, caller.rate())
		return
	}
	info, err := st.h.pipeline.Probe(req.Source.Data)
	if err != nil {
		fail(rembgComTransformError(err), caller.rate())
		return
	}
	var dims dialect.Errors
	if info.Width > dialect.RembgComMaxDimension {
		dims = append(dims, &dialect.Error{Status: http.StatusBadRequest, Field: "image", Detail: dialect.RCMsgWidthTooLarge})
	}
	if info.Height > dialect.RembgComMaxDimension {
		dims = append(dims, &dialect.Error{Status: http.StatusBadRequest, Field: "image", Detail: dialect.RCMsgHeightTooLarge})
	}
	if dims != nil {
		fail(dims, caller.rate())
		return
	}
	if st.unavailable() {
		fail(rcErr(http.StatusNotImplemented, "", "Background removal is not available on this server"), caller.rate())
		return
	}
	adm, denied, rl := caller.admit(info.Width, info.Height, 1)
	switch denied {
	case "rate":
		fail(rcErr(http.StatusTooManyRequests, "", "Rate limit exceeded"), rl)
		return
	case "credits":
		fail(rcErr(http.StatusPaymentRequired, "", "Insufficient credits"), rl)
		return
	}
	res, err := st.renderAPI(r.Context(), req.Source.Data, info, req.Params, req.Params.Format, req.Extras, "")
	if err != nil {
		adm.done(false, st.logger)
		st.failed(w, r, err)
		fail(rembgComTransformError(err), caller.rate())
		return
	}
	adm.done(true, st.logger)
	if rl := caller.rate(); rl != nil {
		setRateHeaders(w, *rl)
	}
	hdr := w.Header()
	hdr.Set("X-Width", strconv.Itoa(res.w))
	hdr.Set("X-Height", strconv.Itoa(res.h))
	hdr.Set("Cache-Control", "no-store")
	if req.ReturnBase64 {
		writeJSON(w, http.StatusOK, struct {
			Base64Image string `json:"base64Image"`
		}{"data:" + res.entry.ContentType + ";base64," + base64.StdEncoding.EncodeToString(res.entry.Value)})
		return
	}
	hdr.Set("Content-Type", res.entry.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(res.entry.Value)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.entry.Value)
}
