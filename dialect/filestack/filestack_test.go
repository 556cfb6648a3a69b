package filestack

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "filestack" {
		t.Fatal(New().Name())
	}
}

// handle is a Filestack file handle (20 letters and digits).
const handle = "pdn7PhZdT02GoYZCVYeF"

var white = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

func TestParseValid(t *testing.T) {
	h := "/" + handle
	urltest.CheckValid(t, New(), []urltest.Valid{
		// The brief's (and Filestack's) chained example.
		{"/resize=width:400,height:300,fit:crop/output=format:webp/compress" + h, h, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Format: params.FormatWebP}},
		// Hygraph: the environment id first, then the tasks.
		{"/cl0abc123/resize=width:400/auto_image" + h, "/cl0abc123" + h, "", params.Params{Width: 400, AutoFormat: true}},
		{"/resize=width:300,height:200" + h + "?policy=p&signature=s", h, "policy=p&signature=s", params.Params{Width: 300, Height: 200}},
		{"/resize=width:300,height:200,fit:scale" + h, h, "", params.Params{Width: 300, Height: 200, Fit: params.FitScale}},
		{"/resize=width:300,height:200,fit:max" + h, h, "", params.Params{Width: 300, Height: 200, Fit: params.FitMax}},
		{"/resize=height:200,fit:max" + h, h, "", params.Params{Height: 200, Fit: params.FitMax}},
		{"/resize=width:300,fit:crop,align:top" + h, h, "", params.Params{Width: 300}},
		{"/resize=width:300,height:200,fit:crop,align:[top,left]" + h, h, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{"/resize=width:300,height:200,fit:crop,align:[right,bottom]" + h, h, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropBottomRight}},
		{"/resize=width:300,height:200,fit:clip,align:left" + h, h, "", params.Params{Width: 300, Height: 200}},
		// align:faces: crop's crop centred on the faces found, centred (the default align) where there are none.
		{"/resize=width:300,height:200,fit:crop,align:faces" + h, h, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}},
		{"/resize=width:300,height:200,align:faces" + h, h, "", params.Params{Width: 300, Height: 200}}, // clip: nothing is cut
		{"/resize=width:10,align:faces" + h, h, "", params.Params{Width: 10}},
		{"/crop=dim:[10,20,200,250]" + h, h, "", params.Params{Rect: params.Rect{X: 10, Y: 20, W: 200, H: 250}}},
		{"/rotate=deg:90" + h, h, "", params.Params{Rotate: 90}},
		{"/rotate=deg:45,background:red" + h, h, "", params.Params{Rotate: 45, Background: params.Color{R: 255, A: 255, Set: true}}},
		{"/rotate=deg:exif" + h, h, "", params.Params{}},
		{"/flip/flop/no_metadata" + h, h, "", params.Params{Flip: params.FlipHV}},
		{"/flop/auto_image" + h, h, "", params.Params{Flip: params.FlipH, AutoFormat: true}},
		// filestack-js's transform(H, {cache: false, resize: {width: 300}}), with the API
		// key as the prefix: Filestack's cache control, ignored.
		{"/AbCdEf123/cache=false/resize=width:300" + h, "/AbCdEf123" + h, "", params.Params{Width: 300}},
		{"/resize=width:300/cache=expiry:31536000" + h, h, "", params.Params{Width: 300}},
		{"/cache=expiry:max/flip" + h, h, "", params.Params{Flip: params.FlipV}},
		{"/output=format:jpg,quality:80,compress:true,strip:true" + h, h, "", params.Params{Format: params.FormatJPEG, Quality: 80}},
		{"/output=format:pjpg" + h, h, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{"/output=format:png,background:FFFFFF" + h, h, "", params.Params{Format: params.FormatPNG, Background: white}},
		{"/quality=value:75" + h, h, "", params.Params{Quality: 75}},
		{"/pjpg=quality:70" + h, h, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive, Quality: 70}},
		{"/compress=metadata:false/no_metadata" + h, h, "", params.Params{}},
		{"/blur=amount:4" + h, h, "", params.Params{Blur: 40}},
		{"/blur/no_metadata" + h, h, "", params.Params{Blur: 20}},
		{"/sharpen=amount:20" + h, h, "", params.Params{Sharpen: 100}},
		{"/sharpen/no_metadata" + h, h, "", params.Params{Sharpen: 10}},
		{"/env/monochrome/negative/no_metadata" + h, "/env" + h, "", params.Params{Saturation: -100, Invert: true}},
		{"/sepia/auto_image" + h, h, "", params.Params{Sepia: 80, AutoFormat: true}},
		{"/sepia=tone:30" + h, h, "", params.Params{Sepia: 30}},
		{"/pixelate=amount:12" + h, h, "", params.Params{Pixelate: 12}},
		{"/circle/no_metadata" + h, h, "", params.Params{Mask: params.ShapeCircle}},
		{"/circle=background:FFFFFFFF" + h, h, "", params.Params{Mask: params.ShapeCircle, MaskBackground: white}},
		// The face tasks: Filestack's default amounts (10), and the
		// defaults of faces and type written out.
		{"/pixelate_faces" + h, h, "", params.Params{Faces: params.Faces{Pixelate: 10}}},
		{"/pixelate_faces=amount:25,faces:all,type:rect" + h, h, "", params.Params{Faces: params.Faces{Pixelate: 25}}},
		{"/blur_faces" + h, h, "", params.Params{Faces: params.Faces{Blur: 10}}},
		{"/resize=width:400/blur_faces=amount:4.5" + h, h, "", params.Params{Width: 400, Faces: params.Faces{Blur: 4.5}}},
		{"/blur_faces=amount:0,type:rect" + h, h, "", params.Params{}},
	})
}

