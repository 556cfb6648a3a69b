package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// ErrUnavailable is returned by Run (and everything built on it) while the
// breaker is open: Redis was failing and has not answered a probe since.
var ErrUnavailable = errors.New("cluster: redis unavailable (circuit breaker open)")

// Options configures NewNode. Zero values take the defaults.
type Options struct {
	// Prefix starts every key and channel this package uses ("matte:").
	Prefix string
	// Timeout bounds one operation (default 250ms).
	Timeout time.Duration
	// LeaseTTL is how long a lease outlives a node that stopped renewing
	// it (default 5s). The holder renews it every LeaseTTL/3.
	LeaseTTL time.Duration
	// FailureThreshold is how many consecutive failures open the breaker
	// (default 3); ProbeInterval is how often it then PINGs (default 1s).
	FailureThreshold int
	ProbeInterval    time.Duration
	// Logger receives why Redis fails: the error that opens the breaker,
	// the probes' errors (sampled) and a subscription that fails (default:
	// none).
	Logger *zap.Logger
}

func (o *Options) fill() {
	if o.Prefix == "" {
		o.Prefix = "matte:"
	}
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 5 * time.Second
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 3
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
}

// PurgeMsg tells the other nodes (and the publishing node's other purge
// handlers: PurgeSub) to drop local copies. Exactly one of All,
// NS (with or without Key) and Tag is set. Seq is the purge's number from
// NextPurge (0 from a node that had none: Redis failed it).
type PurgeMsg struct {
	Node string `json:"node"`
	Seq  uint64 `json:"seq,omitempty"`
	All  bool   `json:"all,omitempty"`
	NS   string `json:"ns,omitempty"`
	Key  string `json:"key,omitempty"`
	Tag  string `json:"tag,omitempty"`
}

// Node is one process's view of the cluster. See the package contract.
//
// Locks: mu guards waiters, the handler maps and the local purge queue, and
// is never held while calling Redis or a handler.
type Node struct {
	rdb redis.UniversalClient
	o   Options
	id  string
	br  *breaker

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// subscribed is closed once Redis has confirmed the listener's first
	// subscription (see Subscribed).
	subscribed chan struct{}

	mu       sync.Mutex
	waiters  map[string]map[chan struct{}]struct{} // lease name -> waiting channels
	purgeFns map[int]func(PurgeMsg)
	onUp     map[int]func()
	nextFn   int
	// local holds the purges published through a PurgeSub, in order, for
	// deliverLocal to hand to this node's other purge handlers; kick (cap
	// 1) wakes it.
	local []localPurge
	kick  chan struct{}

	errors atomic.Uint64

	// seen is, per key id, the highest usage of its latest month that
	// Redis reported (Quota.saw), restored to Redis when it holds less
	// (see Quota). seenMu guards it and is held for no call.
	seenMu sync.Mutex
	seen   map[string]seenUsage
}

// NewNode starts the node's pub/sub listener on rdb. It does not dial
// synchronously: an absent Redis only opens the breaker.
func NewNode(rdb redis.UniversalClient, o Options) *Node {
	o.fill()
	var id [8]byte
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{rdb: rdb, o: o, id: hex.EncodeToString(id[:]), ctx: ctx, cancel: cancel, subscribed: make(chan struct{}),
		waiters: map[string]map[chan struct{}]struct{}{}, purgeFns: map[int]func(PurgeMsg){}, onUp: map[int]func(){},
		kick: make(chan struct{}, 1), seen: map[string]seenUsage{}}
	n.br = newBreaker(o.FailureThreshold, o.ProbeInterval, o.Timeout, func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, o.Logger)
	n.br.onClose = n.up
	n.wg.Add(2)
	go n.listen()
	go n.deliverLocal()
	return n
}

// Close stops the listener, the breaker's prober and lease renewals. Own
// purges not yet handed to the node's other handlers are dropped.
func (n *Node) Close() {
	n.cancel()
	n.br.close()
	n.wg.Wait()
}

