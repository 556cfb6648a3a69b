package caddymodule

import (
	"reflect"
	"testing"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

func TestMetaRoundTrip(t *testing.T) {
	hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for name, m := range map[string]entryMeta{
		"result":         {Result: &resultMeta{Width: 300, Height: 200}},
		"removal result": {Result: &resultMeta{Width: 300, Height: 200, Model: "isnet@abc", Foreground: transform.Box{Left: 1, Top: 2, Width: 30, Height: 40}, HasForeground: true}},
		"nothing found":  {Result: &resultMeta{Width: 10, Height: 10, Model: "isnet@abc", HasForeground: true}},
		"memo": {Source: &sourceMemo{Hash: hash, ETag: `"e"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT", FreshUntil: time.Unix(1_700_000_000, 5),
			Info: transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 640, Height: 480, HasAlpha: true, Pages: 1}}},
	} {
		got, ok := decodeMeta(encodeMeta(m))
		if !ok || !reflect.DeepEqual(got, m) {
			t.Errorf("%s: decodeMeta(encodeMeta(m)) = %+v, %v", name, got, ok)
		}
	}
}

func TestDecodeMetaMisses(t *testing.T) {
	for name, meta := range map[string]map[string]string{
		"no metadata":            nil,
		"the old string map":     {"w": "300", "h": "200", "model": "isnet", "fg": "1,2,3,4"},
		"another version":        {metaField: `{"v":2,"result":{"w":300,"h":200}}`},
		"no version":             {metaField: `{"result":{"w":300,"h":200}}`},
		"not JSON":               {metaField: `w=300`},
		"no part":                {metaField: `{"v":1}`},
		"two parts":              {metaField: `{"v":1,"result":{"w":1,"h":1},"source":{"hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","type":1,"type_name":"jpeg","w":1,"h":1,"pages":1,"fresh_until":0}}`},
		"memo with a short hash": {metaField: `{"v":1,"source":{"hash":"abc","type":1,"type_name":"jpeg","w":1,"h":1,"pages":1,"fresh_until":0}}`},
	} {
		if m, ok := decodeMeta(meta); ok {
			t.Errorf("%s: decoded as %+v, want a miss", name, m)
		}
	}
	// The documented format, written by hand.
	m, ok := decodeMeta(map[string]string{metaField: `{"v":1,"result":{"w":300,"h":200,"model":"isnet@x","fg":[1,2,30,40]}}`})
	if want := (resultMeta{Width: 300, Height: 200, Model: "isnet@x", Foreground: transform.Box{Left: 1, Top: 2, Width: 30, Height: 40}, HasForeground: true}); !ok || m.Result == nil || *m.Result != want {
		t.Fatalf("hand-written v1 result: %+v, %v", m, ok)
	}
}

// TestOtherVersionIsAMiss: entries written by another metadata version
// (as the string maps before it) are not served.
func TestOtherVersionIsAMiss(t *testing.T) {
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := &Handler{cache: c}
	old := map[string]string{"w": "300", "h": "200"}
	c.Set(nsResult, "k", cache.Entry{Value: []byte("img"), ContentType: "image/png", Meta: old})
	if _, ok := h.cachedResult("k"); ok {
		t.Error("a result with the old metadata was served")
	}
	req := &imageRequest{srcID: "example.com/a.jpg"}
	c.Set(nsSource, memoKey(req.srcID), cache.Entry{Value: []byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), Meta: map[string]string{"etag": `"x"`, "fresh-until": "0"}})
	if _, ok := h.lookupMemo(req); ok {
		t.Error("a memo with the old metadata was used")
	}
	memo := sourceMemo{Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ETag: `"x"`}
	h.storeMemo(req, memo)
	if got, ok := h.lookupMemo(req); !ok || got.ETag != `"x"` {
		t.Errorf("stored memo read back as %+v, %v", got, ok)
	}
}
