package fapihub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// API is fapihub for the hosted-API flow: POST /v2/rembg/ and its
// endpoints, the key in ApiKey. fapihub documents no upload limit, so the
// server's max_source_bytes applies.
var API = &dialect.API{
	Name:        "fapihub",
	Routes:      routes(),
	Namespace:   "/v2/rembg/",
	KeyHeader:   "ApiKey",
	Images:      1,
	LargeFields: []string{"image"},
	Parse: func(endpoint string, b *dialect.Body, maxFileBytes int64) (dialect.Request, params.Errors) {
		return dialect.AsRequest(Parse(endpoint, b, maxFileBytes))
	},
	Fail:        Fail,
	WriteErrors: WriteErrors,
}

// routes lists the endpoints, the longer paths first.
func routes() []dialect.Route {
	var rs []dialect.Route
	for _, ep := range []string{Blur, Color, Gradient, Shadow, Mask} {
		rs = append(rs, dialect.Route{Path: "/v2/rembg/" + ep + "/", Method: http.MethodPost, Endpoint: ep})
	}
	return append(rs, dialect.Route{Path: "/v2/rembg/", Method: http.MethodPost, Endpoint: Remove})
}

func one(status int, code, field, msg string) params.Errors {
	return params.Errors{{Status: status, Code: code, Field: field, Detail: msg}}
}

const rateLimited = "Too many requests. Please wait before making more requests."

// Fail words a failure of the hosted-API flow as fapihub does, with only
// the statuses it documents (200, 400, 401, 402, 429) and server_error for
// a processing failure: a file over the limit is a 400 invalid_image, a
// full queue a 429 with Retry-After. An unknown path (404) and a wrong
// method (405) keep their HTTP statuses: they are not API answers.
func Fail(f dialect.Failure) params.Errors {
	switch f.Kind {
	case dialect.FailMethod:
		return params.Errors{dialect.MethodNotAllowed(f)}
	case dialect.FailNotFound:
		return one(http.StatusNotFound, CodeNotFound, "", f.Detail)
	case dialect.FailKeyMissing:
		return one(http.StatusUnauthorized, CodeInvalidAPIKey, "", "Missing API key: send it in the ApiKey header.")
	case dialect.FailKeyInvalid:
		return one(http.StatusUnauthorized, CodeInvalidAPIKey, "", "The API key is not valid.")
	case dialect.FailRateLimited:
		return one(http.StatusTooManyRequests, CodeRateLimitExceeded, "", rateLimited)
	case dialect.FailCredits:
		return one(http.StatusPaymentRequired, CodeInsufficientCredits, "", "Insufficient credits for this billing month.")
	case dialect.FailBodyTooLarge:
		return one(http.StatusBadRequest, CodeInvalidImage, "image", fmt.Sprintf("The image is larger than %d bytes.", f.FileLimit))
	case dialect.FailBody:
		// invalid_image is the image's fault ("corrupted or not a
		// supported image format"); any other field refused on its own
		// is a bad parameter, named.
		if f.Field != "" && f.Field != "image" {
			return one(http.StatusBadRequest, CodeInvalidParameter, f.Field, f.Detail)
		}
		return one(http.StatusBadRequest, CodeInvalidImage, f.Field, f.Detail)
	case dialect.FailBodyTimeout:
		return one(http.StatusBadRequest, CodeInvalidImage, "", f.Detail)
	case dialect.FailFetch:
		return one(http.StatusBadRequest, CodeInvalidImage, "image", f.Detail)
	case dialect.FailProbe, dialect.FailTransform:
		return transformError(f.Err)
	case dialect.FailUnavailable:
		return one(http.StatusInternalServerError, CodeServerError, "", "Background removal is not available on this server.")
	}
	return serverError()
}

func serverError() params.Errors {
	return one(http.StatusInternalServerError, CodeServerError, "", "The image could not be processed.")
}

func transformError(err error) params.Errors {
	first := params.AsErrors(err)[0]
	switch first.Code {
	case params.CodeUnknownFormat:
		return one(http.StatusBadRequest, CodeInvalidImage, "image", "The image is not a supported type (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF).")
	case params.CodeCorruptSource:
		return one(http.StatusBadRequest, CodeInvalidImage, "image", "The image could not be decoded.")
	case params.CodeSourceTooLarge, params.CodeResolutionTooHigh, params.CodeOutputTooLarge:
		return one(http.StatusBadRequest, CodeInvalidImage, "image", first.Detail)
	}
	switch {
	case first.Status == http.StatusServiceUnavailable:
		// A full queue or a timeout: "Too many requests" with a wait.
		return one(http.StatusTooManyRequests, CodeRateLimitExceeded, "", first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return one(http.StatusBadRequest, CodeInvalidParameter, first.Field, first.Detail)
	}
	return serverError()
}

type errorBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
	RequestID  string `json:"request_id"`
	RetryAfter *int   `json:"retry_after,omitempty"`
}

// WriteErrors answers {"error":{"code","message","request_id"}} (with
// "field" for a bad field and "retry_after" on a 429), as fapihub does;
// several errors answer the first. The request ID is also X-Request-Id.
func WriteErrors(w http.ResponseWriter, errs params.Errors, retryAfter time.Duration) {
	e := errs[0]
	body := errorBody{Code: e.Code, Message: e.Detail, Field: e.Field, RequestID: requestID()}
	if e.Status == http.StatusTooManyRequests {
		// A full queue sets the header itself; a rate refusal passes its wait.
		s, err := strconv.Atoi(w.Header().Get("Retry-After"))
		if retryAfter > 0 || err != nil || s < 1 {
			s = max(1, int(math.Ceil(retryAfter.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(s))
		}
		body.RetryAfter = &s
	}
	w.Header().Set("X-Request-Id", body.RequestID)
	dialect.WriteJSON(w, e.Status, struct {
		Error errorBody `json:"error"`
	}{body})
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// Respond writes the PNG.
func (r *Request) Respond(w http.ResponseWriter, _ *http.Request, res dialect.Result) error {
	return dialect.WriteImage(w, res)
}

// Images is the source; fapihub takes no background image.
func (r *Request) Images() (dialect.Image, *dialect.Image) { return r.Source, nil }

// Plan is the parsed params as they are, one credit.
func (r *Request) Plan(int, int, []byte) (dialect.Plan, params.Errors) {
	return dialect.Plan{Params: r.Params, Format: r.Params.Format, Credits: 1}, nil
}