// The fields are the task, or the task and its key, as Filestack spells
// them.
func TestParseInvalid(t *testing.T) {
	h := "/" + handle
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/resize=width:0" + h, []string{"resize.width"}, "an integer from 1 to 10000"},
		{"/resize=width:10001,height:x" + h, []string{"resize.width", "resize.height"}, "is not valid"},
		{"/resize=fit:crop" + h, []string{"resize"}, "needs width or height"},
		{"/resize=width:10,fit:fill" + h, []string{"resize.fit"}, "one of clip, crop, scale, max"},
		{"/resize=width:10,align:face" + h, []string{"resize.align"}, "faces, or a pair such as [top,left]"},
		{"/resize=width:10,align:[center,left]" + h, []string{"resize.align"}, "a pair such as [top,left]"},
		{"/resize=w:10" + h, []string{"resize.w"}, "not a Filestack resize option Matte supports (width, height, fit, align)"},
		{"/resize=width:10,width:20" + h, []string{"resize.width"}, "given twice"},
		{"/resize=width:" + h, []string{"resize.width"}, "is empty"},
		{"/resize=width" + h, []string{"resize"}, "<key>:<value>"},
		{"/resize=" + h, []string{"resize"}, "has no options"},
		{"/resize=width:10/resize=width:20" + h, []string{"resize"}, "given twice"},
		{"/crop=dim:[0,0,0,10]" + h, []string{"crop.dim"}, "[x,y,width,height]"},
		{"/crop=dim:10,20,30,40" + h, []string{"crop"}, "<key>:<value>"},
		{"/crop/no_metadata" + h, []string{"crop"}, "needs dim"},
		{"/rotate=deg:360" + h, []string{"rotate.deg"}, "from 0 to 359, or exif"},
		{"/rotate=exif:true" + h, []string{"rotate.exif"}, "not a Filestack rotate option"},
		{"/rotate=deg:10,background:%23fff" + h, []string{"rotate.background"}, "hex colour"},
		{"/output=format:pdf" + h, []string{"output.format"}, "one of jpg, pjpg, png, webp"},
		{"/output=quality:input" + h, []string{"output.quality"}, "an integer from 1 to 100"},
		{"/output=colorspace:cmyk" + h, []string{"output.colorspace"}, "not a Filestack output option"},
		{"/output=compress:yes" + h, []string{"output.compress"}, "true or false"},
		{"/quality=value:0" + h, []string{"quality.value"}, "from 1 to 100"},
		{"/quality=value:50/output=quality:60" + h, []string{"quality"}, "give it once"},
		{"/output=format:webp/auto_image" + h, []string{"auto_image"}, "not both"},
		{"/compress=metadata:true" + h, []string{"compress.metadata"}, "Matte always strips metadata"},
		{"/flip=x:1" + h, []string{"flip.x"}, "(none)"},
		{"/cache=true" + h, []string{"cache"}, "is not valid"},
		{"/cache/no_metadata" + h, []string{"cache"}, "cache=false or cache=expiry"},
		{"/cache=expiry:0" + h, []string{"cache.expiry"}, "from 1 to 31536000"},
		{"/cache=expiry:31536001" + h, []string{"cache.expiry"}, "from 1 to 31536000"},
		{"/cache=false/cache=expiry:60" + h, []string{"cache"}, "given twice"},
		{"/blur=amount:21" + h, []string{"blur.amount"}, "from 0 to 20"},
		{"/pixelate=amount:1" + h, []string{"pixelate.amount"}, "from 2 to 100"},
		{"/sepia=tone:101" + h, []string{"sepia.tone"}, "from 0 to 100"},
		{"/circle=background:nocolour" + h, []string{"circle.background"}, "hex colour"},
		{"/pixelate_faces=amount:1" + h, []string{"pixelate_faces.amount"}, "from 2 to 100"},
		{"/blur_faces=amount:21" + h, []string{"blur_faces.amount"}, "a number from 0 to 20"},
		{"/pixelate_faces=faces:2" + h, []string{"pixelate_faces.faces"}, "obscures every face it finds"},
		{"/blur_faces=faces:[1,2]" + h, []string{"blur_faces.faces"}, "obscures every face it finds"},
		{"/blur_faces=type:oval" + h, []string{"blur_faces.type"}, "each face's box"},
		{"/pixelate_faces=blur:4" + h, []string{"pixelate_faces.blur"}, "(amount, faces, type)"},
		{"/blur_faces=buffer:20" + h, []string{"blur_faces.buffer"}, "(amount, faces, type)"},
		{"/pixelate_faces/blur_faces" + h, []string{"blur_faces"}, "give one"},
		{"/crop_faces=mode:thumb" + h, []string{"crop_faces"}, "not a Filestack task Matte supports"},
		{"/rounded_corners=radius:10" + h, []string{"rounded_corners"}, "not a Filestack task Matte supports"},
		{"/watermark=file:abc/resize=width:10" + h, []string{"watermark"}, "not a Filestack task Matte supports"},
		{"/security=policy:p,signature:s/resize=width:10" + h, []string{"security"}, "not a Filestack task"},
	})
}

