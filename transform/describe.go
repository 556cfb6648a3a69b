package transform

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/icc"
	"github.com/jebosio/matte/transform/vips"
)

// description is imgix's fm=json answer: what the source's header says, in
// the key names imgix uses (those of Apple's ImageIO properties). Only the
// header is read; imgix's EXIF, TIFF and JFIF dictionaries are not written.
type description struct {
	ContentType   string            `json:"Content-Type"`
	ContentLength string            `json:"Content-Length"`
	PixelWidth    int               `json:"PixelWidth"`
	PixelHeight   int               `json:"PixelHeight"`
	Orientation   int               `json:"Orientation"`
	Depth         int               `json:"Depth"`
	ColorModel    string            `json:"ColorModel"`
	HasAlpha      bool              `json:"HasAlpha,omitempty"`
	DPIWidth      int               `json:"DPIWidth,omitempty"`
	DPIHeight     int               `json:"DPIHeight,omitempty"`
	ProfileName   string            `json:"ProfileName,omitempty"`
	Output        descriptionOutput `json:"Output"`
	// Faces, with faces=1 and a detector, lists the faces found (none:
	// an empty list; a detector that cannot be loaded fails the request
	// with FacesUnavailable, where no detector leaves the key out), in
	// pixels of the upright image: the source with its EXIF orientation
	// applied (orient is not read), Source's Width x Height. PixelWidth
	// and PixelHeight are as stored: for an Orientation of 5 to 8 the
	// upright image is PixelHeight wide.
	Faces *[]describedFace `json:"Faces,omitempty"`
}

// describedFace is one face in imgix's shape: its box and the centres of
// its eyes (left_eye on the image's left) and mouth, in pixels from the
// top-left corner.
type describedFace struct {
	Bounds   faceRect  `json:"bounds"`
	LeftEye  facePixel `json:"left_eye"`
	RightEye facePixel `json:"right_eye"`
	Mouth    facePixel `json:"mouth"`
}

type faceRect struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

type facePixel struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// descriptionOutput is imgix's "Output": the frames of an animation.
type descriptionOutput struct {
	Frames int `json:"Frames,omitempty"`
}

// describe answers fm=json: the source's header as JSON, whatever else the
// Params ask (imgix describes the source, not an output). No pixel is
// decoded, but for faces=1 (Faces.List), with a detector: then the faces
// found are listed too. orient is one of the parameters not read: the
// source is described as it is stored and tagged.
func (pl *Pipeline) describe(ctx context.Context, req *Request) (Result, error) {
	d, err := vips.Describe(req.Source)
	if err != nil {
		return Result{}, corrupt(err)
	}
	t, _ := params.LookupSourceType(req.Info.TypeName)
	out := description{
		ContentType: t.ContentType, ContentLength: strconv.Itoa(len(req.Source)),
		PixelWidth: d.Width, PixelHeight: d.Height, Orientation: d.Orientation, Depth: d.Depth, ColorModel: d.ColorModel,
		HasAlpha: d.HasAlpha, DPIWidth: d.DPIX, DPIHeight: d.DPIY, ProfileName: icc.Description(d.ICC),
	}
	if d.Pages > 1 && req.Info.Animated() {
		out.Output.Frames = d.Pages
	}
	var timings Timings
	if req.Params.Faces.List && pl.opts.Faces != nil {
		boxes, t, err := pl.facesOf(ctx, req)
		if err != nil {
			return Result{}, err
		}
		timings = t
		list := make([]describedFace, len(boxes))
		w, h := float64(req.Info.Width), float64(req.Info.Height)
		px := func(p FacePoint) facePixel { return facePixel{int(math.Round(p.X * w)), int(math.Round(p.Y * h))} }
		for i, b := range boxes {
			x, y := int(math.Round(b.Left*w)), int(math.Round(b.Top*h))
			list[i] = describedFace{
				Bounds:  faceRect{X: x, Y: y, Width: int(math.Round(b.Right*w)) - x, Height: int(math.Round(b.Bottom*h)) - y},
				LeftEye: px(b.LeftEye), RightEye: px(b.RightEye), Mouth: px(b.Mouth),
			}
		}
		out.Faces = &list
	}
	body, err := json.Marshal(out)
	if err != nil {
		return Result{}, err
	}
	return Result{Body: body, Format: params.FormatJSON, Width: req.Info.Width, Height: req.Info.Height, Timings: timings}, nil
}

// facesOf runs the detector on req's source for describe, as the faces
// step does (on a locked OS thread, cancellable), and returns what it spent.
// describe reports the source, not an output: the faces are looked for in
// the source upright by its own EXIF orientation, whatever orient asks
// (req.Info's size and plain Hash are that image's), so that what is kept
// under the plain hash is what crop=faces of the source would find there.
func (pl *Pipeline) facesOf(ctx context.Context, req *Request) ([]FaceBox, Timings, error) {
	p := req.Params
	p.Orientation = 0
	j, end := pl.startJob(ctx, req, p, params.FormatJSON)
	defer end()
	start := time.Now()
	boxes, err := j.detectFaces()
	j.res.Timings[StageDecode] += time.Since(start) - j.apart
	if err != nil {
		return nil, Timings{}, err
	}
	return boxes, j.res.Timings, nil
}
