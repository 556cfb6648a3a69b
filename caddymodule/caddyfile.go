package caddymodule

import (
	"math"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/jebosio/matte/segment"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("matte", parseCaddyfile)
	// After templates: matte wraps file_server and reverse_proxy.
	httpcaddyfile.RegisterDirectiveOrder("matte", httpcaddyfile.After, "templates")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	if err := m.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	matte [<matcher>] {
//	    max_source_bytes      <size>       # default 50MiB
//	    max_source_megapixels <number>     # default 50
//	    max_output_dimension  <pixels>     # default 8192
//	    max_frames            <count>      # default 1000
//	    max_working_megapixels <number>    # pixels one step may render at once; default max(151, source, (1.5 x output)²)
//	    max_blur_sigma        <sigma>      # wider blurs run on a reduced copy; default 10
//	    quality               jpeg|webp|avif <1-100>   # defaults 80, 80, 60
//	    png_compression       <0-9>        # zlib level; default 4
//	    png_filter            none|sub|up|avg|paeth|adaptive   # row filter of truecolour PNGs; default up
//	    avif_effort           <0-9>        # AV1 encoder effort; default 2
//	    gif_effort            <1-10>       # GIF palette search effort; default 4
//	    avif_chroma           420|444      # AVIF chroma; default 420 (4:4:4 from quality 90)
//	    cache_control         <value>      # default "public, max-age=86400"
//	    fallback_image        <path or URL>  # answered, transformed, for a source that is 404 or 410; default none
//	    fallback_status       <code>       # its status: 200 or 400-599; default 200
//	    fallback_ttl          <duration>   # its max-age (0: no-cache); default 1m
//	    server_timing         [on|off]     # Server-Timing header: stage durations, cache outcome; default off
//	    workers               <count>      # concurrent libvips pipelines; default: CPUs + 1 per 8
//	    timeout               <duration>   # per transform; default 30s
//	    source_ttl            <duration>   # reuse sources without asking the origin, whatever it says; default 0
//	    source_heuristic_ttl  <duration>   # without origin freshness: a tenth of the age since Last-Modified, at most this; default 1s
//	    cache                 off          # no result, source or mask cache
//	    cache_memory          <size>       # memory tier; default 256MiB
//	    cache_disk            <path> [<size>]   # disk tier; size default 1GiB
//	    cache_shared <redis-url...> {     # tier shared by a cluster (Redis/Valkey/Sentinel/Cluster); see Scale out
//	        max_entry_size <size>         # larger entries stay local; default 8MiB
//	        ttl            <duration>     # default 7d
//	        key_prefix     <prefix>       # default matte:
//	        timeout        <duration>     # per Redis operation, then the breaker counts a failure; default 250ms
//	    }
//	    queue_megapixels      <n>          # megapixels of transforms waiting; past it 503 (≥ workers × 25)
//	    max_buffered_bytes    <size>       # bytes requests hold in memory at once (sources, API bodies); past it 503; default 2 x workers x max_source_bytes (at least a hosted API's largest body)
//	    vips_cache_memory     <size>       # libvips operation cache; default 0 (off)     } process-wide: handlers
//	    vips_concurrency      <n>          # libvips threads per operation; default 1     } that set them must
//	    free_memory_interval  <duration>   # malloc_trim the C heap this often; default off } agree
//	    signature {
//	        key      <secret>             # repeat to rotate keys
//	        required                      # refuse unsigned requests (but presets and unsigned params)
//	        unsigned <params...>          # parameters allowed without a signature
//	        preset   <name> <query>       # preset=<name> expands to <query>, usable unsigned
//	        bind_host                     # signatures cover the Host too (default: path and query only)
//	    }
//	    origin [<url>] {                  # fetch sources from <url> + path instead of the next handler
//	        allow_hosts    <hosts...>     # hosts of the URLs clients name (remote sources, bg-image, mark,
//	                                      #   image_url); *.example.com, host:port; the origin's needs none
//	        allow_private                 # the origin URL may be private (loopback and link-local stay denied)
//	        allow_loopback                # the origin URL may be loopback; neither applies to client URLs
//	        allow_private_remote          # the same for client URLs, on allow_hosts' hosts (needs allow_hosts)
//	        allow_loopback_remote
//	        timeout        <duration>
//	        max_redirects  <n>            # default 5; 0 follows none
//	    }
//	    faces off                          # crop=faces, fit=facearea: their fallback crop
//	    faces {
//	        model     <path>              # default runtime/models/blazeface-back.onnx
//	        threshold <0-1>               # least score of a face; default 0.75
//	    }
//	    rembg off
//	    rembg {
//	        runtime            <path>     # libonnxruntime.so; default runtime/lib/...
//	        models_dir         <path>     # default runtime/models
//	        model              <name>     # default model; default isnet
//	        allow              <names...> # more models requests may pick
//	        threads            <n>        # intra-op threads per inference
//	        concurrency        <n>        # inferences at once
//	        queue              <n>        # inferences waiting; past it 503
//	        spinning
//	        execution_provider cpu|cuda|tensorrt
//	        device_id          <n>
//	        gpu_mem_limit      <size>     # cap of each model's CUDA memory arena (cuda, tensorrt); default none
//	        tensorrt_cache     <path>|off # TensorRT's engines and timing cache; default <caddy data>/matte/tensorrt
//	        strict                        # no fallback (else tensorrt → cuda → cpu): a GPU provider's models load at start, or it fails
//	        preload                       # load models at start, fail if they cannot load
//	        batch              <n>        # batch up to n concurrent inferences (dynamic-batch models); default 1
//	        batch_wait         <duration> # how long a batch waits to fill; default 5ms
//	        custom_model <name> <path> {
//	            base <preset>  input <w> <h>  mean <r> <g> <b>  std <r> <g> <b>
//	            pixel_scale <s>  divide_by_max  sigmoid  min_max  output <name>
//	            channel_order rgb|bgr  layout nchw|nhwc  input_type auto|float32|float16
//	            resize_kernel <k>  mask_kernel <k>  sha256 <hex>  license <text>
//	        }
//	    }
//	    removebg  [on|off] [<prefix>]     # remove.bg v1.0: POST /v1.0/removebg, GET /v1.0/account, POST /v1.0/improve
//	    rembg_com [on|off] [<prefix>]     # rembg.com: POST /rmbg, GET /api/membership-usage
//	    fapihub   [on|off] [<prefix>]     # fapihub: POST /v2/rembg/ (+ blur/ color/ gradient/ shadow/ mask/)
//	                                      # each also takes [max_file <size>]: the upload limit, default the
//	                                      # API's documented one (remove.bg 12MiB, rembg.com 50MiB, fapihub none)
//	                                      # routes match as a path suffix, or exactly under <prefix>
//	    api_key <key> [{                  # repeat per key; with no api_key the APIs are open
//	        credits <n>                   # monthly quota (1 per image, 0.25 for preview sizes); default none
//	        rate    <n>                   # megapixels per minute (MP rounded up, at least 1, per image); default 500
//	    }]
//	    api_usage_file <path>             # monthly usage per key; default <caddy data>/matte/api-usage.json
//	    api_body_timeout <duration>       # time an API request body may take to arrive; default 30s
//	    api_improve_dir <path>            # where remove.bg's POST /v1.0/improve stores images; default <caddy data>/matte/improve
//	    api_improve_max <n>               # submissions that folder may hold (then 429); default 1000
//	    url_dialect <name> [{             # repeat; tried in order before the imgix query: cloudflare, imgproxy,
//	        key  <secret>                 #   ipx, thumbor, nextjs, netlify, wsrv, imagekit, cloudinary, vercel,
//	        salt <secret>                 #   supabase, directus, shopify, uploadcare, storyblok,
//	                                      #   contentstack, builderio, astro, imageengine, bunny, keycdn,
//	                                      #   contentful, kontent, wordpress, appwrite, filestack, scene7,
//	                                      #   cloudflare_images, cloudimage;
//	                                      #   signing key (imgproxy: hex key and salt; thumbor:
//	                                      #   key); remote sources need origin allow_hosts
//	        preset <name> <options>       #   imgproxy: repeat; options as IMGPROXY_PRESETS writes them (rs:fill:100:100/q:80);
//	                                      #   directus: key=<name>, options a query ("width=200&height=200&fit=cover")
//	                                      #   cloudflare_images: a named variant, options as a flexible variant's (w=400,fit=cover)
//	        watermark <path or URL>       #   imgproxy: the image wm draws (IMGPROXY_WATERMARK_PATH/_URL)
//	        animation_frames <n>          #   imgproxy: IMGPROXY_MAX_ANIMATION_FRAMES (default 1: the first frame)
//	        cloud <name> <path prefix>    #   cloudinary: repeat; only these cloud names are claimed, their public IDs
//	                                      #   under the prefix (default: any cloud name, public IDs at the root)
//	                                      #   cloudflare_images: cloud <account hash> <path prefix>: only these hashes are
//	                                      #   claimed, imagedelivery.net's /<hash>/ form too (default: any hash, ids at the root)
//	    }]                                #   URLs name presets with pr:<name>; "default" applies to every URL
//	    playground <path> {               # the browser playground at <path> (/playground/), with uploads; default off
//	        max_uploads       <n>         # uploads kept in memory; default 64
//	        max_upload_bytes  <size>      # their bytes together (at least max_source_bytes); default 128MiB
//	    }
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	var prev string           // the option before, for a block it does not take
	seen := map[string]bool{} // the options given once at most (once)
	for d.NextBlock(0) {
		if d.Val() == "{" && prev != "" {
			return d.Errf("%s takes no { } block", prev)
		}
		o := option{d: d, key: d.Val(), args: d.RemainingArgs()}
		prev = o.key
		if how, ok := once[o.key]; ok {
			if seen[o.key] {
				return d.Errf("%s is given twice: %s", o.key, how)
			}
			seen[o.key] = true
		}
		handled, err := h.parseLimitOption(o)
		if !handled && err == nil {
			handled, err = h.parseCacheOption(o)
		}
		if !handled && err == nil {
			handled, err = h.parseBlockOption(o)
		}
		if err != nil {
			return err
		}
		if !handled {
			return d.Errf("unrecognized matte subdirective %q", o.key)
		}
	}
	return nil
}

// once are the options that a second occurrence would silently replace or
// merge into (an off and a block, two blocks), with how to write them
// once. (signature and origin say so themselves.)
var once = map[string]string{
	"rembg":        "write `rembg off` or one rembg block",
	"faces":        "write `faces off` or one faces block",
	"playground":   "one playground per matte block",
	"cache_shared": "list every Redis URL on one cache_shared line",
}

// option is one line of the matte block: its name and arguments.
type option struct {
	d    *caddyfile.Dispenser
	key  string
	args []string
}

func (o option) need(n int) error {
	if len(o.args) != n {
		return o.d.ArgErr()
	}
	return nil
}

func (o option) atoi(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, o.d.Errf("%s: %q is not a non-negative integer", o.key, s)
	}
	return v, nil
}

