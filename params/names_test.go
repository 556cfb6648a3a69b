package params

import "testing"

func TestParseFlip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Flip
		ok   bool
	}{
		{"h", FlipH, true}, {"v", FlipV, true}, {"hv", FlipHV, true}, {"vh", FlipHV, true},
		{"", FlipNone, false}, {"H", FlipNone, false}, {"hh", FlipNone, false}, {"none", FlipNone, false},
	} {
		if got, ok := ParseFlip(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseFlip(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseOutputFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"jpg", FormatJPEG, true}, {"jpeg", FormatJPEG, true}, {"png", FormatPNG, true}, {"webp", FormatWebP, true},
		{"avif", FormatAVIF, true}, {"gif", FormatGIF, true},
		{"source", FormatSource, false}, {"zip", FormatSource, false}, {"JPG", FormatSource, false}, {"", FormatSource, false}, {"tiff", FormatSource, false},
	} {
		if got, ok := ParseOutputFormat(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseOutputFormat(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseFraction(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.5", 0.5, true}, {".25", 0.25, true}, {"0.999", 0.999, true},
		{"0.0", 0, false}, {"1.0", 0, false}, {"1", 0, false}, {"0", 0, false}, {"", 0, false},
		{"-0.5", 0, false}, {"+0.5", 0, false}, {"0.5.1", 0, false}, {".", 0, false}, {"1e-1", 0, false},
	} {
		got, err := ParseFraction(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseSideAndRatio(t *testing.T) {
	for _, tt := range []struct {
		in       string
		px       int
		fraction float64
		ok       bool
	}{
		{"400", 400, 0, true}, {"1", 1, 0, true}, {"100000", 100000, 0, true}, {"0.5", 0, 0.5, true},
		{"0", 0, 0, false}, {"100001", 0, 0, false}, {"1.5", 0, 0, false}, {"-1", 0, 0, false}, {"", 0, 0, false}, {"auto", 0, 0, false},
	} {
		px, f, err := ParseSide(tt.in, 100000)
		if px != tt.px || f != tt.fraction || (err == nil) != tt.ok {
			t.Errorf("ParseSide(%q) = %v, %v, %v; want %v, %v, ok %v", tt.in, px, f, err, tt.px, tt.fraction, tt.ok)
		}
	}
	for _, tt := range []struct {
		in, sep string
		want    float64
		ok      bool
	}{
		{"16:9", ":", 16.0 / 9, true}, {"1.91:1", ":", 1.91, true}, {"4-3", "-", 4.0 / 3, true}, {"100000:1", ":", 100000, true},
		{"16-9", ":", 0, false}, {"0:1", ":", 0, false}, {"1:0", ":", 0, false}, {"-1:1", ":", 0, false}, {"100001:1", ":", 0, false},
		{"16:", ":", 0, false}, {"16", ":", 0, false}, {"a:b", ":", 0, false},
	} {
		got, err := ParseRatio(tt.in, tt.sep, 100000)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRatio(%q, %q) = %v, %v; want %v, ok %v", tt.in, tt.sep, got, err, tt.want, tt.ok)
		}
	}
}

func TestGenericFontFamily(t *testing.T) {
	for in, want := range map[string]string{"sans-serif": "sans", "Sans-Serif": "sans", "serif": "serif", "MONOSPACE": "monospace", "cursive": "cursive", "fantasy": "fantasy", "sans": "", "Arial": "", "": ""} {
		got, ok := GenericFontFamily(in)
		if got != want || ok != (want != "") {
			t.Errorf("GenericFontFamily(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
