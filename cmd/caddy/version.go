package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/jebosio/matte/transform/vips"
)

// `caddy matte-version` prints the libvips this binary runs and the version
// of every codec in it: the npm build's versions.json, or, for a build
// against the system's libvips, the real file name of every shared library
// loaded (libjpeg.so.62.3.0, ...). bench/run.sh copies it into RESULTS.md.
func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "matte-version",
		Usage: "[--json]",
		Short: "Prints the libvips and codec versions Matte runs with",
		Long: `
Prints the version of the libvips this binary loaded, the headers it was
compiled against, the library's path, and the version of every codec: from
the versions.json next to the npm build of libvips (scripts/fetch-vips.sh),
or the shared libraries loaded from the system otherwise.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().Bool("json", false, "print JSON")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(func(fl caddycmd.Flags) (int, error) {
				if err := writeVersion(os.Stdout, vips.Info(), fl.Bool("json")); err != nil {
					return caddy.ExitCodeFailedStartup, err
				}
				return 0, nil
			})
		},
	})
}

func writeVersion(w io.Writer, bi vips.BuildInfo, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(bi)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "libvips %s (headers %s)\n", bi.Version, bi.Headers)
	fmt.Fprintf(&b, "library %s\n", orUnknown(bi.Library))
	fmt.Fprintf(&b, "HEVC (HEIC) decoder: %s\n", bi.HEVC)
	if bi.Components != nil {
		names := make([]string, 0, len(bi.Components))
		for n := range bi.Components {
			names = append(names, n)
		}
		sort.Strings(names)
		b.WriteString("components (versions.json):\n")
		for _, n := range names {
			fmt.Fprintf(&b, "  %-14s %s\n", n, bi.Components[n])
		}
	} else {
		b.WriteString("shared libraries loaded:\n")
		for _, o := range bi.Objects {
			fmt.Fprintf(&b, "  %s\n", o)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