// count is the one argument as a non-negative integer.
func (o option) count() (int, error) {
	if err := o.need(1); err != nil {
		return 0, err
	}
	return o.atoi(o.args[0])
}

// size reads s as a byte size ("64MiB"); zero only when zeroOK.
func (o option) size(s string, zeroOK bool) (int64, error) {
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 && !zeroOK {
		return 0, o.d.Errf("%s: %q is not a size", o.key, s)
	}
	if n > math.MaxInt64 { // would wrap to a negative size
		return 0, o.d.Errf("%s: %q is too large", o.key, s)
	}
	return int64(n), nil
}

// onOff reads an optional on|off argument: no argument is on.
func (o option) onOff() (bool, error) {
	switch {
	case len(o.args) == 0:
		return true, nil
	case len(o.args) == 1 && (o.args[0] == "on" || o.args[0] == "off"):
		return o.args[0] == "on", nil
	}
	return false, o.d.Errf("%s: want on or off", o.key)
}

// duration is the one argument as a non-negative duration.
func (o option) duration() (caddy.Duration, error) {
	if err := o.need(1); err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(o.args[0])
	if err != nil || dur < 0 {
		return 0, o.d.Errf("%s: %q is not a duration", o.key, o.args[0])
	}
	return caddy.Duration(dur), nil
}

