package imgix

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jebosio/matte/params"
)

// aliases are imgix's other names for the parameters Matte implements, as
// imgix publishes them (the "aliases" of the imgix-url-params package, which
// imgix's own URL builders read): each alias means its target in every way.
// imgix's aliases for parameters Matte does not implement are not here, so
// they still go to the origin like any name that is not Matte's; neither
// are its one-letter aliases (singleLetterAliases).
//
// singleLetterAliases are imgix's one-letter aliases that Matte leaves to
// the origin: f (fit), b (blend), m (mark), t (txt). Sites put names that
// short on image URLs for their own use (?t=1699999999 busts a cache,
// ?f=webp picks a format elsewhere); read as imgix's, they would draw the
// timestamp on the image or answer a 400. imgix's full names do the same.
var singleLetterAliases = []string{"b", "f", "m", "t"}

var aliases = map[string]string{
	"width":                                "w",
	"height":                               "h",
	"inv":                                  "invert",
	"or":                                   "orient",
	"rottype":                              "rot-type",
	"rott":                                 "rot-type",
	"fillcolor":                            "fill-color",
	"jpeg-progressive":                     "jpg-progressive",
	"max-width":                            "max-w",
	"max-height":                           "max-h",
	"min-width":                            "min-w",
	"min-height":                           "min-h",
	"mono":                                 "monochrome",
	"maskbg":                               "mask-bg",
	"ma":                                   "mark-align",
	"markalign":                            "mark-align",
	"malph":                                "mark-alpha",
	"markalpha":                            "mark-alpha",
	"mf":                                   "mark-fit",
	"markfit":                              "mark-fit",
	"mh":                                   "mark-h",
	"markh":                                "mark-h",
	"mw":                                   "mark-w",
	"markw":                                "mark-w",
	"mp":                                   "mark-pad",
	"mb":                                   "mark-base",
	"markbase":                             "mark-base",
	"mtile":                                "mark-tile",
	"marktile":                             "mark-tile",
	"markpad":                              "mark-pad",
	"ms":                                   "mark-scale",
	"markscale":                            "mark-scale",
	"mx":                                   "mark-x",
	"markx":                                "mark-x",
	"my":                                   "mark-y",
	"marky":                                "mark-y",
	"bm":                                   "blend-mode",
	"blendmode":                            "blend-mode",
	"balph":                                "blend-alpha",
	"blendalpha":                           "blend-alpha",
	"blendcolor":                           "blend-color",
	"blend-clr":                            "blend-color",
	"blendclr":                             "blend-color",
	"ta":                                   "txt-align",
	"txtalign":                             "txt-align",
	"tc":                                   "txt-color",
	"txtcolor":                             "txt-color",
	"txtline":                              "txt-line",
	"txtshad":                              "txt-shad",
	"txtclip":                              "txt-clip",
	"tcl":                                  "txt-clip",
	"txtfit":                               "txt-fit",
	"tsh":                                  "txt-shad",
	"tl":                                   "txt-line",
	"txtlinecolor":                         "txt-line-color",
	"txt-line-clr":                         "txt-line-color",
	"txtlineclr":                           "txt-line-color",
	"txt-clr":                              "txt-color",
	"txtclr":                               "txt-color",
	"tf":                                   "txt-font",
	"txtfont":                              "txt-font",
	"tp":                                   "txt-pad",
	"txtpad":                               "txt-pad",
	"tsz":                                  "txt-size",
	"txtsize":                              "txt-size",
	"txtwidth":                             "txt-width",
	"txtx":                                 "txt-x",
	"txty":                                 "txt-y",
	"trimcolor":                            "trim-color",
	"trimpad":                              "trim-pad",
	"trimtol":                              "trim-tol",
	"trimmd":                               "trim-md",
	"trimsd":                               "trim-sd",
	"background-remove":                    "bg-remove",
	"background-removal-semi-transparency": "bg-remove-semi-transparency",
}

// base64Suffix marks imgix's Base64 variant of a parameter: NAME64 carries
// NAME's value encoded in URL-safe Base64 (RFC 4648 §5) without padding, for
// values that are awkward in a URL (txt64, bg-image64, ...). Every parameter
// has one except auto and ch (noBase64), as imgix documents.
const base64Suffix = "64"

var noBase64 = map[string]bool{"auto": true, "ch": true}

// resolveName returns the parameter that the query name written stands for
// (itself, an alias's target, or for a Base64 variant the parameter it
// encodes, with encoded true); ok is false for a name that is not Matte's.
func resolveName(written string) (name string, encoded, ok bool) {
	name = written
	if _, known := paramSpecs[name]; !known && aliases[name] == "" {
		base, cut := strings.CutSuffix(name, base64Suffix)
		if !cut {
			return "", false, false
		}
		name, encoded = base, true
	}
	if target := aliases[name]; target != "" {
		name = target
	}
	if _, known := paramSpecs[name]; !known || (encoded && noBase64[name]) {
		return "", false, false
	}
	return name, encoded, true
}

// canonicalQuery rewrites q under the parameters' own names: aliases become
// their targets and Base64 variants are decoded. written maps each
// parameter found to the name the query used for it, so that errors name
// the field as the client wrote it. Errors go to errs, keyed by parameter:
// a value that is not valid Base64, and a parameter written under two names
// (w and width, bg and bg64), which is the same parameter given twice.
func canonicalQuery(q url.Values, errs map[string]string) (canon url.Values, written map[string]string) {
	canon = make(url.Values, len(q))
	written = make(map[string]string, len(q))
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	slices.Sort(names) // deterministic errors for a name given two ways
	for _, w := range names {
		name, encoded, ok := resolveName(w)
		if !ok {
			continue
		}
		if other, dup := written[name]; dup {
			errs[name] = fmt.Sprintf("%s and %s are the same parameter; give only one of them.", other, w)
			continue
		}
		written[name] = w
		vals := q[w]
		if encoded {
			vals = make([]string, len(q[w]))
			for i, v := range q[w] {
				b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
				if err != nil {
					errs[name] = fmt.Sprintf("%s=%s is not valid URL-safe Base64 (RFC 4648 §5: A-Z, a-z, 0-9, - and _, without = padding).", w, params.QuoteShort(v))
					vals = nil
					break
				}
				vals[i] = string(b)
			}
		}
		if vals != nil {
			canon[name] = vals
		}
	}
	return canon, written
}
