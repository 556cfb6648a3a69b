package uploadcare

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "uploadcare" {
		t.Fatal(New().Name())
	}
}

const id = "/22240276-2f06-41f8-9411-755c8ce926ed"

func TestParseValid(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// resize stretches to both sides, keeps the ratio with one.
		{id + "/-/resize/400x300/-/format/webp/-/quality/smart/", id, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale, Format: params.FormatWebP}},
		{id + "/-/resize/400x/", id, "", params.Params{Width: 400}},
		{id + "/-/resize/x300/-/stretch/off/", id, "", params.Params{Height: 300, Fit: params.FitMax}},
		{id + "/-/preview/", id, "", params.Params{Width: 2048, Height: 2048, Fit: params.FitMax}},
		{id + "/-/preview/640x480/image.jpg", id + "/image.jpg", "", params.Params{Width: 640, Height: 480, Fit: params.FitMax}},
		{id + "/-/scale_crop/300x200/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop}},
		{id + "/-/scale_crop/300x200/top/-/stretch/off/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitMin, Crop: params.CropTop}},
		{id + "/-/scale_crop/300x200/25p,75p/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Focus: params.Focus{X: 0.25, Y: 0.75, Set: true}}},
		// smart_faces: "face detection or manual region specified by offset parameter"; center without one.
		{id + "/-/scale_crop/300x200/smart_faces/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}},
		{id + "/-/scale_crop/300x200/smart_faces/top/-/stretch/off/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitMin, Crop: params.CropTop, Faces: params.Faces{Crop: true}}},
		{id + "/-/scale_crop/300x200/smart_faces/25p,75p/", id, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Focus: params.Focus{X: 0.25, Y: 0.75, Set: true}, Faces: params.Faces{Crop: true}}},
		{id + "/-/crop/100x50/", id, "", params.Params{Rect: params.Rect{W: 100, H: 50}}},
		{id + "/-/crop/100x50/10,20/-/resize/50x/", id, "", params.Params{Width: 50, Rect: params.Rect{X: 10, Y: 20, W: 100, H: 50}}},
		{id + "/-/crop/100x50/center/", id, "", params.Params{Region: params.Region{W: 100, H: 50, Anchor: params.CropCenter}}},
		{id + "/-/setfill/f00/-/format/jpeg/-/progressive/yes/", id, "", params.Params{Background: red, Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{id + "/-/format/auto/-/quality/better/", id, "", params.Params{AutoFormat: true, Quality: 85}},
		{id + "/-/format/preserve/-/quality/lightest/-/progressive/no/", id, "", params.Params{Quality: 50}},
		{id + "/-/format/png/-/quality/best/", id, "", params.Params{Format: params.FormatPNG, Quality: 95}},
		{id + "/-/quality/lighter/", id, "", params.Params{Quality: 65}},
		{id + "/-/grayscale/-/blur/-/sharp/", id, "", params.Params{Saturation: -100, Blur: 50, Sharpen: 25}},
		{id + "/-/blur/400/-/sharp/20/", id, "", params.Params{Blur: 2000, Sharpen: 100}},
		{id + "/-/blur/0/-/sharp/0/", id, "", params.Params{}},
		// rotate is counterclockwise; Matte's Rotate clockwise.
		{id + "/-/rotate/90/", id, "", params.Params{Rotate: 270}},
		{id + "/-/rotate/270/-/flip/", id, "", params.Params{Rotate: 90, Flip: params.FlipV}},
		{id + "/-/rotate/360/-/mirror/-/flip/", id, "", params.Params{Flip: params.FlipHV}},
		{id + "/-/autorotate/no/", id, "", params.Params{Orientation: 1}},
		{id + "/-/autorotate/yes/?v=1", id, "v=1", params.Params{}},
		{"/a/-/preview/x.png", "/a/x.png", "", params.Params{Width: 2048, Height: 2048, Fit: params.FitMax}},
	})
}

// The fields are the operations as the URL names them, and path where the
// URL itself is wrong.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{id + "/-/resize/0x300/", []string{"resize"}, "resize takes a size"},
		{id + "/-/resize/5001x/", []string{"resize"}, "resize takes a size"},
		{id + "/-/resize/x/", []string{"resize"}, "is not valid"},
		{id + "/-/resize/400x300", []string{"resize"}, "end each operation with /"},
		{id + "/-/preview/400x/", []string{"preview"}, "is not valid"},
		{id + "/-/resize/400x300/-/preview/", []string{"preview"}, "give one of preview, resize, scale_crop"},
		{id + "/-/resize/400x/-/resize/300x/", []string{"resize"}, "given twice"},
		{id + "/-/resize/400x300/-/stretch/off/", []string{"stretch"}, "not supported"},
		{id + "/-/stretch/fill/", []string{"stretch"}, "on or off"},
		{id + "/-/scale_crop/300x200/smart/", []string{"scale_crop"}, "center, top, bottom, left, right or <X>p,<Y>p"},
		{id + "/-/scale_crop/300x200/smart_faces_points/", []string{"scale_crop"}, "Matte's only smart type"},
		{id + "/-/scale_crop/300x200/top/smart_faces/", []string{"scale_crop"}, "is not valid"},
		{id + "/-/scale_crop/300x200/smart_faces/up/", []string{"scale_crop"}, "is not valid"},
		{id + "/-/scale_crop/300x200/smart_faces/top/left/", []string{"scale_crop"}, ""},
		{id + "/-/scale_crop/300x200/101p,0p/", []string{"scale_crop"}, "is not valid"},
		{id + "/-/crop/100x50/a,b/", []string{"crop"}, "<X>,<Y> or center"},
		{id + "/-/smart_resize/400x300/", []string{"smart_resize"}, "not an Uploadcare operation Matte supports"},
		{id + "/-/enhance/100/-/format/gif/", []string{"enhance", "format"}, ""},
		{id + "/-/setfill/white/", []string{"setfill"}, "hex colour"},
		{id + "/-/quality/90/", []string{"quality"}, "one of smart, smart_retina"},
		{id + "/-/progressive/1/", []string{"progressive"}, "yes or no"},
		{id + "/-/grayscale/1/", []string{"grayscale"}, "no value"},
		{id + "/-/blur/401/", []string{"blur"}, "from 0 to 400"},
		{id + "/-/blur/10/20/", []string{"blur"}, "no value or a strength"},
		{id + "/-/sharp/21/", []string{"sharp"}, "from 0 to 20"},
		{id + "/-/rotate/45/", []string{"rotate"}, "a multiple of 90"},
		{id + "/-/autorotate/maybe/", []string{"autorotate"}, "yes or no"},
		{id + "/-/-/", []string{"path"}, "empty operation"},
		{id + "/-/preview/..", []string{"path"}, ". or .."},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg", id+"/", id+"/image.jpg", "/a/b/-/resize/10x/", "/-/resize/10x/", "/")
}

// The URLs unpic's uploadcare provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const uuid = "/0f2d1c1a-8c3e-4a2b-9f1e-3c2b1a0d9e8f"
	want := map[string]dialect.ImageURL{
		uuid + "/-/resize/400x300/-/format/auto/": {Source: uuid, Params: params.Params{Width: 400, Height: 300, Fit: params.FitScale, AutoFormat: true}},
		uuid + "/-/resize/200x150/-/format/auto/": {Source: uuid, Params: params.Params{Width: 200, Height: 150, Fit: params.FitScale, AutoFormat: true}},
		uuid + "/-/format/png/-/resize/320x/":     {Source: uuid, Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "uploadcare", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"resize/400x300/-/format/webp/-/quality/smart/", "scale_crop/30x20/25p,75p/-/stretch/off/x.jpg",
		"crop/10x10/3,4/-/preview/-/setfill/fff/-/blur/-/sharp/3/-/rotate/90/-/flip/-/mirror/", "-/-/", "", "..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		u, err := url.ParseRequestURI(id + "/-/" + tail)
		if err != nil {
			return
		}
		got, ok, err := New().Parse(u)
		if !ok {
			return // a tail such as "/../" may move the "-" segment
		}
		if err != nil {
			// An unknown operation is named as the URL writes it.
			urltest.FuzzError(t, got, err, func(f string) bool { return f != "" })
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > previewSide && p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Blur > 2000 || p.Sharpen > 100 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, id) || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		id + "/-/crop/100x50/10,20/-/resize/50x/": {"crop", ""},
	})
}
