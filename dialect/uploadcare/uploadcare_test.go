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
		// @nuxt/image 2.1.0's uploadcare provider for {width:400,height:400,fit:'contain'};
		// Uploadcare: stretch "off — an image won't be scaled up".
		{id + "/-/resize/400x400/-/stretch/off/", id, "", params.Params{Width: 400, Height: 400, Fit: params.FitScaleDown}},
		{id + "/-/stretch/off/-/resize/400x300/", id, "", params.Params{Width: 400, Height: 300, Fit: params.FitScaleDown}},
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

// Uploadcare applies the operations in the URL's order, Matte in its own:
// these chains give the same image both ways (the operations in Matte's
// order, or ones that commute), so they are read as one request.
func TestParseOrderAccepted(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		// uploadcare/nextjs-loader's default parameters, as its test
		// (src/__tests__/uploadcare-loader.spec.ts) pins them:
		// "https://ucarecdn.com/a6f8abc8-f92e-460a-b7a1-c5cd70a18cdb/-/format/auto/-/stretch/off/-/progressive/yes/-/resize/500x/-/quality/normal/vercel.png"
		{"/a6f8abc8-f92e-460a-b7a1-c5cd70a18cdb/-/format/auto/-/stretch/off/-/progressive/yes/-/resize/500x/-/quality/normal/vercel.png", "/a6f8abc8-f92e-460a-b7a1-c5cd70a18cdb/vercel.png", "",
			params.Params{Width: 500, Fit: params.FitMax, AutoFormat: true, Variant: params.VariantProgressive}},
		// Nuxt Image 2.1.0's uploadcare provider (it adds the resize last):
		// {width: 400, height: 300, format: "webp"}, with fit "cover" and
		// "contain", and {width: 400, quality: "smart"}.
		{id + "/-/format/webp/-/resize/400x300/", id, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale, Format: params.FormatWebP}},
		{id + "/-/format/webp/-/scale_crop/400x300/center/", id, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Format: params.FormatWebP}},
		{id + "/-/format/webp/-/resize/400x/-/stretch/off/", id, "", params.Params{Width: 400, Fit: params.FitMax, Format: params.FormatWebP}},
		{id + "/-/quality/smart/-/resize/400x/", id, "", params.Params{Width: 400}},
		// @uploadcare/file-uploader's image editor writes mirror, flip,
		// rotate, crop in that order (SUPPORTED_OPERATIONS_ORDERED); a
		// preview is added after it. A flip before an odd quarter turn is
		// the other flip after it; both flips are a half turn, which
		// commutes with any turn.
		{id + "/-/crop/640x480/10,20/-/preview/", id, "", params.Params{Width: 2048, Height: 2048, Fit: params.FitMax, Rect: params.Rect{X: 10, Y: 20, W: 640, H: 480}}},
		{id + "/-/mirror/-/rotate/270/", id, "", params.Params{Rotate: 90, Flip: params.FlipV}},
		{id + "/-/flip/-/rotate/90/", id, "", params.Params{Rotate: 270, Flip: params.FlipH}},
		{id + "/-/mirror/-/flip/-/rotate/90/-/preview/", id, "", params.Params{Width: 2048, Height: 2048, Fit: params.FitMax, Rotate: 270, Flip: params.FlipHV}},
		{id + "/-/mirror/-/rotate/180/", id, "", params.Params{Rotate: 180, Flip: params.FlipH}},
		// mirror, a quarter turn, flip: the turn alone.
		{id + "/-/mirror/-/rotate/90/-/flip/", id, "", params.Params{Rotate: 270}},
		// Matte's own order: crop, rotate, resize, grayscale, flip, blur, sharp.
		{id + "/-/crop/100x50/-/rotate/90/-/resize/40x/-/grayscale/-/mirror/-/blur/4/-/sharp/2/", id, "", params.Params{Rect: params.Rect{W: 100, H: 50}, Rotate: 270, Width: 40, Saturation: -100, Flip: params.FlipH, Blur: 20, Sharpen: 10}},
		// grayscale before a pixel move or a resize.
		{id + "/-/grayscale/-/crop/100x50/", id, "", params.Params{Saturation: -100, Rect: params.Rect{W: 100, H: 50}}},
		{id + "/-/grayscale/-/rotate/90/", id, "", params.Params{Saturation: -100, Rotate: 270}},
		{id + "/-/grayscale/-/resize/400x/", id, "", params.Params{Saturation: -100, Width: 400}},
		// A flip before a resize that cuts nothing off-centre.
		{id + "/-/mirror/-/resize/400x300/", id, "", params.Params{Flip: params.FlipH, Width: 400, Height: 300, Fit: params.FitScale}},
		{id + "/-/flip/-/preview/300x300/", id, "", params.Params{Flip: params.FlipV, Width: 300, Height: 300, Fit: params.FitMax}},
		{id + "/-/mirror/-/scale_crop/300x200/", id, "", params.Params{Flip: params.FlipH, Width: 300, Height: 200, Fit: params.FitCrop}},
		{id + "/-/mirror/-/grayscale/", id, "", params.Params{Flip: params.FlipH, Saturation: -100}},
		// blur and sharp before a turn or a flip, blur before grayscale.
		{id + "/-/blur/-/rotate/90/", id, "", params.Params{Blur: 50, Rotate: 270}},
		{id + "/-/blur/-/mirror/-/grayscale/", id, "", params.Params{Blur: 50, Flip: params.FlipH, Saturation: -100}},
		{id + "/-/sharp/-/flip/-/rotate/180/", id, "", params.Params{Sharpen: 25, Flip: params.FlipV, Rotate: 180}},
		// Settings stand anywhere; rotate/0 and rotate/360 turn nothing.
		{id + "/-/blur/-/format/png/-/setfill/fff/-/autorotate/no/-/progressive/yes/", id, "", params.Params{Blur: 50, Format: params.FormatPNG, Background: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, Orientation: 1, Variant: params.VariantProgressive}},
		{id + "/-/crop/100x50/-/resize/400x/-/rotate/360/", id, "", params.Params{Width: 400, Rect: params.Rect{W: 100, H: 50}}},
	})
}