// parseLimitOption reads the limits, encoder and response options.
func (h *Handler) parseLimitOption(o option) (handled bool, err error) {
	d, args := o.d, o.args
	switch o.key {
	case "max_source_bytes":
		if err = o.need(1); err != nil {
			return true, err
		}
		n, perr := humanize.ParseBytes(args[0])
		if perr != nil {
			return true, d.Errf("max_source_bytes: %v", perr)
		}
		if n > math.MaxInt64 {
			return true, d.Errf("max_source_bytes: %q is too large", args[0])
		}
		h.MaxSourceBytes = int64(n)
	case "max_source_megapixels", "max_working_megapixels", "max_blur_sigma":
		if err = o.need(1); err != nil {
			return true, err
		}
		v, perr := strconv.ParseFloat(args[0], 64)
		if perr != nil || v <= 0 {
			return true, d.Errf("%s: %q is not a positive number", o.key, args[0])
		}
		switch o.key {
		case "max_source_megapixels":
			h.MaxSourceMegapixels = v
		case "max_working_megapixels":
			h.MaxWorkingMegapixels = v
		default:
			h.MaxBlurSigma = v
		}
	case "max_output_dimension":
		h.MaxOutputDimension, err = o.count()
	case "max_frames":
		h.MaxFrames, err = o.count()
	case "quality":
		if err = o.need(2); err != nil {
			return true, err
		}
		q, qerr := o.atoi(args[1])
		if qerr != nil {
			return true, qerr
		}
		if h.Quality == nil {
			h.Quality = map[string]int{}
		}
		h.Quality[args[0]] = q
	case "png_compression", "avif_effort", "gif_effort":
		v, verr := o.count()
		if verr != nil {
			return true, verr
		}
		switch o.key {
		case "png_compression":
			h.PNGCompression = &v
		case "avif_effort":
			h.AVIFEffort = &v
		default:
			h.GIFEffort = &v
		}
	case "avif_chroma":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.AVIFChroma = args[0]
	case "png_filter":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.PNGFilter = args[0]
	case "cache_control":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.CacheControl = args[0]
	case "fallback_image":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.FallbackImage = args[0]
	case "fallback_status":
		h.FallbackStatus, err = o.count()
	case "fallback_ttl":
		var ttl caddy.Duration
		ttl, err = o.duration()
		h.FallbackTTL = &ttl
	case "workers":
		h.Workers, err = o.count()
	case "timeout":
		h.Timeout, err = o.duration()
	case "source_ttl":
		h.SourceTTL, err = o.duration()
	case "source_heuristic_ttl":
		var ttl caddy.Duration
		ttl, err = o.duration()
		h.SourceHeuristicTTL = &ttl
	case "queue_megapixels":
		h.QueueMegapixels, err = o.count()
	case "max_buffered_bytes":
		if err = o.need(1); err == nil {
			h.MaxBufferedBytes, err = o.size(args[0], false)
		}
	case "server_timing":
		h.ServerTiming, err = o.onOff()
	default:
		return false, nil
	}
	return true, err
}

