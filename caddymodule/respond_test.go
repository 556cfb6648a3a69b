package caddymodule

import "testing"

func TestAttachment(t *testing.T) {
	tests := []struct{ name, source, contentType, want string }{
		{"medium.jpg", "/img/shoe.jpg", "image/webp", `attachment; filename=medium.jpg`},
		{"my shoe.png", "/img/shoe.jpg", "image/png", `attachment; filename="my shoe.png"`},
		{"", "/img/shoe.jpg", "image/webp", `attachment; filename=shoe.webp`},
		{"", "/img/shoe", "image/avif", `attachment; filename=shoe.avif`},
		{"", "/", "image/png", `attachment; filename=image.png`},
		{"", "/img/shoe.jpg", "", `attachment; filename=shoe.jpg`},
		{"été.png", "/x.jpg", "image/png", `attachment; filename*=utf-8''%C3%A9t%C3%A9.png`},
		{`a"b.jpg`, "/x.jpg", "image/jpeg", `attachment; filename="a\"b.jpg"`},
	}
	for _, tt := range tests {
		if got := attachment(tt.name, tt.source, tt.contentType); got != tt.want {
			t.Errorf("attachment(%q, %q, %q) = %s, want %s", tt.name, tt.source, tt.contentType, got, tt.want)
		}
	}
}
