package dialect_test

import (
	"math"
	"net/http/httptest"
	"testing"

	"github.com/jebosio/matte/dialect"
)

// TestWriteJSONEncodeFailure: a value that does not encode (an infinite
// number) is a server bug answered 500 with a JSON body, never the
// caller's status with an empty body.
func TestWriteJSONEncodeFailure(t *testing.T) {
	rec := httptest.NewRecorder()
	dialect.WriteJSON(rec, 200, map[string]float64{"credits": math.Inf(1)})
	if rec.Code != 500 || rec.Body.String() != `{"error":"internal error: the answer could not be encoded","status":500}` ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	dialect.WriteJSON(rec, 200, map[string]float64{"credits": 5})
	if rec.Code != 200 || rec.Body.String() != `{"credits":5}` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
