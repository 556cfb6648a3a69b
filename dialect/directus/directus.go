// Package directus reads Directus asset URLs,
// /assets/<id>[/<filename>]?width=&height=&fit=&quality=&format=&withoutEnlargement=&transforms=&key=,
// which the Directus SDK, Nuxt Image's and unpic's directus providers
// write, so that a site whose images Directus served keeps its URLs with
// only the hostname changed.
//
// The source is /assets/<id> on this site, read through the next handler
// without the parameters below (a reverse_proxy to Directus answers it with
// the original file, as Directus does for an asset URL without a
// transformation; a file_server serves <root>/assets/<id>). The optional
// <filename> segment only names the download in Directus and is dropped; a
// query other than the parameters below (access_token, download, a cache
// buster) goes with the source.
//
// Parameters, as Directus documents them (docs.directus.io, Files:
// Transform Files; api/src/controllers/assets.ts), on sharp's resize:
//
//   - width, height: integers 1 to 100000 (Directus caps them at
//     ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION, 6000 by default; Matte at its
//     own limits). One alone keeps the aspect ratio.
//   - fit: cover (default; covers the box and crops the centre), contain
//     (fits inside and pads the box with opaque black, sharp's default
//     background), inside (fits inside), outside (covers without cropping).
//     With one side every fit scales to it.
//   - withoutEnlargement: true or false (default): true never enlarges
//     (cover cuts the box from the image at its own size, or the image's
//     side where it is the smaller, as sharp does; contain pads a smaller
//     image at its own size).
//   - quality: 1 to 100.
//   - format: auto (AVIF, then WebP by the Accept header; else the
//     source's format, where Directus falls back to JPEG), jpg (or jpeg),
//     png, webp, avif. tiff is a 400.
//   - transforms: a JSON array of at most 5 sharp operations (Directus's
//     ASSETS_TRANSFORM_MAX_OPERATIONS default), each [name, ...arguments];
//     only those below map onto Matte's steps, in Matte's order (which is
//     sharp's for these), and any other is a 400 naming it:
//     ["resize", {width, height, fit, withoutEnlargement}] as the
//     parameters above, overridden as a whole by a width or height
//     parameter (Directus applies its own resize last); ["blur", sigma]
//     (0.3 to 200) → blur = sigma × 10; ["grayscale"] or ["greyscale"] →
//     sat=-100; ["negate"] → invert (the colours; sharp also negates an
//     alpha channel unless {"alpha": false}, Matte never does);
//     ["normalize"] or ["normalise"] → Matte's normalize (sharp's);
//     ["flip"] (upside down), ["flop"] (mirrored); ["rotate", angle] with
//     a multiple of 90 (["rotate"] alone is the EXIF orientation, which
//     Matte always applies); an argument of true is the same as none for
//     the flags.
//   - key: a preset, used alone, as in Directus ("You can't combine the
//     "key" query parameter with any other transformation."): Directus's
//     system presets (system-small-cover, system-small-contain,
//     system-medium-cover, system-medium-contain, system-large-cover,
//     system-large-contain: 64, 300 and 800 pixels, format auto) and those
//     the url_dialect block names (`preset <key> <query>`, the query in
//     the parameters above: "width=200&height=200&fit=cover&quality=80").
//     An unknown key is a 400, as Directus's `Key "x" isn't configured.`
//
// Each parameter is given once; a bad one is a 400 naming it (Directus's
// focal_point_x and focal_point_y, pixels of the original, are a 400: Matte
// cannot place them before it reads the image).
package directus

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix is the assets route; every URL under it is this dialect's.
const Prefix = "/assets/"

// Limits: Matte's side limit, Directus's default operation count and
// blur's sigma range within Matte's blur (0-2000, sigma = blur / 10).
const (
	maxSide       = 100000
	maxOperations = 5
	minBlurSigma  = 0.3
	maxBlurSigma  = 200
)

