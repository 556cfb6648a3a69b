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
		{"502 origin not an image", notAnImage("origin", "text/html"), zapcore.DebugLevel},
		{"502 remote not an image", notAnImage("remote source", ""), zapcore.DebugLevel},
		// The level follows the cause, not the wording.
		{"502 not an image, in a list", params.Errors{notAnImage("origin", "text/html").(*params.Error)}, zapcore.DebugLevel},
		{"502 reading the same without the cause", &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
			Detail: "The origin did not answer with an image."}, zapcore.ErrorLevel},
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

// A flood of one failure wrote a Warn or Error line per request. Those
// lines are sampled per handler like the cache's warnings (at most
// cacheWarnBurst per cacheWarnInterval), separately for each status and
// error code, so another failure still logs during the flood; Debug lines
// (the client's doing) are not sampled.
func TestFailureLogsSampled(t *testing.T) {
	const n = 20
	down := func() error {
		fe := &fetch.FetchError{Kind: fetch.KindNetwork}
		return &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway", Detail: fe.Detail(), Cause: fe}
	}
	internal := &params.Error{Status: 500, Code: "internal_error", Cause: errors.New("onnx: run failed")}
	for _, path := range []string{"writeError", "apiState.failed"} {
		core, logs := observer.New(zapcore.DebugLevel)
		h := &Handler{logger: zap.New(core), failures: new(failureLogs)}
		st := &apiState{h: h, logger: zap.New(core).Named("api")}
		fail := func(err error) {
			if path == "writeError" {
				_ = h.writeError(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/a.jpg", nil), err)
			} else {
				st.failed(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1.0/removebg", nil), err)
			}
		}
		count := func(lvl zapcore.Level) int {
			return logs.Filter(func(e observer.LoggedEntry) bool { return e.Level == lvl }).Len()
		}
		for range n {
			fail(down())
			fail(overloaded(0))
		}
		// Pinned: cacheWarnBurst is 5 per 10 s, as the note says.
		if got := count(zapcore.WarnLevel); got != 2*5 {
			t.Errorf("%s: %d identical 502s and %d 503s wrote %d Warn lines, want 5 of each", path, n, n, got)
		}
		// The same message and level as the 502s ("transform failed",
		// Warn), another status: not hidden by them.
		timeout := &fetch.FetchError{Kind: fetch.KindTimeout}
		fail(&params.Error{Status: http.StatusGatewayTimeout, Code: params.CodeUpstream, Title: "Gateway timeout", Detail: timeout.Detail(), Cause: timeout})
		if got := count(zapcore.WarnLevel); got != 2*5+1 {
			t.Errorf("%s: a 504 during a flood of 502s wrote %d Warn lines, want 1", path, got-2*5)
		}
		fail(internal)
		if got := count(zapcore.ErrorLevel); got != 1 {
			t.Errorf("%s: a 500 during a flood of 502s and 503s wrote %d Error lines, want 1", path, got)
		}
		for range n {
			fail(&params.Error{Status: 400, Code: "invalid_parameter", Field: "w"})
		}
		if got := count(zapcore.DebugLevel); got != n {
			t.Errorf("%s: %d client errors wrote %d Debug lines, want all %d", path, n, got, n)
		}
	}
}

// notAnImage's answer is what origin.go and urldialect.go answered before
// it had a typed cause: the cause (the type the source answered) goes to
// the log only.
func TestNotAnImageAnswer(t *testing.T) {
	for _, tc := range []struct{ noun, want string }{
		{"origin", `{"errors":[{"code":"upstream_error","title":"Bad gateway","detail":"The origin did not answer with an image."}]}`},
		{"remote source", `{"errors":[{"code":"upstream_error","title":"Bad gateway","detail":"The remote source did not answer with an image."}]}`},
	} {
		rec := httptest.NewRecorder()
		_ = (&Handler{logger: zap.NewNop()}).writeError(rec, httptest.NewRequest(http.MethodGet, "/a.jpg", nil), notAnImage(tc.noun, "text/html; charset=utf-8"))
		if rec.Code != http.StatusBadGateway || rec.Body.String() != tc.want {
			t.Errorf("%s: %d %s, want 502 %s", tc.noun, rec.Code, rec.Body, tc.want)
		}
	}
}