// A site's own paths stay its own: a file name with an extension, a path
// without a Filestack task, and Filestack's external-URL and storage-alias
// sources are not claimed.
func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(),
		"/"+handle, "/img/"+handle, "/resize=width:10/photo.jpg", "/img/flip/photo.jpg", "/a/b/flip/"+handle,
		"/resize=width:10/https://example.com/a.jpg", "/resize=width:10/src:alias", "/foo=bar/"+handle,
		"/resize=width:10/", "/resize=width:10", "/",
		"/resize=width:10/img/"+handle, "/env-id/resize=width:10/"+handle,
		// Bare common-word tasks alone are a site's own paths.
		"/tags/golang", "/blur/"+handle, "/env/flip/flop/"+handle, "/cache/abc",
	)
}

// The URLs unpic's hygraph provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const env, src = "/clxyz0123abcd", "/clxyz0123abcd/AbCdEf0123456789XyZw"
	h := "/AbCdEf0123456789XyZw"
	want := map[string]dialect.ImageURL{
		env + "/resize=fit:crop,width:400,height:300/auto_image" + h: {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		env + "/resize=fit:crop,width:200,height:150/auto_image" + h: {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, AutoFormat: true}},
		env + "/resize=width:320/output=format:png" + h:              {Source: src, Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "hygraph", want)
}

