package removebg

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// remove.bg error codes (status 400 unless said otherwise). The first ones
// are remove.bg's own; the others follow its invalid_<field> pattern.
const (
	CodeMissingSource        = "missing_source"
	CodeMultipleSources      = "multiple_sources"
	CodeInvalidImageURL      = "invalid_image_url"
	CodeFailedImageDownload  = "failed_image_download"
	CodeFileTooLarge         = "file_too_large"
	CodeInvalidFileType      = "invalid_file_type"
	CodeResolutionTooHigh    = "resolution_too_high"
	CodeInvalidSize          = "invalid_size"
	CodeInvalidFormat        = "invalid_format"
	CodeInvalidROI           = "invalid_roi"
	CodeInvalidCropMargin    = "invalid_crop_margin"
	CodeInvalidBgColor       = "invalid_bg_color"
	CodeInvalidImageFileB64  = "invalid_image_file_b64"
	CodeInvalidType          = "invalid_type"
	CodeInvalidTypeLevel     = "invalid_type_level"
	CodeInvalidCrop          = "invalid_crop"
	CodeInvalidScale         = "invalid_scale"
	CodeInvalidPosition      = "invalid_position"
	CodeInvalidChannels      = "invalid_channels"
	CodeInvalidBgImageURL    = "invalid_bg_image_url"
	CodeInvalidBgImageFile   = "invalid_bg_image_file"
	CodeMultipleBackgrounds  = "multiple_backgrounds"
	CodeInvalidAddShadow     = "invalid_add_shadow"
	CodeInvalidShadowType    = "invalid_shadow_type"
	CodeInvalidShadowOpacity = "invalid_shadow_opacity"
	CodeInvalidSemitransp    = "invalid_semitransparency"
	CodeUnknownForeground    = "unknown_foreground"
	CodeInvalidBody          = "invalid_request_body"
	CodeNotFound             = "not_found"            // 404
	CodeAuthFailed           = "auth_failed"          // 403
	CodeInsufficientCredits  = "insufficient_credits" // 402
	CodeRequestTimeout       = "request_timeout"      // 408
	CodeRateLimitExceeded    = "rate_limit_exceeded"  // 429
	CodeRemovalUnavailable   = "removal_unavailable"  // 501
	CodeOverloaded           = "service_unavailable"  // 503
	CodeInternalError        = "internal_error"       // 500
)

// title is remove.bg's short title for a code.
func title(code string) string {
	switch code {
	case CodeMissingSource:
		return "No image given"
	case CodeMultipleSources:
		return "Multiple image sources given"
	case CodeInvalidImageURL:
		return "Invalid image URL"
	case CodeFailedImageDownload:
		return "Failed to download image"
	case CodeFileTooLarge:
		return "File too large"
	case CodeInvalidFileType:
		return "Invalid file type"
	case CodeResolutionTooHigh:
		return "Resolution too high"
	case CodeUnknownForeground:
		return "Could not identify foreground in image"
	case CodeAuthFailed:
		return "API Key invalid"
	case CodeInsufficientCredits:
		return "Insufficient credits"
	case CodeRateLimitExceeded:
		return "Rate limit exceeded"
	case CodeMultipleBackgrounds:
		return "Multiple backgrounds given"
	case CodeInvalidBody:
		return "Invalid request body"
	case CodeRequestTimeout:
		return "Request timeout"
	case CodeNotFound:
		return "Not found"
	}
	if field, ok := strings.CutPrefix(code, "invalid_"); ok {
		return "Invalid " + field
	}
	return strings.ReplaceAll(code, "_", " ")
}

// NewError builds a remove.bg error with its title.
func NewError(status int, code, field, format string, args ...any) *params.Error {
	return &params.Error{Status: status, Code: code, Title: title(code), Field: field, Detail: fmt.Sprintf(format, args...)}
}

func one(status int, code, field, detail string) params.Errors {
	return params.Errors{NewError(status, code, field, "%s", detail)}
}

const rateLimited = "Rate limit exceeded: retry after the Retry-After header's seconds."

// Fail words a failure of the hosted-API flow as remove.bg does.
func Fail(f dialect.Failure) params.Errors {
	switch f.Kind {
	case dialect.FailMethod:
		return params.Errors{dialect.MethodNotAllowed(f)}
	case dialect.FailKeyMissing:
		return one(http.StatusForbidden, CodeAuthFailed, "", "Missing API Key: send it in the X-Api-Key header.")
	case dialect.FailKeyInvalid:
		return one(http.StatusForbidden, CodeAuthFailed, "", "The API key is not valid.")
	case dialect.FailRateLimited:
		return one(http.StatusTooManyRequests, CodeRateLimitExceeded, "", rateLimited)
	case dialect.FailCredits:
		return one(http.StatusPaymentRequired, CodeInsufficientCredits, "", "Insufficient credits: this image needs "+
			strconv.FormatFloat(f.Need, 'f', -1, 64)+" and the key's monthly quota has "+strconv.FormatFloat(f.Left, 'f', -1, 64)+" left.")
	case dialect.FailBodyTooLarge:
		return one(http.StatusBadRequest, CodeFileTooLarge, "", fmt.Sprintf("File too large: an image may be at most %d bytes.", f.FileLimit))
	case dialect.FailBodyTimeout:
		return one(http.StatusRequestTimeout, CodeRequestTimeout, "", f.Detail)
	case dialect.FailBody:
		// The detail names the field refused, when one is.
		return one(http.StatusBadRequest, CodeInvalidBody, f.Field, f.Detail)
	case dialect.FailFetch:
		// A refused URL is its field's invalid_ code (bg_image_url's own,
		// as the parser answers a malformed one); a failed download is
		// failed_image_download for either field.
		code := CodeFailedImageDownload
		switch {
		case f.Denied && f.Field == "bg_image_url":
			code = CodeInvalidBgImageURL
		case f.Denied:
			code = CodeInvalidImageURL
		}
		return one(http.StatusBadRequest, code, f.Field, f.Field+": "+f.Detail)
	case dialect.FailProbe:
		return probeError(f)
	case dialect.FailUnavailable:
		return one(http.StatusNotImplemented, CodeRemovalUnavailable, "", "This server has no segmentation model configured.")
	case dialect.FailTransform:
		return transformError(f.Err)
	case dialect.FailNoForeground:
		return one(http.StatusBadRequest, CodeUnknownForeground, "", "Could not identify a foreground in the image.")
	case dialect.FailNotFound:
		return one(http.StatusNotFound, CodeNotFound, "", f.Detail)
	case dialect.FailStoreFull:
		// remove.bg caps improvement submissions (100 a day) with a 429.
		return one(http.StatusTooManyRequests, CodeRateLimitExceeded, "",
			fmt.Sprintf("Submission limit reached: this server keeps at most %d improvement submissions.", f.Limit))
	}
	return internalError()
}

