// Package cluster holds the multi-process test of a Matte cluster: the
// built binary run as three nodes and a front Caddy, sharing one private
// redis-server, all on 127.0.0.1. It has no non-test code.
package cluster