// ID is this node's random identity (in purge messages).
func (n *Node) ID() string { return n.id }

// Prefix is Options.Prefix.
func (n *Node) Prefix() string { return n.o.Prefix }

// Client is the Redis client the node was built on.
func (n *Node) Client() redis.UniversalClient { return n.rdb }

// Breaker is the breaker's current state.
func (n *Node) Breaker() BreakerState { return BreakerState(n.br.state.Load()) }

// Stats are the node's counters.
type Stats struct {
	Errors       uint64 // failed operations (timeouts and refusals included)
	BreakerOpens uint64
	Breaker      BreakerState
}

func (n *Node) Stats() Stats {
	return Stats{Errors: n.errors.Load(), BreakerOpens: n.br.opens.Load(), Breaker: n.Breaker()}
}

// OnReconnect registers fn, called (in a goroutine of the node) each time
// the breaker closes again after an outage. The returned func unregisters
// it.
func (n *Node) OnReconnect(fn func()) (unregister func()) {
	return register(n, n.onUp, fn)
}

// register adds fn to m under n.mu and returns its removal.
func register[F any](n *Node, m map[int]F, fn F) func() {
	_, unregister := registerID(n, m, fn)
	return unregister
}

// registerID is register, also returning fn's id in m.
func registerID[F any](n *Node, m map[int]F, fn F) (id int, unregister func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id = n.nextFn
	n.nextFn++
	m[id] = fn
	return id, func() {
		n.mu.Lock()
		delete(m, id)
		n.mu.Unlock()
	}
}

// handlers is a snapshot of m's functions, taken under n.mu.
func handlers[F any](n *Node, m map[int]F) []F {
	return handlersExcept(n, m, -1)
}

// handlersExcept is handlers without the one registered as skip (-1: none).
func handlersExcept[F any](n *Node, m map[int]F, skip int) []F {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]F, 0, len(m))
	for id, fn := range m {
		if id != skip {
			out = append(out, fn)
		}
	}
	return out
}

func (n *Node) up() {
	for _, fn := range handlers(n, n.onUp) {
		fn()
	}
}

// Run calls fn with a context bounded by Options.Timeout, unless the breaker
// is open (ErrUnavailable). redis.Nil is a success (a miss); any other error
// counts towards opening the breaker, except when ctx itself ended.
func (n *Node) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	if !n.br.allow() {
		n.errors.Add(1)
		return ErrUnavailable
	}
	rctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	err := fn(rctx)
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		n.br.record(nil)
	case ctx.Err() != nil:
	default:
		n.errors.Add(1)
		n.br.record(err)
	}
	return err
}

func (n *Node) annChannel() string   { return n.o.Prefix + "announce" }
func (n *Node) purgeChannel() string { return n.o.Prefix + "purge" }

// listen dispatches announcements and other nodes' purges until Close
// (this node's own purges reach its other handlers through deliverLocal,
// not through Redis). go-redis resubscribes by itself after a lost
// connection; messages published meanwhile are lost, which Wait's polling
// and the TTLs cover.
func (n *Node) listen() {
	defer n.wg.Done()
	ps := n.rdb.Subscribe(n.ctx, n.annChannel(), n.purgeChannel())
	defer ps.Close()
	// Subscribe does not wait for Redis: the confirmation is read here,
	// before the channel takes the connection over (go-redis allows
	// Receive only before Channel). An error (Redis down, a wrong
	// password) is logged and leaves subscribed open; the channel then
	// resubscribes when Redis is back.
	if _, err := ps.Receive(n.ctx); err == nil {
		close(n.subscribed)
	} else if n.ctx.Err() == nil {
		n.o.Logger.Warn("cluster: pub/sub subscription failed (other nodes' purges and announcements unheard until go-redis resubscribes)", zap.Error(err))
	}
	ch := ps.Channel()
	for {
		select {
		case <-n.ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			switch m.Channel {
			case n.annChannel():
				n.wake(m.Payload)
			case n.purgeChannel():
				var p PurgeMsg
				if json.Unmarshal([]byte(m.Payload), &p) == nil && p.Node != n.id {
					for _, fn := range handlers(n, n.purgeFns) {
						fn(p)
					}
				}
			}
		}
	}
}

