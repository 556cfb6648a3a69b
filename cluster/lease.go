package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is the right, won by one node, to compute one missing key. Its
// Redis key holds a random token with a TTL the holder renews; Release
// deletes it only if the token still matches (so a holder that lost it to
// a takeover cannot free the new holder's) and announces the name.
type Lease struct {
	n     *Node
	name  string
	token string
	stop  chan struct{}
	once  sync.Once
}

var (
	releaseScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)
	renewScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
)

func (n *Node) leaseKey(name string) string { return n.o.Prefix + "lease:" + name }

// Acquire tries to win the lease on name (SET NX PX with a random token).
// It returns nil and no error when another node holds it, and an error when
// Redis cannot tell (the caller then computes on its own).
func (n *Node) Acquire(ctx context.Context, name string) (*Lease, error) {
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	l := &Lease{n: n, name: name, token: hex.EncodeToString(tok[:]), stop: make(chan struct{})}
	var won bool
	err := n.Run(ctx, func(ctx context.Context) (err error) {
		won, err = n.rdb.SetNX(ctx, n.leaseKey(name), l.token, n.o.LeaseTTL).Result()
		return err
	})
	if err != nil || !won {
		return nil, err
	}
	go l.renew()
	return l, nil
}

func (l *Lease) renew() {
	t := time.NewTicker(l.n.o.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.n.ctx.Done():
			return
		case <-t.C:
			_ = l.n.Run(l.n.ctx, func(ctx context.Context) error {
				return renewScript.Run(ctx, l.n.rdb, []string{l.n.leaseKey(l.name)}, l.token, l.n.o.LeaseTTL.Milliseconds()).Err()
			})
		}
	}
}

// Release gives the lease up and announces name to the waiting nodes,
// whether or not an entry was stored (a waiter that then finds none takes
// over). Safe to call more than once.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.stop)
		n := l.n
		_ = n.Run(n.ctx, func(ctx context.Context) error {
			return releaseScript.Run(ctx, n.rdb, []string{n.leaseKey(l.name)}, l.token, n.annChannel(), l.name).Err()
		})
	})
}

// Wait blocks until name is announced, its lease is gone (released or
// expired: polled every LeaseTTL/20, at least 20ms, which also covers an
// announcement lost with a connection), or ctx ends (ctx.Err()). A Redis
// failure returns its error: the caller stops waiting for the cluster.
func (n *Node) Wait(ctx context.Context, name string) error {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	if n.waiters[name] == nil {
		n.waiters[name] = map[chan struct{}]struct{}{}
	}
	n.waiters[name][ch] = struct{}{}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.waiters[name], ch)
		if len(n.waiters[name]) == 0 {
			delete(n.waiters, name)
		}
		n.mu.Unlock()
	}()
	poll := max(n.o.LeaseTTL/20, 20*time.Millisecond)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		var held int64
		err := n.Run(ctx, func(ctx context.Context) (err error) {
			held, err = n.rdb.Exists(ctx, n.leaseKey(name)).Result()
			return err
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if held == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
			return nil
		case <-t.C:
		}
	}
}

// wake signals every local waiter of name.
func (n *Node) wake(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.waiters[name] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
