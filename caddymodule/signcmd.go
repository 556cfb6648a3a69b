package caddymodule

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/jebosio/matte/signature"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "matte-sign",
		Usage: "--key <secret> [--expires <duration>] [--bind-host] <url-or-path>",
		Short: "Signs a Matte URL (adds s= and, optionally, expires=)",
		Long: `
Signs a URL or path for a matte handler with a signature block. The key may
also come from $MATTE_SIGN_KEY. Prints the signed URL. With --bind-host
(for a signature block with bind_host) the URL must be absolute: the
signature covers its host.

  caddy matte-sign --key "$KEY" --expires 24h '/img/shoe.jpg?w=800&fm=webp'
  caddy matte-sign --key "$KEY" --bind-host 'https://img.example.com/shoe.jpg?w=800'`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("key", "", "signing key (default $MATTE_SIGN_KEY)")
			cmd.Flags().Duration("expires", 0, "validity from now, positive (left out: never expires)")
			cmd.Flags().Bool("bind-host", false, "bind the signature to the URL's host (signature { bind_host })")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(func(fl caddycmd.Flags) (int, error) {
				key := fl.String("key")
				if key == "" {
					key = os.Getenv("MATTE_SIGN_KEY")
				}
				expires, _ := cmd.Flags().GetDuration("expires")
				signed, err := signCommand(key, fl.Arg(0), expires, cmd.Flags().Changed("expires"), fl.Bool("bind-host"), time.Now())
				if err != nil {
					return exitFailure, err
				}
				fmt.Println(signed)
				return 0, nil
			})
		},
	})
}

const exitFailure = 1

// signCommand is what `caddy matte-sign` prints: rawURL signed with key.
// An --expires given explicitly (expiresSet) must be positive: 0s or -1h
// would otherwise mint a URL that never expires, the opposite of what was
// asked.
func signCommand(key, rawURL string, expires time.Duration, expiresSet, bindHost bool, now time.Time) (string, error) {
	if expiresSet && expires <= 0 {
		return "", fmt.Errorf("--expires %s: must be a positive duration (leave it out for a URL that never expires)", expires)
	}
	if bindHost {
		return SignURLForHost([]byte(key), rawURL, expires, now)
	}
	return SignURL([]byte(key), rawURL, expires, now)
}

// SignURL signs rawURL (a full URL or a path with its query) with key, for a
// matte signature policy; validity > 0 adds expires= that many from now, 0
// adds none (the URL never expires), and a negative validity is refused.
// key must be one a signature block accepts (signature.MinKeyLen bytes or
// more): a shorter one would sign URLs no server verifies.
func SignURL(key []byte, rawURL string, validity time.Duration, now time.Time) (string, error) {
	return signURL(key, rawURL, validity, now, false)
}

// SignURLForHost is SignURL for a policy with bind_host: rawURL must be
// absolute, and the signature covers its host.
func SignURLForHost(key []byte, rawURL string, validity time.Duration, now time.Time) (string, error) {
	return signURL(key, rawURL, validity, now, true)
}

func signURL(key []byte, rawURL string, validity time.Duration, now time.Time, bindHost bool) (string, error) {
	if len(key) == 0 {
		return "", errors.New("no key given (--key or $MATTE_SIGN_KEY)")
	}
	if len(key) < signature.MinKeyLen {
		return "", fmt.Errorf("the key is %d bytes; a signature block refuses keys under %d bytes (32 random bytes are recommended)", len(key), signature.MinKeyLen)
	}
	if validity < 0 {
		return "", fmt.Errorf("validity %s: must not be negative", validity)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	var set url.Values
	if validity > 0 {
		set = url.Values{signature.ParamExpires: {strconv.FormatInt(now.Add(validity).Unix(), 10)}}
	}
	signed := u.EscapedPath()
	if bindHost {
		if signature.CanonicalHost(u.Host) == "" {
			return "", errors.New("--bind-host needs an absolute URL (https://host/path)")
		}
		signed = signature.HostPath(u.Host, signed)
	}
	// The URL's own order is kept (SignQuery): WordPress applies its
	// options in that order.
	if u.RawQuery, err = signature.SignQuery(key, signed, u.RawQuery, set); err != nil {
		return "", err
	}
	u.ForceQuery = false
	return u.String(), nil
}