// known accepts the fields the dialect reports on.
func known(f string) bool {
	task, key, dotted := strings.Cut(f, ".")
	_, ok := keys[task]
	if dotted {
		return ok && key != ""
	}
	return f == "path" || ok || unsupported[task]
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/resize=width:400,height:300,fit:crop,align:[top,left]/output=format:webp/compress/" + handle,
		"/env/crop=dim:[1,2,3,4]/rotate=deg:45,background:red/flip/flop/" + handle,
		"/blur=amount:3/sharpen/sepia=tone:1/pixelate/circle=background:fff/" + handle,
		"/resize=width:1,width:2/" + handle, "/quality=value:9/auto_image/" + handle, "/resize=/a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _, ok := urltest.FuzzParsed(t, New(), raw, known)
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Rotate < 0 || p.Rotate >= 360 {
			t.Fatalf("params out of range: %+v", p)
		}
		if strings.Contains(got.Source[1:], "=") || strings.Count(got.Source, "/") > 2 {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/crop=dim:[10,20,200,250]/" + handle: {"crop.dim", ""},
	})
}

// Filestack applies the tasks in the URL's order, Matte in its own: these
// chains give the same image both ways (the tasks in Matte's order, or ones
// that commute), so they are read as one request.
func TestParseOrderAccepted(t *testing.T) {
	h := "/" + handle
	const env, hy = "/clxyz0123abcd", "/AbCdEf0123456789XyZw"
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Nuxt Image 2.1.0's hygraph provider: {width: 400, height: 300,
		// format: "webp", quality: 80}, {width: 400}, and fit "contain".
		{env + "/resize=width:400,height:300/quality=value:80/output=format:webp" + hy, env + hy, "", params.Params{Width: 400, Height: 300, Quality: 80, Format: params.FormatWebP}},
		{env + "/resize=width:400/auto_image" + hy, env + hy, "", params.Params{Width: 400, AutoFormat: true}},
		{env + "/resize=width:400,height:300,fit:max/auto_image" + hy, env + hy, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax, AutoFormat: true}},
		// filestack-js 4.3.8 writes the tasks in the order they are added
		// (Filelink.generateTransformString): resize, flip, output.
		{"/resize=width:400/flip/output=format:webp" + h, h, "", params.Params{Width: 400, Flip: params.FlipV, Format: params.FormatWebP}},
		// Matte's own order.
		{"/crop=dim:[10,20,200,250]/rotate=deg:90/resize=width:100/monochrome/sepia/negative/flop/blur=amount:2/sharpen=amount:1/pixelate=amount:4/circle" + h, h, "",
			params.Params{Rect: params.Rect{X: 10, Y: 20, W: 200, H: 250}, Rotate: 90, Width: 100, Saturation: -100, Sepia: 80, Invert: true, Flip: params.FlipH, Blur: 20, Sharpen: 5, Pixelate: 4, Mask: params.ShapeCircle}},
		{"/resize=width:100/rotate=deg:45/flip/blur_faces/blur" + h, h, "", params.Params{Width: 100, Rotate: 45, Flip: params.FlipV, Faces: params.Faces{Blur: 10}, Blur: 20}},
		// Colour tasks before a pixel move or the resize.
		{"/negative/crop=dim:[0,0,10,10]" + h, h, "", params.Params{Invert: true, Rect: params.Rect{W: 10, H: 10}}},
		{"/monochrome/rotate=deg:270" + h, h, "", params.Params{Saturation: -100, Rotate: 270}},
		{"/sepia/resize=width:100" + h, h, "", params.Params{Sepia: 80, Width: 100}},
		// A flip before a quarter turn is the other flip after an odd one.
		{"/flop/rotate=deg:90" + h, h, "", params.Params{Rotate: 90, Flip: params.FlipV}},
		{"/flip/rotate=deg:180" + h, h, "", params.Params{Rotate: 180, Flip: params.FlipV}},
		{"/flop/rotate=deg:90/flip" + h, h, "", params.Params{Rotate: 90}},
		// A flip before a resize that cuts nothing off-centre, or a colour.
		{"/flop/resize=width:400,height:300,fit:crop" + h, h, "", params.Params{Flip: params.FlipH, Width: 400, Height: 300, Fit: params.FitCrop}},
		{"/flip/resize=width:400,height:300,align:left" + h, h, "", params.Params{Flip: params.FlipV, Width: 400, Height: 300}},
		{"/flip/monochrome/no_metadata" + h, h, "", params.Params{Flip: params.FlipV, Saturation: -100}},
		// blur, sharpen and pixelate where they commute.
		{"/blur/rotate=deg:90/flop/negative" + h, h, "", params.Params{Blur: 20, Rotate: 90, Flip: params.FlipH, Invert: true}},
		{"/sharpen/flip/rotate=deg:180" + h, h, "", params.Params{Sharpen: 10, Flip: params.FlipV, Rotate: 180}},
		{"/pixelate/monochrome/no_metadata" + h, h, "", params.Params{Pixelate: 2, Saturation: -100}},
		// Settings stand anywhere; deg:0 and exif turn nothing.
		{"/resize=width:400/rotate=deg:0/no_metadata" + h, h, "", params.Params{Width: 400}},
		{"/output=format:png/rotate=deg:exif/crop=dim:[0,0,10,10]/blur/no_metadata" + h, h, "", params.Params{Format: params.FormatPNG, Rect: params.Rect{W: 10, H: 10}, Blur: 20}},
	})
}

