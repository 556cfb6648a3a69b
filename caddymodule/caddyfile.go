package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
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
//	    max_frames            <count>      # default 256
//	    quality               jpeg|webp|avif <1-100>   # defaults 80, 80, 60
//	    cache_control         <value>      # default "public, max-age=86400"
//	    workers               <count>      # concurrent libvips pipelines; default: CPUs
//	    timeout               <duration>   # per transform; default 30s
//	    source_ttl            <duration>   # reuse sources without asking the origin; default 0
//	    cache                 off          # no result, source or mask cache
//	    cache_memory          <size>       # memory tier; default 256MiB
//	    cache_disk            <path> [<size>]   # disk tier; size default 1GiB
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		key := d.Val()
		args := d.RemainingArgs()
		need := func(n int) error {
			if len(args) != n {
				return d.ArgErr()
			}
			return nil
		}
		atoi := func(s string) (int, error) {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return 0, d.Errf("%s: %q is not a non-negative integer", key, s)
			}
			return v, nil
		}
		var err error
		switch key {
		case "max_source_bytes":
			if err = need(1); err != nil {
				return err
			}
			n, perr := humanize.ParseBytes(args[0])
			if perr != nil {
				return d.Errf("max_source_bytes: %v", perr)
			}
			h.MaxSourceBytes = int64(n)
		case "max_source_megapixels":
			if err = need(1); err != nil {
				return err
			}
			v, perr := strconv.ParseFloat(args[0], 64)
			if perr != nil || v <= 0 {
				return d.Errf("max_source_megapixels: %q is not a positive number", args[0])
			}
			h.MaxSourceMegapixels = v
		case "max_output_dimension":
			if err = need(1); err != nil {
				return err
			}
			h.MaxOutputDimension, err = atoi(args[0])
		case "max_frames":
			if err = need(1); err != nil {
				return err
			}
			h.MaxFrames, err = atoi(args[0])
		case "quality":
			if err = need(2); err != nil {
				return err
			}
			q, qerr := atoi(args[1])
			if qerr != nil {
				return qerr
			}
			if h.Quality == nil {
				h.Quality = map[string]int{}
			}
			h.Quality[args[0]] = q
		case "cache_control":
			if err = need(1); err != nil {
				return err
			}
			h.CacheControl = args[0]
		case "workers":
			if err = need(1); err != nil {
				return err
			}
			h.Workers, err = atoi(args[0])
		case "timeout":
			if err = need(1); err != nil {
				return err
			}
			dur, derr := caddy.ParseDuration(args[0])
			if derr != nil {
				return d.Errf("timeout: %v", derr)
			}
			h.Timeout = caddy.Duration(dur)
		case "source_ttl":
			if err = need(1); err != nil {
				return err
			}
			dur, derr := caddy.ParseDuration(args[0])
			if derr != nil || dur < 0 {
				return d.Errf("source_ttl: %q is not a duration", args[0])
			}
			h.SourceTTL = caddy.Duration(dur)
		case "cache":
			if len(args) != 1 || args[0] != "off" {
				return d.Errf("cache: the only form is `cache off`")
			}
			h.CacheOff = true
		case "cache_memory":
			if err = need(1); err != nil {
				return err
			}
			n, perr := humanize.ParseBytes(args[0])
			if perr != nil || n == 0 {
				return d.Errf("cache_memory: %q is not a size", args[0])
			}
			h.CacheMemory = int64(n)
		case "cache_disk":
			if len(args) < 1 || len(args) > 2 {
				return d.ArgErr()
			}
			h.CacheDisk = args[0]
			if len(args) == 2 {
				n, perr := humanize.ParseBytes(args[1])
				if perr != nil || n == 0 {
					return d.Errf("cache_disk: %q is not a size", args[1])
				}
				h.CacheDiskSize = int64(n)
			}
		default:
			return d.Errf("unrecognized matte subdirective %q", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
