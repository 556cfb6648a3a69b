package caddymodule

import (
	"testing"

	"github.com/jebosio/matte/playground"
)

// The cloud line the playground writes Cloudinary URLs for: the one whose
// prefix holds the uploads (under the playground's path), the longest such,
// else the first by name.
func TestPlaygroundCloud(t *testing.T) {
	for _, c := range []struct {
		clouds map[string]string
		want   playground.CloudinaryCloud
	}{
		{map[string]string{"shop": ""}, playground.CloudinaryCloud{Name: "shop", Prefix: ""}},
		{map[string]string{"b": "/img", "a": "/media"}, playground.CloudinaryCloud{Name: "a", Prefix: "/media"}},
		{map[string]string{"b": "/img", "z": ""}, playground.CloudinaryCloud{Name: "z", Prefix: ""}},
		{map[string]string{"b": "", "c": "/tools/"}, playground.CloudinaryCloud{Name: "c", Prefix: "/tools"}},
		{map[string]string{"b": "/tools/play", "c": "/tools"}, playground.CloudinaryCloud{Name: "b", Prefix: "/tools/play"}},
		{map[string]string{"b": "/tool"}, playground.CloudinaryCloud{Name: "b", Prefix: "/tool"}},
	} {
		if got := playgroundCloud(c.clouds, "/tools/play/"); got == nil || *got != c.want {
			t.Errorf("%v: got %+v, want %+v", c.clouds, got, c.want)
		}
	}
}
