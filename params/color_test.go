package params

import (
	"strings"
	"testing"
)

func TestParseColor(t *testing.T) {
	rgba := func(r, g, b, a uint8) Color { return Color{R: r, G: g, B: b, A: a, Set: true} }
	tests := []struct {
		in   string
		want Color
	}{
		{"fff", rgba(255, 255, 255, 255)},
		{"#fff", rgba(255, 255, 255, 255)},
		{"#FFF", rgba(255, 255, 255, 255)},
		{"abc", rgba(0xaa, 0xbb, 0xcc, 255)},
		{"#a1B", rgba(0xaa, 0x11, 0xbb, 255)},
		{"f008", rgba(255, 0, 0, 0x88)},
		{"#0F0f", rgba(0, 255, 0, 255)},
		{"123456", rgba(0x12, 0x34, 0x56, 255)},
		{"#AbCdEf", rgba(0xab, 0xcd, 0xef, 255)},
		{"12345678", rgba(0x12, 0x34, 0x56, 0x78)}, // RGBA, not imgix's ARGB
		{"#ff000080", rgba(255, 0, 0, 0x80)},
		{"000000ff", rgba(0, 0, 0, 255)},
		{"white", rgba(255, 255, 255, 255)},
		{"White", rgba(255, 255, 255, 255)},
		{"REBECCAPURPLE", rgba(0x66, 0x33, 0x99, 255)},
		{"lightgoldenrodyellow", rgba(0xfa, 0xfa, 0xd2, 255)},
		{"grey", rgba(128, 128, 128, 255)},
		{"gray", rgba(128, 128, 128, 255)},
		{"transparent", Color{Set: true}},
		{"Transparent", Color{Set: true}},
		// Every fully transparent colour is transparent black.
		{"ff000000", Color{Set: true}},
		{"#abc0", Color{Set: true}},
	}
	for _, tt := range tests {
		got, err := ParseColor(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseColor(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseColorInvalid(t *testing.T) {
	for _, in := range []string{
		"", "#", "##fff", "f", "ff", "fffff", "fffffff", "fffffffff", "#ggg", "xyz",
		"#white", "white ", " fff", "blanco", "rgb(0,0,0)", "0xfff", "fff\x00",
		"blac\u212a", // Kelvin sign folds to k under Unicode rules, not ASCII ones
		"+ff", "-fff",
	} {
		c, err := ParseColor(in)
		if err == nil {
			t.Errorf("ParseColor(%q) = %+v, want error", in, c)
			continue
		}
		if c != (Color{}) {
			t.Errorf("ParseColor(%q): %+v alongside an error", in, c)
		}
		if !strings.Contains(err.Error(), "RRGGBBAA") {
			t.Errorf("ParseColor(%q): error %q does not say what is allowed", in, err)
		}
	}
}

func TestNamedColors(t *testing.T) {
	if n := len(namedColors); n != 148+1 {
		t.Errorf("%d named colours, want 148 + transparent", n)
	}
	for name, v := range namedColors {
		if name != strings.ToLower(name) {
			t.Errorf("%q is not lower-case", name)
		}
		if _, ok := parseHexColor(name); ok {
			t.Errorf("%q is also a hex colour", name)
		}
		if name != "transparent" && v&0xff != 0xff {
			t.Errorf("%q is not opaque", name)
		}
	}
}

func TestColorHex(t *testing.T) {
	tests := []struct {
		c    Color
		want string
	}{
		{Color{}, ""},
		{Color{R: 1, A: 2}, ""},
		{Color{Set: true}, "00000000"},
		{Color{R: 255, G: 255, B: 255, A: 255, Set: true}, "ffffffff"},
		{Color{R: 0xab, G: 0x0c, B: 0x01, A: 0x80, Set: true}, "ab0c0180"},
	}
	for _, tt := range tests {
		if got := tt.c.Hex(); got != tt.want {
			t.Errorf("%+v.Hex() = %q, want %q", tt.c, got, tt.want)
		}
	}
	// Hex round-trips through ParseColor.
	for _, in := range []string{"fff", "#12345678", "red", "transparent", "80808080"} {
		c, err := ParseColor(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseColor(c.Hex())
		if err != nil || back != c {
			t.Errorf("%q: Hex %q parses back to %+v, %v", in, c.Hex(), back, err)
		}
	}
}

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"fff", "#ffffff", "#12345678", "white", "transparent", "ggg", "#", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseColor(s)
		if err != nil {
			if c != (Color{}) {
				t.Fatalf("%+v alongside error %v", c, err)
			}
			return
		}
		if !c.Set || c.A == 0 && (c.R|c.G|c.B) != 0 {
			t.Fatalf("not canonical: %+v", c)
		}
		h := c.Hex()
		if len(h) != 8 || h != strings.ToLower(h) {
			t.Fatalf("Hex %q", h)
		}
		back, err := ParseColor(h)
		if err != nil || back != c {
			t.Fatalf("Hex %q parses back to %+v, %v; want %+v", h, back, err, c)
		}
		// Case never matters.
		if u, err := ParseColor(strings.ToUpper(s)); err != nil || u != c {
			if isASCII(s) {
				t.Fatalf("ParseColor(%q) = %+v but upper-case gives %+v, %v", s, c, u, err)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestOpaque(t *testing.T) {
	for _, tc := range []struct{ in, want Color }{
		{Color{R: 255, A: 128, Set: true}, Color{R: 255, A: 255, Set: true}},
		{Color{}, Color{A: 255, Set: true}},
		{Color{R: 1, G: 2, B: 3, A: 255, Set: true}, Color{R: 1, G: 2, B: 3, A: 255, Set: true}},
	} {
		if got := tc.in.Opaque(); got != tc.want {
			t.Errorf("%+v.Opaque() = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
