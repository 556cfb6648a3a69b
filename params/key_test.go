package params

import (
	"math"
	"strconv"
	"testing"
)

func richParams() Params {
	return Params{
		Width: 800, Height: 600, DPR: 1.5, Fit: FitCrop, Crop: CropBottomRight, Rect: Rect{10, 20, 300, 200},
		Rotate: 45.25, Flip: FlipHV, Format: FormatWebP, AutoFormat: true, Quality: 80, Lossless: true,
		Background: Color{R: 0xff, G: 0x80, B: 0x00, A: 0xcc, Set: true}, Blur: 20, Sharpen: 10, Trim: true, Pad: 4,
	}
}

// richRemoval sets every Removal field (more than ParseQuery would allow
// together: Key does not judge).
func richRemoval() Removal {
	return Removal{
		Enabled: true, Model: "u2net", MaskOnly: true, Hard: true, Threshold: 0.5, Refine: true, Feather: 2.5, Erode: 3,
		CropToForeground: true, FGPad: Length{Value: 10, Percent: true}, Scale: 0.8, Position: Position{X: 50, Y: 100, Set: true},
		BgBlur: 20, BgGradient: [2]Color{{R: 255, G: 255, B: 255, A: 255, Set: true}, {A: 255, Set: true}},
		BgImage: "https://x/y.jpg",
		Shadow:  Shadow{Enabled: true, Color: Color{R: 255, A: 255, Set: true}, Opacity: 0.3, OffsetX: -5, OffsetY: 20, OffsetSet: true, Blur: 4},
	}
}

