package caddymodule

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func TestUseProcessSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []processSettings
		want    processSettings
		wantErr string // "" when accepted
	}{
		{"none set", []processSettings{{}, {}}, processSettings{}, ""},
		{"one sets, one leaves unset", []processSettings{{VipsConcurrency: 4}, {}}, processSettings{VipsConcurrency: 4}, ""},
		{"unset first", []processSettings{{}, {VipsCacheMemory: 1 << 20}}, processSettings{VipsCacheMemory: 1 << 20}, ""},
		{"same values", []processSettings{{VipsConcurrency: 2, FreeMemoryInterval: time.Minute}, {VipsConcurrency: 2, FreeMemoryInterval: time.Minute}},
			processSettings{VipsConcurrency: 2, FreeMemoryInterval: time.Minute}, ""},
		{"different fields merge", []processSettings{{VipsConcurrency: 2}, {VipsCacheMemory: 1 << 20}}, processSettings{VipsConcurrency: 2, VipsCacheMemory: 1 << 20}, ""},
		{"concurrency conflicts", []processSettings{{VipsConcurrency: 2}, {VipsConcurrency: 3}}, processSettings{}, "vips_concurrency"},
		{"cache memory conflicts", []processSettings{{VipsCacheMemory: 1}, {VipsCacheMemory: 2}}, processSettings{}, "vips_cache_memory"},
		{"interval conflicts", []processSettings{{FreeMemoryInterval: time.Second}, {FreeMemoryInterval: time.Minute}}, processSettings{}, "set it differently (1s and 1m0s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{}
			var err error
			for _, s := range tc.in {
				if err = a.UseProcessSettings(s); err != nil {
					break
				}
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
			case tc.wantErr == "" && a.process != tc.want:
				t.Fatalf("merged %+v, want %+v", a.process, tc.want)
			}
		})
	}
}

// validateCaddyfile adapts and provisions (without starting) a Caddyfile.
func validateCaddyfile(t *testing.T, caddyfile string) error {
	t.Helper()
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	var cfg caddy.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return caddy.Validate(&cfg)
}

// TestConflictingProcessSettings: two matte handlers of one config cannot
// set libvips' process-wide settings differently.
func TestConflictingProcessSettings(t *testing.T) {
	site := func(port int, opts string) string {
		return fmt.Sprintf("http://127.0.0.1:%d {\n\tmatte {\n\t\trembg off\n\t\tcache off\n\t\t%s\n\t}\n\trespond 404\n}\n", port, opts)
	}
	for _, tc := range []struct {
		name, a, b string
		wantErr    string
	}{
		{"different vips_concurrency", "vips_concurrency 2", "vips_concurrency 3", "vips_concurrency"},
		{"different vips_cache_memory", "vips_cache_memory 10MiB", "vips_cache_memory 20MiB", "vips_cache_memory"},
		{"different free_memory_interval", "free_memory_interval 1m", "free_memory_interval 2m", "free_memory_interval"},
		{"same settings", "vips_concurrency 2", "vips_concurrency 2", ""},
		{"set in one handler only", "vips_concurrency 2", "workers 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateCaddyfile(t, "{\n\tadmin off\n\tauto_https off\n}\n"+site(19081, tc.a)+site(19082, tc.b))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestEnginesPoolKeyFollowsValues(t *testing.T) {
	q1, q2 := 3, 3
	a, b := Removal{Model: "isnet", Queue: &q1}, Removal{Model: "isnet", Queue: &q2}
	ka, _ := a.poolKey()
	kb, _ := b.poolKey()
	if ka != kb {
		t.Fatalf("equal configurations have different engine keys %q and %q (a reload would load the models again)", ka, kb)
	}
	q2 = 4
	if kb, _ = b.poolKey(); ka == kb {
		t.Fatal("different queues share an engine key")
	}
}
