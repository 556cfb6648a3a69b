package thumbor_test

import (
	"net/http"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/dialect/thumbor"
	"github.com/jebosio/matte/params"
)

func TestParse(t *testing.T) {
	urltest.CheckParses(t, thumbor.New(""), map[string]dialect.ImageURL{
		// thumbor.readthedocs.io "Usage" examples.
		// smart: faces first, then attention (Thumbor's features) where there are none.
		"/unsafe/300x200/smart/s.glbimg.com/et/bb/f/original/2011/03/24/VN0JiwzmOw0b0lg.jpg": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}},
			Source: "/s.glbimg.com/et/bb/f/original/2011/03/24/VN0JiwzmOw0b0lg.jpg"},
		"/unsafe/300x200/smart/filters:no_upscale()/a.jpg":    {Params: params.Params{Width: 300, Height: 200, Fit: params.FitMin, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}, Source: "/a.jpg"},
		"/unsafe/fit-in/300x200/smart/a.jpg":                  {Params: params.Params{Fit: params.FitMax, Width: 300, Height: 200}, Source: "/a.jpg"}, // fitted: nothing is cut
		"/unsafe/300x0/smart/a.jpg":                           {Params: params.Params{Width: 300}, Source: "/a.jpg"},                                  // one side: nothing is cut
		"/unsafe/fit-in/300x200/filters:fill(blue)/img/a.jpg": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitFillMax, Background: params.Color{B: 255, A: 255, Set: true}}, Source: "/img/a.jpg"},
		"/unsafe/300x200/filters:grayscale()/img/a.jpg":       dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Saturation: -100}, Source: "/img/a.jpg"},
		"/unsafe/300x200/filters:round_corner(20,255,255,255)/img/a.jpg": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Mask: params.ShapeCorners,
			CornerRadius: params.Corners{TopLeft: 20, TopRight: 20, BottomRight: 20, BottomLeft: 20, Set: true}, MaskBackground: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}, Source: "/img/a.jpg"},
		"/unsafe/300x200/filters:round_corner(8|8,0,0,0,1)/img/a.png": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Mask: params.ShapeCorners,
			CornerRadius: params.Corners{TopLeft: 8, TopRight: 8, BottomRight: 8, BottomLeft: 8, Set: true}}, Source: "/img/a.png"},
		"/unsafe/fit-in/300x200/filters:fill(blur)/img/a.jpg":             dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitFillMax, FillBlur: true}, Source: "/img/a.jpg"},
		"/unsafe/fit-in/300x200/filters:fill(auto,true)/img/a.jpg":        dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitFillMax, FillMean: true}, Source: "/img/a.jpg"},
		"/unsafe/fit-in/300x200/filters:fill(red):no_upscale()/img/a.jpg": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitFillMax, Background: params.Color{R: 255, A: 255, Set: true}}, Source: "/img/a.jpg"},
		"/unsafe/300x200/filters:fill(blur)/img/a.jpg":                    dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop}, Source: "/img/a.jpg"},
		"/unsafe/-300x-200/left/top/img/a.jpg":                            dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropTopLeft, Flip: params.FlipHV}, Source: "/img/a.jpg"},
		"/unsafe/trim/10x20:110x220/300x0/img/a.jpg":                      dialect.ImageURL{Params: params.Params{Width: 300, Trim: true, TrimBy: params.TrimByDistance, Rect: params.Rect{X: 10, Y: 20, W: 100, H: 200}}, Source: "/img/a.jpg", RectField: "crop"},
		// trim[:top-left|:bottom-right][:tolerance]: the corner pixel's colour
		// and the euclidean distance from it (0 unless given), as Thumbor
		// measures it.
		"/unsafe/trim:top-left/a.jpg":                 {Params: params.Params{Trim: true, TrimBy: params.TrimByDistance}, Source: "/a.jpg"},
		"/unsafe/trim:bottom-right/a.jpg":             {Params: params.Params{Trim: true, TrimBy: params.TrimByDistance, TrimBottomRight: true}, Source: "/a.jpg"},
		"/unsafe/trim:top-left:50/a.jpg":              {Params: params.Params{Trim: true, TrimBy: params.TrimByDistance, TrimTolerance: 50, TrimToleranceSet: true}, Source: "/a.jpg"},
		"/unsafe/trim:50/a.jpg":                       {Params: params.Params{Trim: true, TrimBy: params.TrimByDistance, TrimTolerance: 50, TrimToleranceSet: true}, Source: "/a.jpg"},
		"/unsafe/trim:bottom-right:442/300x200/a.jpg": {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Trim: true, TrimBy: params.TrimByDistance, TrimBottomRight: true, TrimTolerance: 442, TrimToleranceSet: true}, Source: "/a.jpg"},
		"/unsafe/trim:0/a.jpg":                        {Params: params.Params{Trim: true, TrimBy: params.TrimByDistance}, Source: "/a.jpg"},
		// rotate(90) turns the resized image counter-clockwise (PIL's
		// direction, thumbor.readthedocs.io "rotate"): Matte turns the
		// source clockwise by 270 and fits the turned box, 200x300.
		"/unsafe/fit-in/300x200/filters:quality(80):format(webp):blur(7):rotate(90):no_upscale():strip_icc()/img/a.jpg?v=1": dialect.ImageURL{Params: params.Params{Width: 200, Height: 300, Fit: params.FitMax, Quality: 80, Format: params.FormatWebP, Blur: 70, Rotate: 270},
			Source: "/img/a.jpg", Query: "v=1"},
		"/unsafe/filters:background_color(ff0000):blur(5,2)/https://example.com/a.jpg?x=1": dialect.ImageURL{Params: params.Params{Background: params.Color{R: 255, A: 255, Set: true}, Blur: 20}, Source: "https://example.com/a.jpg?x=1"},
		"/unsafe/100x100/https%3A%2F%2Fexample.com%2Fa.jpg":                                dialect.ImageURL{Params: params.Params{Width: 100, Height: 100, Fit: params.FitCrop}, Source: "https://example.com/a.jpg"},

		// rotate(angle): any integer, modulo 360, multiples of 90 only;
		// after the crop in Thumbor, so the box, the anchor and a flip turn
		// with the image in Matte's turn-first plan.
		"/unsafe/300x200/filters:rotate(90)/a.jpg":                 {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:rotate(450)/a.jpg":                {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:rotate(-90)/a.jpg":                {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Rotate: 90}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:rotate(180)/a.jpg":                {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Rotate: 180}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:rotate(-720)/a.jpg":               {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:rotate(0)/a.jpg":                  {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/unsafe/300x0/filters:rotate(270)/a.jpg":                  {Params: params.Params{Height: 300, Rotate: 90}, Source: "/a.jpg"},
		"/unsafe/300x200/left/top/filters:rotate(90)/a.jpg":        {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropBottomLeft, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/300x200/left/top/filters:rotate(-90)/a.jpg":       {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropTopRight, Rotate: 90}, Source: "/a.jpg"},
		"/unsafe/300x200/right/filters:rotate(180)/a.jpg":          {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropLeft, Rotate: 180}, Source: "/a.jpg"},
		"/unsafe/300x200/bottom/filters:rotate(90)/a.jpg":          {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropRight, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/-300x200/filters:rotate(90)/a.jpg":                {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Flip: params.FlipV, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/-300x-200/filters:rotate(90)/a.jpg":               {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Flip: params.FlipHV, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/300x200/smart/filters:rotate(90)/a.jpg":           {Params: params.Params{Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/adaptive-fit-in/300x200/filters:rotate(90)/a.jpg": {Params: params.Params{Fit: params.FitMax, Width: 200, Height: 300, AdaptiveBox: true, Rotate: 270}, Source: "/a.jpg"},

		// thumbor.readthedocs.io "Watermark": the examples, then each form
		// of x and y, the ratios, and an image URL holding commas.
		"/unsafe/filters:watermark(http://my.site.com/img.png,-10,-10,50)/some/image.jpg": {Params: params.Params{Watermark: params.Watermark{
			Image: "http://my.site.com/img.png", X: 10, XSet: true, XFromEnd: true, Y: 10, YSet: true, YFromEnd: true, Alpha: 50, Align: params.CropTopLeft}}, MarkField: "filters:watermark", Source: "/some/image.jpg"},
		"/unsafe/filters:watermark(http://my.site.com/img.png,10p,-20p,50)/some/image.jpg": {Params: params.Params{Watermark: params.Watermark{
			Image: "http://my.site.com/img.png", X: 10, XSet: true, XPercent: true, Y: 20, YSet: true, YPercent: true, YFromEnd: true, Alpha: 50, Align: params.CropTopLeft}}, MarkField: "filters:watermark", Source: "/some/image.jpg"},
		"/unsafe/300x200/filters:watermark(wm.png,30,10,50,20)/a.jpg": {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Watermark: params.Watermark{
			Image: "/wm.png", X: 30, XSet: true, Y: 10, YSet: true, Alpha: 50, WidthRatio: 0.2, Align: params.CropTopLeft}}, MarkField: "filters:watermark", Source: "/a.jpg"},
		"/unsafe/filters:watermark(/wm/a.png,repeat,center,0,none,17.5):quality(70)/a.jpg": {Params: params.Params{Quality: 70, Watermark: params.Watermark{
			Image: "/wm/a.png", Spread: params.AxisX, Alpha: 100, HeightRatio: 0.175, Align: params.CropLeft}}, MarkField: "filters:watermark", Source: "/a.jpg"},
		"/unsafe/filters:watermark(https://x.test/a,b.png,repeat,repeat,25.4)/a.jpg": {Params: params.Params{Watermark: params.Watermark{
			Image: "https://x.test/a,b.png", Spread: params.AxisX | params.AxisY, Alpha: 75, Align: params.CropTopLeft}}, MarkField: "filters:watermark", Source: "/a.jpg"},
		"/unsafe/filters:watermark(center.png,center,-0,10)/a.jpg": {Params: params.Params{Watermark: params.Watermark{
			Image: "/center.png", Y: 0, YSet: true, YFromEnd: true, Alpha: 90, Align: params.CropTop}}, MarkField: "filters:watermark", Source: "/a.jpg"},
		// Fully transparent: no mark drawn, nothing fetched.
		"/unsafe/filters:watermark(wm.png,0,0,100)/a.jpg": {Params: params.Params{}, Source: "/a.jpg"},

		// Colour filters, with Thumbor's own formulas (see filters.go).
		"/unsafe/filters:brightness(40):contrast(50):saturation(0.5):rgb(20,-20,40)/a.jpg": {Params: params.Params{
			Brightness: 40, Contrast: 125, Saturation: -50, ChannelShift: [3]int{20, -20, 40}}, Source: "/a.jpg"},
		"/unsafe/filters:contrast(-100):saturation(2):brightness(-100)/a.jpg": {Params: params.Params{Brightness: -100, Contrast: -100, Saturation: 100}, Source: "/a.jpg"},
		"/unsafe/filters:contrast(-40)/a.jpg":                                 {Params: params.Params{Contrast: -64}, Source: "/a.jpg"},
		"/unsafe/filters:equalize()/a.jpg":                                    {Params: params.Params{Equalize: true}, Source: "/a.jpg"},
		// max_age(seconds): the answer's max-age, no pixel changed.
		"/unsafe/300x200/filters:max_age(3600)/a.jpg": {Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop}, Source: "/a.jpg", MaxAge: 3600, MaxAgeSet: true},
		"/unsafe/filters:max_age(0)/a.jpg":            {Source: "/a.jpg", MaxAgeSet: true},
		"/unsafe/filters:cover()/a.gif":               {Params: params.Params{Frames: params.FramesFirst}, Source: "/a.gif"},
		// convolution(items,columns,normalize): thumbor.readthedocs.io's example.
		"/unsafe/filters:convolution(1;2;1;2;4;2;1;2;1,3,true)/a.jpg":             {Params: params.Params{Convolution: params.Convolution{Columns: 3, Weights: "1;2;1;2;4;2;1;2;1", Normalize: true}}, Source: "/a.jpg"},
		"/unsafe/filters:convolution(-1;-1;-1;-1;8.50;-1;-1;-1;-1,3,False)/a.jpg": {Params: params.Params{Convolution: params.Convolution{Columns: 3, Weights: "-1;-1;-1;-1;8.5;-1;-1;-1;-1"}}, Source: "/a.jpg"},
		// curve: the documentation's second example, and lists ending in a comma.
		"/unsafe/filters:curve([(0,0),(255,255)],[(0,50),(16,51),(32,69),(58,85),(92,120),(128,170),(140,186),(167,225),(192,245),(225,255),(244,255),(255,254)],[(0,0),(16,2),(32,18),(64,59),(92,116),(128,182),(167,211),(192,227),(224,240),(244,247),(255,252)],[(0,48),(16,50),(62,77),(92,110),(128,144),(140,153),(167,180),(192,192),(224,217),(244,225),(255,225)])/a.jpg": {Params: params.Params{Curves: params.Curves{
			All:   "0:0,255:255",
			Red:   "0:50,16:51,32:69,58:85,92:120,128:170,140:186,167:225,192:245,225:255,244:255,255:254",
			Green: "0:0,16:2,32:18,64:59,92:116,128:182,167:211,192:227,224:240,244:247,255:252",
			Blue:  "0:48,16:50,62:77,92:110,128:144,140:153,167:180,192:192,224:217,244:225,255:225"}}, Source: "/a.jpg"},
		"/unsafe/filters:curve([(0,0),],[(10,20),(200,210),],[(5,5)],[(0,0),(255,255)]):quality(80)/a.jpg": {Params: params.Params{Quality: 80, Curves: params.Curves{
			All: "0:0", Red: "10:20,200:210", Green: "5:5", Blue: "0:0,255:255"}}, Source: "/a.jpg"},
		"/unsafe/filters:convolution(0;1;0,1,0)/a.jpg": {Params: params.Params{Convolution: params.Convolution{Columns: 1, Weights: "0;1;0"}}, Source: "/a.jpg"},
		"/unsafe/filters:noise(40)/a.jpg":              {Params: params.Params{Noise: 40}, Source: "/a.jpg"},
		"/unsafe/filters:autojpg()/a.png":              {Params: params.Params{PNGToJPEG: true}, Source: "/a.png"},
		"/unsafe/filters:autojpg(True)/a.png":          {Params: params.Params{PNGToJPEG: true}, Source: "/a.png"},
		"/unsafe/filters:autojpg(false)/a.png":         {Source: "/a.png"},
		"/unsafe/filters:noise(40,7)/a.jpg":            {Params: params.Params{Noise: 40, NoiseSeed: 7}, Source: "/a.jpg"},
		"/unsafe/filters:noise(0,7)/a.jpg":             {Source: "/a.jpg"},

		// focal: the docs' example; two regions weighed by area (centres
		// (212, 283) weight 133×154 and (50, 50) weight 100×100: (158.8,
		// 206.6), rounded down); a manual
		// crop shifts the point and leaves out one outside it; fit-in has
		// no crop to place.
		"/unsafe/400x100/filters:focal(146x206:279x360)/a.jpg": {Params: params.Params{Width: 400, Height: 100, Fit: params.FitCrop,
			Focus: params.Focus{X: 212, Y: 283, Set: true, Pixels: true}}, Source: "/a.jpg"},
		"/unsafe/400x100/smart/filters:focal(146x206:279x360):focal(0x0:100x100)/a.jpg": {Params: params.Params{Width: 400, Height: 100, Fit: params.FitCrop,
			Focus: params.Focus{X: 158, Y: 206, Set: true, Pixels: true}}, Source: "/a.jpg"},
		"/unsafe/100x200:500x600/400x100/filters:focal(146x206:279x360):focal(0x0:10x10)/a.jpg": {Params: params.Params{Width: 400, Height: 100, Fit: params.FitCrop,
			Rect: params.Rect{X: 100, Y: 200, W: 400, H: 400}, Focus: params.Focus{X: 112, Y: 83, Set: true, Pixels: true}}, Source: "/a.jpg", RectField: "crop"},
		"/unsafe/fit-in/400x100/filters:focal(146x206:279x360)/a.jpg": {Params: params.Params{Width: 400, Height: 100, Fit: params.FitMax}, Source: "/a.jpg"},

		// full-fit-in covers the box without cropping; the adaptive forms
		// turn the box to the source (resolved with the source's size).
		"/unsafe/full-fit-in/300x200/a.jpg":                               {Params: params.Params{Width: 300, Height: 200, Fit: params.FitOutside}, Source: "/a.jpg"},
		"/unsafe/adaptive-fit-in/300x200/a.jpg":                           {Params: params.Params{Fit: params.FitMax, Width: 300, Height: 200, AdaptiveBox: true}, Source: "/a.jpg"},
		"/unsafe/adaptive-full-fit-in/300x200/filters:no_upscale()/a.jpg": {Params: params.Params{Width: 300, Height: 200, Fit: params.FitOutsideMax, AdaptiveBox: true}, Source: "/a.jpg"},
		"/unsafe/adaptive-fit-in/300x0/a.jpg":                             {Params: params.Params{Fit: params.FitMax, Width: 300}, Source: "/a.jpg"},
		// fit-in never enlarges: Thumbor's transformer.py fit_in_resize
		// returns "if sign == 1 and self.target_width >= source_width and
		// self.target_height >= source_height"; the upscale filter is what
		// enlarges ("if an original image is 300px width by 200px height
		// and you ask for a 600x500 image, the filter will resize it to
		// 600x400"). full-fit-in (sign -1) always resizes to the box.
		"/unsafe/fit-in/600x500/filters:upscale()/a.jpg":              {Params: params.Params{Width: 600, Height: 500, Fit: params.FitClip}, Source: "/a.jpg"},
		"/unsafe/fit-in/600x0/filters:upscale()/a.jpg":                {Params: params.Params{Width: 600, Fit: params.FitClip}, Source: "/a.jpg"},
		"/unsafe/fit-in/600x500/filters:fill(red):upscale()/a.jpg":    {Params: params.Params{Width: 600, Height: 500, Fit: params.FitFill, Background: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/unsafe/fit-in/600x500/filters:upscale():no_upscale()/a.jpg": {Params: params.Params{Width: 600, Height: 500, Fit: params.FitMax}, Source: "/a.jpg"},
		"/unsafe/full-fit-in/600x0/a.jpg":                             {Params: params.Params{Width: 600, Fit: params.FitClip}, Source: "/a.jpg"},
		"/unsafe/full-fit-in/600x0/filters:no_upscale()/a.jpg":        {Params: params.Params{Width: 600, Fit: params.FitMax}, Source: "/a.jpg"},
		"/unsafe/600x500/filters:upscale()/a.jpg":                     {Params: params.Params{Width: 600, Height: 500, Fit: params.FitCrop}, Source: "/a.jpg"},
		// orig is the source's own side: transformer.py's
		// _calculate_target_dimensions sets "self.target_width =
		// source_width" for width "orig" (a ratio of 1 of the image after
		// the manual crop), so 300xorig crops to 300 by the full height.
		"/unsafe/300xorig/a.jpg":                         {Params: params.Params{Width: 300, HeightRatio: 1, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/unsafe/origx100/a.jpg":                         {Params: params.Params{WidthRatio: 1, Height: 100, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/unsafe/fit-in/origx100/a.jpg":                  {Params: params.Params{WidthRatio: 1, Height: 100, Fit: params.FitMax}, Source: "/a.jpg"},
		"/unsafe/300xorig/filters:rotate(90)/a.jpg":      {Params: params.Params{WidthRatio: 1, Height: 300, Fit: params.FitCrop, Rotate: 270}, Source: "/a.jpg"},
		"/unsafe/300xorig/filters:proportion(0.5)/a.jpg": {Params: params.Params{Width: 150, HeightRatio: 0.5, Fit: params.FitCrop}, Source: "/a.jpg"},
		// proportion and stretch.
		"/unsafe/300x200/filters:proportion(0.5)/a.jpg":       {Params: params.Params{Width: 150, Height: 100, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/unsafe/filters:proportion(0.25)/a.jpg":              {Params: params.Params{WidthRatio: 0.25}, Source: "/a.jpg"},
		"/unsafe/300x200/filters:stretch()/a.jpg":             {Params: params.Params{Width: 300, Height: 200, Fit: params.FitScale}, Source: "/a.jpg"},
		"/unsafe/fit-in/300x200/filters:stretch()/a.jpg":      {Params: params.Params{Width: 300, Height: 200, Fit: params.FitMax}, Source: "/a.jpg"},
		"/unsafe/300x0/filters:stretch():proportion(1)/a.jpg": {Params: params.Params{Width: 300}, Source: "/a.jpg"},
	})
}

func TestSignature(t *testing.T) {
	// libthumbor's documented example: key my-security-key signs
	// 300x200/my.server.com/some/path/to/image.jpg as below.
	d := thumbor.New("my-security-key")
	for _, tc := range []struct {
		url    string
		status int
	}{
		{"/8ammJH8D-7tXy6kU3lTvoXlhu4o=/300x200/my.server.com/some/path/to/image.jpg", 0},
		{"/8ammJH8D-7tXy6kU3lTvoXlhu4o=/300x201/my.server.com/some/path/to/image.jpg", http.StatusForbidden},
		{"/unsafe/300x200/my.server.com/some/path/to/image.jpg", http.StatusForbidden},
		{"/AAAAAAAAAAAAAAAAAAAAAAAAAAA=/300x200/my.server.com/some/path/to/image.jpg", http.StatusForbidden},
	} {
		_, ok, err := urltest.Parse(t, d, tc.url)
		status := 0
		if err != nil {
			status = params.AsErrors(err).Status()
		}
		if !ok || status != tc.status {
			t.Errorf("%s: ok %v status %d, want %d (%v)", tc.url, ok, status, tc.status, err)
		}
	}
	if _, ok, err := urltest.Parse(t, thumbor.New(""), "/8ammJH8D-7tXy6kU3lTvoXlhu4o=/300x200/a.jpg"); !ok || err != nil {
		t.Errorf("no key: %v %v", ok, err)
	}
	// The signature covers the path only: with a key, a query appended to
	// a signed URL does not reach the source; without one it does.
	for _, tc := range []struct {
		d               *thumbor.Dialect
		url, src, query string
	}{
		{d, "/8ammJH8D-7tXy6kU3lTvoXlhu4o=/300x200/my.server.com/some/path/to/image.jpg?v=2", "/my.server.com/some/path/to/image.jpg", ""},
		{thumbor.New(""), "/unsafe/300x200/my.server.com/some/path/to/image.jpg?v=2", "/my.server.com/some/path/to/image.jpg", "v=2"},
		{thumbor.New(""), "/unsafe/300x200/https://img.example/a.jpg?v=2", "https://img.example/a.jpg?v=2", ""},
	} {
		iu, ok, err := urltest.Parse(t, tc.d, tc.url)
		if !ok || err != nil || iu.Source != tc.src || iu.Query != tc.query {
			t.Errorf("%s: source %q query %q (%v %v), want %q %q", tc.url, iu.Source, iu.Query, ok, err, tc.src, tc.query)
		}
	}
}

func TestNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, thumbor.New(""), "/img/a.jpg", "/unsafe", "/insecure/w:1/plain//a.jpg", "/abc=/300x200/a.jpg")
}

func TestErrors(t *testing.T) {
	urltest.CheckErrors(t, thumbor.New(""), map[string]string{
		"/unsafe/meta/300x200/a.jpg":                                           "meta",
		"/unsafe/filters:grayscale(1)/a.jpg":                                   "filters:grayscale",
		"/unsafe/filters:equalize(1)/a.jpg":                                    "filters:equalize",
		"/unsafe/filters:noise(101)/a.jpg":                                     "filters:noise",
		"/unsafe/filters:autojpg(yes)/a.png":                                   "filters:autojpg",
		"/unsafe/filters:noise(5,-1)/a.jpg":                                    "filters:noise",
		"/unsafe/filters:noise()/a.jpg":                                        "filters:noise",
		"/unsafe/filters:max_age(-5)/a.jpg":                                    "filters:max_age",
		"/unsafe/filters:convolution(1;2;1;2,2,true)/a.jpg":                    "filters:convolution",
		"/unsafe/filters:curve([(0,0)],[(0,0)],[(0,0)])/a.jpg":                 "filters:curve",
		"/unsafe/filters:curve([],[(0,0)],[(0,0)],[(0,0)])/a.jpg":              "filters:curve",
		"/unsafe/filters:curve([(9,0),(5,1)],[(0,0)],[(0,0)],[(0,0)])/a.jpg":   "filters:curve",
		"/unsafe/filters:curve([(0,256)],[(0,0)],[(0,0)],[(0,0)])/a.jpg":       "filters:curve",
		"/unsafe/filters:curve([(0,0)],[(0,0)],[(0,0)],[(0,0)],[(1,1)])/a.jpg": "filters:curve",
		"/unsafe/filters:convolution(1;2;1,3)/a.jpg":                           "filters:convolution",
		"/unsafe/filters:convolution(1;x;1,3,true)/a.jpg":                      "filters:convolution",
		"/unsafe/filters:convolution(1;1;1;1;1;1,3,true)/a.jpg":                "filters:convolution",
		"/unsafe/filters:convolution(1;1;1,3,yes)/a.jpg":                       "filters:convolution",
		"/unsafe/filters:max_age(31536001)/a.jpg":                              "filters:max_age",
		"/unsafe/filters:max_age()/a.jpg":                                      "filters:max_age",
		"/unsafe/filters:quality(101):rotate(45)/a.jpg":                        "filters:quality filters:rotate",
		"/unsafe/filters:round_corner(8|4,0,0,0)/a.jpg":                        "filters:round_corner",
		"/unsafe/filters:round_corner(8)/a.jpg":                                "filters:round_corner",
		"/unsafe/filters:round_corner(8,0,0,256)/a.jpg":                        "filters:round_corner",
		"/unsafe/filters:quality/a.jpg":                                        "filters",
		"/unsafe/300x200/":                                                     "image",
		"/unsafe/300x200/a/../../etc/passwd":                                   "image",
		"/unsafe/filters:watermark(a.png,1,2)/a.jpg":                           "filters:watermark",
		"/unsafe/filters:watermark(a.png,1,2,101)/a.jpg":                       "filters:watermark",
		"/unsafe/filters:watermark(a.png,1,left,0)/a.jpg":                      "filters:watermark",
		"/unsafe/filters:watermark(a.png,101p,0,0)/a.jpg":                      "filters:watermark",
		"/unsafe/filters:watermark(a.png,0,0,0,101)/a.jpg":                     "filters:watermark",
		"/unsafe/filters:watermark(../x.png,0,0,0)/a.jpg":                      "filters:watermark",
		"/unsafe/filters:watermark(ftp://h/x.png,0,0,0)/a.jpg":                 "filters:watermark",
		"/unsafe/filters:watermark(,0,0,0)/a.jpg":                              "filters:watermark",
		"/unsafe/filters:watermark(a.png,0,0,0):watermark(b.png,0,0,0)/a.jpg":  "filters:watermark",
		"/unsafe/filters:brightness(101):contrast(x)/a.jpg":                    "filters:brightness filters:contrast",
		"/unsafe/filters:saturation(101):rgb(1,2)/a.jpg":                       "filters:saturation filters:rgb",
		"/unsafe/filters:rgb(1,2,-101)/a.jpg":                                  "filters:rgb",
		"/unsafe/filters:proportion(0):stretch(1)/a.jpg":                       "filters:proportion filters:stretch",
		"/unsafe/filters:proportion(1.5)/a.jpg":                                "filters:proportion",
		"/unsafe/10x10/filters:focal(146x206)/a.jpg":                           "filters:focal",
		"/unsafe/10x10/filters:focal(279x360:146x206)/a.jpg":                   "filters:focal",
		"/unsafe/trim:/a.jpg":                                                  "trim",
		"/unsafe/trim:middle/a.jpg":                                            "trim",
		"/unsafe/trim:top-left:/a.jpg":                                         "trim",
		"/unsafe/trim:-5/a.jpg":                                                "trim",
		"/unsafe/trim:1.5/a.jpg":                                               "trim",
		"/unsafe/trim:50:top-left/a.jpg":                                       "trim",
		"/unsafe/trim:top-left:bottom-right/a.jpg":                             "trim",
		"/unsafe/trim:bottom-right:5:5/a.jpg":                                  "trim",
		"/unsafe/filters:rotate(45)/a.jpg":                                     "filters:rotate",
		"/unsafe/filters:rotate(exif)/a.jpg":                                   "filters:rotate",
		"/unsafe/filters:rotate(90.0)/a.jpg":                                   "filters:rotate",
		"/unsafe/filters:rotate(-)/a.jpg":                                      "filters:rotate",
		"/unsafe/filters:rotate()/a.jpg":                                       "filters:rotate",
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/unsafe/300x200/smart/a/b.jpg", "/unsafe/trim:top-left/1x2:3x4/fit-in/-0x-0/right/bottom/smart/filters:fill(red,1):blur(1,2)/x",
		"/8ammJH8D-7tXy6kU3lTvoXlhu4o=/300x200/my.server.com/some/path/to/image.jpg", "/unsafe/filters:((:)/..", "/unsafe/filters:round_corner(8|8,1,2,3,true)/a.png",
		"/unsafe/filters:watermark(http://h.test/a,b.png,-10p,repeat,50,none,20):rgb(1,-2,3)/a.jpg", "/unsafe/filters:watermark(x(/y/z,1,2,3)/a"} {
		f.Add(s)
	}
	plain, signed := thumbor.New(""), thumbor.New("my-security-key")
	f.Fuzz(func(t *testing.T, raw string) {
		urltest.CheckURLDialect(t, plain, raw)
		urltest.CheckURLDialect(t, signed, raw)
	})
}
