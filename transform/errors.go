package transform

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jebosio/matte/params"
)

func corrupt(cause error) *params.Error {
	return &params.Error{Status: http.StatusUnprocessableEntity, Code: params.CodeCorruptSource, Title: "Corrupt source",
		Detail: "The source image could not be decoded.", Cause: cause}
}

// contextError is the public error for a context that ended: the deadline
// is a timeout (params.Timeout), a cancellation means the client left.
func contextError(err error) *params.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return params.Timeout(err)
	}
	return &params.Error{Status: 499, Code: "client_closed", Title: "Client closed request", Cause: err}
}

// tooLarge is the 400 for a request whose work would pass
// Limits.MaxWorkingPixels.
func (j *job) tooLarge(w, h int) *params.Error {
	return &params.Error{Status: http.StatusBadRequest, Code: params.CodeOutputTooLarge, Title: "Output too large",
		Detail: fmt.Sprintf("The request needs a %dx%d image; at most %d pixels are allowed at once.", w, h, j.pl.opts.Limits.workingPixels())}
}

// unsupportedCodec is the 415 for a source that does not decode for want of
// a codec (vips.MissingCodec): HEVC-coded HEIF (HEIC) with the npm libvips
// (sharp's build decodes only AV1 inside HEIF) where no system libheif can
// stand in (vips.HEVCDecoder).
func unsupportedCodec(cause error) *params.Error {
	return &params.Error{Status: http.StatusUnsupportedMediaType, Code: params.CodeUnknownFormat, Title: "Unsupported source",
		Detail: "The source's compression is not supported by this server (HEVC-coded HEIF needs libheif with libde265: Debian's libheif1).", Cause: cause}
}