// The golden key must never change within a PipelineVersion: cached
// variants and ETags depend on it.
func TestKeyGolden(t *testing.T) {
	const golden = "w=800,h=600,dpr=1.5,fit=crop,crop=bottom-right,rect=10:20:300:200,rot=45.25,flip=hv,fm=webp,auto=format,q=80,lossless=1,bg=ff8000cc,blur=20,sharp=10,trim=1,pad=4"
	if got := richParams().Key(); got != golden {
		t.Errorf("Key() =\n%s\nwant\n%s", got, golden)
	}
	tests := []struct {
		p    Params
		want string
	}{
		{Params{}, ""},
		{Params{Width: 100}, "w=100"},
		{Params{Height: 100, DPR: 2}, "h=100,dpr=2"},
		{Params{Rotate: math.Copysign(0, -1)}, ""},
		{Params{Rotate: 0.1}, "rot=0.1"},
		{Params{Orientation: 6, Rotate: 90}, "or=6,rot=90"},
		{Params{Rotate: 340, RotateStraighten: true}, "rot=340,rot-straighten=1"},
		{Params{Text: Text{Text: "a", Size: 12, Outline: 2, OutlineColor: Color{R: 255, G: 255, B: 255, A: 255, Set: true}}}, `txt="a":12:unset:00000000:"":0:center:0:line=2:ffffffff`},
		{Params{Text: Text{Text: "a", Size: 12, Shadow: 2.5}}, `txt="a":12:unset:00000000:"":0:center:0:shad=2.5`},
		{Params{Text: Text{Text: "a", Size: 12, Fit: true, Clip: TextClipMiddle, Ellipsis: true}}, `txt="a":12:unset:00000000:"":0:center:0:fit:clip=middle,ellipsis`},
		{Params{Text: Text{Text: "a", Size: 12, Clip: TextClipStart}}, `txt="a":12:unset:00000000:"":0:center:0:clip=start`},
		{Params{Watermark: Watermark{Image: "/m.png", Pad: 5, Alpha: 100}}, `mark="/m.png":0:0:0:0:0:clip:center:5:100`},
		{Params{Watermark: Watermark{Image: "/m.png", Pad: 5, Alpha: 100, Tile: true, MinWidth: 600}}, `mark="/m.png":0:0:0:0:0:clip:center:5:100:tile:min=600x0`},
		{Params{Watermark: Watermark{Image: "/m.png", Alpha: 100, Rotate: 22.5, Tile: true}}, `mark="/m.png":0:0:0:0:0:clip:center:0:100:rot=22.5:tile`},
		{Params{Watermark: Watermark{Image: "/m.png", Alpha: 50, X: 10, XSet: true, XFromEnd: true, Y: 20, YSet: true, YPercent: true}}, `mark="/m.png":0:0:0:0:0:clip:center:0:50:x10:y20:x-end:y%`},
		{Params{Watermark: Watermark{Image: "/m.png", Alpha: 100, WidthRatio: 0.2, Y: 5, YSet: true, Spread: AxisX}}, `mark="/m.png":0:0:0.2:0:0:clip:center:0:100:y5:spread=x`},
		{Params{Watermark: Watermark{Image: "/m.png", Alpha: 100, Spread: AxisX | AxisY}}, `mark="/m.png":0:0:0:0:0:clip:center:0:100:spread=xy`},
		{Params{Contrast: 125, ChannelShift: [3]int{20, -20, 40}}, "con=125,rgb=20:-20:40"},
		{Params{Equalize: true, Invert: true}, "equalize=1,invert=1"},
		{Params{DPI: 300}, "dpi=300"},
		{Params{FormatQuality: FormatQualities{JPEG: 80, AVIF: 50}}, "fq=80:0:50"},
		{Params{Median: 3, Threshold: 128, Normalize: true, Tint: Color{R: 255, A: 255, Set: true}}, "median=3,bw-threshold=128,normalize=1,tint=ff0000ff"},
		{Params{Width: 300, Height: 200, Fit: FitOutside, AdaptiveBox: true}, "w=300,h=200,fit=outside,adaptive=1"},
		{Params{Width: 300, Fit: FitOutsideMax}, "w=300,fit=outsidemax"},
		{Params{Width: 300, Height: 200, Fit: FitMin, SourceFit: SourceFit{When: FitWhenSmaller, Fit: FitMax}}, "w=300,h=200,fit=min,fit-if=smaller:max"},
		{Params{Width: 300, Height: 200, Fit: FitCrop, SourceFit: SourceFit{When: FitWhenCrossed, Fit: FitFill}}, "w=300,h=200,fit=crop,fit-if=crossed:fill"},
		{Params{Width: 300, Height: 200, Fit: FitCrop, KeepSourceIfBoxExceeds: true}, "w=300,h=200,fit=crop,keep-source-if-box-exceeds=1"},
		{Params{Width: 300, Height: 200, KeepSourceIfBoxExceeds: true, DPR: 2}, "w=300,h=200,dpr=2,keep-source-if-box-exceeds=1"},
		{Params{DropShadow: DropShadow{Opacity: 0.3, Blur: 10, X: 2, Y: -2}}, "drop-shadow=0.3:10:2:-2"},
		{Params{Block: Block{Color: Color{R: 255, A: 255, Set: true}, Width: 300, Height: 100, Align: CropBottom}}, "block=ff0000ff:300:100:bottom"},
		{Params{Block: Block{Color: Color{R: 255, A: 255, Set: true}, Width: 3, Height: 1, X: 5, XSet: true, YSet: true, XFromEnd: true}}, "block=ff0000ff:3:1:center:x5:y0:x-end"},
		{Params{Region: Region{Cut: Sides{1, 2, 3, 4}}}, "region=cut=1:2:3:4:area=0:0:0:0:center"},
		{Params{Region: Region{W: 100, HRatio: 0.5, Anchor: CropBottomRight}}, "region=cut=0:0:0:0:area=100:0:0:0.5:bottom-right"},
		{Params{Region: Region{W: 100, H: 50, Focus: Focus{X: 0.25, Y: 1, Set: true}}}, "region=cut=0:0:0:0:area=100:50:0:0:center:focus=0.25:1"},
		{Params{Region: Region{W: 100, H: 50, At: [2]Place{{By: PlaceFraction, F: 0.5}, {By: PlaceAlign, F: 1}}, AtSet: true}}, "region=cut=0:0:0:0:area=100:50:0:0:center:at=f0.5:a1"},
		{Params{Region: Region{W: 100, H: 50, At: [2]Place{{Px: 7}, {By: PlaceAlign, F: 0.5}}, AtSet: true}}, "region=cut=0:0:0:0:area=100:50:0:0:center:at=px7:a0.5"},
		{Params{Trim: true, TrimBy: TrimByAlpha}, "trim=1,trim-by=alpha"},
		{Params{Trim: true, TrimBy: TrimByAlphaOrColour, TrimPad: 2}, "trim=1,trim-pad=2,trim-by=alpha-or-colour"},
		{Params{Trim: true, TrimBy: TrimByRows, TrimMeanDiff: 11, TrimStdDev: 4.5}, "trim=1,trim-by=rows,trim-md=11,trim-sd=4.5"},
		{Params{Trim: true, TrimBy: TrimByDistance, TrimTolerance: 50, TrimToleranceSet: true, TrimBottomRight: true}, "trim=1,trim-tol=50,trim-by=distance,trim-br=1"},
		{Params{Border: Border{Color: Color{R: 255, A: 255, Set: true}, Sides: Sides{4, 4, 4, 4}}}, "border=4:4:4:4:ff0000ff"},
		{Params{Border: Border{Color: Color{A: 128, Set: true}, Sides: Sides{1, 2, 3, 4}, Radius: Corners{5, 5, 0, 0, true}, InnerRadius: Corners{2, 2, 2, 2, true}}}, "border=1:2:3:4:00000080:r=5:5:0:0:ri=2:2:2:2"},
		{Params{Background: Color{Set: true}}, "bg=00000000"},
		{Params{Background: Color{A: 255}}, "bg=unset:000000ff"},
		{Params{Format: FormatJPEG}, "fm=jpeg"},
		{Params{Frames: FramesKeep}, ""},
		{Params{Frames: FramesGIF}, "frames=gif"},
		{Params{Frames: FramesFirst}, "frames=first"},
		{Params{Frames: FramesSource}, "frames=source"},
		{Params{Format: FormatJPEG, Variant: VariantProgressive, Quality: 80}, "fm=jpeg,variant=progressive,q=80"},
		{Params{Format: FormatPNG, Variant: VariantPalette}, "fm=png,variant=palette"},
		{Params{Variant: VariantRGBA}, "variant=rgba"},
		{Params{Rect: Rect{X: 5}}, "rect=5:0:0:0"},
		{Params{Fit: Fit(200)}, "fit=fit(200)"},
		{Params{Fit: FitCrop, AspectRatio: 1.5, Crop: CropTop}, "fit=crop,ar=1.5,crop=top"},
		{Params{Fit: FitCrop, Focus: Focus{X: 0.25, Y: 1, Set: true}}, "fit=crop,focus=0.25:1"},
		{Params{Fit: FitCrop, Focus: Focus{X: 0, Y: 0.5, Zoom: 2.5, Set: true}}, "fit=crop,focus=0:0.5:2.5"},
		{Params{Fit: FitCrop, Focus: Focus{X: 212, Y: 283, Set: true, Pixels: true}}, "fit=crop,focus=212:283:px"},
		{Params{Focus: Focus{X: 0.5}}, "focus=unset:0.5:0"},
		{Params{Fit: FitCrop, Faces: Faces{Crop: true}}, "fit=crop,faces=true:false:0:0:false:false:0:0"},
		{Params{Fit: FitFill, Faces: Faces{Area: true, Pad: 2, Index: 3}}, "fit=fill,faces=false:true:2:3:false:false:0:0"},
		{Params{Faces: Faces{Blur: 12.5, Pixelate: 8}}, "faces=false:false:0:0:false:false:12.5:8"},
		{Params{Fit: FitCrop, Faces: Faces{Crop: true, Largest: true}}, "fit=crop,faces=true:false:0:0:false:false:0:0:largest"},
		{Params{Fit: FitCrop, Faces: Faces{Crop: true, Zoom: 0.5}}, "fit=crop,faces=true:false:0:0:false:false:0:0:zoom=0.5"},
		{Params{Faces: Faces{Frame: true, Pad: 2}}, "faces=false:false:2:0:false:false:0:0:frame"},
		{Params{Format: FormatJSON, Faces: Faces{List: true}}, "faces=false:false:0:0:true:false:0:0,fm=json"},
		{Params{Height: 200, Fit: FitCrop, CropLimits: CropLimits{MaxW: 1200, MinH: 3}}, "h=200,fit=crop,crop-limits=0:1200:3:0"},
		{Params{Padding: Sides{Top: 1, Left: 4}}, "padding=1:0:0:4"},
		{Params{WidthRatio: 0.5, HeightRatio: 0.25, DPR: 2}, "w-ratio=0.5,h-ratio=0.25,dpr=2"},
		{Params{Saturation: -100, Brightness: 10, Contrast: -5, Blur: 2}, "blur=2,sat=-100,bri=10,con=-5"},
		{Params{Invert: true}, "invert=1"},
		{Params{Noise: 40, NoiseSeed: 7}, "noise=40:7"},
		{Params{Lightness: 1.5, SigmoidContrast: -30, Tint: Color{R: 255, A: 255, Set: true}, TintEven: true}, "lightness=1.5,sigmoid-con=-30,tint=ff0000ff,tint-even=1"},
		{Params{PNGToJPEG: true, ExtendToAspect: true}, "exar=1,autojpg=1"},
		{Params{ExtendGravity: ExtendGravity{Anchor: CropTopLeft, X: 10, Y: -0.5}, CapDPR: true}, "ex-gravity=top-left:10:-0.5,dpr-cap=1"},
		{Params{ExtendGravity: ExtendGravity{Point: true, X: 0.25, Y: 1}}, "ex-gravity=point:0.25:1"},
		{Params{ExtendGravity: ExtendGravity{X: 3}}, "ex-gravity=center:3:0"},
		{Params{Width: 8, Kernel: KernelNearest}, "w=8,kernel=nearest"},
		{Params{Denoise: Denoise{Bound: 20, Sharpen: -5, Set: true}}, "nr=20:-5"},
		{Params{Exposure: -40, Highlights: -60, Shadows: 33, Vibrance: 25, Contrast: 5}, "con=5,exp=-40,high=-60,shad=33,vib=25"},
		{Params{Hue: 90, Sepia: 80, Monochrome: Color{R: 255, G: 128, A: 255, Set: true}, Contrast: 5}, "con=5,hue=90,sepia=80,mono=ff8000ff"},
		{Params{Pixelate: 8, UnsharpMask: -40, UnsharpRadius: 4.5, Sharpen: 3}, "sharp=3,px=8,usm=-40,usmrad=4.5"},
		{Params{Mask: ShapeEllipse, MaskBackground: Color{G: 255, A: 255, Set: true}}, "mask=ellipse,mask-bg=00ff00ff"},
		{Params{Mask: ShapeCorners, CornerRadius: Corners{TopLeft: 8, TopRight: 8, Set: true}}, "mask=corners,corner-radius=8:8:0:0"},
		{Params{CornerRadius: Corners{BottomLeft: 1}}, "corner-radius=unset:0:0:0:1"},
		{Params{Download: true, DownloadName: `a",b.jpg`}, `dl="a\",b.jpg"`},
		{Params{Download: true}, `dl=""`},
		{Params{Width: 400, ClientHints: HintWidth | HintSaveData}, "w=400,ch=width+save-data"},
		{Params{ClientHints: 8}, "ch=hints(8)"},
		{Params{Format: FormatJPEG, Quality: 90, Chroma: 420}, "fm=jpeg,q=90,chromasub=420"},
		{Params{Blend: Blend{Color: Color{R: 255, A: 255, Set: true}, Mode: BlendMultiply, Alpha: 50}}, "blend=ff0000ff:multiply:50"},
		{Params{Text: Text{Text: `Sale "50%"`, Size: 24, Color: Color{R: 255, G: 255, B: 255, A: 255, Set: true}, Font: "sans bold", Align: CropBottomRight, Pad: 10, Y: 3, YSet: true}}, `txt="Sale \"50%\"":24:ffffffff:"sans bold":0:bottom-right:10:y3`},
		{Params{BrightnessFactor: 1.5, Gamma: 2.2, Monochrome: Color{A: 1, Set: true}}, "mono=00000001,bri-x=1.5,gamma=2.2"},
		{Params{Trim: true, TrimColor: Color{R: 255, A: 255, Set: true}, TrimToleranceSet: true, TrimPad: -3}, "trim=1,trim-color=ff0000ff,trim-tol=0,trim-pad=-3"},
		{Params{TrimTolerance: 4}, "trim-tol=unset:4"},
		{Params{Watermark: Watermark{Image: "sha256:ab", WidthRatio: 0.25, Align: CropBottomRight, Pad: 5, Alpha: 100, X: 10, XSet: true}}, `mark="sha256:ab":0:0:0.25:0:0:clip:bottom-right:5:100:x10`},
		{Params{Watermark: Watermark{Image: "/l.png", Fit: FitScale, Width: 3, Height: 4, Scale: 0, Alpha: 40, Y: 7}}, `mark="/l.png":3:4:0:0:0:scale:center:0:40:unset-y7`},
		{Params{DownloadName: "x"}, `dl=unset:"x"`},
		{Params{Fit: FitFill, FillColor: Color{R: 255, A: 128, Set: true}}, "fit=fill,fill-color=ff000080"},
		{Params{Fit: FitFill, FillBlur: true, FillBlurStrength: 300, Pad: 2}, "fit=fill,pad=2,fill-blur=1,fill-blur-strength=300"},

		{Params{Format: FormatZIP}, "fm=zip"},
		{Params{Format: FormatJSON}, "fm=json"},
		{Params{Removal: Removal{Enabled: true}}, "rembg=1"},
		{Params{Removal: Removal{Enabled: true, Model: `a",mask=1`}}, `rembg=1,model="a\",mask=1"`},
		{Params{Removal: Removal{Hard: true}}, "threshold=0"},
		{Params{Removal: Removal{Hard: true, Threshold: math.Copysign(0, -1)}}, "threshold=0"},
		{Params{Removal: Removal{Threshold: 0.5}}, "threshold=soft:0.5"},
		{Params{Removal: Removal{FGPad: Length{Value: 10}}}, "fg-pad=10px"},
		{Params{Removal: Removal{FGPad: Length{Percent: true}}}, "fg-pad=0%"},
		{Params{Removal: Removal{Feather: math.Copysign(0, -1), Scale: 1}}, "scale=1"},
		{Params{Removal: Removal{Position: Position{Set: true}}}, "position=0:0"},
		{Params{Removal: Removal{Position: Position{X: math.Copysign(0, -1), Y: 2.5, Set: true}}}, "position=0:2.5"},
		{Params{Removal: Removal{Position: Position{X: 1}}}, "position=unset:1:0"},
		{Params{Removal: Removal{BgGradient: [2]Color{{Set: true}, {}}}}, "bg-gradient=00000000:unset:00000000"},
		{Params{Removal: Removal{BgImage: "/a,b=c"}}, `bg-image="/a,b=c"`},
		{Params{Removal: Removal{Shadow: Shadow{Enabled: true}}}, "shadow=drop"},
		{Params{Removal: Removal{Shadow: Shadow{OffsetSet: true}}}, "shadow-offset=0:0"},
		{Params{Removal: Removal{Shadow: Shadow{OffsetY: 10}}}, "shadow-offset=unset:0:10"},
		{Params{Removal: Removal{Shadow: Shadow{Color: Color{A: 255}}}}, "shadow-color=unset:000000ff"},
		// The encoder options and the gradient come last.
		{Params{JPEGOptions: JPEGOptions{TrellisQuant: true, OvershootDeringing: true, OptimizeScans: true, QuantTable: 3}, Variant: VariantProgressive},
			"variant=progressive,jpeg-options=3:trellis:deringing:scans"},
		{Params{JPEGOptions: JPEGOptions{QuantTable: 8}}, "jpeg-options=8"},
		{Params{JPEGOptions: JPEGOptions{OvershootDeringing: true}, Quality: 90}, "q=90,jpeg-options=0:deringing"},
		{Params{PNGOptions: PNGOptions{Interlace: true, PaletteColors: 16}}, "png-options=16:interlace"},
		{Params{PNGOptions: PNGOptions{Interlace: true}}, "png-options=0:interlace"},
		{Params{PNGOptions: PNGOptions{PaletteColors: 256}}, "png-options=256"},
		{Params{WebPOptions: WebPOptions{Compression: WebPNearLossless, Preset: WebPPresetPhoto, SmartSubsample: true}}, "webp-options=near_lossless:photo:smart-subsample"},
		{Params{WebPOptions: WebPOptions{Compression: WebPLossless}}, "webp-options=lossless:default"},
		{Params{WebPOptions: WebPOptions{Preset: WebPPresetText}}, "webp-options=lossy:text"},
		{Params{Gradient: Gradient{From: Color{Set: true}, To: Color{A: 0xcc, Set: true}, Angle: 180, Start: 0.25, Stop: 1}}, "gradient=00000000:000000cc:180:0.25:1"},
		{Params{Gradient: Gradient{To: Color{R: 255, A: 255, Set: true}, Stop: 0.5}}, "gradient=unset:00000000:ff0000ff:0:0:0.5"},
		{Params{Gradient: Gradient{From: Color{Set: true}, To: Color{A: 255, Set: true}, Angle: 45, StopPixels: 120}}, "gradient=00000000:000000ff:45:0:0:stop-px=120"},
		{Params{Width: 10, Gradient: Gradient{From: Color{Set: true}, To: Color{A: 255, Set: true}, Angle: 90, Stop: 1}, PNGOptions: PNGOptions{PaletteColors: 4}},
			"w=10,png-options=4,gradient=00000000:000000ff:90:0:1"},
	}
	for _, tt := range tests {
		if got := tt.p.Key(); got != tt.want {
			t.Errorf("%+v.Key() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestVariantFor(t *testing.T) {
	for _, tc := range []struct {
		v    Variant
		f    Format
		want Variant
	}{
		{VariantProgressive, FormatJPEG, VariantProgressive},
		{VariantProgressive, FormatPNG, VariantNone},
		{VariantPalette, FormatPNG, VariantPalette},
		{VariantRGBA, FormatPNG, VariantRGBA},
		{VariantRGBA, FormatWebP, VariantNone},
		{VariantNone, FormatJPEG, VariantNone},
	} {
		if got := tc.v.For(tc.f); got != tc.want {
			t.Errorf("%v.For(%v) = %v, want %v", tc.v, tc.f, got, tc.want)
		}
	}
}

// The removal fields follow the old ones, which keep their golden key.
func TestKeyGoldenRemoval(t *testing.T) {
	const golden = "w=800,h=600,dpr=1.5,fit=crop,crop=bottom-right,rect=10:20:300:200,rot=45.25,flip=hv,fm=webp,auto=format,q=80,lossless=1,bg=ff8000cc,blur=20,sharp=10,trim=1,pad=4," +
		`rembg=1,model="u2net",mask=1,threshold=0.5,refine=1,feather=2.5,erode=3,crop-fg=1,fg-pad=10%,scale=0.8,position=50:100,bg-blur=20,` +
		`bg-gradient=ffffffff:000000ff,bg-image="https://x/y.jpg",shadow=drop,shadow-color=ff0000ff,shadow-opacity=0.3,shadow-offset=-5:20,shadow-blur=4`
	p := richParams()
	p.Removal = richRemoval()
	if got := p.Key(); got != golden {
		t.Errorf("Key() =\n%s\nwant\n%s", got, golden)
	}
	const alone = `rembg=1,model="u2net",mask=1,threshold=0.5,refine=1,feather=2.5,erode=3,crop-fg=1,fg-pad=10%,scale=0.8,position=50:100,bg-blur=20,` +
		`bg-gradient=ffffffff:000000ff,bg-image="https://x/y.jpg",shadow=drop,shadow-color=ff0000ff,shadow-opacity=0.3,shadow-offset=-5:20,shadow-blur=4`
	if got := (Params{Removal: richRemoval()}).Key(); got != alone {
		t.Errorf("Key() =\n%s\nwant\n%s", got, alone)
	}
}

// keyVariants returns Params that differ from each other, each field taking
// several values, including ones that look alike when printed carelessly.
func keyVariants() []Params {
	base := richParams()
	vs := []Params{{}, base}
	add := func(f func(p *Params)) {
		p := Params{}
		f(&p)
		vs = append(vs, p)
		p = base
		f(&p)
		vs = append(vs, p)
	}
	for _, v := range []int{1, 2, 10, 12, 100000} {
		add(func(p *Params) { p.Width = v })
		add(func(p *Params) { p.Width, p.CapDPR = v, true })
		add(func(p *Params) { p.Height = v })
		add(func(p *Params) { p.Quality = v % 101 })
		add(func(p *Params) { p.Blur = v % 2001 })
		add(func(p *Params) { p.Sharpen = v % 101 })
		add(func(p *Params) { p.Pad = v % 10001 })
		add(func(p *Params) { p.Faces = Faces{Crop: true, Index: v} })
		add(func(p *Params) { p.Faces = Faces{Area: true, Pad: float64(v) / 4} })
		add(func(p *Params) { p.Faces = Faces{List: true, Index: v} })
		add(func(p *Params) { p.Faces = Faces{Place: true, Index: v} })
		add(func(p *Params) { p.Faces = Faces{Pixelate: v} })
		add(func(p *Params) { p.Faces = Faces{Blur: float64(v) / 3} })
		add(func(p *Params) { p.Rect = Rect{v, 1, 1, 1} })
		add(func(p *Params) { p.ExtendGravity = ExtendGravity{Anchor: CropRight, X: float64(v)} })
		add(func(p *Params) { p.ExtendGravity = ExtendGravity{Anchor: CropRight, Y: float64(v)} })
		add(func(p *Params) { p.ExtendGravity = ExtendGravity{Point: true, X: 1 / float64(v)} })
		add(func(p *Params) { p.Rect = Rect{1, v, 1, 1} })
		add(func(p *Params) { p.Rect = Rect{1, 1, v, 1} })
		add(func(p *Params) { p.Rect = Rect{1, 1, 1, v} })
		add(func(p *Params) { p.Rect = Rect{11, 1, 1, v} })
		add(func(p *Params) { p.Hue = v % 360 })
		add(func(p *Params) { p.Exposure = v % 101 })
		add(func(p *Params) { p.Noise = v % 101 })
		add(func(p *Params) { p.Kernel = Kernel(v % 6) })
		add(func(p *Params) { p.Denoise = Denoise{Bound: v % 101, Sharpen: 20, Set: true} })
		add(func(p *Params) { p.Lightness = float64(v) / 7 })
		add(func(p *Params) { p.SigmoidContrast = -(v % 101) })
		add(func(p *Params) { p.Tint, p.TintEven = Color{R: uint8(v), A: 255, Set: true}, true })
		add(func(p *Params) {
			p.DropShadow = DropShadow{Opacity: 0.3, Blur: float64(v % 16), X: v % 101, Y: -(v % 101)}
		})
		add(func(p *Params) { p.DropShadow = DropShadow{Opacity: float64(v%101) / 100, X: 1, Y: 2} })
		add(func(p *Params) { p.Block = Block{Color: Color{G: uint8(v), A: 255, Set: true}, Width: v, Height: 1} })
		add(func(p *Params) {
			p.Block = Block{Color: Color{A: 255, Set: true}, Width: 1, Height: v, X: v % 7, XSet: true, YSet: v%2 == 0, YFromEnd: v%3 == 0}
		})
		add(func(p *Params) { p.PNGToJPEG, p.ExtendToAspect = v%2 == 0, v%3 == 0 })
		add(func(p *Params) { p.Noise, p.NoiseSeed = 5, v })
		add(func(p *Params) { p.Highlights = -(v % 101) })
		add(func(p *Params) { p.Shadows = v % 101 })
		add(func(p *Params) { p.Vibrance = -(v % 101) })
		add(func(p *Params) { p.Chroma = []int{444, 420}[v%2] })
		add(func(p *Params) { p.ClientHints = Hints(v % 8) })
		add(func(p *Params) { p.Sepia = v % 101 })
		add(func(p *Params) { p.Pixelate = v % 101 })
		add(func(p *Params) { p.Median = v % 51 })
		add(func(p *Params) { p.MinWidth = v })
		add(func(p *Params) { p.MinHeight = v })
		add(func(p *Params) { p.FormatQuality = FormatQualities{WebP: v % 101} })
		add(func(p *Params) { p.FormatQuality = FormatQualities{AVIF: v % 101} })
		add(func(p *Params) { p.Threshold = v % 256 })
		add(func(p *Params) { p.Tint = Color{B: uint8(v), A: 255, Set: true} })
		add(func(p *Params) { p.Convolution = Convolution{Columns: 1, Weights: strconv.Itoa(v)} })
		add(func(p *Params) {
			p.Curves = Curves{All: "0:" + strconv.Itoa(v%256), Red: "0:0", Green: "0:0", Blue: "0:0"}
		})
		add(func(p *Params) {
			p.Curves = Curves{All: "0:0", Red: "0:0", Green: "0:0", Blue: "0:" + strconv.Itoa(v%256)}
		})
		add(func(p *Params) { p.Convolution = Convolution{Columns: 1, Weights: strconv.Itoa(v), Normalize: true} })
		add(func(p *Params) {
			p.Duotone = Duotone{Start: Color{R: uint8(v), A: 255, Set: true}, Stop: Color{A: 255, Set: true}}
		})
		add(func(p *Params) {
			p.Duotone = Duotone{Start: Color{A: 255, Set: true}, Stop: Color{R: uint8(v), A: 255, Set: true}}
		})
		add(func(p *Params) { p.UnsharpMask = v%201 - 100 })
		add(func(p *Params) { p.UnsharpMask, p.UnsharpRadius = 5, float64(v)/7 })
		add(func(p *Params) { p.Monochrome = Color{R: uint8(v), A: 255, Set: true} })
		add(func(p *Params) { p.Mask, p.CornerRadius = ShapeCorners, Corners{TopRight: v % 10001, Set: true} })
		add(func(p *Params) { p.Mask, p.CornerRadius = ShapeCorners, Corners{BottomLeft: v % 10001, Set: true} })
		add(func(p *Params) { p.Mask, p.MaskBackground = ShapeEllipse, Color{B: uint8(v), A: 255, Set: true} })
		add(func(p *Params) { p.Download, p.DownloadName = true, strconv.Itoa(v) })
		add(func(p *Params) { p.Trim, p.TrimTolerance, p.TrimToleranceSet = true, float64(v)/3, true })
		add(func(p *Params) { p.Trim, p.TrimPad = true, v%401-200 })
		add(func(p *Params) { p.Trim, p.TrimBy, p.TrimMeanDiff, p.TrimStdDev = true, TrimByRows, float64(v)/3, 10 })
		add(func(p *Params) { p.Trim, p.TrimBy, p.TrimMeanDiff, p.TrimStdDev = true, TrimByRows, 11, float64(v)/3 })
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Width: v, Alpha: 100} })
		add(func(p *Params) { p.Text = Text{Text: "a", Size: v % 1001} })
		add(func(p *Params) { p.Blend = Blend{Color: Color{G: uint8(v), A: 255, Set: true}, Alpha: v % 101} })
		add(func(p *Params) { p.Blend = Blend{Color: Color{A: 255, Set: true}, Mode: BlendMode(v % 12), Alpha: 100} })
		add(func(p *Params) { p.Text = Text{Text: "a", Width: v} })
		add(func(p *Params) { p.Text = Text{Text: "a", Shadow: float64(v%11) / 2} })
		add(func(p *Params) { p.Text = Text{Text: "a", X: v, XSet: true} })
		add(func(p *Params) { p.Text = Text{Text: strconv.Itoa(v)} })
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Height: v, Alpha: 100} })
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", X: v, XSet: true, Alpha: 100} })
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Y: v, YSet: true, Alpha: 100} })
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Pad: v, Alpha: v % 101} })
		add(func(p *Params) { p.ChannelShift = [3]int{v % 101, 0, 0} })
		add(func(p *Params) { p.DPI = v % 65536 })
		add(func(p *Params) { p.Region = Region{Cut: Sides{Top: v}} })
		add(func(p *Params) { p.Region = Region{Cut: Sides{Left: v}} })
		add(func(p *Params) { p.Region = Region{W: v} })
		add(func(p *Params) { p.Region = Region{H: v, Anchor: CropTop} })
		add(func(p *Params) { p.Region = Region{W: 1, Focus: Focus{X: float64(v%100) / 100, Set: true}} })
		add(func(p *Params) { p.Region = Region{W: 1, At: [2]Place{{Px: v}}, AtSet: true} })
		add(func(p *Params) {
			p.Region = Region{W: 1, At: [2]Place{{}, {By: PlaceFraction, F: float64(v%100) / 100}}, AtSet: true}
		})
		add(func(p *Params) {
			p.Region = Region{W: 1, At: [2]Place{{By: PlaceAlign, F: float64(v%100) / 100}}, AtSet: true}
		})
		add(func(p *Params) { p.Region = Region{W: 1, At: [2]Place{{By: PlaceFraction, Px: v}}, AtSet: true} })
		add(func(p *Params) { p.Border = Border{Color: Color{A: 255, Set: true}, Sides: Sides{Top: v}} })
		add(func(p *Params) { p.Border = Border{Color: Color{A: 255, Set: true}, Sides: Sides{Left: v}} })
		add(func(p *Params) {
			p.Border = Border{Color: Color{A: 255, Set: true}, Radius: Corners{TopRight: v, Set: true}}
		})
		add(func(p *Params) {
			p.Border = Border{Color: Color{A: 255, Set: true}, InnerRadius: Corners{TopRight: v, Set: true}}
		})
		add(func(p *Params) { p.ChannelShift = [3]int{0, v % 101, 0} })
		add(func(p *Params) { p.ChannelShift = [3]int{0, 0, -(v % 101)} })
		add(func(p *Params) {
			p.Watermark = Watermark{Image: "/m.png", X: v, XSet: true, XFromEnd: true, Alpha: 100}
		})
		add(func(p *Params) {
			p.Watermark = Watermark{Image: "/m.png", Y: v % 101, YSet: true, YPercent: true, Alpha: 100}
		})
	}
	for _, v := range []float64{0.25, 1, 25} {
		add(func(p *Params) { p.Focus = Focus{X: v, Y: 1, Set: true} })
		add(func(p *Params) { p.Focus = Focus{X: v, Y: 1, Set: true, Pixels: true} })
	}
	for _, a := range []Axes{AxisX, AxisY, AxisX | AxisY} {
		add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Alpha: 100, Spread: a} })
	}
	add(func(p *Params) {
		p.Watermark = Watermark{Image: "/m.png", Alpha: 100, XSet: true, XFromEnd: true, XPercent: true}
	})
	add(func(p *Params) { p.Watermark = Watermark{Image: "/m.png", Alpha: 100, YSet: true, YFromEnd: true} })
	for _, v := range []float64{1.5, 2, 2.0000000001, 3, 5} {
		add(func(p *Params) { p.DPR = v })
	}
	for _, v := range []float64{0.1, 1, 10, 90, 90.00000000001, 359.999} {
		add(func(p *Params) { p.Rotate = v })
	}
	for f := FitClip; f <= FitOutsideMax; f++ {
		add(func(p *Params) { p.Fit = f })
	}
	add(func(p *Params) { p.Fit, p.SourceFit = FitMin, SourceFit{When: FitWhenSmaller, Fit: FitMax} })
	add(func(p *Params) { p.Fit, p.SourceFit = FitMin, SourceFit{When: FitWhenCrossed, Fit: FitMax} })
	add(func(p *Params) { p.Fit, p.SourceFit = FitMin, SourceFit{When: FitWhenCrossed, Fit: FitFillMax} })
	for c := CropCenter; c <= CropAttention; c++ {
		add(func(p *Params) { p.Crop = c })
	}
	for f := FlipNone; f <= FlipHV; f++ {
		add(func(p *Params) { p.Flip = f })
	}
	for o := 1; o <= 8; o++ {
		add(func(p *Params) { p.Orientation = o })
	}
	for f := FramesKeep; f <= FramesSource; f++ {
		add(func(p *Params) { p.Frames = f })
	}
	for _, a := range []Animation{{First: 1}, {Last: 1}, {First: 2, Last: 2}, {First: 1, Last: 2}, {Interval: 2}, {Reverse: true},
		{FPS: 10}, {LoopSet: true}, {Loop: 1, LoopSet: true}, {Loop: 2, LoopSet: true}, {First: 12}, {Interval: 12}} {
		add(func(p *Params) { p.Animation = a })
	}
	for v := VariantNone; v <= VariantRGBA; v++ {
		add(func(p *Params) { p.Variant = v })
	}
	for f := FormatSource; f <= FormatGIF; f++ {
		add(func(p *Params) { p.Format = f })
	}
	for _, c := range []TextClip{TextClipNone, TextClipEnd, TextClipStart, TextClipMiddle} {
		for _, b := range []bool{false, true} {
			add(func(p *Params) { p.Text = Text{Text: "a", Clip: c, Ellipsis: b} })
			add(func(p *Params) { p.Text = Text{Text: "a", Clip: c, Fit: b, Size: 1} })
		}
	}
	for _, b := range []bool{false, true} {
		add(func(p *Params) { p.AutoFormat = b })
		add(func(p *Params) { p.Lossless = b })
		add(func(p *Params) { p.Equalize = b })
		add(func(p *Params) { p.Normalize = b })
		add(func(p *Params) { p.SepiaClassic = b })
		add(func(p *Params) { p.Fit, p.FillMean = FitFill, b })
		add(func(p *Params) { p.AdaptiveBox = b })
		add(func(p *Params) { p.KeepSourceIfBoxExceeds = b })
		add(func(p *Params) { p.Rotate, p.RotateStraighten = 20, b })
		add(func(p *Params) { p.Rotate, p.RotateStraighten = 90, b })
		add(func(p *Params) { p.Fit, p.KeepSourceIfBoxExceeds = FitScale, b })
		add(func(p *Params) { p.Trim = b })
		add(func(p *Params) { p.Trim, p.TrimBy = true, TrimByAlpha })
		add(func(p *Params) { p.Trim, p.TrimBy = b, TrimByAlphaOrColour })
		add(func(p *Params) { p.Trim, p.TrimBy = b, TrimByDistance })
		add(func(p *Params) { p.Trim, p.TrimBottomRight = true, b })
		add(func(p *Params) { p.Trim, p.TrimBy, p.TrimBottomRight = true, TrimByDistance, b })
	}
	colors := []Color{{}, {Set: true}, {A: 255, Set: true}, {R: 1, A: 255, Set: true}, {G: 1, A: 255, Set: true}, {B: 1, A: 255, Set: true}, {A: 1, Set: true}, {A: 255}, {R: 255, G: 255, B: 255, A: 255, Set: true}}
	for _, c := range colors {
		add(func(p *Params) { p.Background = c })
	}
	add(func(p *Params) { p.Format = FormatZIP })
	add(func(p *Params) { p.Format = FormatJSON })
	for q := 0; q <= 8; q++ {
		add(func(p *Params) { p.JPEGOptions = JPEGOptions{QuantTable: q} })
		add(func(p *Params) { p.JPEGOptions = JPEGOptions{QuantTable: q, TrellisQuant: true} })
	}
	for _, o := range []JPEGOptions{{OvershootDeringing: true}, {OptimizeScans: true}, {TrellisQuant: true, OptimizeScans: true},
		{OvershootDeringing: true, OptimizeScans: true}, {TrellisQuant: true, OvershootDeringing: true, OptimizeScans: true}} {
		add(func(p *Params) { p.JPEGOptions = o })
	}
	for _, n := range []int{0, 2, 4, 16, 256} {
		add(func(p *Params) { p.PNGOptions = PNGOptions{PaletteColors: n, Interlace: true} })
		add(func(p *Params) { p.PNGOptions = PNGOptions{PaletteColors: n} })
	}
	for c := WebPLossy; c <= WebPLossless; c++ {
		for pr := WebPPresetDefault; pr <= WebPPresetText; pr++ {
			add(func(p *Params) { p.WebPOptions = WebPOptions{Compression: c, Preset: pr} })
			add(func(p *Params) { p.WebPOptions = WebPOptions{Compression: c, Preset: pr, SmartSubsample: true} })
		}
	}
	for _, c := range colors {
		add(func(p *Params) { p.Gradient = Gradient{From: c, To: Color{A: 255, Set: true}, Stop: 1} })
		add(func(p *Params) { p.Gradient = Gradient{From: c, To: Color{A: 255, Set: true}, StopPixels: 7} })
		add(func(p *Params) { p.Gradient = Gradient{From: Color{Set: true}, To: c, Stop: 1} })
	}
	for _, v := range []float64{0, 0.25, 1, 90, 180.5, 270} {
		add(func(p *Params) { p.Gradient = Gradient{To: Color{A: 255, Set: true}, Angle: v, Stop: 1} })
		add(func(p *Params) { p.Gradient = Gradient{To: Color{A: 255, Set: true}, Start: v / 360, Stop: 1} })
		add(func(p *Params) { p.Gradient = Gradient{To: Color{A: 255, Set: true}, Stop: v / 360} })
	}

	// Removal: each field alone, on the zero Params, on richParams, and on
	// richParams with richRemoval.
	full := base
	full.Removal = richRemoval()
	vs = append(vs, full)
	addR := func(f func(r *Removal)) {
		for _, start := range []Params{{}, base, full} {
			p := start
			f(&p.Removal)
			vs = append(vs, p)
			p.Removal.Enabled = !p.Removal.Enabled
			vs = append(vs, p)
		}
	}
	for _, m := range []string{"", "a", "u2net", "u2net,mask=1", `u2net",mask=1`, "u2net\\", "a b", "\x00", "\xff"} {
		addR(func(r *Removal) { r.Model = m })
	}
	for _, b := range []bool{false, true} {
		addR(func(r *Removal) { r.MaskOnly = b })
		addR(func(r *Removal) { r.Refine = b })
		addR(func(r *Removal) { r.CropToForeground = b })
		for _, th := range []float64{0, 0.5, 1, 0.25, 1e-9} {
			addR(func(r *Removal) { r.Hard, r.Threshold = b, th })
		}
	}
	for _, v := range []float64{0.5, 1, 2, 10, 100} {
		addR(func(r *Removal) { r.Feather = v })
		addR(func(r *Removal) { r.Scale = v / 100 })
		addR(func(r *Removal) { r.Erode = int(v) })
		addR(func(r *Removal) { r.BgBlur = int(v) })
		for _, pct := range []bool{false, true} {
			addR(func(r *Removal) { r.FGPad = Length{Value: v, Percent: pct} })
			addR(func(r *Removal) { r.FGPad = Length{Value: 0, Percent: pct} })
		}
		for _, set := range []bool{false, true} {
			addR(func(r *Removal) { r.Position = Position{X: v, Y: 0, Set: set} })
			addR(func(r *Removal) { r.Position = Position{X: 0, Y: v, Set: set} })
			addR(func(r *Removal) { r.Position = Position{X: v, Y: v, Set: set} })
			addR(func(r *Removal) { r.Position = Position{Set: set} })
		}
	}
	for _, c := range colors {
		addR(func(r *Removal) { r.BgGradient = [2]Color{c, {}} })
		addR(func(r *Removal) { r.BgGradient = [2]Color{{}, c} })
		addR(func(r *Removal) { r.BgGradient = [2]Color{c, c} })
		addR(func(r *Removal) { r.BgGradient = [2]Color{c, {Set: true}} })
		addR(func(r *Removal) { r.Shadow.Color = c })
	}
	for _, img := range []string{"", "/", "/a", "/a,shadow=drop", `/a",shadow=drop`, "https://x/y.jpg", `https://x/y.jpg\"`, "/\x00"} {
		addR(func(r *Removal) { r.BgImage = img })
	}
	for _, b := range []bool{false, true} {
		addR(func(r *Removal) { r.Shadow.Enabled = b })
		for _, o := range [][2]int{{0, 0}, {0, 10}, {10, 0}, {-1, 1}, {1, -1}, {11, 1}, {1, 11}} {
			addR(func(r *Removal) { r.Shadow.OffsetX, r.Shadow.OffsetY, r.Shadow.OffsetSet = o[0], o[1], b })
		}
	}
	for _, v := range []float64{0.1, 0.3, 1, 10, 100} {
		addR(func(r *Removal) { r.Shadow.Opacity = v / 100 })
		addR(func(r *Removal) { r.Shadow.Blur = v })
	}
	// Pairs a careless printing of strings would merge with the above.
	addR(func(r *Removal) { r.Model, r.MaskOnly = "u2net", true })
	addR(func(r *Removal) { r.Model, r.Refine = "u2net,mask=1", true })
	addR(func(r *Removal) { r.BgImage, r.Shadow.Enabled = "/a", true })
	addR(func(r *Removal) { r.BgImage, r.Shadow = "https://x/y.jpg", Shadow{Enabled: true, Blur: 1} })
	addR(func(r *Removal) { r.BgImage = "https://x/y.jpg,shadow=drop,shadow-blur=1" })
	return vs
}

// Different Params give different keys, equal Params equal keys.
func TestKeyInjective(t *testing.T) {
	vs := keyVariants()
	seen := map[string]Params{}
	for _, p := range vs {
		k := p.Key()
		if k != p.Key() {
			t.Fatalf("Key not deterministic for %+v", p)
		}
		if q, ok := seen[k]; ok && q != p {
			t.Errorf("key %q for both %+v and %+v", k, q, p)
		}
		seen[k] = p
	}
	if len(seen) < 1000 {
		t.Errorf("only %d distinct variants", len(seen))
	}
}

// The file extensions a download is named with (dl).
func TestFormatExtension(t *testing.T) {
	for f, want := range map[Format]string{
		FormatJPEG: ".jpg", FormatPNG: ".png", FormatWebP: ".webp", FormatAVIF: ".avif", FormatGIF: ".gif", FormatZIP: ".zip", FormatJSON: ".json", FormatSource: "",
	} {
		if got := f.Extension(); got != want {
			t.Errorf("%v.Extension() = %q, want %q", f, got, want)
		}
	}
}