// Subscribed is closed once Redis has confirmed the node's subscription to
// the cluster's announcements and purges, if it was up when the node
// started: from then on, every purge another node publishes reaches the
// OnPurge handlers (or, past a lost connection, the counter read that
// redistier does). It stays open when Redis was down at the start.
func (n *Node) Subscribed() <-chan struct{} { return n.subscribed }

// PurgeSub is one OnPurge registration. Several users of one node (two
// shared cache tiers of different local caches, say) each publish through
// their own, so that each hears what the others purge.
type PurgeSub struct {
	n          *Node
	id         int
	unregister func()
}

// OnPurge registers fn for purge messages published by other nodes, and by
// this node's other PurgeSubs (handed over in-process, without Redis). fn
// runs in the listener goroutine or in the node's local delivery goroutine
// (so it may run concurrently with itself), holding none of the node's
// locks, and must not block for long. It does not hear what its own
// PurgeSub publishes.
func (n *Node) OnPurge(fn func(PurgeMsg)) *PurgeSub {
	id, unregister := registerID(n, n.purgeFns, fn)
	return &PurgeSub{n: n, id: id, unregister: unregister}
}

// Unregister removes the handler (a delivery already under way may still
// call it once). Safe to call more than once.
func (s *PurgeSub) Unregister() { s.unregister() }

// Publish tells the other nodes to apply p (its Node is set here) and
// queues it for this node's other OnPurge handlers. The local delivery does
// not depend on Redis: it happens (in order, after Publish returns) even
// when the PUBLISH fails, so a purge number this node took is always heard
// by its other handlers.
func (s *PurgeSub) Publish(ctx context.Context, p PurgeMsg) error {
	n := s.n
	p.Node = n.id
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = n.Run(ctx, func(ctx context.Context) error { return n.rdb.Publish(ctx, n.purgeChannel(), b).Err() })
	n.mu.Lock()
	n.local = append(n.local, localPurge{p: p, from: s.id})
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
	return err
}

// localPurge is one of this node's purges, for every handler but from's.
type localPurge struct {
	p    PurgeMsg
	from int
}

// deliverLocal hands this node's own purges to its other handlers, in the
// order they were published, until Close. It runs apart from listen so that
// a handler never runs in the publisher's goroutine (which may hold locks
// of its own cache) and a stalled subscription does not hold them up.
func (n *Node) deliverLocal() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.kick:
		}
		for n.ctx.Err() == nil {
			n.mu.Lock()
			if len(n.local) == 0 {
				n.mu.Unlock()
				break
			}
			m := n.local[0]
			n.local = n.local[1:]
			n.mu.Unlock()
			for _, fn := range handlersExcept(n, n.purgeFns, m.from) {
				fn(m.p)
			}
		}
	}
}

func (n *Node) purgeSeqKey() string { return n.o.Prefix + "purges" }

// NextPurge numbers a purge that is about to run: the cluster's purge
// counter, incremented. A purge takes its number before it deletes
// anything, so that a write which reads the counter after it was stored
// (PurgeSeq) and still sees an older number was stored before that purge
// deleted (see cache/redistier).
func (n *Node) NextPurge(ctx context.Context) (seq uint64, err error) {
	err = n.Run(ctx, func(ctx context.Context) error {
		seq, err = n.rdb.Incr(ctx, n.purgeSeqKey()).Uint64()
		return err
	})
	return seq, err
}

// PurgeSeq is the number of the latest purge in the cluster (0: none yet).
func (n *Node) PurgeSeq(ctx context.Context) (seq uint64, err error) {
	err = n.Run(ctx, func(ctx context.Context) error {
		seq, err = n.rdb.Get(ctx, n.purgeSeqKey()).Uint64()
		if errors.Is(err, redis.Nil) {
			seq, err = 0, nil
		}
		return err
	})
	return seq, err
}
