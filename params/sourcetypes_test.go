package params

import "testing"

func TestLookupSourceType(t *testing.T) {
	for name, want := range map[string]SourceType{
		"jpeg": {"jpeg", FormatJPEG, "jpg", "image/jpeg"},
		"gif":  {"gif", FormatGIF, "gif", "image/gif"},
		"tiff": {"tiff", FormatSource, "tif", "image/tiff"},
		"heif": {"heif", FormatSource, "heic", "image/heic"},
	} {
		if got, ok := LookupSourceType(name); !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "svg", "pdf", "unknown"} {
		if _, ok := LookupSourceType(name); ok {
			t.Errorf("%q is a source type", name)
		}
	}
	if n := len(SourceTypes()); n != 7 {
		t.Errorf("%d source types, want 7", n)
	}
}
