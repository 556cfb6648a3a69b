// Package oporder checks a chain of operations that a provider applies in
// the URL's order (Uploadcare, Filestack) against the fixed order in which
// Matte's pipeline applies what one request asks. A URL is read as one
// request only when that order gives the image the URL's order gives: each
// operation comes after the ones Matte applies before it, or, where it
// comes before one of them, the two give the same image in either order
// (the dialect's Commutes). Anything else is a 400 on the first operation
// that comes too late, rather than a different picture.
package oporder

import (
	"fmt"

	"github.com/jebosio/matte/params"
)

// Step is where Matte's pipeline applies an operation; a dialect numbers
// its steps from 1 in the pipeline's order.
type Step int

// Free is the step of a setting the order does not change (format,
// quality, a turn by nothing): it may stand anywhere.
const Free Step = 0

// Chain is the operations of one URL read so far, in the URL's order. Not
// safe for concurrent use (one per parse).
type Chain struct {
	// Order is Matte's order as the 400 names it ("crop, rotate, ...").
	Order string
	// Commutes reports whether an operation of step early, written before
	// one of step late that Matte applies before it, gives the same image
	// in either order. It is asked with the request read so far.
	Commutes func(early, late Step) bool

	before     []written
	misordered bool
}

type written struct {
	name string
	step Step
}

// Add records the operation name, of step s, which the dialect has just
// read after every earlier one. It returns the 400's detail where name may
// not follow one of them, else "". Only the first operation out of order
// is named: after it, Add returns "".
func (c *Chain) Add(name string, s Step) string {
	detail := ""
	if s != Free && !c.misordered {
		for _, w := range c.before {
			if w.step <= s || c.Commutes(w.step, s) {
				continue
			}
			detail = fmt.Sprintf("%s comes after %s, which Matte applies after it (its order: %s), and the two do not give the same image the other way round; write %s before %s, or leave one out.", name, w.name, c.Order, name, w.name)
			c.misordered = true
			break
		}
	}
	c.before = append(c.before, written{name, s})
	return detail
}

// FlipBeforeTurn reads the flip p holds, which the URL wrote before the
// quarter turn p now holds, as the flip after it, where Matte applies it:
// the other flip when the turn is odd (a horizontal flip, then a quarter
// turn, is that turn, then a vertical flip). Both flips together are a
// half turn, which commutes with any turn.
func FlipBeforeTurn(p *params.Params) {
	if turns, _ := p.QuarterTurns(); turns%2 == 1 && (p.Flip == params.FlipH || p.Flip == params.FlipV) {
		p.Flip ^= params.FlipHV
	}
}