// parseCacheOption reads the cache and process-wide memory options.
func (h *Handler) parseCacheOption(o option) (handled bool, err error) {
	d, args := o.d, o.args
	switch o.key {
	case "cache":
		if len(args) != 1 || args[0] != "off" {
			return true, d.Errf("cache: the only form is `cache off`")
		}
		h.CacheOff = true
	case "cache_memory":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.CacheMemory, err = o.size(args[0], false)
	case "cache_disk":
		if len(args) < 1 || len(args) > 2 {
			return true, d.ArgErr()
		}
		h.CacheDisk = args[0]
		if len(args) == 2 {
			h.CacheDiskSize, err = o.size(args[1], false)
		}
	case "cache_shared":
		return true, parseSharedCache(d, args, h)
	case "vips_cache_memory":
		if err = o.need(1); err != nil {
			return true, err
		}
		var n int64
		n, err = o.size(args[0], true)
		h.VipsCacheMemory = &n
	case "vips_concurrency":
		var n int
		n, err = o.count()
		h.VipsConcurrency = &n
	case "free_memory_interval":
		var every caddy.Duration
		every, err = o.duration()
		h.FreeMemoryInterval = &every
	default:
		return false, nil
	}
	return true, err
}

// parseBlockOption reads the blocks (signature, origin, rembg) and the
// hosted APIs' options.
func (h *Handler) parseBlockOption(o option) (handled bool, err error) {
	d, args := o.d, o.args
	switch o.key {
	case "signature":
		if len(args) != 0 {
			return true, d.ArgErr()
		}
		if h.Signature != nil {
			// A second block would replace the first, dropping its
			// `required` without a word: unsigned URLs would be served.
			return true, d.Err("signature is given twice: put every key, preset and option in one block")
		}
		h.Signature = &Signature{}
		return true, parseSignature(d, h.Signature)
	case "origin":
		if len(args) > 1 {
			return true, d.ArgErr()
		}
		if h.Origin != nil {
			return true, d.Err("origin is given twice: put its URL and every option in one block")
		}
		h.Origin = &Origin{}
		if len(args) == 1 {
			h.Origin.URL = args[0]
		}
		return true, parseOrigin(d, h.Origin)
	case "rembg":
		return true, offOrBlock(d, args, &h.Rembg.Off, func() error { return parseRembg(d, &h.Rembg) })
	case "faces":
		return true, offOrBlock(d, args, &h.Faces.Off, func() error { return parseFaces(d, &h.Faces) })
	case "url_dialect":
		return true, parseURLDialect(d, args, h)
	case "playground":
		if err = o.need(1); err != nil {
			return true, err
		}
		h.Playground = &Playground{Path: args[0]}
		return true, parsePlayground(d, h.Playground)
	case "removebg", "rembg_com", "fapihub", "api_key", "api_usage_file", "api_body_timeout", "api_improve_dir", "api_improve_max":
		return true, parseAPIDirective(d, o.key, args, &h.APIs)
	}
	return false, nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)

