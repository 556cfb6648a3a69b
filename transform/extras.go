package transform

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/params"
)

type extrasKey struct{}

// WithExtras returns ctx carrying e for Pipeline.Process.
func WithExtras(ctx context.Context, e params.Extras) context.Context {
	if e.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, extrasKey{}, e)
}

// ExtrasFrom returns the Extras ctx carries (the zero value when none).
func ExtrasFrom(ctx context.Context) params.Extras {
	e, _ := ctx.Value(extrasKey{}).(params.Extras)
	return e
}

func (j *job) extras() params.Extras { return ExtrasFrom(j.ctx) }

// limitToROI clears the matte (the last band of j.img, which is at load
// scale, unrotated) outside Extras.ROI. It runs before frameSubject.
func (j *job) limitToROI() error {
	roi := j.extras().ROI
	if roi.IsZero() || !j.p.Removal.Enabled {
		return nil
	}
	roi, err := clampRect(roi, j.src.Width, j.src.Height)
	if err != nil {
		return &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "roi",
			Detail: fmt.Sprintf("The region of interest lies outside the %dx%d source.", j.src.Width, j.src.Height)}
	}
	img := j.img
	fx, fy := float64(img.width())/float64(j.src.Width), float64(img.height())/float64(j.src.Height)
	x0, y0 := int(math.Floor(float64(roi.X)*fx)), int(math.Floor(float64(roi.Y)*fy))
	x1 := min(img.width(), int(math.Ceil(float64(roi.X+roi.W)*fx)))
	y1 := min(img.height(), int(math.Ceil(float64(roi.Y+roi.H)*fy)))
	if x0 == 0 && y0 == 0 && x1 == img.width() && y1 == img.height() {
		return nil
	}
	alpha, err := img.extractBand(img.bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.close()
	if x1 <= x0 || y1 <= y0 {
		if err := alpha.linear1(0, 0); err != nil {
			return err
		}
		if err := alpha.clampUchar(); err != nil {
			return err
		}
	} else {
		if err := alpha.extract(x0, y0, x1-x0, y1-y0); err != nil {
			return err
		}
		if err := alpha.embed(x0, y0, img.width(), img.height(), []float64{0}); err != nil {
			return err
		}
	}
	colour, err := img.extractBand(0, img.bands()-1)
	if err != nil {
		return err
	}
	defer colour.close()
	joined, err := bandjoin(colour, alpha)
	if err != nil {
		return err
	}
	img.set(joined.p)
	return img.copyMemory()
}

// keepCanvas implements Extras.KeepCanvas: after the rotation steps, the
// image goes back to its size before them, centred.
func (j *job) keepCanvas() error {
	if !j.extras().KeepCanvas || j.p.Rotate == 0 || j.geo.cropW != 0 {
		return nil
	}
	w, h := j.geo.resizeW, j.geo.resizeH
	if w == j.img.width() && h == j.img.height() {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	// embed with a negative offset cuts; with a positive one, it pads.
	return j.img.embed((w-j.img.width())/2, (h-j.img.height())/2, w, h, bg)
}

// cropMargins adds Extras.Margins around the foreground crop. It runs at
// output scale, after padding and before the background is laid, so the
// margins take the background (and the shadow may fall into them).
func (j *job) cropMargins() error {
	e := j.extras()
	if !e.MarginsSet || !j.p.Removal.Enabled || !j.p.Removal.CropToForeground {
		return nil
	}
	w, h := j.img.width(), j.img.height()
	var px [4]int // top, right, bottom, left
	for i, l := range e.Margins {
		v := l.Value
		if l.Percent {
			side := float64(w)
			if i%2 == 0 {
				side = float64(h)
			}
			v = side * math.Min(v, params.MaxMarginPercent) / 100
		}
		px[i] = int(math.Round(math.Max(0, math.Min(v, params.MaxMargin))))
	}
	if px == [4]int{} {
		return nil
	}
	nw, nh := w+px[1]+px[3], h+px[0]+px[2]
	if max := j.pl.opts.Limits.MaxOutputDimension; max > 0 && (nw > max || nh > max) {
		return &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "crop_margin",
			Detail: "The output with its margins would be " + strconv.Itoa(nw) + "x" + strconv.Itoa(nh) + "; at most " + strconv.Itoa(max) + " pixels a side are allowed."}
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.embed(px[3], px[0], nw, nh, bg)
}

// backgroundImage is the layer Extras.BgImage makes for a w x h output
// (RGBA), or nil when the request carries no background image bytes for
// Params.Removal.BgImage.
func (j *job) backgroundImage(w, h int) (*vimage, error) {
	e := j.extras()
	ref := j.p.Removal.BgImage
	if len(e.BgImage) == 0 || ref == "" || params.BgImageRef(e.BgImage) != ref {
		return nil, nil
	}
	bad := func(cause error) error {
		return &params.Error{Status: http.StatusUnprocessableEntity, Code: params.CodeCorruptSource, Title: "Corrupt background image", Field: "bg_image",
			Detail: "The background image could not be decoded.", Cause: cause}
	}
	hd, err := readHeader(e.BgImage)
	if err != nil {
		return nil, bad(err)
	}
	if hd.width <= 0 || hd.height <= 0 {
		return nil, bad(fmt.Errorf("empty image"))
	}
	// Cover w x h keeping the aspect ratio, then cut the centre.
	s := math.Max(float64(w)/float64(hd.width), float64(h)/float64(hd.height))
	cw, ch := max(w, int(math.Ceil(float64(hd.width)*s))), max(h, int(math.Ceil(float64(hd.height)*s)))
	if hd.width == w && hd.height == h {
		cw, ch = w, h
	}
	img, err := thumbnail(e.BgImage, cw, ch, noCrop, 1)
	if err != nil {
		return nil, bad(err)
	}
	if err := img.extract((img.width()-w)/2, (img.height()-h)/2, w, h); err != nil {
		img.close()
		return nil, err
	}
	if err := img.toSRGB(); err != nil {
		img.close()
		return nil, err
	}
	if err := img.addAlpha(); err != nil {
		img.close()
		return nil, err
	}
	return img, nil
}
