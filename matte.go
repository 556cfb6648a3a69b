// Package matte is the module's root package, for xcaddy: `xcaddy build
// --with github.com/jebosio/matte` imports it, and it registers Matte's Caddy
// modules (the http.handlers.matte handler, the matte app and the
// admin.api.matte endpoint) by importing caddymodule. cmd/caddy imports
// caddymodule itself.
package matte

import _ "github.com/jebosio/matte/caddymodule"
