package params

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is a failure a client may see: it carries the HTTP status, a
// machine-readable code, a public title and detail, and the offending field
// (empty when no single field is at fault). Internal causes stay in Cause and
// go to the log only.
type Error struct {
	Status int
	Code   string
	Title  string
	Detail string
	Field  string
	Cause  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Field != "" {
		b.WriteString(" (" + e.Field + ")")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Errors is a list of client errors reported together, such as every bad
// query parameter of one request. Its status is the first error's.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Status is the HTTP status of the list (400 when empty).
func (es Errors) Status() int {
	if len(es) == 0 {
		return http.StatusBadRequest
	}
	return es[0].Status
}

// Has reports whether a field has an error.
func (es Errors) Has(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

// AsErrors flattens err into the list of public errors it carries. An error
// that is neither *Error nor Errors becomes one internal 500 error whose
// detail says nothing about the cause.
func AsErrors(err error) Errors {
	var list Errors
	if errors.As(err, &list) {
		return list
	}
	var one *Error
	if errors.As(err, &one) {
		return Errors{one}
	}
	return Errors{{Status: http.StatusInternalServerError, Code: "internal_error", Title: "Internal error", Detail: "The image could not be processed.", Cause: err}}
}

// Error codes shared by every dialect's mapping.
const (
	CodeInvalidParameter  = "invalid_parameter"
	CodeUnknownFormat     = "unsupported_source"
	CodeCorruptSource     = "corrupt_source"
	CodeSourceTooLarge    = "source_too_large"
	CodeResolutionTooHigh = "resolution_too_high"
	CodeOutputTooLarge    = "output_too_large"
	CodeTimeout           = "timeout"
	CodeUpstream          = "upstream_error"
	CodeSourceNotFound    = "source_not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
)

// SourceSize is the Cause of a CodeResolutionTooHigh error: the source's
// size, as its header gives it, for a caller that answers with a limit of
// its own before Matte's (dialect.SizeChecker).
type SourceSize struct{ Width, Height int }

func (s *SourceSize) Error() string { return fmt.Sprintf("the source is %dx%d", s.Width, s.Height) }

// BadParam builds the 400 for one bad parameter.
func BadParam(field, detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidParameter, Title: "Invalid parameter", Detail: detail, Field: field}
}

// Timeout builds the 503 for work that passed its deadline; cause (the
// context's error) goes to the log only. Every layer that turns a deadline
// into a response uses it, so the answer is the same wherever it fired.
func Timeout(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeTimeout, Title: "Timeout", Detail: "The image took too long to process.", Cause: cause}
}