// parseURLDialect reads `url_dialect <name> [{ key <v>  salt <v>  preset
// <name> <options> ...  watermark <image>  animation_frames <n>  cloud
// <name> <path prefix> ... }]`.
func parseURLDialect(d *caddyfile.Dispenser, args []string, h *Handler) error {
	if len(args) != 1 {
		return d.ArgErr()
	}
	c := URLDialectConfig{Name: args[0]}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key, vals := d.Val(), d.RemainingArgs()
		if key == "cloud" {
			if len(vals) != 2 {
				return d.ArgErr()
			}
			if _, dup := c.Clouds[vals[0]]; dup {
				return d.Errf("cloud %q is given twice", vals[0])
			}
			if c.Clouds == nil {
				c.Clouds = map[string]string{}
			}
			c.Clouds[vals[0]] = vals[1]
			continue
		}
		if key == "preset" {
			if len(vals) != 2 {
				return d.ArgErr()
			}
			if _, dup := c.Presets[vals[0]]; dup {
				return d.Errf("preset %q is given twice", vals[0])
			}
			if c.Presets == nil {
				c.Presets = map[string]string{}
			}
			c.Presets[vals[0]] = vals[1]
			continue
		}
		if len(vals) != 1 {
			return d.ArgErr()
		}
		switch key {
		case "key":
			c.Key = vals[0]
		case "salt":
			c.Salt = vals[0]
		case "watermark":
			c.Watermark = vals[0]
		case "animation_frames":
			n, err := strconv.Atoi(vals[0])
			if err != nil || n < 1 {
				return d.Errf("animation_frames %q: want a count of 1 or more", vals[0])
			}
			c.AnimationFrames = n
		default:
			return d.Errf("unrecognized url_dialect option %q", key)
		}
	}
	h.URLDialects = append(h.URLDialects, c)
	return nil
}

// flagOn sets *on for a subdirective that is a flag: present turns it on.
// A flag takes no argument, so `allow_private off` is refused rather than
// read as its opposite.
func flagOn(d *caddyfile.Dispenser, key string, args []string, on *bool) error {
	if len(args) != 0 {
		return d.Errf("%s takes no argument (write %s alone to turn it on, leave it out to keep it off), not %q", key, key, strings.Join(args, " "))
	}
	*on = true
	return nil
}

// offOrBlock reads a subdirective that is either `<name> off` (setting
// *off) or `<name> { ... }` (read by block).
func offOrBlock(d *caddyfile.Dispenser, args []string, off *bool, block func() error) error {
	if len(args) == 1 && args[0] == "off" {
		*off = true
		return nil
	}
	if len(args) != 0 {
		return d.ArgErr()
	}
	return block()
}

// parseFaces reads the `faces { model <path>  threshold <0-1> }` block.
// parsePlayground reads playground's optional block: the bounds of the
// uploads it keeps.
func parsePlayground(d *caddyfile.Dispenser, p *Playground) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		o := option{d: d, key: d.Val(), args: d.RemainingArgs()}
		switch o.key {
		case "max_uploads":
			n, err := o.count()
			if err != nil {
				return err
			}
			if n == 0 {
				return d.Errf("max_uploads: want at least 1")
			}
			p.MaxUploads = n
		case "max_upload_bytes":
			if err := o.need(1); err != nil {
				return err
			}
			n, err := o.size(o.args[0], false)
			if err != nil {
				return err
			}
			p.MaxUploadBytes = n
		default:
			return d.Errf("playground: unknown option %q (max_uploads, max_upload_bytes)", o.key)
		}
	}
	return nil
}

