package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is the right, won by one node, to compute one missing key. Its
// Redis key holds a random token with a TTL the holder renews; Release
// deletes it only if the token still matches (so a holder that lost it to
// a takeover cannot free the new holder's) and announces the name.
// ReleaseUnshared replaces the token with unsharedMark for LeaseTTL
// instead: the holder's result will not be in the shared store, so the
// waiters should each compute their own at once rather than take the lease
// over one after another (Acquire returns ErrUnshared meanwhile).
type Lease struct {
	n     *Node
	name  string
	token string
	stop  chan struct{}
	once  sync.Once
}

// unsharedMark is the value of a lease key released by ReleaseUnshared
// (tokens are hex, so none is equal to it).
const unsharedMark = "-unshared"

// ErrUnshared is returned by Acquire while the lease's last holder has
// said (ReleaseUnshared) that its result will not be in the shared store.
var ErrUnshared = errors.New("cluster: the lease's last holder did not share its result")

var (
	// acquireScript: 1 won, 0 held by another node, 2 unsharedMark.
	acquireScript = redis.NewScript(`local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[3] then return 2 end
return 0`)
	// releaseScript: with ARGV[4] '1', the key keeps unsharedMark
	// (ARGV[5]) for ARGV[6] ms instead of being deleted.
	releaseScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[4] == '1' then
    redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[6])
  else
    redis.call('DEL', KEYS[1])
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)
	renewScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
)

func (n *Node) leaseKey(name string) string { return n.o.Prefix + "lease:" + name }

// Acquire tries to win the lease on name (set, with a random token and
// LeaseTTL, when the key is absent). It returns nil and no error when
// another node holds it, ErrUnshared when its last holder released it with
// ReleaseUnshared less than LeaseTTL ago (the caller computes on its own),
// and another error when Redis cannot tell (the same).
func (n *Node) Acquire(ctx context.Context, name string) (*Lease, error) {
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	l := &Lease{n: n, name: name, token: hex.EncodeToString(tok[:]), stop: make(chan struct{})}
	var r int64
	err := n.Run(ctx, func(ctx context.Context) (err error) {
		r, err = acquireScript.Run(ctx, n.rdb, []string{n.leaseKey(name)}, l.token, n.o.LeaseTTL.Milliseconds(), unsharedMark).Int64()
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case r == 2:
		return nil, ErrUnshared
	case r != 1:
		return nil, nil
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
// over). Safe to call more than once; only the first call of Release or
// ReleaseUnshared counts.
func (l *Lease) Release() { l.release(false) }

// ReleaseUnshared gives the lease up saying that the holder's result will
// not be in the shared store: for LeaseTTL, Wait returns and Acquire
// returns ErrUnshared, so that the waiting nodes compute at once, each on
// its own. Like Release, it announces name and does nothing to a lease
// taken over since.
func (l *Lease) ReleaseUnshared() { l.release(true) }

func (l *Lease) release(unshared bool) {
	l.once.Do(func() {
		close(l.stop)
		n := l.n
		flag := "0"
		if unshared {
			flag = "1"
		}
		_ = n.Run(n.ctx, func(ctx context.Context) error {
			return releaseScript.Run(ctx, n.rdb, []string{n.leaseKey(l.name)}, l.token, n.annChannel(), l.name,
				flag, unsharedMark, n.o.LeaseTTL.Milliseconds()).Err()
		})
	})
}

// Wait blocks until name is announced, its lease is gone (released,
// released unshared, or expired: polled every LeaseTTL/20, at least 20ms,
// which also covers an announcement lost with a connection), or ctx ends
// (ctx.Err()). A Redis failure returns its error: the caller stops waiting
// for the cluster.
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
		var v string
		err := n.Run(ctx, func(ctx context.Context) (err error) {
			v, err = n.rdb.Get(ctx, n.leaseKey(name)).Result()
			return err
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, redis.Nil) || (err == nil && v == unsharedMark) {
			return nil
		}
		if err != nil {
			return err
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
