package imgix

import (
	"testing"

	"github.com/jebosio/matte/params"
)

// Values imgix documents that Matte used to refuse with a 400. The ranges
// are those of imgix's parameter list (imgix-url-params' parameters.json,
// which imgix's URL builders read) and of its docs:
//
//   - dpr: "strict_range": {"min": 0, "max": 5}, suggested 0.75–5. Below
//     1 the output shrinks as above 1 it grows.
//   - sharp: "type": "number", 0–100. Params.Sharpen is whole: a fraction
//     is rounded (sigma 0.5 + sharp/100 moves by at most 0.005).
//   - txt-x, txt-y: "type": "integer"; docs.imgix.com's text position:
//     "The value can be a positive or negative integer. If the value is
//     negative, the text will be partially positioned outside the bounds
//     of the base image."
//   - q: "type": "integer", 0–100; 0, the lowest, is Matte's lowest, 1.
//   - crop: "possible_values" include "edges"; imgix: "edges crop
//     performs edge detection, looking for objects in the image to
//     automatically crop to an interesting area". Matte's closest is
//     libvips' attention strategy (edges, skin tones and saturation).
//   - auto: "possible_values": enhance, format, redeye, compress, true.
//     imgix's own dpr example is fit=crop&h=300&w=500&auto=enhance&dpr=2.
//     Like compress, enhance, redeye and true (imgix's older spelling of
//     enhance) are accepted and ignored: Matte does no automatic
//     enhancement or red-eye removal.
func TestParseQueryDocumentedValues(t *testing.T) {
	checkParses(t, []validCase{
		{"dpr=0.75", params.Params{DPR: 0.75}},
		{"w=400&dpr=0.5", params.Params{Width: 400, DPR: 0.5}},
		{"dpr=5", params.Params{DPR: 5}},
		{"sharp=50.5", params.Params{Sharpen: 51}},
		{"sharp=0.4", params.Params{}},
		{"sharp=99.9", params.Params{Sharpen: 100}},
		{"txt=Hi&txt-x=-5&txt-y=-10", params.Params{Text: params.Text{Text: "Hi", Size: 12, Color: params.Color{A: 255, Set: true}, Font: "sans",
			Align: params.CropBottomRight, Pad: 10, X: -5, Y: -10, XSet: true, YSet: true}}},
		{"q=0", params.Params{Quality: 1}},
		{"q=100", params.Params{Quality: 100}},
		{"fit=crop&w=10&h=10&crop=edges", params.Params{Width: 10, Height: 10, Fit: params.FitCrop, Crop: params.CropAttention}},
		{"fit=crop&w=10&h=10&crop=faces,edges", params.Params{Width: 10, Height: 10, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{"fit=crop&h=300&w=500&auto=enhance&dpr=2", params.Params{Width: 500, Height: 300, Fit: params.FitCrop, DPR: 2}},
		{"auto=redeye", params.Params{}},
		{"auto=true", params.Params{}},
		{"auto=format,enhance,redeye,compress", params.Params{AutoFormat: true}},
		{"auto=enhance&auto=format", params.Params{AutoFormat: true}},
	})
	checkOneError(t, []errorCase{
		{"dpr=0", "dpr", `dpr="0" is not valid; dpr must be a number above 0 and up to 5, such as 2 or 0.75.`},
		{"dpr=5.01", "dpr", `dpr="5.01" is not valid; dpr must be a number above 0 and up to 5, such as 2 or 0.75.`},
		// Below 1 a side can come to less than a device pixel: 1 x 0.4.
		// (The error names dpr as the URL wrote it: width for w below.)
		{"width=1&dpr=0.4", "dpr", "dpr=0.4 brings w to less than one device pixel; give a larger dpr or w."},
		{"w=1&dpr=0.4", "dpr", "dpr=0.4 brings w to less than one device pixel; give a larger dpr or w."},
		{"fit=crop&max-h=2&dpr=0.2", "dpr", "dpr=0.2 brings max-h to less than one device pixel; give a larger dpr or max-h."},
		{"sharp=100.5", "sharp", `sharp="100.5" is not valid; sharp must be a number from 0 to 100.`},
		{"q=-1", "q", `q="-1" is not valid; q must be an integer from 0 to 100 (0 is read as 1, the lowest).`},
		{"txt=Hi&txt-x=-100001", "txt-x", `txt-x="-100001" is not valid; txt-x must be an integer from -100000 to 100000.`},
		{"auto=enhanced", "auto", `auto="enhanced" is not valid; auto must be a comma-separated list of format, compress, enhance, redeye and true (all but format are accepted and ignored).`},
		{"crop=edges,top", "crop", `crop="edges,top" is not valid (edges goes alone here: crop=edges or crop=faces,edges); crop must be one of center, top, bottom, left, right, entropy, attention, edges (read as attention), focalpoint (with fp-x, fp-y, fp-z), or a pair of top or bottom and left or right such as top,left, or fg (crop to the foreground; needs rembg=1); faces before any of them (faces,top,left) crops on the faces found, and on the rest where there are none.`},
	})
}