func parseFaces(d *caddyfile.Dispenser, f *Faces) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		args := d.RemainingArgs()
		if len(args) != 1 {
			return d.ArgErr()
		}
		switch key {
		case "model":
			f.Model = args[0]
		case "threshold":
			v, err := strconv.ParseFloat(args[0], 64)
			if err != nil || !(v > 0 && v < 1) {
				return d.Errf("faces threshold %q: want a number between 0 and 1", args[0])
			}
			f.Threshold = v
		default:
			return d.Errf("faces: unknown option %q (model, threshold)", key)
		}
	}
	return nil
}

func parseRembg(d *caddyfile.Dispenser, r *Removal) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		args := d.RemainingArgs()
		one := func() (string, error) {
			if len(args) != 1 {
				return "", d.ArgErr()
			}
			return args[0], nil
		}
		num := func() (int, error) {
			v, err := one()
			if err != nil {
				return 0, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, d.Errf("%s: %q is not a non-negative integer", key, v)
			}
			return n, nil
		}
		var err error
		switch key {
		case "runtime":
			r.Runtime, err = one()
		case "models_dir":
			r.ModelsDir, err = one()
		case "model":
			r.Model, err = one()
		case "allow":
			if len(args) == 0 {
				return d.ArgErr()
			}
			r.Allow = append(r.Allow, args...)
		case "threads":
			r.Threads, err = num()
		case "concurrency":
			r.Concurrency, err = num()
		case "queue":
			var q int
			if q, err = num(); err == nil {
				r.Queue = &q
			}
		case "spinning":
			err = flagOn(d, key, args, &r.Spinning)
		case "execution_provider":
			if r.Provider, err = one(); err == nil && r.Provider != "cpu" && r.Provider != "cuda" && r.Provider != "tensorrt" {
				return d.Errf("execution_provider: want cpu, cuda or tensorrt, not %q", r.Provider)
			}
		case "device_id":
			r.DeviceID, err = num()
		case "gpu_mem_limit":
			var v string
			if v, err = one(); err == nil {
				n, perr := humanize.ParseBytes(v)
				if perr != nil || n == 0 || n > math.MaxInt64 {
					return d.Errf("gpu_mem_limit: %q is not a size", v)
				}
				r.GPUMemLimit = int64(n)
			}
		case "tensorrt_cache":
			var v string
			if v, err = one(); err == nil {
				r.TensorRTCache, r.TensorRTCacheOff = v, v == "off"
				if r.TensorRTCacheOff {
					r.TensorRTCache = ""
				}
			}
		case "strict":
			err = flagOn(d, key, args, &r.Strict)
		case "preload":
			err = flagOn(d, key, args, &r.Preload)
		case "batch":
			if r.Batch, err = num(); err == nil && r.Batch < 1 {
				return d.Errf("batch: want at least 1, not %d", r.Batch)
			}
		case "batch_wait":
			var v string
			if v, err = one(); err == nil {
				dur, derr := caddy.ParseDuration(v)
				if derr != nil || dur <= 0 {
					return d.Errf("batch_wait: %q is not a positive duration", v)
				}
				r.BatchWait = caddy.Duration(dur)
			}
		case "custom_model":
			if len(args) != 2 {
				return d.ArgErr()
			}
			c := segment.CustomModel{Name: args[0], Path: args[1]}
			if err := parseCustomModel(d, &c); err != nil {
				return err
			}
			r.Custom = append(r.Custom, c)
		default:
			return d.Errf("unrecognized rembg option %q", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func parseCustomModel(d *caddyfile.Dispenser, c *segment.CustomModel) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		args := d.RemainingArgs()
		floats := func(n int) ([]float32, error) {
			if len(args) != n {
				return nil, d.ArgErr()
			}
			out := make([]float32, n)
			for i, a := range args {
				v, err := strconv.ParseFloat(a, 32)
				if err != nil {
					return nil, d.Errf("%s: %q is not a number", key, a)
				}
				out[i] = float32(v)
			}
			return out, nil
		}
		one := func() (string, error) {
			if len(args) != 1 {
				return "", d.ArgErr()
			}
			return args[0], nil
		}
		var err error
		switch key {
		case "base":
			c.Base, err = one()
		case "input":
			if len(args) != 2 {
				return d.ArgErr()
			}
			w, werr := strconv.Atoi(args[0])
			h, herr := strconv.Atoi(args[1])
			if werr != nil || herr != nil {
				return d.Errf("input: want <width> <height>")
			}
			c.InputWidth, c.InputHeight = w, h
		case "mean", "std":
			v, ferr := floats(3)
			if ferr != nil {
				return ferr
			}
			a := [3]float32{v[0], v[1], v[2]}
			if key == "mean" {
				c.Mean = &a
			} else {
				c.Std = &a
			}
		case "pixel_scale":
			v, ferr := floats(1)
			if ferr != nil {
				return ferr
			}
			c.PixelScale = v[0]
		case "divide_by_max", "sigmoid", "min_max":
			var on bool
			if err := flagOn(d, key, args, &on); err != nil {
				return err
			}
			*map[string]**bool{"divide_by_max": &c.DivideByMax, "sigmoid": &c.ApplySigmoid, "min_max": &c.MinMax}[key] = &on
		case "output":
			c.Output, err = one()
		case "channel_order":
			c.ChannelOrder, err = one()
		case "layout":
			c.Layout, err = one()
		case "input_type":
			c.InputType, err = one()
		case "resize_kernel":
			c.ResizeKernel, err = one()
		case "mask_kernel":
			c.MaskKernel, err = one()
		case "sha256":
			c.SHA256, err = one()
		case "license":
			c.License = strings.Join(args, " ")
		default:
			return d.Errf("unrecognized custom_model option %q", key)
		}
		if err != nil {
			return err
		}
	}
	if _, err := c.Preset(); err != nil {
		return d.Errf("custom_model %s: %v", c.Name, err)
	}
	return nil
}