// A chain whose order Matte's pipeline would change is a 400 on its first
// task that comes after one Matte applies later.
func TestParseOrderRefused(t *testing.T) {
	h := "/" + handle
	const why = "which Matte applies after it"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		// A crop of the resized, turned or mirrored image: its position
		// would need the source's size.
		{"/resize=width:800/crop=dim:[0,0,400,400]" + h, []string{"crop"}, "crop comes after resize, " + why},
		{"/rotate=deg:90/crop=dim:[0,0,400,400]" + h, []string{"crop"}, "crop comes after rotate, " + why},
		{"/flop/crop=dim:[0,0,400,400]" + h, []string{"crop"}, why},
		// A turn of the resized image turns the box; another angle first
		// would resize the turned image's bounding box.
		{"/resize=width:400/rotate=deg:90" + h, []string{"rotate"}, "rotate comes after resize, " + why},
		{"/rotate=deg:45/resize=width:400" + h, []string{"resize"}, why},
		{"/rotate=deg:45/monochrome" + h, []string{"monochrome"}, why},
		{"/flip/rotate=deg:45" + h, []string{"rotate"}, "rotate comes after flip, " + why},
		// blur, sharpen, pixelate and the face tasks of the source.
		{"/blur=amount:5/resize=width:100" + h, []string{"resize"}, "resize comes after blur, " + why},
		{"/sharpen/resize=width:100" + h, []string{"resize"}, why},
		{"/pixelate=amount:8/resize=width:100" + h, []string{"resize"}, why},
		{"/blur_faces/resize=width:100" + h, []string{"resize"}, why},
		{"/blur/crop=dim:[0,0,10,10]" + h, []string{"crop"}, why},
		{"/sharpen/blur/no_metadata" + h, []string{"blur"}, "blur comes after sharpen, " + why},
		{"/pixelate/flip/no_metadata" + h, []string{"flip"}, why},
		{"/sharpen/negative/no_metadata" + h, []string{"negative"}, why},
		// The colour tasks among themselves.
		{"/negative/monochrome/no_metadata" + h, []string{"monochrome"}, "monochrome comes after negative, " + why},
		{"/sepia/monochrome/no_metadata" + h, []string{"monochrome"}, why},
		{"/negative/sepia/no_metadata" + h, []string{"sepia"}, why},
		// A flip before a resize that cuts off-centre.
		{"/flop/resize=width:400,height:300,fit:crop,align:left" + h, []string{"resize"}, "resize comes after flop, " + why},
		{"/flip/resize=width:400,height:300,fit:crop,align:faces" + h, []string{"resize"}, why},
		// circle is Matte's last step.
		{"/circle/blur/no_metadata" + h, []string{"blur"}, "blur comes after circle, " + why},
		{"/circle/resize=width:100" + h, []string{"resize"}, why},
		// Only the first task out of order is named; a bad task is
		// reported for its value, not its place.
		{"/resize=width:400/crop=dim:[0,0,10,10]/rotate=deg:90" + h, []string{"crop"}, "crop comes after resize"},
		{"/blur/resize=width:0" + h, []string{"resize.width"}, "from 1 to 10000"},
	})
}
