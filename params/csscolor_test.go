package params

import "testing"

func TestParseCSSColor(t *testing.T) {
	rgb := func(r, g, b, a uint8) Color { return Color{R: r, G: g, B: b, A: a, Set: true} }
	for _, tc := range []struct {
		in   string
		want Color
	}{
		// developers.cloudflare.com's background: "any CSS color, such as
		// #RRGGBB and rgba(…)"; trim.border.color: "CSS4 modern syntax,
		// such as rgb(255 255 0)".
		{"rgb(240,40,145)", rgb(240, 40, 145, 255)},
		{"rgb(255 255 0)", rgb(255, 255, 0, 255)},
		{"rgba(240, 40, 145, 0.5)", rgb(240, 40, 145, 128)},
		{"rgb(240 40 145 / 50%)", rgb(240, 40, 145, 128)},
		{"rgba(0,0,0,0)", Color{Set: true}},
		{"RGB(100%, 0%, 50%)", rgb(255, 0, 128, 255)},
		{"rgb(300, -5, 12.4)", rgb(255, 0, 12, 255)}, // clamped, as CSS does
		{"rgba(1,2,3,2)", rgb(1, 2, 3, 255)},
		{"rgb(1 2 3/0.2)", rgb(1, 2, 3, 51)},
		// What ParseColor reads is read as it reads it.
		{"#f00", rgb(255, 0, 0, 255)},
		{"ff000080", rgb(255, 0, 0, 128)},
		{"white", rgb(255, 255, 255, 255)},
		{"transparent", Color{Set: true}},
	} {
		if got, err := ParseCSSColor(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseCSSColor(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"rgb(1,2)", "rgb(1,2,3,4,5)", "rgb(1 2 3 4)", "rgb(1 2 3 /)", "rgb(1 2 / 3)", "rgb(1,2,3 / 1)",
		"rgb(1,2,3", "rgb 1,2,3)", "rgb()", "rgb(a,b,c)", "rgb(1,,3)", "rgb(1e2,0,0)", "hsl(0,100%,50%)", "#ggg", ""} {
		if c, err := ParseCSSColor(in); err == nil {
			t.Errorf("ParseCSSColor(%q) = %+v, want an error", in, c)
		}
	}
}
