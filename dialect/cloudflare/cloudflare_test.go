package cloudflare_test

import (
	"testing"

	"math"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestParse(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	// fit=crop: scale-down for a source no larger than the box, else cover.
	cropFit := params.SourceFit{When: params.FitWhenSmaller, Fit: params.FitMax}
	urltest.CheckParses(t, cloudflare.New(), map[string]dialect.ImageURL{
		// The examples of developers.cloudflare.com/images/transform-images/transform-via-url/.
		"/cdn-cgi/image/width=80,saturation=0,contrast=1.25/a.jpg":                       dialect.ImageURL{Params: params.Params{Width: 80, Fit: params.FitMax, Saturation: -100, Contrast: 25}, Source: "/a.jpg"},
		"/cdn-cgi/image/brightness=1.2,gamma=2.2/a.jpg":                                  dialect.ImageURL{Params: params.Params{BrightnessFactor: 1.2, Gamma: 2.2}, Source: "/a.jpg"},
		"/cdn-cgi/image/width=9,brightness=1,gamma=0/a.jpg":                              dialect.ImageURL{Params: params.Params{Width: 9, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/saturation=1/a.jpg":                                              dialect.ImageURL{Params: params.Params{}, Source: "/a.jpg"},
		"/cdn-cgi/image/width=80,quality=75/uploads/avatar1.jpg":                         dialect.ImageURL{Params: params.Params{Width: 80, Fit: params.FitMax, Quality: 75}, Source: "/uploads/avatar1.jpg"},
		"/cdn-cgi/image/width=80,quality=75/https://www.example.com/uploads/avatar1.jpg": dialect.ImageURL{Params: params.Params{Width: 80, Fit: params.FitMax, Quality: 75}, Source: "https://www.example.com/uploads/avatar1.jpg"},
		"/cdn-cgi/image/width=400,quality=80,format=auto/uploads/hero.jpg":               dialect.ImageURL{Params: params.Params{Width: 400, Fit: params.FitMax, Quality: 80, AutoFormat: true}, Source: "/uploads/hero.jpg"},
		"/cdn-cgi/image/fit=scale-down,width=200/img.png":                                dialect.ImageURL{Params: params.Params{Width: 200, Fit: params.FitMax}, Source: "/img.png"},
		"/cdn-cgi/image/fit=contain,w=200/img.png":                                       dialect.ImageURL{Params: params.Params{Width: 200}, Source: "/img.png"},
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=left/img.png":                      dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Crop: params.CropLeft}, Source: "/img.png"},
		"/cdn-cgi/image/fit=crop,w=200,h=100,g=auto/img.png":                             dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitMin, SourceFit: cropFit, Crop: params.CropAttention}, Source: "/img.png"},
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=0.9x0.1/img.png":                   dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Focus: params.Focus{X: 0.9, Y: 0.1, Set: true}}, Source: "/img.png"},
		"/cdn-cgi/image/fit=pad,w=200,h=100,background=%23FF0000/img.png":                dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitFill, Background: red}, Source: "/img.png"},
		"/cdn-cgi/image/gravity=face,w=10/img.png":                                       dialect.ImageURL{Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/img.png"}, // no crop: gravity unused
		// gravity=face: the crop centred on the faces found; where there are
		// none, "the focal point will fall back to the center of the image"
		// (CropCenter), not attention as gravity=auto.
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=face/img.png": dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}, Source: "/img.png"},
		"/cdn-cgi/image/fit=crop,w=200,h=100,g=face/img.png":        dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitMin, SourceFit: cropFit, Faces: params.Faces{Crop: true}}, Source: "/img.png"},
		// zoom frames the faces closer (1: their own box), with gravity=face only.
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=face,zoom=0.5/img.png": dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true, Zoom: 0.5}}, Source: "/img.png"},
		"/cdn-cgi/image/zoom=1,fit=crop,w=200,h=100,g=face/img.png":          dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitMin, SourceFit: cropFit, Faces: params.Faces{Crop: true, Zoom: 1}}, Source: "/img.png"},
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=face,zoom=0/img.png":   dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}, Source: "/img.png"},
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=left,zoom=0.5/img.png": dialect.ImageURL{Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Crop: params.CropLeft}, Source: "/img.png"},
		"/cdn-cgi/image/fit=contain,w=200,h=100,gravity=face,zoom=1/img.png": dialect.ImageURL{Params: params.Params{Width: 200, Height: 100}, Source: "/img.png"},
		"/cdn-cgi/image/fit=contain,w=200,h=100,gravity=face/img.png":        dialect.ImageURL{Params: params.Params{Width: 200, Height: 100}, Source: "/img.png"}, // no crop: gravity unused
		"/cdn-cgi/image/f=webp,dpr=2,blur=10,sharpen=1.5,rotate=270,flip=hv,trim=border/a/b.jpg?v=3": dialect.ImageURL{Params: params.Params{Format: params.FormatWebP, DPR: 2, Blur: 50, Sharpen: 15, Rotate: 270, Flip: params.FlipHV, Trim: true},
			Source: "/a/b.jpg", Query: "v=3"},
		"/cdn-cgi/image/segment=foreground,format=png/p.jpg":                                    dialect.ImageURL{Params: params.Params{Removal: params.Removal{Enabled: true}, Format: params.FormatPNG}, Source: "/p.jpg"},
		"/cdn-cgi/image/w=10,format=jpeg/p.png":                                                 dialect.ImageURL{Params: params.Params{Width: 10, Fit: params.FitMax, Format: params.FormatJPEG, Variant: params.VariantProgressive}, Source: "/p.png"},
		"/cdn-cgi/image/w=10,format=baseline-jpeg/p.png":                                        dialect.ImageURL{Params: params.Params{Width: 10, Fit: params.FitMax, Format: params.FormatJPEG}, Source: "/p.png"},
		"/cdn-cgi/image/width=100,anim=false,metadata=none,onerror=redirect,quality=high/p.jpg": dialect.ImageURL{Params: params.Params{Width: 100, Fit: params.FitMax, Quality: 90, Frames: params.FramesFirst}, Source: "/p.jpg"},
		"/cdn-cgi/image/width=100,anim=true/p.gif":                                              dialect.ImageURL{Params: params.Params{Width: 100, Fit: params.FitMax}, Source: "/p.gif"},
		"/cdn-cgi/image/w=1/https:/example.com/a.jpg?x=1":                                       dialect.ImageURL{Params: params.Params{Width: 1, Fit: params.FitMax}, Source: "https://example.com/a.jpg?x=1"},
		"/cdn-cgi/image/w=1/dir/a%20b.jpg":                                                      dialect.ImageURL{Params: params.Params{Width: 1, Fit: params.FitMax}, Source: "/dir/a b.jpg"},
		// trim widths (developers.cloudflare.com "trim": top;right;bottom;left, times dpr).
		"/cdn-cgi/image/trim=20;30;20;0,w=100/a.jpg": {Params: params.Params{Width: 100, Fit: params.FitMax, Region: params.Region{Cut: params.Sides{Top: 20, Right: 30, Bottom: 20}}}, Source: "/a.jpg"},
		"/cdn-cgi/image/dpr=2,trim=1;2;3;4/a.jpg":    {Params: params.Params{DPR: 2, Region: params.Region{Cut: params.Sides{Top: 2, Right: 4, Bottom: 6, Left: 8}}}, Source: "/a.jpg"},
		// fit=crop on a source smaller than the box both ways is scale-down
		// (developers.cloudflare.com: width=1296,height=1296,fit=crop
		// leaves a 1080x720 image as it is); one side only is scale-down.
		"/cdn-cgi/image/width=1296,height=1296,fit=crop/a.jpg": {Params: params.Params{Width: 1296, Height: 1296, Fit: params.FitMin, SourceFit: cropFit}, Source: "/a.jpg"},
		"/cdn-cgi/image/width=1296,fit=crop/a.jpg":             {Params: params.Params{Width: 1296, Fit: params.FitMin}, Source: "/a.jpg"},
		// fit=aspect-crop: "Crop to match the target aspect ratio, but
		// never upscales", for every source (min, no SourceFit).
		"/cdn-cgi/image/width=1296,height=1296,fit=aspect-crop/a.jpg":   {Params: params.Params{Width: 1296, Height: 1296, Fit: params.FitMin}, Source: "/a.jpg"},
		"/cdn-cgi/image/w=200,h=100,fit=aspect-crop,gravity=left/a.jpg": {Params: params.Params{Width: 200, Height: 100, Fit: params.FitMin, Crop: params.CropLeft}, Source: "/a.jpg"},
		// No fit is scale-down (max), Cloudflare's default; contain is clip.
		"/cdn-cgi/image/width=3000/a.jpg":            {Params: params.Params{Width: 3000, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/width=800,dpr=2/a.jpg":       {Params: params.Params{Width: 800, DPR: 2, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/h=300,gravity=left/a.jpg":    {Params: params.Params{Height: 300, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/width=800,fit=contain/a.jpg": {Params: params.Params{Width: 800, Fit: params.FitClip}, Source: "/a.jpg"},
		// format=webp: "Use quality=100 to return the WebP lossless format";
		// only webp, only 100.
		"/cdn-cgi/image/format=webp,quality=100/a.jpg":  {Params: params.Params{Format: params.FormatWebP, Quality: 100, Lossless: true}, Source: "/a.jpg"},
		"/cdn-cgi/image/q=100,f=webp,w=10/a.jpg":        {Params: params.Params{Width: 10, Fit: params.FitMax, Format: params.FormatWebP, Quality: 100, Lossless: true}, Source: "/a.jpg"},
		"/cdn-cgi/image/format=webp,quality=99/a.jpg":   {Params: params.Params{Format: params.FormatWebP, Quality: 99}, Source: "/a.jpg"},
		"/cdn-cgi/image/format=webp,quality=high/a.jpg": {Params: params.Params{Format: params.FormatWebP, Quality: 90}, Source: "/a.jpg"},
		"/cdn-cgi/image/format=avif,quality=100/a.jpg":  {Params: params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true, Quality: 100}, Source: "/a.jpg"},
		// format=avif: "AVIF if possible (with WebP as a fallback)": an
		// animation kept is WebP (transform.NegotiateFormat).
		"/cdn-cgi/image/f=avif,anim=false/a.gif":       {Params: params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true, Frames: params.FramesFirst}, Source: "/a.gif"},
		"/cdn-cgi/image/format=auto,quality=100/a.jpg": {Params: params.Params{AutoFormat: true, Quality: 100}, Source: "/a.jpg"},
		// fit=pad fills with white unless background is given.
		"/cdn-cgi/image/fit=pad,w=200,h=100/img.png": {Params: params.Params{Width: 200, Height: 100, Fit: params.FitFill, FillColor: white}, Source: "/img.png"},
		"/cdn-cgi/image/fit=pad,w=200/img.png":       {Params: params.Params{Width: 200, Fit: params.FitFill}, Source: "/img.png"},
		// Cloudflare flips, then rotates; Matte rotates, then flips: a
		// quarter turn exchanges h and v.
		"/cdn-cgi/image/flip=h,rotate=90/a.jpg":  {Params: params.Params{Rotate: 90, Flip: params.FlipV}, Source: "/a.jpg"},
		"/cdn-cgi/image/rotate=270,flip=v/a.jpg": {Params: params.Params{Rotate: 270, Flip: params.FlipH}, Source: "/a.jpg"},
		"/cdn-cgi/image/flip=h,rotate=180/a.jpg": {Params: params.Params{Rotate: 180, Flip: params.FlipH}, Source: "/a.jpg"},
		"/cdn-cgi/image/flip=v/a.jpg":            {Params: params.Params{Flip: params.FlipV}, Source: "/a.jpg"},
		// brightness, contrast and gamma: "0 is ignored"; saturation=0 is grey.
		"/cdn-cgi/image/w=9,contrast=0,brightness=0/a.jpg":   {Params: params.Params{Width: 9, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/w=9,contrast=0.5,saturation=0/a.jpg": {Params: params.Params{Width: 9, Fit: params.FitMax, Contrast: -50, Saturation: -100}, Source: "/a.jpg"},
		// background: "any CSS color, such as #RRGGBB and rgba(…)", escaped or not.
		"/cdn-cgi/image/w=100,background=rgb%28240%2C40%2C145%29/a.jpg": {Params: params.Params{Width: 100, Fit: params.FitMax, Background: params.Color{R: 240, G: 40, B: 145, A: 255, Set: true}}, Source: "/a.jpg"},
		"/cdn-cgi/image/background=rgba(240,40,145,0.5),w=100/a.jpg":    {Params: params.Params{Width: 100, Fit: params.FitMax, Background: params.Color{R: 240, G: 40, B: 145, A: 128, Set: true}}, Source: "/a.jpg"},
		"/cdn-cgi/image/background=rgb(0%20128%200),w=100/a.jpg":        {Params: params.Params{Width: 100, Fit: params.FitMax, Background: params.Color{G: 128, A: 255, Set: true}}, Source: "/a.jpg"},
		// rgb(240 40 145 / 50%) in a path: / sent as %2F, % as %25.
		"/cdn-cgi/image/background=rgb(240%2040%20145%20%2F%2050%25),w=100/a.jpg": {Params: params.Params{Width: 100, Fit: params.FitMax, Background: params.Color{R: 240, G: 40, B: 145, A: 128, Set: true}}, Source: "/a.jpg"},
		// scq and face-zoom are slow-connection-quality's and zoom's short names.
		"/cdn-cgi/image/w=10,scq=50/a.jpg":                                      {Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/w=10,slow-connection-quality=low/a.jpg":                 {Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/a.jpg"},
		"/cdn-cgi/image/fit=cover,w=200,h=100,gravity=face,face-zoom=0.5/a.jpg": {Params: params.Params{Width: 200, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true, Zoom: 0.5}}, Source: "/a.jpg"},
		// trim.left and trim.top cut off the sides; with trim.width or
		// trim.height, the region kept from there (to the edge where not
		// given); times dpr.
		"/cdn-cgi/image/trim.left=30,trim.top=40/a.jpg":                                {Params: params.Params{Rect: params.Rect{X: 30, Y: 40, W: math.MaxInt32, H: math.MaxInt32}}, Source: "/a.jpg", RectField: "trim.left", RectYField: "trim.top"},
		"/cdn-cgi/image/trim.top=40/a.jpg":                                             {Params: params.Params{Rect: params.Rect{Y: 40, W: math.MaxInt32, H: math.MaxInt32}}, Source: "/a.jpg", RectField: "trim.top", RectYField: "trim.top"},
		"/cdn-cgi/image/trim.width=678,trim.height=600,trim.left=30,trim.top=40/a.jpg": {Params: params.Params{Rect: params.Rect{X: 30, Y: 40, W: 678, H: 600}}, Source: "/a.jpg", RectField: "trim.left", RectYField: "trim.top"},
		"/cdn-cgi/image/trim.height=800/a.jpg":                                         {Params: params.Params{Rect: params.Rect{W: math.MaxInt32, H: 800}}, Source: "/a.jpg", RectField: "trim.top", RectYField: "trim.top"},
		"/cdn-cgi/image/dpr=2,trim.left=10,trim.width=100/a.jpg":                       {Params: params.Params{DPR: 2, Rect: params.Rect{X: 20, W: 200, H: math.MaxInt32}}, Source: "/a.jpg", RectField: "trim.left", RectYField: "trim.top"},
		// trim.border.color and trim.border.keep tune trim=border.
		"/cdn-cgi/image/trim=border,trim.border.color=%23000000,trim.border.keep=10/a.jpg": {Params: params.Params{Trim: true, TrimColor: params.Color{A: 255, Set: true}, TrimPad: 10}, Source: "/a.jpg"},
		"/cdn-cgi/image/trim.border.color=rgb(255%20255%200)/a.jpg":                        {Params: params.Params{Trim: true, TrimColor: params.Color{R: 255, G: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/cdn-cgi/image/dpr=2,trim.border.keep=3/a.jpg":                                    {Params: params.Params{DPR: 2, Trim: true, TrimPad: 6}, Source: "/a.jpg"},
	})
}

// TestParseOptionsDefaultFit: without fit, Cloudflare scales down
// ("scale-down (default) | Show entire image without cropping or
// upscaling"), as Next's and unpic's loaders rely on
// (width=W,quality=Q,format=auto).
func TestParseOptionsDefaultFit(t *testing.T) {
	for _, opts := range []string{"width=3000", "width=640,quality=75,format=auto", "w=800,h=600", "width=800,dpr=2"} {
		p, err := cloudflare.ParseOptions(opts)
		if err != nil {
			t.Fatalf("%s: %v", opts, err)
		}
		if p.Fit != params.FitMax {
			t.Errorf("%s: Fit %v, want max (scale-down)", opts, p.Fit)
		}
	}
}

func TestNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, cloudflare.New(), "/img/a.jpg?w=10", "/cdn-cgi/imagex/w=1/a.jpg", "/cdn-cgi/image")
}

func TestErrors(t *testing.T) {
	urltest.CheckErrors(t, cloudflare.New(), map[string]string{
		"/cdn-cgi/image/anim=yes/a.gif":                     "anim",
		"/cdn-cgi/image/width=abc/a.jpg":                    "width",
		"/cdn-cgi/image/saturation=2.5/a.jpg":               "saturation",
		"/cdn-cgi/image/contrast=-1/a.jpg":                  "contrast",
		"/cdn-cgi/image/brightness=11/a.jpg":                "brightness",
		"/cdn-cgi/image/gamma=-1/a.jpg":                     "gamma",
		"/cdn-cgi/image/w=1,zoom=2/a.jpg":                   "zoom",
		"/cdn-cgi/image/w=1,zoom=-0.1/a.jpg":                "zoom",
		"/cdn-cgi/image/w=1,zoom=near/a.jpg":                "zoom",
		"/cdn-cgi/image/format=json/a.jpg":                  "format",
		"/cdn-cgi/image/fit=fill,q=0/a.jpg":                 "fit q",
		"/cdn-cgi/image/fit=scale-up,w=10/a.jpg":            "fit",
		"/cdn-cgi/image/width=1,w=2/a.jpg":                  "w",
		"/cdn-cgi/image/rotate=45/a.jpg":                    "rotate",
		"/cdn-cgi/image/trim=1;2;3/a.jpg":                   "trim",
		"/cdn-cgi/image/trim=1;2;3;x/a.jpg":                 "trim",
		"/cdn-cgi/image/trim=1;2;3;-4/a.jpg":                "trim",
		"/cdn-cgi/image/gravity=2x2,fit=cover/a.jpg":        "gravity",
		"/cdn-cgi/image/w=1/":                               "source",
		"/cdn-cgi/image/w=1/a/../../etc/passwd":             "source",
		"/cdn-cgi/image/w=1/https://user@example.com/a.jpg": "source",
		"/cdn-cgi/image//a.jpg":                             "options",
		"/cdn-cgi/image/width/a.jpg":                        "width",
		// Commas inside parentheses belong to the value.
		"/cdn-cgi/image/w=100,background=rgb(1,2)/a.jpg":           "background",
		"/cdn-cgi/image/w=100,background=rgb(1,2,3,w=9/a.jpg":      "background",
		"/cdn-cgi/image/w=100,background=hsl(0,0%25,0%25)/a.jpg":   "background",
		"/cdn-cgi/image/scq=200/a.jpg":                             "scq",
		"/cdn-cgi/image/slow-connection-quality=x/a.jpg":           "slow-connection-quality",
		"/cdn-cgi/image/zoom=0.5,face-zoom=0.5/a.jpg":              "face-zoom",
		"/cdn-cgi/image/face-zoom=2/a.jpg":                         "face-zoom",
		"/cdn-cgi/image/trim.border.tolerance=5/a.jpg":             "trim.border.tolerance",
		"/cdn-cgi/image/trim=1;2;3;4,trim.left=5/a.jpg":            "trim.left",
		"/cdn-cgi/image/trim=border,trim.width=5/a.jpg":            "trim.width",
		"/cdn-cgi/image/trim=1;2;3;4,trim.border.keep=1/a.jpg":     "trim.border.keep",
		"/cdn-cgi/image/trim.top=1,trim.border.color=red/a.jpg":    "trim.border.color",
		"/cdn-cgi/image/trim.width=0/a.jpg":                        "trim.width",
		"/cdn-cgi/image/trim.left=-1/a.jpg":                        "trim.left",
		"/cdn-cgi/image/trim.height=x,trim.top=1,trim.top=2/a.jpg": "trim.height trim.top",
		"/cdn-cgi/image/trim.border.color=nope/a.jpg":              "trim.border.color",
		"/cdn-cgi/image/trim.border.keep=-1/a.jpg":                 "trim.border.keep",
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/cdn-cgi/image/width=80,quality=75/uploads/avatar1.jpg", "/cdn-cgi/image/w=1/https:/example.com/a.jpg?x",
		"/cdn-cgi/image/fit=pad,background=%23fff/a%2Fb", "/cdn-cgi/image/g=0.5x0.5,fit=crop/..", "/cdn-cgi/image/,,=/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { urltest.CheckURLDialect(t, cloudflare.New(), raw) })
}
