package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// Client-caused answers were logged at ERROR, one line per request: a 501
// for rembg=1 on a server without rembg, a 502 for an origin answering 403
// (S3's answer for a missing key) or a remote that is not an image, and
// the hosted APIs' 503 overload. They are Debug (the client's doing) or
// Warn (overload); faults outside Matte stay Warn and Matte's own Error,
// in the URL path (writeError) and the hosted APIs (apiState.failed) alike.
func TestFailureLogLevels(t *testing.T) {
	upstream := func(kind fetch.Kind, status int) error {
		fe := &fetch.FetchError{Kind: kind, Status: status}
		s := fe.ClientKind().HTTPStatus()
		return &params.Error{Status: s, Code: params.CodeUpstream, Title: http.StatusText(s), Detail: fe.Detail(), Cause: fe}
	}
	for _, tc := range []struct {
		name string
		err  error
		want zapcore.Level
	}{
		{"400 bad parameter", &params.Error{Status: 400, Code: "invalid_parameter", Field: "w"}, zapcore.DebugLevel},
		{"501 removal unavailable", transform.RemovalUnavailable("This server has no background removal model.", nil), zapcore.DebugLevel},
		{"502 origin 403", upstream(fetch.KindUpstream, 403), zapcore.DebugLevel},
		{"502 origin not an image", &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
			Detail: "The origin did not answer with an image."}, zapcore.DebugLevel},
		{"502 remote not an image", &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
			Detail: "The remote source did not answer with an image."}, zapcore.DebugLevel},
		{"503 overloaded", overloaded(0), zapcore.WarnLevel},
		{"502 origin 500", upstream(fetch.KindUpstream, 500), zapcore.WarnLevel},
		{"502 origin down", upstream(fetch.KindNetwork, 0), zapcore.WarnLevel},
		{"504 origin timeout", upstream(fetch.KindTimeout, 0), zapcore.WarnLevel},
		{"500 model failure", &params.Error{Status: 500, Code: "internal_error", Cause: errors.New("onnx: run failed")}, zapcore.ErrorLevel},
	} {
		core, logs := observer.New(zapcore.DebugLevel)
		h := &Handler{logger: zap.New(core)}
		_ = h.writeError(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/a.jpg", nil), tc.err)
		st := &apiState{h: h, logger: zap.New(core)}
		st.failed(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1.0/removebg", nil), tc.err)
		if logs.Len() != 2 {
			t.Errorf("%s: %d lines logged, want 2", tc.name, logs.Len())
			continue
		}
		for i, e := range logs.All() {
			if e.Level != tc.want {
				t.Errorf("%s: %s (%s): logged at %s, want %s", tc.name, []string{"writeError", "apiState.failed"}[i], e.Message, e.Level, tc.want)
			}
		}
	}
}