// A chain whose order Matte's pipeline would change is a 400 on its first
// operation that comes after one Matte applies later.
func TestParseOrderRefused(t *testing.T) {
	const why = "which Matte applies after it"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		// A crop of the resized image, not of the source.
		{id + "/-/resize/800x/-/crop/400x400/center/", []string{"crop"}, "crop comes after resize, " + why},
		{id + "/-/scale_crop/300x200/-/crop/100x50/", []string{"crop"}, why},
		{id + "/-/preview/-/crop/100x50/10,20/", []string{"crop"}, why},
		// A crop in the turned or mirrored image: its position needs the
		// source's size, unknown here.
		{id + "/-/rotate/90/-/crop/100x50/10,20/", []string{"crop"}, "crop comes after rotate, " + why},
		{id + "/-/mirror/-/crop/100x50/", []string{"crop"}, why},
		{id + "/-/flip/-/crop/100x50/center/", []string{"crop"}, why},
		// The image editor's order with a turn and a crop.
		{id + "/-/mirror/-/rotate/90/-/crop/640x480/10,20/-/preview/", []string{"crop"}, "crop comes after mirror, " + why},
		// A turn of the resized image: the box would be turned.
		{id + "/-/resize/400x/-/rotate/90/", []string{"rotate"}, "rotate comes after resize, " + why},
		// blur and sharp of the source are different ones of the output.
		{id + "/-/blur/10/-/resize/400x/", []string{"resize"}, "resize comes after blur, " + why},
		{id + "/-/sharp/-/preview/", []string{"preview"}, why},
		{id + "/-/blur/-/crop/100x50/", []string{"crop"}, why},
		{id + "/-/sharp/-/blur/", []string{"blur"}, "blur comes after sharp, " + why},
		{id + "/-/sharp/-/grayscale/", []string{"grayscale"}, why},
		// A flip before a resize that cuts off-centre.
		{id + "/-/mirror/-/scale_crop/300x200/left/", []string{"scale_crop"}, "scale_crop comes after mirror, " + why},
		{id + "/-/flip/-/scale_crop/300x200/25p,75p/", []string{"scale_crop"}, why},
		{id + "/-/mirror/-/scale_crop/300x200/smart_faces/", []string{"scale_crop"}, why},
		// Only the first operation out of order is named.
		{id + "/-/resize/400x/-/crop/10x10/-/rotate/90/", []string{"crop"}, "crop comes after resize"},
		// With other errors, each is reported.
		{id + "/-/blur/-/resize/400x/-/quality/90/", []string{"resize", "quality"}, ""},
	})
}
