package caddymodule

import "testing"

func TestAttachment(t *testing.T) {
	tests := []struct{ name, source, ext, want string }{
		{"medium.jpg", "/img/shoe.jpg", ".webp", `attachment; filename=medium.jpg`},
		{"my shoe.png", "/img/shoe.jpg", ".png", `attachment; filename="my shoe.png"`},
		{"", "/img/shoe.jpg", ".webp", `attachment; filename=shoe.webp`},
		{"", "/img/shoe", ".avif", `attachment; filename=shoe.avif`},
		{"", "/", ".png", `attachment; filename=image.png`},
		{"", "/img/shoe.jpg", "", `attachment; filename=shoe.jpg`},
		{"été.png", "/x.jpg", ".png", `attachment; filename*=utf-8''%C3%A9t%C3%A9.png`},
		{`a"b.jpg`, "/x.jpg", ".jpg", `attachment; filename="a\"b.jpg"`},
	}
	for _, tt := range tests {
		if got := attachment(tt.name, tt.source, tt.ext); got != tt.want {
			t.Errorf("attachment(%q, %q, %q) = %s, want %s", tt.name, tt.source, tt.ext, got, tt.want)
		}
	}
}
