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
		Usage: "--key <secret> [--expires <duration>] <url-or-path>",
		Short: "Signs a Matte URL (adds s= and, optionally, expires=)",
		Long: `
Signs a URL or path for a matte handler with a signature block. The key may
also come from $MATTE_SIGN_KEY. Prints the signed URL.

  caddy matte-sign --key "$KEY" --expires 24h '/img/shoe.jpg?w=800&fm=webp'`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("key", "", "signing key (default $MATTE_SIGN_KEY)")
			cmd.Flags().Duration("expires", 0, "validity from now (0: never expires)")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(func(fl caddycmd.Flags) (int, error) {
				key := fl.String("key")
				if key == "" {
					key = os.Getenv("MATTE_SIGN_KEY")
				}
				expires, _ := cmd.Flags().GetDuration("expires")
				signed, err := SignURL([]byte(key), fl.Arg(0), expires, time.Now())
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

// SignURL signs rawURL (a full URL or a path with its query) with key, for a
// matte signature policy; validity > 0 adds expires= that many from now.
func SignURL(key []byte, rawURL string, validity time.Duration, now time.Time) (string, error) {
	if len(key) == 0 {
		return "", errors.New("no key given (--key or $MATTE_SIGN_KEY)")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", err
	}
	if validity > 0 {
		q.Set(signature.ParamExpires, strconv.FormatInt(now.Add(validity).Unix(), 10))
	}
	u.RawQuery = signature.Sign(key, u.EscapedPath(), q)
	return u.String(), nil
}
