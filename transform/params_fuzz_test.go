package transform

import (
	"context"
	"image/color"
	"net/http"
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/appwrite"
	"github.com/jebosio/matte/dialect/astro"
	"github.com/jebosio/matte/dialect/builderio"
	"github.com/jebosio/matte/dialect/bunny"
	"github.com/jebosio/matte/dialect/cfimages"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/cloudimage"
	"github.com/jebosio/matte/dialect/cloudinary"
	"github.com/jebosio/matte/dialect/contentful"
	"github.com/jebosio/matte/dialect/contentstack"
	"github.com/jebosio/matte/dialect/directus"
	"github.com/jebosio/matte/dialect/filestack"
	"github.com/jebosio/matte/dialect/imageengine"
	"github.com/jebosio/matte/dialect/imagekit"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/dialect/imgproxy"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/dialect/keycdn"
	"github.com/jebosio/matte/dialect/kontent"
	"github.com/jebosio/matte/dialect/netlify"
	"github.com/jebosio/matte/dialect/nextjs"
	"github.com/jebosio/matte/dialect/scene7"
	"github.com/jebosio/matte/dialect/shopify"
	"github.com/jebosio/matte/dialect/storyblok"
	"github.com/jebosio/matte/dialect/supabase"
	"github.com/jebosio/matte/dialect/thumbor"
	"github.com/jebosio/matte/dialect/uploadcare"
	"github.com/jebosio/matte/dialect/wordpress"
	"github.com/jebosio/matte/dialect/wsrv"
	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/params"
)

// FuzzPipelineParams runs the whole pipeline under arbitrary imgix queries
// (the dialect that reaches nearly every field of params.Params) on small
// sources of each kind: an opaque JPEG, a PNG with transparency and an
// animated GIF, answered as the client's Accept header picks. Whatever
// the parser accepts must transform without a panic, and a failure must
// be a client error (400, 413, 415 or 422): a combination of steps that
// libvips refuses is Matte's mistake, a 500 the client would see.
// Background removal is left out (it needs a model); a watermark or
// background image is given as the caddymodule gives it, in Extras.
func FuzzPipelineParams(f *testing.F) {
	fuzz := newPipelineFuzz(f)
	for _, q := range []string{
		"w=40&h=40&fit=crop&crop=entropy",
		"w=50&fit=fill&fill=blur&bg=8f00",
		"rot=33&flip=hv&orient=6&trim=auto&trim-pad=3",
		"rect=2,2,10,10&pad=4&border=2,ff0000&border-radius=3",
		"blur=300&sharp=80&usm=40&nr=30&nrs=50&px=4",
		"exp=-40&high=-50&shad=60&vib=40&gam=30&con=20&bri=-10&sat=-100&hue=90",
		"duotone=000080,ffcc00&duotone-alpha=70&sepia=50&monochrome=00ff00&invert=true",
		"blend-color=ff000080&blend-mode=multiply&mask=corners&corner-radius=4,0,9,2",
		"txt=Hi&txt-size=10&txt-color=fff&txt-line=1&txt-shad=4&txt-align=middle,center",
		"mark=/m.png&mark-scale=50&mark-alpha=60&mark-rot=45&mark-tile=grid",
		"fm=png8&q=40&dpr=2&w=30",
		"fm=avif&lossless=1&chromasub=444",
		"fm=gif&frame=2&loop=3&fps=10",
		"ar=16:9&fit=crop&crop=focalpoint&fp-x=0.9&fp-y=0.1&fp-z=3",
		"w=1&h=1&fit=clamp&crop=top,left",
		"pad-left=5&pad-top=200&bg=fff&fit=fillmax&w=60",
		"cs=tinysrgb&dpi=300&ch=Width,DPR",
		"txt=%E2%80%8B&txt-size=30", "txt=%CC%81", "txt=%C2%AD%E2%80%A8", "txt=%F0%9F%98%80&txt-font=serif",
		"txt=abcdefghijklmnop&txt-size=40&txt-fit=max&txt-clip=middle,ellipsis&txt-pad=2",
		"txt=++++ab&txt-clip=start&txt-width=3", "trim=auto&trim-md=3&trim-sd=1&trim-pad=-2",
		"w=30&h=60&fit=crop&crop=faces,bottom&rot=90", "fit=facearea&facepad=7.5&faceindex=2&w=17&h=5&rect=1,1,9,9",
		"fit=facearea,fill&faceindex=3&ar=3:1", "fm=json&faces=1&orient=6", "fit=min&crop=faces,entropy&w=9&h=90&fp-z=4",
	} {
		for i := range 3 {
			f.Add(q, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, query string, pick uint8) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p, err := imgix.ParseQuery(q)
		if err != nil {
			return
		}
		fuzz.run(t, query, p, pick)
	})
}

