package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Quota keeps the hosted APIs' credits and rate buckets in Redis, so that
// every node enforces one budget per key. Each update is one Lua script
// (atomic on the server) keyed by the key's hash tag, so all of a key's
// state lives in one Redis Cluster slot. Times come from the server's TIME,
// so the nodes' clocks need not agree.
//
// Per key id (the SHA-256 of the API key, never the key itself):
//
//	<prefix>q:{id}:used   hash  month ("2006-01") -> credits charged
//	<prefix>q:{id}:held   zset  "<token>|<cost>" -> expiry (ms): reservations in flight
//	<prefix>q:{id}:rate   hash  tokens, last (ms): the megapixel token bucket
//	<prefix>q:{id}:settled zset token -> expiry (ms): charged settles, kept SettledKeep
//
// A reservation left by a node that died expires after its hold time.
//
// Settling a reservation with a charge is idempotent for SettledKeep: a
// settle whose reply was lost (a timeout after Redis ran it) is journalled
// with its token (Charge.Token), and the journal's merge runs the same
// settle again, which charges nothing if the first one did.
//
// Restoring a lost month: with the recommended settings (no persistence),
// a Redis restart (or an eviction) empties a key's monthly usage. Each
// node remembers the highest usage Redis reported to it for a key's latest
// month (Node.seen), and every script that reads or charges that month
// first raises Redis's value to it (an atomic max in the same script), so
// a restart loses only the charges no node heard the answer of. A max,
// never a sum: every node's number was once Redis's own, so the cluster's
// largest is at most the truth. Charges a node makes without Redis (its
// journal) are not in its number: the merge adds them on top.
type Quota struct{ n *Node }

// Quota is the node's quota store (all of a node's Quotas share its
// remembered usage).
func (n *Node) Quota() *Quota { return &Quota{n: n} }

// floor is the usage month's lower bound for id to send to a script:
// what the node last saw of it, or "0" when it saw nothing of month.
func (q *Quota) floor(id, month string) string {
	q.n.seenMu.Lock()
	defer q.n.seenMu.Unlock()
	if s, ok := q.n.seen[id]; ok && s.month == month {
		return fmtF(s.used)
	}
	return "0"
}

// saw records Redis's answer used for id's month: the largest of the
// latest month a node has seen is kept (an older month's answer is not).
func (q *Quota) saw(id, month string, used float64) {
	q.n.seenMu.Lock()
	defer q.n.seenMu.Unlock()
	s, ok := q.n.seen[id]
	if !ok || month > s.month || month == s.month && used > s.used {
		q.n.seen[id] = seenUsage{month: month, used: used}
	}
}

// seenUsage is a key's highest usage of its latest month that Redis
// reported to the node.
type seenUsage struct {
	month string
	used  float64
}

func (q *Quota) key(id, kind string) string { return q.n.o.Prefix + "q:{" + id + "}:" + kind }

const luaNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// luaFloor raises month ARGV[1] of hash KEYS[1] to the node's floor
// ARGV[FLOOR] (written as sent, so that no digits are lost) when Redis
// holds less: it lost the month (a restart without persistence, an
// eviction). FLOOR is replaced by the script's argument number.
const luaFloor = `local floor = ARGV[FLOOR]
if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') < tonumber(floor) then
  redis.call('HSET', KEYS[1], ARGV[1], floor)
end
`

func withFloor(arg int, body string) string {
	return luaNow + strings.ReplaceAll(luaFloor, "FLOOR", strconv.Itoa(arg)) + body
}

