// Command caddy is Caddy with its standard modules and Matte.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/jebosio/matte/caddymodule"
)

func main() {
	caddycmd.Main()
}