func internalError() params.Errors {
	return one(http.StatusInternalServerError, CodeInternalError, "", "The image could not be processed.")
}

// probeError maps a source or background the pipeline refuses.
func probeError(f dialect.Failure) params.Errors {
	var te *params.Error
	if !errors.As(f.Err, &te) {
		return internalError()
	}
	var errs params.Errors
	switch te.Code {
	case params.CodeSourceTooLarge:
		errs = one(http.StatusBadRequest, CodeFileTooLarge, f.Field, te.Detail)
	case params.CodeResolutionTooHigh:
		errs = one(http.StatusBadRequest, CodeResolutionTooHigh, f.Field, te.Detail)
	case params.CodeUnknownFormat:
		errs = one(http.StatusBadRequest, CodeInvalidFileType, f.Field, te.Detail)
	case params.CodeCorruptSource:
		errs = one(http.StatusBadRequest, CodeInvalidFileType, f.Field, msgCorrupt)
	default:
		return transformError(f.Err)
	}
	if f.Background && errs[0].Code == CodeInvalidFileType {
		// The background field's own code: bg_image_url for a download,
		// bg_image_file for an upload.
		errs[0].Code, errs[0].Title = CodeInvalidBgImageFile, title(CodeInvalidBgImageFile)
		errs[0].Detail = "The background image is not a supported image (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)."
		if f.Field == "bg_image_url" {
			errs[0].Code, errs[0].Title = CodeInvalidBgImageURL, title(CodeInvalidBgImageURL)
			errs[0].Detail = "bg_image_url: the downloaded file is not a supported image (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)."
		}
	}
	return errs
}

// msgCorrupt answers an image that is truncated or cannot be decoded.
const msgCorrupt = "The image could not be decoded: the file is truncated or corrupt."

// transformError maps a pipeline failure onto remove.bg's codes: none of
// Matte's own codes reaches the client.
func transformError(err error) params.Errors {
	first := params.AsErrors(err)[0]
	switch first.Code {
	case params.CodeCorruptSource, params.CodeUnknownFormat:
		// A source that probed well but fails to decode (a truncated
		// upload, a lying header) is remove.bg's invalid file.
		return one(http.StatusBadRequest, CodeInvalidFileType, "", msgCorrupt)
	case params.CodeSourceTooLarge:
		return one(http.StatusBadRequest, CodeFileTooLarge, "", first.Detail)
	case params.CodeResolutionTooHigh, params.CodeOutputTooLarge:
		return one(http.StatusBadRequest, CodeResolutionTooHigh, "", first.Detail)
	}
	switch {
	case first.Status == http.StatusNotImplemented:
		return one(http.StatusNotImplemented, CodeRemovalUnavailable, "", first.Detail)
	case first.Status == http.StatusServiceUnavailable:
		return one(http.StatusServiceUnavailable, CodeOverloaded, "", first.Detail)
	case first.Field == "roi":
		return one(http.StatusBadRequest, CodeInvalidROI, "roi", first.Detail)
	case first.Field == "crop_margin":
		return one(http.StatusBadRequest, CodeInvalidCropMargin, "crop_margin", first.Detail)
	case first.Field == "bg_image":
		return one(http.StatusBadRequest, CodeInvalidBgImageFile, "bg_image", first.Detail)
	case first.Status >= 400 && first.Status < 500 && first.Field != "":
		return one(http.StatusBadRequest, "invalid_"+first.Field, first.Field, first.Detail)
	case first.Status >= 400 && first.Status < 500:
		return one(http.StatusBadRequest, CodeInvalidBody, "", first.Detail)
	}
	return internalError()
}

type errorItem struct {
	Title  string `json:"title"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// WriteErrors answers {"errors":[{"title","code","detail"}]} with the
// first error's status.
func WriteErrors(w http.ResponseWriter, errs params.Errors, _ time.Duration) {
	body := struct {
		Errors []errorItem `json:"errors"`
	}{Errors: make([]errorItem, len(errs))}
	for i, e := range errs {
		body.Errors[i] = errorItem{Title: e.Title, Code: e.Code, Detail: e.Detail}
	}
	dialect.WriteJSON(w, errs.Status(), body)
}