// systemPresets are Directus's SYSTEM_ASSET_ALLOW_LIST, which every
// Directus answers.
var systemPresets = map[string]string{
	"system-small-cover":    "width=64&height=64&fit=cover&format=auto",
	"system-small-contain":  "width=64&fit=contain&format=auto",
	"system-medium-cover":   "width=300&height=300&fit=cover&format=auto",
	"system-medium-contain": "width=300&fit=contain&format=auto",
	"system-large-cover":    "width=800&height=800&fit=cover&format=auto",
	"system-large-contain":  "width=800&fit=contain&format=auto",
}

// Dialect is Directus's asset URL form with its presets, read once.
type Dialect struct {
	presets map[string]transformation
}

// New returns the dialect with Directus's system presets and the site's
// own, each a query of the parameters above (no key); a bad preset is an
// error naming it. A site preset may replace a system one.
func New(presets map[string]string) (*Dialect, error) {
	d := &Dialect{presets: map[string]transformation{}}
	all := map[string]string{}
	for k, v := range systemPresets {
		all[k] = v
	}
	for k, v := range presets {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		q, err := url.ParseQuery(all[k])
		if err != nil || q.Has("key") || k == "" {
			return nil, fmt.Errorf("preset %q: want a query of width, height, fit, quality, format, withoutEnlargement, transforms", k)
		}
		t, err := read(q)
		if err != nil {
			return nil, fmt.Errorf("preset %q: %w", k, err)
		}
		d.presets[k] = t
	}
	return d, nil
}

// Name is "directus".
func (*Dialect) Name() string { return "directus" }

// names lists the parameters Directus reads (ASSET_TRANSFORM_QUERY_KEYS),
// in the order they are read and reported.
var names = []string{"key", "width", "height", "fit", "withoutEnlargement", "quality", "format", "transforms", "focal_point_x", "focal_point_y"}

func isParam(name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":              "an integer from 1 to 100000",
	"height":             "an integer from 1 to 100000",
	"fit":                "one of cover, contain, inside, outside",
	"withoutEnlargement": "true or false (or 1 or 0)",
	"quality":            "an integer from 1 to 100",
	"format":             "one of auto, jpg, jpeg, png, webp, avif",
}