func parseSignature(d *caddyfile.Dispenser, s *Signature) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		args := d.RemainingArgs()
		switch key {
		case "key":
			if len(args) != 1 {
				return d.ArgErr()
			}
			s.Keys = append(s.Keys, args[0])
		case "required":
			if err := flagOn(d, key, args, &s.Required); err != nil {
				return err
			}
		case "bind_host":
			if err := flagOn(d, key, args, &s.BindHost); err != nil {
				return err
			}
		case "unsigned":
			s.Unsigned = append(s.Unsigned, args...)
		case "preset":
			if len(args) != 2 {
				return d.ArgErr()
			}
			if _, dup := s.Presets[args[0]]; dup {
				return d.Errf("preset %q is given twice", args[0])
			}
			if s.Presets == nil {
				s.Presets = map[string]string{}
			}
			s.Presets[args[0]] = args[1]
		default:
			return d.Errf("unrecognized signature option %q", key)
		}
	}
	return nil
}

func parseOrigin(d *caddyfile.Dispenser, o *Origin) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		args := d.RemainingArgs()
		switch key {
		case "allow_hosts":
			o.AllowHosts = append(o.AllowHosts, args...)
		case "allow_private":
			if err := flagOn(d, key, args, &o.AllowPrivate); err != nil {
				return err
			}
		case "allow_loopback":
			if err := flagOn(d, key, args, &o.AllowLoopback); err != nil {
				return err
			}
		case "allow_private_remote":
			if err := flagOn(d, key, args, &o.AllowPrivateRemote); err != nil {
				return err
			}
		case "allow_loopback_remote":
			if err := flagOn(d, key, args, &o.AllowLoopbackRemote); err != nil {
				return err
			}
		case "timeout":
			dur, err := option{d: d, key: "origin timeout", args: args}.duration()
			if err != nil {
				return err
			}
			o.Timeout = dur
		case "max_redirects":
			if len(args) != 1 {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 {
				return d.Errf("max_redirects: want a number of redirects, 0 or more, not %q", args[0])
			}
			if o.MaxRedirects = n; n == 0 {
				o.MaxRedirects = -1 // none; 0 in JSON is the default
			}
		default:
			return d.Errf("unrecognized origin option %q", key)
		}
	}
	return nil
}