var (
	reserveScript = redis.NewScript(withFloor(6, `redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local held = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  held = held + tonumber(string.sub(m, string.find(m, '|', 1, true) + 1))
end
local quota, cost = tonumber(ARGV[2]), tonumber(ARGV[3])
if used + held + cost > quota + 1e-9 then
  return {0, tostring(used), tostring(held)}
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4] .. '|' .. ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {1, tostring(used), tostring(held + cost)}`))

	// settleScript ends reservation ARGV[2] (of cost ARGV[3]) and, when
	// ARGV[4] is '1', charges it to month ARGV[1] once: a token in the
	// settled set (for ARGV[5] ms) is not charged again. ARGV[6]: floor.
	settleScript = redis.NewScript(withFloor(6, `redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREM', KEYS[2], ARGV[2] .. '|' .. ARGV[3])
if ARGV[4] == '1' and not redis.call('ZSCORE', KEYS[3], ARGV[2]) then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return tostring(redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[3]))
end
return tostring(redis.call('HGET', KEYS[1], ARGV[1]) or '0')`))

	// chargeScript adds ARGV[3] to month ARGV[1] (ARGV[2]: floor).
	chargeScript = redis.NewScript(withFloor(2, `return tostring(redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[3]))`))

	// heldScript reads the held credits and every month, after raising
	// month ARGV[1] to floor ARGV[2] (ARGV[1] "": no floor).
	heldScript = redis.NewScript(luaNow + `if ARGV[1] ~= '' then
` + strings.ReplaceAll(luaFloor, "FLOOR", "2") + `end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local held = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  held = held + tonumber(string.sub(m, string.find(m, '|', 1, true) + 1))
end
local out = {tostring(held)}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out`)

	// rateScript refills the bucket to now, then: ARGV[3] "take" spends
	// ARGV[2] when the bucket holds min(cost, rate) (else changes nothing),
	// "refund" gives ARGV[2] back, "peek" only reads.
	rateScript = redis.NewScript(luaNow + `local rate, cost, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local v = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens, last = tonumber(v[1]), tonumber(v[2])
if tokens == nil or last == nil then tokens, last = rate, now end
if now > last then tokens = tokens + (now - last) / 60000 * rate end
if tokens > rate then tokens = rate end
local ok = 1
if mode == 'take' then
  if tokens + 1e-9 < math.min(cost, rate) then ok = 0 else tokens = tokens - cost end
elseif mode == 'refund' then
  tokens = math.min(rate, tokens + cost)
end
if mode ~= 'peek' then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 60000 + math.ceil((rate - tokens) / rate * 60000))
end
return {ok, tostring(tokens), tostring(now)}`)
)

func fmtF(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func parseF(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("cluster: quota script returned %T", v)
	}
	return strconv.ParseFloat(s, 64)
}

// Reserve holds cost credits of id's month under token for hold, if used +
// held + cost fits quota. It returns whether it did, and the month's
// charged credits.
func (q *Quota) Reserve(ctx context.Context, id, month string, quota, cost float64, token string, hold time.Duration) (ok bool, used float64, err error) {
	err = q.n.Run(ctx, func(ctx context.Context) error {
		r, err := reserveScript.Run(ctx, q.n.rdb, []string{q.key(id, "used"), q.key(id, "held")},
			month, fmtF(quota), fmtF(cost), token, hold.Milliseconds(), q.floor(id, month)).Slice()
		if err != nil {
			return err
		}
		if len(r) != 3 {
			return fmt.Errorf("cluster: reserve script returned %d values", len(r))
		}
		ok = r[0] == int64(1)
		if used, err = parseF(r[1]); err == nil {
			q.saw(id, month, used)
		}
		return err
	})
	return ok, used, err
}

// SettledKeep is how long Redis remembers a reservation settled with a
// charge: a settle of the same token within it charges nothing. A settle
// journalled after a lost reply and merged later than that is charged
// twice (the Journal's "never zero times").
const SettledKeep = time.Hour