// FuzzURLDialectPipeline is FuzzPipelineParams for the path dialects: an
// arbitrary URL is offered to imgproxy, Thumbor, wsrv, ipx, ImageKit,
// Cloudflare, Netlify, Next.js, Vercel, Supabase, Directus, Cloudinary,
// Shopify, Uploadcare, Storyblok, Contentstack, Builder.io, Astro, ImageEngine,
// Contentful, Kontent.ai, WordPress, Appwrite, Filestack, Scene7 and last, as they claim any path with their query
// parameters, one of Bunny and KeyCDN (by pick, as their names overlap) in
// turn, and the request the first one to claim it reads runs through the
// pipeline.
func FuzzURLDialectPipeline(f *testing.F) {
	fuzz := newPipelineFuzz(f)
	imgproxyDialect, err := imgproxy.New("", "")
	if err != nil {
		f.Fatal(err)
	}
	directusDialect, err := directus.New(map[string]string{"card": "width=20&height=10&fit=contain&format=png"})
	if err != nil {
		f.Fatal(err)
	}
	dialects := []dialect.URLDialect{
		imgproxyDialect, thumbor.New(""), wsrv.New(), ipx.New(), imagekit.New(), cloudflare.New(), netlify.New(), nextjs.New(),
		nextjs.NewVercel(), supabase.New(), directusDialect,
	}
	cloudinaryDialect, err := cloudinary.New(nil)
	if err != nil {
		f.Fatal(err)
	}
	dialects = append(dialects, cloudinaryDialect)
	dialects = append(dialects, shopify.New(), uploadcare.New(), storyblok.New(), contentstack.New(), builderio.New(), astro.New(), imageengine.New(),
		contentful.New(), kontent.New(), wordpress.New(), appwrite.New(), filestack.New(), scene7.New())
	cfimagesDialect, err := cfimages.New(map[string]string{"card": "w=20,h=10,fit=pad,background=red,format=png"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	dialects = append(dialects, cfimagesDialect, cloudimage.New())
	anyPath := []dialect.URLDialect{bunny.New(), keycdn.New()}
	for _, u := range []string{
		"/insecure/rs:fill:40:30/g:sm/bl:2/sh:1/plain/local:///a.jpg@webp",
		"/insecure/w:50/exar:1/ex:1/c:10:10/pd:3/rot:90/fl:1:0/plain/local:///a.jpg",
		"/insecure/a:10:1.2:0.5/mc:0.5:ff0000/dt:1:000000:ffffff/col:0.5:00ff00/pix:3/plain/local:///a.jpg@png",
		"/insecure/wm:0.5:re:0:0:0.3/wmu:L20ucG5n/t:10/bg:ffffff/plain/local:///a.jpg",
		"/insecure/jpgo:1:1:1:1:1:3/gr:0.7:ff0000:90:0.2:0.8/w:40/plain/local:///a.jpg@jpg",
		"/insecure/pngo:1:1:16/gr:1:00ff00:45:0.5:0.5/plain/local:///a.jpg@png",
		"/insecure/webpo:near_lossless:1:photo/avifo:off/rs:fit:30:30/plain/local:///a.jpg",
		"/unsafe/10x20:30x40/fit-in/-50x-60/smart/filters:blur(3):rgb(10,-20,30):round_corner(5,255,0,0):noise(40):format(webp)/a.jpg",
		"/unsafe/filters:watermark(/m.png,-10,20p,50,30,20):fill(blur):convolution(1;2;1;2;4;2;1;2;1,3,true):equalize():sharpen(2,1,true)/a.jpg",
		"/unsafe/trim:bottom-right:20/adaptive-fit-in/30x30/filters:brightness(40):contrast(-30):saturation(2):grayscale()/a.jpg",
		"/?url=/a.jpg&w=30&h=30&fit=cover&a=attention&bri=20&con=30&gam=2&tint=red&mod=1.5&sat=0.3&hue=90&mask=circle&mbg=blue",
		"/?url=/a.jpg&w=40&trim=20&filter=duotone&start=red&stop=blue&sharp=2&blur=3&flip&flop&ro=45&bg=0f0&output=png",
		"/_ipx/w_30,h_20,fit_cover,kernel_nearest,blur_2,rotate_90,flip,grayscale,tint_ff0000,median_3,threshold_128/a.jpg",
		"/_ipx/s_30x30,pos_top,b_ff0000,extend_5_5_5_5,trim_10,normalize,negate,gamma_2.2,modulate_1.2_0.8_90,f_webp/a.jpg",
		"/tr:w-40,h-30,c-maintain_ratio,fo-top_left,bl-5,r-10,e-grayscale,e-sharpen-20,e-usm-2-2-0.8-0.024/a.jpg",
		"/tr:w-40,h-40,cm-pad_resize,bg-FF0000,rt-90,fl-h_v,t-20,ar-4-3,e-contrast/a.jpg",
		"/tr:w-40,e-gradient-ld-top_right_from-FF000040_to-00FF0040_sp-9,e-shadow-bl-3_x-N10,b-2_FF000050/a.jpg",
		"/tr:w-40,l-image,i-m.png,w-10,lx-N0,ly-3,l-end,l-text,i-Hi,fs-10,co-FFFFFF,tg-b_i,l-end/a.jpg",
		"/tr:w-12,h-8,cm-pad_extract,xc-9,yc-6,bg-00FF0050,rt-N45,l-image,i-ik_canvas,bg-00FF00,w-3,h-2,l-end/a.jpg",
		"/cdn-cgi/image/width=40,height=30,fit=pad,background=red,gravity=left,rotate=90,blur=10,sharpen=2,brightness=1.5,contrast=0.5,gamma=2,saturation=0,format=png/a.jpg",
		"/cdn-cgi/image/width=40,fit=crop,gravity=0.2x0.8,trim=2;3;4;5,segment=foreground,anim=false/a.jpg",
		"/.netlify/images?url=/a.jpg&w=40&h=20&fit=cover&position=top&fm=webp&q=40",
		"/_next/image?url=%2Fa.jpg&w=64&q=75",
		"/demo/image/upload/c_fill,g_north_east,w_40,h_30/e_saturation:50/a_45/e_blur:200/bo_2px_solid_red/r_5/f_png/a.jpg",
		"/demo/image/upload/c_crop,w_30,h_20,x_3,y_4/c_pad,w_40,h_40,b_blurred:300/e_unsharp_mask:300/e_colorize:40,co_rgb:00ff00/a.jpg",
		"/insecure/rs:fill:30:20/bd:4:face/plain/local:///a.jpg@png",
		"/demo/image/upload/c_fill,g_faces,w_30,h_20/e_pixelate_faces:3/e_blur_faces:40/a.jpg", "/demo/image/upload/a_90/e_blur_faces:2000/a.jpg",
		"/image/upload/c_lpad,ar_16:9,w_0.5,b_%23ff000080/e_pixelate:4/q_60:444/a.jpg",
		"/demo/image/upload/w_30/e_sepia/e_blackwhite:30/a_hflip/e_background_removal/fl_attachment/a.jpg",
		"/demo/image/upload/e_trim:20/a_90/c_lfill,w_30,h_40,g_auto/e_vibrance/e_contrast:-30/e_gamma:80/e_sharpen:800/fl_png8/a.jpg",
		"/demo/image/upload/w_40/l_a.jpg/c_scale,w_10,h_30/o_50/a_30/fl_layer_apply,g_south_east,x_3,y_40/l_text:serif_12_bold:Hi%252C%20there,co_white,g_north_west,x_2/r_max/a.jpg",
		"/_vercel/image?url=%2Fa.jpg&w=48&q=90",
		"/storage/v1/render/image/public/b/a.jpg?width=40&height=30&resize=contain&quality=20&format=origin",
		"/cdn/shop/files/a.jpg?width=40&height=30&crop=left&format=pjpg",
		"/cdn/shop/files/a.jpg?width=40&height=40&pad_color=f00&format=png",
		"/s/files/1/2/files/a_30x20_crop_top@2x.jpg?crop=region&crop_left=1&crop_top=2&crop_width=20&crop_height=10",
		"/u/-/scale_crop/30x20/25p,75p/-/setfill/0f0/-/format/webp/-/quality/lighter/-/grayscale/-/blur/4/-/sharp/3/a.jpg",
		"/u/-/crop/20x10/3,4/-/resize/40x30/-/rotate/90/-/flip/-/mirror/-/progressive/yes/-/autorotate/no/a.jpg",
		"/f/1/2x3/h/a.jpg/m/2x2:30x30/fit-in/-40x30/filters:fill(ff0000):format(png):quality(60):grayscale():blur(2):rotate(90):brightness(20)",
		"/f/1/2x3/h/a.jpg/m/40x30/smart/filters:focal(5x5:10x10):format(webp)",
		"/abcdefghij12/a1/0123456789abcdef0123456789abcdef/a.jpg?w=40&h=30&fit=fill&f=bottom_right&fm=png&fl=png8&r=5&bg=rgb:ff0000",
		"/abcdefghij12/a1/0123456789abcdef0123456789abcdef/a.jpg?w=20&h=20&fit=crop&f=top_left&fm=jpg&fl=progressive&q=50",
		"/abcdefghij12/a1/0123456789abcdef0123456789abcdef/a.jpg?w=40&h=30&fit=pad&bg=rgb:00ff00&r=max&fm=webp",
		"/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/a.jpg?w=40&h=30&fit=crop&crop=focalpoint&fp-x=0.2&fp-y=0.8&fp-z=2&fm=png8",
		"/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/a.jpg?rect=1,2,20,20&w=0.5&dpr=2&bg=80ff0000&fm=webp&lossless=1",
		"/storage/v1/render/image/public/b/a.jpg?width=9000&height=20&resize=fill&format=avif",
		"/assets/a.jpg?width=40&height=30&fit=contain&withoutEnlargement=true&quality=50&format=webp",
		`/assets/a.jpg/x.png?fit=outside&width=30&height=30&transforms=[["blur",2],["negate"],["flip"],["rotate",90],["greyscale"]]`,
		`/assets/a.jpg?transforms=[["resize",{"width":30,"height":20,"fit":"cover"}],["normalize"],["flop",true]]&format=auto`,
		"/assets/a.jpg?key=card",
		"/v3/assets/k/u/v/a.jpg?width=40&height=30&fit=crop&disable=upscale&auto=webp&orient=5&blur=2&saturation=-50",
		"/v3/assets/k/u/v/a.jpg?crop=20,10,x3,y4&pad=1,2,3&bg-color=0,255,0,0.5&trim=1&format=webpll&dpr=2&width=0.5",
		"/v3/assets/k/u/v/a.jpg?crop=4:3&height=20&resize-filter=nearest&frame=1&contrast=30&brightness=-10&format=pjpg",
		"/api/v1/image/assets/s/a?width=40&height=30&fit=contain&position=left%20top&format=png&quality=60&sharp=true",
		"/api/v1/image/assets/s/a?width=40&height=30&fit=outside&format=webp",
		"/_image?href=%2Fa.jpg&w=40&h=30&f=png&fit=cover&position=center+top&q=mid",
		"/_image?href=%2Fa.jpg&w=40&h=40&fit=fill&background=%23ff0000&f=jpeg",
		"/_image?href=%2Fa.jpg&w=30&h=60&fit=outside&f=avif&q=max",
		"/_image?href=%2Fa.svg&w=10&f=svg",
		"/a.jpg?imgeng=/w_40/h_30/m_cropbox/cmpr_20/s_30/r_-90/f_webp",
		"/a.jpg?imgeng=w_40%2Fh_40%2Fm_letterbox%2Ff_png%2Fcr_10,8,2,2",
		"/a.jpg?imgeng=/w_auto,30/h_20/m_stretch/dl_true",
		"/a.jpg?width=40&height=30&aspect_ratio=16:9&upscaling=resampling&sharpen=true&blur=5&hue=33&sepia=40&format=png",
		"/a.jpg?crop=20,10&crop_gravity=southeast&brightness=-20&contrast=30&saturation=-100&flip=true&flop=true&output=webp&quality=50",
		"/a.jpg?focus_crop=30,20,0.8,0.2&width=9000&v=2", "/a.jpg?face_crop=12,30&height=7&format=webp",
		"/a.jpg?trim=10&width=40&height=30&fit=contain&bg=255,0,0,0.5&enlarge=1&rotate=-90&negate=1&format=webp&lossless=1",
		"/a.jpg?crop=fp,0.2,0.8,3&width=30&height=30&threshold=100&tint=ff0000&extend=1,2,3,4&progressive=1&format=jpeg",
		"/a.jpg?crop=smart&width=20&height=40&blur=0.5&sharpen=80&grayscale=1&normalize=1&nearlossless=1",
		"/wp-content/uploads/a.jpg?crop=10,20,50,60&w=40&h=30&crop=1&zoom=1.5&filter=sepia&contrast=30&brightness=-20&quality=50",
		"/wp-content/uploads/a.jpg?crop=2px,3px,20px,10px&lb=40,30&colorize=10,-20,30&filter=negate&strip=all",
		"/wp-content/uploads/a.jpg?fit=40,40&h=50%25&resize=30,20&filter=blurgaussian&smooth=3",
		"/wp-content/uploads/a.jpg?resize=30,20&zoom=2&filter=meanremoval",
		"/v1/storage/buckets/b/files/f/preview?width=40&height=30&gravity=top-left&rotation=90&borderRadius=6&output=png&project=p",
		"/v1/storage/buckets/b/files/f/preview?width=40&borderWidth=3&borderColor=0f0&background=f00&quality=50&output=webp",
		"/v1/storage/buckets/b/files/f/preview?height=30&rotation=-45&output=avif",
		"/resize=width:40,height:30,fit:crop,align:[top,left]/rotate=deg:45,background:red/flip/flop/blur=amount:2/sharpen/sepia=tone:50/output=format:png/abc",
		"/env/crop=dim:[1,2,20,10]/pixelate=amount:3/circle=background:blue/monochrome/negative/auto_image/abc",
		"/resize=width:30,fit:max/output=format:pjpg,quality:40,background:00ff0080/compress/abc",
		"/is/image/a/b?wid=40&hei=30&fit=crop,0&align=-1,1&fmt=webp-alpha,rgb,lossless&qlt=60,1&bgc=ff0000",
		"/is/image/a/b?wid=40&hei=30&fit=fit&fmt=png8&crop=1,2,30,20&flip=lrud&resMode=bilin",
		"/cdn-cgi/imagedelivery/ZWd9g1K7eljCn_KDTu_MWA/a.jpg/w=30,h=20,fit=crop,gravity=0.2x0.8,sharpen=3,rotate=90",
		"/cdn-cgi/imagedelivery/ZWd9g1K7eljCn_KDTu_MWA/a.jpg/card",
		"/cdn-cgi/imagedelivery/ZWd9g1K7eljCn_KDTu_MWA/a.jpg/public",
		"/cdn-cgi/imagedelivery/h/a.jpg/width=40,trim=2;2;2;2,dpr=2,blur=10,saturation=0,format=webp,anim=false",
		"/v7/a.jpg?w=40&h=30&func=fit&bg_color=ff0000&force_format=png&r=90",
		"/v7/a.jpg?w=30&h=30&gravity=southeast&org_if_sml=1&flip=hv&grey=1&q=50",
		"/v7/a.jpg?w=20&h=40&func=cover&dpr=2&force_format=webp",
	} {
		for i := range 3 {
			f.Add(u, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw string, pick uint8) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		for _, d := range append(dialects[:len(dialects):len(dialects)], anyPath[int(pick)%len(anyPath)]) {
			img, claimed, err := d.Parse(u)
			if !claimed {
				continue
			}
			if err == nil {
				fuzz.run(t, raw, img.Params, pick)
			}
			return
		}
	})
}

// pipelineFuzz is what the pipeline fuzz targets share: a pipeline with
// small limits, sources of each kind and a watermark image.
type pipelineFuzz struct {
	pl      *Pipeline
	sources [][]byte
	accepts []string
	mark    []byte
}

func newPipelineFuzz(f *testing.F) *pipelineFuzz {
	jpg := encodeJPEG(f, halves(24, 16, red, blue))
	png := encodePNG(f, halves(20, 30, green, clear))
	anim, err := testimages.AnimatedGIF(12, 8, []color.Color{red, green, blue}, []int{5, 0, 7})
	if err != nil {
		f.Fatal(err)
	}
	return &pipelineFuzz{
		pl: NewPipeline(Options{Limits: Limits{
			MaxSourceBytes: 1 << 20, MaxSourcePixels: 4_000_000, MaxOutputDimension: 256, MaxFrames: 4,
		}, Faces: fuzzFaces{}}),
		sources: [][]byte{jpg, png, anim},
		accepts: []string{"", "image/webp", "image/avif,image/webp", "image/png"},
		mark:    encodePNG(f, halves(6, 4, blue, clear)),
	}
}

// fuzzFaces reports two fixed faces, one of them at the image's corner, so
// that the fuzz reaches the crop placement of every face parameter (what a
// real detector finds is tested in faces/ and caddymodule/).
type fuzzFaces struct{}

func (fuzzFaces) ID() string     { return "fuzz" }
func (fuzzFaces) InputSize() int { return 16 }
func (fuzzFaces) Faces(_ context.Context, _ string, _ bool, input func(context.Context) ([]byte, int, int, error)) ([]FaceBox, error) {
	if _, _, _, err := input(context.Background()); err != nil {
		return nil, err
	}
	return []FaceBox{{Left: 0, Top: 0, Right: 0.1, Bottom: 0.3}, {Left: 0.4, Top: 0.5, Right: 0.9, Bottom: 0.8}}, nil
}

// run transforms the source pick names (and answers the Accept header it
// names) with p: a failure must be a client error.
func (fz *pipelineFuzz) run(t *testing.T, input string, p params.Params, pick uint8) {
	p.Removal = params.Removal{}
	var extras params.Extras
	if p.Watermark.Image != "" {
		p.Watermark.Image, extras.Mark = params.BgImageRef(fz.mark), fz.mark
	}
	n := int(pick) % len(fz.sources)
	src := fz.sources[n]
	info, err := fz.pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	accept := fz.accepts[int(pick/4)%len(fz.accepts)]
	req := &Request{Source: src, Info: info, Params: p, Extras: extras, Format: NegotiateFormat(p, accept, info)}
	res, err := fz.pl.Process(context.Background(), req)
	if err != nil {
		switch s := params.AsErrors(err).Status(); s {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("%q on source %d: status %d: %v", input, n, s, err)
		}
		return
	}
	if len(res.Body) == 0 && req.Format != params.FormatJSON {
		t.Fatalf("%q: an empty answer", input)
	}
}
