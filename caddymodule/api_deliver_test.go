package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/rembgcom"
	"github.com/jebosio/matte/params"
)

// deliverStub is a dialect.Request that records what Respond got.
type deliverStub struct {
	responded *dialect.Result
	// afterWrite, if set, runs when Respond has written the answer.
	afterWrite func()
}

func (s *deliverStub) Images() (dialect.Image, *dialect.Image) { return dialect.Image{}, nil }
func (s *deliverStub) Plan(int, int, []byte) (dialect.Plan, params.Errors) {
	return dialect.Plan{}, nil
}
func (s *deliverStub) Respond(w http.ResponseWriter, _ *http.Request, res dialect.Result) error {
	s.responded = &res
	err := dialect.WriteImage(w, res)
	if s.afterWrite != nil {
		s.afterWrite()
	}
	return err
}

// TestDeliverChargesDelivered: a rendered answer is written as rendered
// and charged its credit when it was delivered, and refunded when not.
func TestDeliverChargesDelivered(t *testing.T) {
	store, err := openUsage(filepath.Join(t.TempDir(), "usage.json"))
	if err != nil {
		t.Fatal(err)
	}
	quota := 10.0
	keys := &apiKeys{keys: []APIKey{{Key: "k", Credits: &quota}}, store: store}
	caller := apiCaller{keys: keys, key: &keys.keys[0], id: keyID("k")}
	st := &apiState{h: &Handler{logger: zap.NewNop()}, logger: zap.NewNop()}
	var deliverTo func(w http.ResponseWriter, r *http.Request, stub *deliverStub) *httptest.ResponseRecorder
	deliver := func(stub *deliverStub) *httptest.ResponseRecorder {
		return deliverTo(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/rmbg", nil), stub)
	}
	deliverTo = func(w http.ResponseWriter, r *http.Request, stub *deliverStub) *httptest.ResponseRecorder {
		rec, _ := w.(*httptest.ResponseRecorder)
		c := &apiCall{st: st, api: rembgcom.API, w: w, r: r, caller: caller}
		adm, _, refused, _ := caller.admit(100, 100, 1, 0)
		if refused != nil {
			t.Fatalf("admit refused: %+v", refused)
		}
		c.deliver(stub, dialect.Result{Image: []byte("BM bytes"), ContentType: "image/bmp"}, adm, &imageRequest{Dialect: "rembg_com"})
		return rec
	}

	ok := &deliverStub{}
	rec := deliver(ok)
	if rec.Code != 200 || rec.Body.String() != "BM bytes" || rec.Header().Get("Content-Type") != "image/bmp" {
		t.Fatalf("answer: %d %s %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	if ok.responded == nil || ok.responded.Credits != 1 {
		t.Fatalf("Respond got %+v, want the image charged 1", ok.responded)
	}
	if left := store.remaining(caller.id, &quota); left != 9 {
		t.Fatalf("%v credits left, want 9", left)
	}

	// An answer not delivered is not charged: the client left before it
	// was written, or the write failed.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	deliverTo(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/rmbg", nil).WithContext(gone), &deliverStub{})
	deliverTo(failingWriter{httptest.NewRecorder()}, httptest.NewRequest(http.MethodPost, "/rmbg", nil), &deliverStub{})
	if left := store.remaining(caller.id, &quota); left != 9 {
		t.Fatalf("answers never delivered were charged: %v credits left, want 9", left)
	}

	// A client that read the whole answer and closed at once: net/http
	// cancels the request's context when its reader sees the EOF, which
	// can come before Respond returns. The answer was delivered and is
	// charged.
	read, leave := context.WithCancel(context.Background())
	deliverTo(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/rmbg", nil).WithContext(read), &deliverStub{afterWrite: leave})
	if left := store.remaining(caller.id, &quota); left != 8 {
		t.Fatalf("an answer written in full before the client left: %v credits left, want 8", left)
	}
}

// failingWriter is a ResponseWriter whose client has gone: every body
// write fails.
type failingWriter struct{ *httptest.ResponseRecorder }

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("write: broken pipe") }
