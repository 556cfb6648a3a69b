package bench

import "testing"

func TestScenarioContentType(t *testing.T) {
	for id, want := range map[string]string{"a": "image/jpeg", "c": "image/webp", "d": "image/avif", "e": "image/png", "h": "image/png", "pass": "image/jpeg"} {
		s, ok := Lookup(id)
		if !ok {
			t.Fatalf("no scenario %q", id)
		}
		if got := s.ContentType(); got != want {
			t.Errorf("%s: ContentType() = %q, want %q", id, got, want)
		}
	}
}
