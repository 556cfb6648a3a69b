package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/jebosio/matte/transform"
)

func TestServerTimingHeader(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	ran := requestTimings{fetch: ms(1.5), queue: ms(0.25), cache: ms(0.126), fetched: true, ran: true, outcome: "MISS",
		pipeline: transform.Timings{ms(2), ms(300), ms(0.5), ms(4), ms(12.345)}}
	removal := ran
	removal.inference = true
	for _, tc := range []struct {
		name string
		t    requestTimings
		want string
	}{
		{"miss", ran, "fetch;dur=1.50, queue;dur=0.25, decode;dur=2.00, resize;dur=0.50, composite;dur=4.00, encode;dur=12.35, cache;desc=MISS;dur=0.13"},
		{"removal shows inference", removal,
			"fetch;dur=1.50, queue;dur=0.25, decode;dur=2.00, inference;dur=300.00, resize;dur=0.50, composite;dur=4.00, encode;dur=12.35, cache;desc=MISS;dur=0.13"},
		{"fresh hit", requestTimings{cache: ms(0.02), outcome: "HIT-MEMORY"}, "cache;desc=HIT-MEMORY;dur=0.02"},
		{"revalidated hit", requestTimings{fetch: ms(3), fetched: true, cache: ms(1), outcome: "HIT-DISK"}, "fetch;dur=3.00, cache;desc=HIT-DISK;dur=1.00"},
		{"coalesced waiter", requestTimings{fetch: ms(1), fetched: true, cache: ms(40), outcome: "MISS"}, "fetch;dur=1.00, cache;desc=MISS;dur=40.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.serverTiming(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAddFlight(t *testing.T) {
	var rt requestTimings
	tt := transformTimings{queue: 5 * time.Millisecond, total: 30 * time.Millisecond, pipeline: transform.Timings{transform.StageEncode: 20 * time.Millisecond}}
	rt.addFlight(32*time.Millisecond, &tt, true)
	if !rt.ran || rt.cache != 2*time.Millisecond || rt.queue != 5*time.Millisecond || rt.pipeline[transform.StageEncode] != 20*time.Millisecond {
		t.Fatalf("ran flight: %+v", rt)
	}
	var waiter requestTimings
	waiter.addFlight(32*time.Millisecond, &tt, false)
	if waiter.ran || waiter.cache != 32*time.Millisecond || waiter.queue != 0 {
		t.Fatalf("coalesced flight: %+v", waiter)
	}
}

func TestServerTimingCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		block   string
		want    bool
		wantErr string
	}{
		{"server_timing", true, ""},
		{"server_timing on", true, ""},
		{"server_timing off", false, ""},
		{"", false, ""},
		{"server_timing yes", false, "server_timing: want on or off"},
		{"server_timing on off", false, "server_timing: want on or off"},
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n" + tc.block + "\n}"))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q refused: %v", tc.block, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want %q", tc.block, err, tc.wantErr)
		case h.ServerTiming != tc.want:
			t.Errorf("%q: ServerTiming = %v, want %v", tc.block, h.ServerTiming, tc.want)
		}
	}
}