// Parse claims u when its path starts with /assets/.
func (d *Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.Path, Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	id, filename, _ := strings.Cut(rest, "/")
	switch {
	case id == "" || strings.Contains(filename, "/"):
		errs.Add("id", fmt.Sprintf("%s is not a Directus asset URL; write /assets/<id> or /assets/<id>/<filename>.", params.QuoteShort(u.Path)))
	default:
		src, err := pathurl.Local(Prefix+id, "id")
		if err != nil {
			errs.Add("id", params.AsErrors(err)[0].Detail)
		}
		out.Source = src
		out.Query = urlform.Without(u.RawQuery, isParam)
	}
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var t transformation
	if keys := q["key"]; len(keys) > 0 {
		for _, n := range names[1:] {
			if q.Has(n) {
				errs.Add("key", `You can't combine the "key" query parameter with any other transformation.`)
			}
		}
		switch preset, known := d.presets[keys[0]]; {
		case errs.Has("key"):
		case len(keys) > 1:
			errs.Add("key", fmt.Sprintf("key is given %d times; give one preset.", len(keys)))
		case !known:
			errs.Add("key", fmt.Sprintf("Key %s isn't configured; the presets are Directus's system-* ones and those of the url_dialect block.", params.QuoteShort(keys[0])))
		default:
			t = preset
		}
	} else {
		var err error
		if t, err = read(q); err != nil {
			for _, e := range params.AsErrors(err) {
				errs.Add(e.Field, e.Detail)
			}
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = t.params()
	return out, true, nil
}

// transformation is one request's parameters as Directus holds them,
// before they become Matte's.
type transformation struct {
	p       params.Params // everything but the resize
	resize  resize
	format  string
	hasSize bool
}

// resize is sharp's resize: the box, its fit and withoutEnlargement.
type resize struct {
	width, height      int
	fit                string
	withoutEnlargement bool
}

// read reads Directus's parameters (but key) from q.
func read(q url.Values) (transformation, error) {
	var errs urlform.Errors
	var t transformation
	var query resize
	for _, name := range names[1:] {
		vals := q[name]
		switch {
		case len(vals) == 0:
			continue
		case len(vals) > 1:
			errs.Add(name, fmt.Sprintf("%s is given %d times; give it once.", name, len(vals)))
			continue
		}
		v := vals[0]
		bad := func() {
			errs.Add(name, fmt.Sprintf("%s=%s is not valid; %s must be %s.", name, params.QuoteShort(v), name, allowed[name]))
		}
		var err error
		switch name {
		case "width":
			if query.width, err = params.ParseInt(v, 1, maxSide); err != nil {
				bad()
			}
		case "height":
			if query.height, err = params.ParseInt(v, 1, maxSide); err != nil {
				bad()
			}
		case "fit":
			if !validFit(v) {
				bad()
			}
			query.fit = v
		case "withoutEnlargement":
			switch v {
			case "true", "1":
				query.withoutEnlargement = true
			case "false", "0":
			default:
				bad()
			}
		case "quality":
			if t.p.Quality, err = params.ParseInt(v, 1, 100); err != nil {
				bad()
			}
		case "format":
			switch v {
			case "auto", "jpg", "jpeg", "png", "webp", "avif":
				t.format = v
			case "tiff":
				errs.Add(name, "format=tiff is not written by Matte; format must be "+allowed[name]+".")
			default:
				bad()
			}
		case "transforms":
			if err := t.readTransforms(v); err != nil {
				errs.Add(name, err.Error())
			}
		case "focal_point_x", "focal_point_y":
			errs.Add(name, name+" (pixels of the original) is not supported by Matte; leave it out to crop the centre.")
		}
	}
	// Directus resizes after the transforms: a width or height parameter
	// replaces a resize among them.
	if query.width != 0 || query.height != 0 {
		t.resize, t.hasSize = query, true
	} else if !t.hasSize {
		t.resize = query
	}
	return t, errs.Err()
}

func validFit(v string) bool {
	return v == "cover" || v == "contain" || v == "inside" || v == "outside"
}

// readTransforms reads the transforms JSON into t.
func (t *transformation) readTransforms(v string) error {
	const shape = `transforms must be a JSON array of sharp operations, each [name, ...arguments], such as [["blur",4],["negate"]]`
	var ops [][]json.RawMessage
	if err := json.Unmarshal([]byte(v), &ops); err != nil {
		return errors.New(shape + ".")
	}
	if len(ops) > maxOperations {
		return fmt.Errorf("transforms holds %d operations; Directus allows %d.", len(ops), maxOperations)
	}
	seen := map[string]bool{}
	for _, op := range ops {
		var name string
		if len(op) == 0 || json.Unmarshal(op[0], &name) != nil {
			return errors.New(shape + ".")
		}
		if seen[name] {
			return fmt.Errorf("transforms names %s twice; give each operation once.", params.QuoteShort(name))
		}
		seen[name] = true
		args := op[1:]
		if err := t.apply(name, args); err != nil {
			return fmt.Errorf("transforms operation %s %w.", params.QuoteShort(name), err)
		}
	}
	return nil
}

// flag reports whether args turn a flag operation on: none, or true.
func flag(args []json.RawMessage) (bool, error) {
	switch {
	case len(args) == 0:
		return true, nil
	case len(args) == 1:
		var on bool
		if json.Unmarshal(args[0], &on) == nil {
			return on, nil
		}
	}
	return false, errors.New("takes no argument, or true or false")
}

// apply maps one sharp operation onto t.
func (t *transformation) apply(name string, args []json.RawMessage) error {
	switch name {
	case "resize":
		var r struct {
			Width              *int    `json:"width"`
			Height             *int    `json:"height"`
			Fit                *string `json:"fit"`
			WithoutEnlargement *bool   `json:"withoutEnlargement"`
		}
		dec := json.NewDecoder(strings.NewReader(string(first(args))))
		dec.DisallowUnknownFields()
		if len(args) != 1 || dec.Decode(&r) != nil {
			return errors.New(`takes one object of width, height, fit, withoutEnlargement`)
		}
		if r.Width != nil {
			if *r.Width < 1 || *r.Width > maxSide {
				return errors.New("width must be an integer from 1 to 100000")
			}
			t.resize.width = *r.Width
		}
		if r.Height != nil {
			if *r.Height < 1 || *r.Height > maxSide {
				return errors.New("height must be an integer from 1 to 100000")
			}
			t.resize.height = *r.Height
		}
		if r.Fit != nil {
			if !validFit(*r.Fit) {
				return errors.New("fit must be one of cover, contain, inside, outside")
			}
			t.resize.fit = *r.Fit
		}
		if r.WithoutEnlargement != nil {
			t.resize.withoutEnlargement = *r.WithoutEnlargement
		}
		t.hasSize = true
	case "blur":
		var sigma float64
		if len(args) != 1 || json.Unmarshal(args[0], &sigma) != nil || sigma < minBlurSigma || sigma > maxBlurSigma {
			return errors.New("takes a sigma from 0.3 to 200")
		}
		t.p.Blur = int(math.Round(sigma * 10))
	case "grayscale", "greyscale":
		on, err := flag(args)
		if err != nil {
			return err
		}
		if on {
			t.p.Saturation = -100
		}
	case "negate":
		var opts struct {
			Alpha *bool `json:"alpha"`
		}
		dec := json.NewDecoder(strings.NewReader(string(first(args))))
		dec.DisallowUnknownFields()
		on, err := flag(args)
		if err != nil {
			if len(args) != 1 || dec.Decode(&opts) != nil {
				return errors.New(`takes no argument, or {"alpha": false}`)
			}
			on = true
		}
		t.p.Invert = on
	case "normalize", "normalise":
		on, err := flag(args)
		if err != nil {
			return err
		}
		t.p.Normalize = on
	case "flip", "flop":
		on, err := flag(args)
		if err != nil {
			return err
		}
		if on && name == "flip" {
			t.p.Flip |= params.FlipV
		} else if on {
			t.p.Flip |= params.FlipH
		}
	case "rotate":
		if len(args) == 0 {
			return nil // the EXIF orientation, which Matte applies anyway
		}
		var angle float64
		if len(args) != 1 || json.Unmarshal(args[0], &angle) != nil || angle != math.Trunc(angle) || int(angle)%90 != 0 {
			return errors.New("takes a multiple of 90 degrees (other angles would fill the corners as Matte does, not with sharp's black)")
		}
		t.p.Rotate = float64(((int(angle) % 360) + 360) % 360)
	default:
		return errors.New("is not one Matte applies; it applies resize, blur, grayscale, greyscale, negate, normalize, normalise, flip, flop and rotate by multiples of 90")
	}
	return nil
}

func first(args []json.RawMessage) []byte {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// params turns t into Matte's request.
func (t transformation) params() params.Params {
	p := t.p
	r := t.resize
	p.Width, p.Height = r.width, r.height
	both := r.width != 0 && r.height != 0
	switch {
	case r.width == 0 && r.height == 0:
	case !both || r.fit == "inside":
		p.Fit = params.FitClip.Enlarging(!r.withoutEnlargement)
	case r.fit == "" || r.fit == "cover":
		// sharp's cover with withoutEnlargement caps the scale at 1 and
		// then cuts min(box, image) on each side ("int width =
		// std::min(image.width(), baton->width)" in sharp's pipeline): a
		// 1200x900 image in 1600x600 is 1200x600, not cut down to the
		// box's ratio as FitMin would.
		p.Fit = params.FitCrop
		if r.withoutEnlargement {
			p.Fit = params.FitCropDown
		}
	case r.fit == "contain":
		p.Fit = params.FitFill.Enlarging(!r.withoutEnlargement)
		p.FillColor = params.Color{A: 255, Set: true} // sharp's default background: opaque black
	case r.fit == "outside":
		p.Fit = params.FitOutside.Enlarging(!r.withoutEnlargement)
	}
	switch t.format {
	case "auto":
		p.AutoFormat = true
	case "jpg", "jpeg":
		p.Format = params.FormatJPEG
	case "png":
		p.Format = params.FormatPNG
	case "webp":
		p.Format = params.FormatWebP
	case "avif":
		p.Format = params.FormatAVIF
	}
	return p
}