// Settle ends the reservation token (of cost) and, when charged, adds cost
// to the month, unless a charged settle of token ran within SettledKeep
// (then it changes nothing): after an error, which may have come after
// Redis ran it, settling again cannot charge twice. It returns the month's
// charged credits.
func (q *Quota) Settle(ctx context.Context, id, month, token string, cost float64, charged bool) (used float64, err error) {
	flag := "0"
	if charged {
		flag = "1"
	}
	err = q.n.Run(ctx, func(ctx context.Context) error {
		r, err := settleScript.Run(ctx, q.n.rdb, []string{q.key(id, "used"), q.key(id, "held"), q.key(id, "settled")},
			month, token, fmtF(cost), flag, SettledKeep.Milliseconds(), q.floor(id, month)).Result()
		if err != nil {
			return err
		}
		if used, err = parseF(r); err == nil {
			q.saw(id, month, used)
		}
		return err
	})
	return used, err
}

// Charge adds cost to id's month (the journal's merge of a charge made
// without a reservation in Redis).
func (q *Quota) Charge(ctx context.Context, id, month string, cost float64) error {
	return q.n.Run(ctx, func(ctx context.Context) error {
		r, err := chargeScript.Run(ctx, q.n.rdb, []string{q.key(id, "used")}, month, q.floor(id, month), fmtF(cost)).Result()
		if err != nil {
			return err
		}
		used, err := parseF(r)
		if err == nil {
			q.saw(id, month, used)
		}
		return err
	})
}

// Usage returns id's charged credits per month and the credits held by
// reservations in flight (the latest month the node has seen of id
// restored first: see Quota).
func (q *Quota) Usage(ctx context.Context, id string) (months map[string]float64, held float64, err error) {
	q.n.seenMu.Lock()
	s := q.n.seen[id]
	q.n.seenMu.Unlock()
	err = q.n.Run(ctx, func(ctx context.Context) error {
		r, err := heldScript.Run(ctx, q.n.rdb, []string{q.key(id, "used"), q.key(id, "held")}, s.month, fmtF(s.used)).Slice()
		if err != nil {
			return err
		}
		if len(r)%2 != 1 {
			return fmt.Errorf("cluster: usage script returned %d values", len(r))
		}
		if held, err = parseF(r[0]); err != nil {
			return err
		}
		months = map[string]float64{}
		for i := 1; i+1 < len(r); i += 2 {
			m, _ := r[i].(string)
			if months[m], err = parseF(r[i+1]); err != nil {
				return err
			}
			q.saw(id, m, months[m])
		}
		return nil
	})
	return months, held, err
}

// Bucket is a rate bucket after an operation.
type Bucket struct {
	OK     bool      // take: the cost was spent
	Tokens float64   // units left (negative: in debt)
	Now    time.Time // the server's time of the operation
}

// Take spends cost units of id's bucket (refilled at rate per minute up to
// rate) when it holds min(cost, rate); Refund gives cost back; Peek reads.
func (q *Quota) Take(ctx context.Context, id string, rate, cost float64) (Bucket, error) {
	return q.rate(ctx, id, rate, cost, "take")
}

func (q *Quota) Refund(ctx context.Context, id string, rate, cost float64) (Bucket, error) {
	return q.rate(ctx, id, rate, cost, "refund")
}

func (q *Quota) Peek(ctx context.Context, id string, rate float64) (Bucket, error) {
	return q.rate(ctx, id, rate, 0, "peek")
}

func (q *Quota) rate(ctx context.Context, id string, rate, cost float64, mode string) (b Bucket, err error) {
	err = q.n.Run(ctx, func(ctx context.Context) error {
		r, err := rateScript.Run(ctx, q.n.rdb, []string{q.key(id, "rate")}, fmtF(rate), fmtF(cost), mode).Slice()
		if err != nil {
			return err
		}
		if len(r) != 3 {
			return fmt.Errorf("cluster: rate script returned %d values", len(r))
		}
		b.OK = r[0] == int64(1)
		if b.Tokens, err = parseF(r[1]); err != nil {
			return err
		}
		ms, err := parseF(r[2])
		b.Now = time.UnixMilli(int64(ms))
		return err
	})
	return b, err
}
