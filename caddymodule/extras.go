package caddymodule

import (
	"context"

	"github.com/jebosio/matte/params"
)

// Bridge: transform.Process now takes the Extras in its Request; until
// render takes a per-request value, the handler still carries them from
// withBackgroundImage and renderAPI to render in the context.

type extrasKey struct{}

func withExtras(ctx context.Context, e params.Extras) context.Context {
	if e.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, extrasKey{}, e)
}

func extrasFrom(ctx context.Context) params.Extras {
	e, _ := ctx.Value(extrasKey{}).(params.Extras)
	return e
}
