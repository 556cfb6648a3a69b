package pathurl

// SplitOutsideParens splits s at each sep that is not inside parentheses,
// so that a value such as the CSS colour rgb(240,40,145) stays whole in
// comma-separated options (Cloudflare's w=100,background=rgb(240,40,145)).
// A ")" without its "(" is an ordinary character; an unclosed "(" runs to
// the end of s. Like strings.Split, it returns one element for "" and
// empty elements between adjacent separators.
func SplitOutsideParens(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
