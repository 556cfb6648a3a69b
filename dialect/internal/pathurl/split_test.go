package pathurl

import (
	"slices"
	"testing"
)

func TestSplitOutsideParens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"w=100,h=50", []string{"w=100", "h=50"}},
		{"w=100,background=rgb(240,40,145)", []string{"w=100", "background=rgb(240,40,145)"}},
		{"background=rgba(1,2,3,0.5),fit=pad,w=9", []string{"background=rgba(1,2,3,0.5)", "fit=pad", "w=9"}},
		{"a=f(g(1,2),3),b", []string{"a=f(g(1,2),3)", "b"}},
		{"a=x),b=1", []string{"a=x)", "b=1"}},        // a stray ")" is a character
		{"a=rgb(1,2,b=3", []string{"a=rgb(1,2,b=3"}}, // an unclosed "(" runs to the end
		{"", []string{""}},
		{",,", []string{"", "", ""}},
		{"w=1", []string{"w=1"}},
	} {
		if got := SplitOutsideParens(tc.in, ','); !slices.Equal(got, tc.want) {
			t.Errorf("SplitOutsideParens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
