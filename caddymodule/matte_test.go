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
		"a=1&b=2":                     "a=1&b=2",
		"":                            "",
	} {
		if got := stripParams(raw); got != want {
			t.Errorf("stripParams(%q) = %q, want %q", raw, got, want)
		}
	}
}
