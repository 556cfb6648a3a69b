// Package cluster is what several Matte nodes share through Redis (or
// Valkey, Sentinel, Redis Cluster: anything go-redis's universal client
// reaches): leases that let one node compute a missing key while the
// others wait for its announcement, purge messages that every node applies
// to its local caches, the hosted APIs' quota (credits and megapixel rate
// buckets, updated atomically by Lua scripts) with a local journal for
// outages, and the circuit breaker that keeps a slow or absent Redis from
// stalling requests.
//
// # Contract
//
//   - Nothing here is required for correctness of a single node: every
//     operation is bounded by Options.Timeout, and every failure is returned
//     as an error the caller turns into "do it locally" (see Node.Run).
//   - After Options.FailureThreshold consecutive failures the breaker opens:
//     Run refuses at once (ErrUnavailable) until a background PING succeeds.
//   - A Node is safe for concurrent use. It owns one pub/sub connection
//     (announcements and purges) and its goroutines stop at Close; it does
//     not close the client it was given.
//
// The package knows nothing about HTTP, Caddy or images; cache/redistier
// builds the shared cache tier on a Node, and the caddymodule wires both.
package cluster
