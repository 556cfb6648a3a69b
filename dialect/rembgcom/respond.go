package rembgcom

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// MaxFileBytes is the upload limit rembg.com documents ("the maximum
// allowed size of 50 MB").
const MaxFileBytes = 50 << 20

// API is rembg.com for the hosted-API flow: POST /rmbg and GET
// /api/membership-usage, the key in x-api-key.
var API = &dialect.API{
	Name: "rembg_com",
	Routes: []dialect.Route{
		{Path: "/rmbg", Method: http.MethodPost, Endpoint: "rmbg"},
		{Path: "/api/membership-usage", Method: http.MethodGet, Endpoint: "membership-usage", Usage: true},
	},
	KeyHeader:    "x-api-key",
	MaxFileBytes: MaxFileBytes,
	BMPInput:     true,
	Images:       1,
	LargeFields:  []string{"image"},
	Parse: func(_ string, b *dialect.Body, maxFileBytes int64) (dialect.Request, params.Errors) {
		return dialect.AsRequest(Parse(b, maxFileBytes))
	},
	Fail:        Fail,
	WriteErrors: WriteErrors,
	Usage:       WriteUsage,
}

// rembg.com's messages for the key, the rate limit and the monthly quota.
const (
	MsgInvalidKey   = "invalid api key"
	MsgTooQuickly   = "You're making requests too quickly, Please Upgrade or slow down."
	MsgMonthlyLimit = "You've reached your monthly limit. Consider purchasing more credits."
)

func one(status int, field, msg string) params.Errors {
	return params.Errors{{Status: status, Code: "error", Field: field, Detail: msg}}
}

// Fail words a failure of the hosted-API flow as rembg.com does.
func Fail(f dialect.Failure) params.Errors {
	switch f.Kind {
	case dialect.FailMethod:
		return params.Errors{dialect.MethodNotAllowed(f)}
	case dialect.FailKeyMissing:
		// rembg.com serves anonymous callers; Matte requires a key, so a
		// missing one is answered as an invalid one.
		return one(http.StatusUnauthorized, "x-api-key", MsgInvalidKey)
	case dialect.FailKeyInvalid:
		return one(http.StatusUnauthorized, "x-api-key", MsgInvalidKey)
	case dialect.FailRateLimited:
		return one(http.StatusTooManyRequests, "", MsgTooQuickly)
	case dialect.FailCredits:
		return one(http.StatusTooManyRequests, "", MsgMonthlyLimit)
	case dialect.FailBodyTooLarge:
		// The message states the file limit (the body limit allows for
		// the form's framing and base64 on top of it). The size is the
		// declared body's; cut off while read, it is only known to be over.
		if f.Size > 0 {
			return one(http.StatusBadRequest, "image", MsgFileTooLarge(f.Size, f.FileLimit))
		}
		return one(http.StatusBadRequest, "image",
			fmt.Sprintf("File size (over %s MB) exceeds the maximum allowed size of %s MB.", megabytes(f.FileLimit), megabytes(f.FileLimit)))
	case dialect.FailBodyTimeout:
		return one(http.StatusRequestTimeout, "", f.Detail)
	case dialect.FailBody:
		// "Use the field property to map errors to specific request
		// parameters": the field refused, when one is.
		return one(http.StatusBadRequest, f.Field, f.Detail)
	case dialect.FailFetch:
		return one(http.StatusBadRequest, "image", f.Detail)
	case dialect.FailProbe, dialect.FailTransform:
		return transformError(f.Err)
	case dialect.FailUnavailable:
		return one(http.StatusNotImplemented, "", "Background removal is not available on this server")
	case dialect.FailNotFound:
		return one(http.StatusNotFound, "", f.Detail)
	}
	return one(http.StatusInternalServerError, "", "The image could not be processed")
}

// megabytes is n in MiB with at most one decimal ("55.2").
func megabytes(n int64) string {
	return strconv.FormatFloat(math.Round(float64(n)/(1<<20)*10)/10, 'f', -1, 64)
}

// transformError maps a probe or pipeline failure.
func transformError(err error) params.Errors {
	first := params.AsErrors(err)[0]
	switch first.Code {
	case params.CodeUnknownFormat, params.CodeCorruptSource:
		return one(http.StatusBadRequest, "image", MsgCorrupt)
	case params.CodeSourceTooLarge, params.CodeResolutionTooHigh:
		// rembg.com answers every image over its limits with a 400.
		return one(http.StatusBadRequest, "image", first.Detail)
	}
	switch {
	case first.Status == http.StatusNotImplemented, first.Status == http.StatusServiceUnavailable:
		return one(first.Status, "", first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return one(http.StatusBadRequest, first.Field, first.Detail)
	}
	return one(http.StatusInternalServerError, "", "The image could not be processed")
}

type errorBody struct {
	Error  string `json:"error"`
	Field  string `json:"field"`
	Status int    `json:"status"`
}

type detail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// WriteErrors answers {"error","field","status"} for one error and
// {"error":"Multiple validation errors","details":[{field,message}],
// "status":400} for several.
func WriteErrors(w http.ResponseWriter, errs params.Errors, _ time.Duration) {
	if len(errs) == 1 {
		e := errs[0]
		dialect.WriteJSON(w, e.Status, errorBody{Error: e.Detail, Field: e.Field, Status: e.Status})
		return
	}
	details := make([]detail, len(errs))
	for i, e := range errs {
		details[i] = detail{Field: e.Field, Message: e.Detail}
	}
	dialect.WriteJSON(w, http.StatusBadRequest, struct {
		Error   string   `json:"error"`
		Details []detail `json:"details"`
		Status  int      `json:"status"`
	}{MsgMultiple, details, http.StatusBadRequest})
}

// Respond writes the image with X-Width and X-Height, return_base64 or
// not: the client encodes the body itself (see Request.ReturnBase64). A
// format=bmp image is already BMP (its job re-encoded it: Plan).
func (r *Request) Respond(w http.ResponseWriter, _ *http.Request, res dialect.Result) error {
	hdr := w.Header()
	hdr.Set("X-Width", strconv.Itoa(res.Width))
	hdr.Set("X-Height", strconv.Itoa(res.Height))
	return dialect.WriteImage(w, res)
}
