package caddymodule

import (
	"math"
	"strconv"

	"github.com/dustin/go-humanize"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseAPIDirective parses one hosted-API subdirective (its name is key,
// its arguments on the line args) into c:
//
//	removebg  [on|off] [<prefix>] [max_file <size>]  # max_file default 12MiB, as remove.bg documents
//	rembg_com [on|off] [<prefix>] [max_file <size>]  # default 50MiB, as rembg.com documents
//	fapihub   [on|off] [<prefix>] [max_file <size>]  # default max_source_bytes (fapihub documents none)
//	api_key <key> [{
//	    credits <n>     # monthly quota, finite and >= 0; default none
//	    rate    <n>     # megapixels per minute, finite and > 0; default 500
//	}]
//	api_usage_file <path>
//	api_body_timeout <duration>  # time a request body may take to arrive; default 30s
//	api_improve_dir <path>       # where POST /v1.0/improve stores images; default <data dir>/matte/improve
//	api_improve_max <n>          # submissions that folder may hold; default 1000
func parseAPIDirective(d *caddyfile.Dispenser, key string, args []string, c *APIConfig) error {
	switch key {
	case "removebg", "rembg_com", "fapihub":
		on, prefix, maxFile := true, "", int64(0)
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case i == 0 && (a == "on" || a == "off"):
				on = a == "on"
			case a == "max_file" && i+1 < len(args):
				n, err := humanize.ParseBytes(args[i+1])
				if err != nil || n == 0 || n > math.MaxInt64 {
					return d.Errf("%s max_file: %q is not a size", key, args[i+1])
				}
				maxFile, i = int64(n), i+1
			case prefix == "" && len(a) > 1 && a[0] == '/' && a[len(a)-1] != '/':
				prefix = a
			default:
				return d.Errf("%s: want [on|off] [<prefix>] [max_file <size>] (a prefix starts with / and does not end with it), not %q", key, a)
			}
		}
		var e *APIEndpoint
		if on {
			e = &APIEndpoint{Prefix: prefix, MaxFileBytes: maxFile}
		}
		switch key {
		case "removebg":
			c.RemoveBG = e
		case "rembg_com":
			c.RembgCom = e
		default:
			c.FAPIHub = e
		}
	case "api_key":
		if len(args) != 1 || args[0] == "" {
			return d.ArgErr()
		}
		k := APIKey{Key: args[0]}
		for nesting := d.Nesting(); d.NextBlock(nesting); {
			opt := d.Val()
			vals := d.RemainingArgs()
			if len(vals) != 1 {
				return d.ArgErr()
			}
			// ParseFloat takes "inf" and "NaN": neither is a quota or a
			// rate (an account would answer +Inf, which JSON cannot hold).
			v, err := strconv.ParseFloat(vals[0], 64)
			if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return d.Errf("api_key %s: %q is not a finite, non-negative number", opt, vals[0])
			}
			switch opt {
			case "credits":
				k.Credits = &v
			case "rate":
				if v == 0 {
					return d.Errf("api_key rate: must be above 0")
				}
				k.Rate = v
			default:
				return d.Errf("unrecognized api_key option %q (want credits or rate)", opt)
			}
		}
		c.Keys = append(c.Keys, k)
	case "api_usage_file":
		if len(args) != 1 {
			return d.ArgErr()
		}
		c.UsageFile = args[0]
	case "api_body_timeout":
		if len(args) != 1 {
			return d.ArgErr()
		}
		v, err := caddy.ParseDuration(args[0])
		if err != nil || v <= 0 {
			return d.Errf("api_body_timeout: %q is not a positive duration", args[0])
		}
		c.BodyTimeout = caddy.Duration(v)
	case "api_improve_dir":
		if len(args) != 1 || args[0] == "" {
			return d.ArgErr()
		}
		c.ImproveDir = args[0]
	case "api_improve_max":
		if len(args) != 1 {
			return d.ArgErr()
		}
		v, err := strconv.Atoi(args[0])
		if err != nil || v <= 0 {
			return d.Errf("api_improve_max: %q is not a positive integer", args[0])
		}
		c.ImproveMax = v
	}
	return nil
}
