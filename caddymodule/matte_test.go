package caddymodule

import (
	"net/url"
	"reflect"
	"testing"
)

func TestMatteQuery(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want url.Values
	}{
		{"w=10&token=a%zz", url.Values{"w": {"10"}}},
		{"scale=50%&rembg=1", url.Values{"scale": {"50%"}, "rembg": {"1"}}},
		{"bg=%23fff&bg=red", url.Values{"bg": {"#fff", "red"}}},
		{"&&fm=png&", url.Values{"fm": {"png"}}},
		{"other=1", url.Values{}},
	} {
		if got := matteQuery(tc.raw); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("matteQuery(%q) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func TestStripParams(t *testing.T) {
	for raw, want := range map[string]string{
		"w=10&token=abc&fm=png&z=%zz": "token=abc&z=%zz",
		"w=10":                        "",
		"a=1&c=2":                     "a=1&c=2",
		// imgix's aliases and Base64 variants are Matte's too.
		"width=10&blend=red&txt64=SGk&t=1&v=1": "t=1&v=1",
		"":                                     "",
	} {
		if got := stripParams(raw); got != want {
			t.Errorf("stripParams(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestDefaultWorkers pins the documented default: the cores plus one per
// eight of them, at least one more (README: "CPUs + 1 per 8").
func TestDefaultWorkers(t *testing.T) {
	for _, tc := range []struct{ cpus, want int }{
		{0, 2}, {1, 2}, {2, 3}, {4, 5}, {8, 9}, {9, 11}, {16, 18}, {64, 72},
	} {
		if got := DefaultWorkers(tc.cpus); got != tc.want {
			t.Errorf("DefaultWorkers(%d) = %d, want %d", tc.cpus, got, tc.want)
		}
	}
}

// TestDefaultMaxBufferedBytes pins the documented default (README: "2 ×
// workers × max_source_bytes", 300 MiB with the defaults on 2 cores, and
// at least the largest hosted-API body).
func TestDefaultMaxBufferedBytes(t *testing.T) {
	for _, tc := range []struct {
		h    Handler
		want int64
	}{
		{Handler{Workers: 3}, 300 << 20},
		{Handler{Workers: 2, MaxSourceBytes: 10 << 20}, 40 << 20},
		{Handler{Workers: 3, MaxBufferedBytes: 1 << 30}, 1 << 30},
		// remove.bg with 5 MiB sources: a 5 MiB image as base64 (6 990 508
		// bytes), a 5 MiB background part and 1 MiB of fields, above the
		// 10 MiB that 2 × 1 × 5 MiB gives.
		{Handler{Workers: 1, MaxSourceBytes: 5 << 20, APIs: APIConfig{RemoveBG: &APIEndpoint{}}}, 6990508 + 5<<20 + 1<<20},
		// fapihub's one image (8 039 084 bytes with its fields) fits the 10 MiB.
		{Handler{Workers: 1, MaxSourceBytes: 5 << 20, APIs: APIConfig{FAPIHub: &APIEndpoint{}}}, 10 << 20},
	} {
		h := tc.h
		h.fillDefaults()
		if h.MaxBufferedBytes != tc.want {
			t.Errorf("%d workers, max_source_bytes %d: max_buffered_bytes %d, want %d", tc.h.Workers, tc.h.MaxSourceBytes, h.MaxBufferedBytes, tc.want)
		}
	}
}
