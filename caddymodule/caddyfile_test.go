package caddymodule

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/jebosio/matte/segment"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	five, three := 5, 3
	fiveMinutes, noTTL := caddy.Duration(5*time.Minute), caddy.Duration(0)
	yes := true
	for _, tc := range []struct {
		name, block string
		want        Handler // compared field by field, zero fields included
		wantErr     string  // "" when accepted
	}{
		{"empty", "", Handler{}, ""},
		{"limits", "max_source_bytes 2MB\nmax_source_megapixels 12.5\nmax_output_dimension 4000\nmax_frames 10",
			Handler{MaxSourceBytes: 2_000_000, MaxSourceMegapixels: 12.5, MaxOutputDimension: 4000, MaxFrames: 10}, ""},
		{"work bounds", "max_working_megapixels 80\nmax_blur_sigma 4.5", Handler{MaxWorkingMegapixels: 80, MaxBlurSigma: 4.5}, ""},
		{"quality and encoders", "quality webp 70\nquality avif 50\npng_compression 5\navif_effort 3",
			Handler{Quality: map[string]int{"webp": 70, "avif": 50}, PNGCompression: &five, AVIFEffort: &three}, ""},
		{"response and work", "cache_control \"public, max-age=60\"\nworkers 3\ntimeout 10s\nsource_ttl 1m\nqueue_megapixels 75",
			Handler{CacheControl: "public, max-age=60", Workers: 3, Timeout: caddy.Duration(10 * time.Second), SourceTTL: caddy.Duration(time.Minute), QueueMegapixels: 75}, ""},
		{"max_buffered_bytes", "max_buffered_bytes 1GiB", Handler{MaxBufferedBytes: 1 << 30}, ""},
		{"max_buffered_bytes zero", "max_buffered_bytes 0", Handler{}, `max_buffered_bytes: "0" is not a size`},
		{"max_buffered_bytes without a size", "max_buffered_bytes", Handler{}, "wrong argument count"},
		{"source freshness", "source_ttl 30s\nsource_heuristic_ttl 0", Handler{SourceTTL: caddy.Duration(30 * time.Second), SourceHeuristicTTL: &noTTL}, ""},
		{"source_heuristic_ttl", "source_heuristic_ttl 5m", Handler{SourceHeuristicTTL: &fiveMinutes}, ""},
		{"source_heuristic_ttl negative", "source_heuristic_ttl -1s", Handler{}, `source_heuristic_ttl: "-1s" is not a duration`},
		{"fallback", "fallback_image /img/missing.png\nfallback_status 404\nfallback_ttl 5m",
			Handler{FallbackImage: "/img/missing.png", FallbackStatus: 404, FallbackTTL: &fiveMinutes}, ""},
		{"fallback URL, no TTL", "fallback_image https://cdn.example.com/missing.png\nfallback_ttl 0",
			Handler{FallbackImage: "https://cdn.example.com/missing.png", FallbackTTL: &noTTL}, ""},
		{"fallback_image without a path", "fallback_image", Handler{}, "wrong argument count"},
		{"fallback_image twice over", "fallback_image /a.png /b.png", Handler{}, "wrong argument count"},
		{"fallback_status not a number", "fallback_status ok", Handler{}, `fallback_status: "ok" is not a non-negative integer`},
		{"fallback_ttl not a duration", "fallback_ttl soon", Handler{}, `fallback_ttl: "soon" is not a duration`},
		{"cache", "cache_memory 64MiB\ncache_disk /var/cache/matte 2GiB",
			Handler{CacheMemory: 64 << 20, CacheDisk: "/var/cache/matte", CacheDiskSize: 2 << 30}, ""},
		{"cache off", "cache off", Handler{CacheOff: true}, ""},
		{"cache_shared", "cache_shared redis://127.0.0.1:6379/0 redis://127.0.0.1:6380 {\nmax_entry_size 8MiB\nttl 7d\nkey_prefix shop:\ntimeout 100ms\n}",
			Handler{CacheShared: &SharedCache{URLs: []string{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380"}, MaxEntrySize: 8 << 20,
				TTL: caddy.Duration(7 * 24 * time.Hour), KeyPrefix: "shop:", Timeout: caddy.Duration(100 * time.Millisecond)}}, ""},
		{"cache_shared bare", "cache_shared redis://localhost", Handler{CacheShared: &SharedCache{URLs: []string{"redis://localhost"}}}, ""},
		{"cache_shared without URL", "cache_shared", Handler{}, "give at least one redis:// URL"},
		{"cache_shared not redis", "cache_shared http://x:1", Handler{}, `"http://x:1" is not a redis:// URL`},
		{"cache_shared bad db", "cache_shared redis://x:1/abc", Handler{}, `database "abc" is not a number`},
		// The password stays out of the error (logged, and answered to /load).
		{"cache_shared bad db with a password", "cache_shared redis://:S3cret@x:1/abc", Handler{}, `"redis://:xxxxx@x:1/abc": database "abc" is not a number`},
		{"cache_shared not redis with a password", "cache_shared http://u:S3cret@x:1", Handler{}, `"http://u:xxxxx@x:1" is not a redis:// URL`},
		{"cache_shared unknown option", "cache_shared redis://x {\nsize 1\n}", Handler{}, `unrecognized cache_shared option "size"`},
		{"cache_shared bad ttl", "cache_shared redis://x {\nttl forever\n}", Handler{}, `ttl: "forever" is not a duration`},
		{"process settings", "vips_cache_memory 0\nvips_concurrency 2\nfree_memory_interval 30s",
			Handler{VipsCacheMemory: ref[int64](0), VipsConcurrency: ref(2), FreeMemoryInterval: ref(caddy.Duration(30 * time.Second))}, ""},
		{"signature", "signature {\nkey 0123456789abcdef0\nrequired\nunsigned w h\npreset thumb w=100\nbind_host\n}",
			Handler{Signature: &Signature{Keys: []string{"0123456789abcdef0"}, Required: true, Unsigned: []string{"w", "h"},
				Presets: map[string]string{"thumb": "w=100"}, BindHost: true}}, ""},
		{"origin", "origin https://img.example.com {\nallow_hosts a.example.com *.b.example.com\nallow_private\ntimeout 5s\nmax_redirects 2\n}",
			Handler{Origin: &Origin{URL: "https://img.example.com", AllowHosts: []string{"a.example.com", "*.b.example.com"}, AllowPrivate: true,
				Timeout: caddy.Duration(5 * time.Second), MaxRedirects: 2}}, ""},
		{"origin remote allowances", "origin {\nallow_hosts 10.0.0.5:9000 [fd00::1]:443\nallow_private_remote\nallow_loopback_remote\n}",
			Handler{Origin: &Origin{AllowHosts: []string{"10.0.0.5:9000", "[fd00::1]:443"}, AllowPrivateRemote: true, AllowLoopbackRemote: true}}, ""},
		// 0 follows none; JSON's 0 (unset) is fetch's default of 5.
		{"origin max_redirects 0", "origin {\nmax_redirects 0\n}", Handler{Origin: &Origin{MaxRedirects: -1}}, ""},
		{"origin max_redirects negative", "origin {\nmax_redirects -1\n}", Handler{}, `max_redirects: want a number of redirects, 0 or more, not "-1"`},
		// A second block would silently replace the first (and its required).
		{"signature twice", "signature {\nkey 0123456789abcdef0\nrequired\n}\nsignature {\nkey fedcba98765432100\n}", Handler{},
			"signature is given twice: put every key, preset and option in one block"},
		{"origin twice", "origin https://img.example.com\norigin {\nallow_loopback\n}", Handler{}, "origin is given twice: put its URL and every option in one block"},
		{"rembg off", "rembg off", Handler{Rembg: Removal{Off: true}}, ""},
		{"faces off", "faces off", Handler{Faces: Faces{Off: true}}, ""},
		{"faces", "faces {\nmodel /m/face.onnx\nthreshold 0.6\n}", Handler{Faces: Faces{Model: "/m/face.onnx", Threshold: 0.6}}, ""},
		{"faces threshold 1", "faces {\nthreshold 1\n}", Handler{}, `faces threshold "1": want a number between 0 and 1`},
		{"faces option", "faces {\nsize 128\n}", Handler{}, `faces: unknown option "size"`},
		{"faces on", "faces on", Handler{}, "wrong argument count"},
		{"playground", "playground /playground/", Handler{Playground: &Playground{Path: "/playground/"}}, ""},
		{"playground without a path", "playground", Handler{}, "wrong argument count"},
		{"playground bounds", "playground /playground/ {\nmax_uploads 8\nmax_upload_bytes 16MiB\n}",
			Handler{Playground: &Playground{Path: "/playground/", MaxUploads: 8, MaxUploadBytes: 16 << 20}}, ""},
		{"playground no uploads", "playground /p/ {\nmax_uploads 0\n}", Handler{}, "max_uploads: want at least 1"},
		{"playground unknown option", "playground /p/ {\nuploads 3\n}", Handler{}, `playground: unknown option "uploads"`},

		{"unknown option", "colour red", Handler{}, `unrecognized matte subdirective "colour"`},
		{"negative count", "workers -1", Handler{}, `workers: "-1" is not a non-negative integer`},
		{"bad size", "max_source_bytes lots", Handler{}, "max_source_bytes:"},
		{"zero megapixels", "max_source_megapixels 0", Handler{}, "not a positive number"},
		{"negative blur cap", "max_blur_sigma -1", Handler{}, `max_blur_sigma: "-1" is not a positive number`},
		{"quality without value", "quality webp", Handler{}, "wrong argument count"},
		{"bad duration", "timeout soon", Handler{}, `timeout: "soon" is not a duration`},
		{"cache on", "cache on", Handler{}, "the only form is `cache off`"},
		{"zero cache memory", "cache_memory 0", Handler{}, `cache_memory: "0" is not a size`},
		{"cache_disk arity", "cache_disk a 1GiB extra", Handler{}, "wrong argument count"},
		{"bind_host with an argument", "signature {\nbind_host yes\n}", Handler{}, `bind_host takes no argument (write bind_host alone to turn it on, leave it out to keep it off), not "yes"`},
		// A flag followed by off must not turn it on.
		{"allow_private off", "origin https://o.example.com {\nallow_private off\n}", Handler{}, `allow_private takes no argument`},
		{"allow_loopback no", "origin https://o.example.com {\nallow_loopback no\n}", Handler{}, `allow_loopback takes no argument`},
		{"allow_loopback_remote off", "origin {\nallow_hosts a.test\nallow_loopback_remote off\n}", Handler{}, `allow_loopback_remote takes no argument`},
		{"required false", "signature {\nkey 0123456789abcdef0\nrequired false\n}", Handler{}, `required takes no argument`},
		{"strict off", "rembg {\nstrict off\n}", Handler{}, `strict takes no argument`},
		{"preload off", "rembg {\npreload off\n}", Handler{}, `preload takes no argument`},
		{"spinning off", "rembg {\nspinning off\n}", Handler{}, `spinning takes no argument`},
		{"rembg GPU options", "rembg {\nexecution_provider tensorrt\ndevice_id 1\ngpu_mem_limit 6GiB\ntensorrt_cache /var/cache/matte/trt\n}",
			Handler{Rembg: Removal{Provider: "tensorrt", DeviceID: 1, GPUMemLimit: 6 << 30, TensorRTCache: "/var/cache/matte/trt"}}, ""},
		{"tensorrt_cache relative", "rembg {\ntensorrt_cache trt\n}", Handler{Rembg: Removal{TensorRTCache: "trt"}}, ""},
		{"tensorrt_cache off", "rembg {\ntensorrt_cache off\n}", Handler{Rembg: Removal{TensorRTCacheOff: true}}, ""},
		{"gpu_mem_limit not a size", "rembg {\ngpu_mem_limit lots\n}", Handler{}, `gpu_mem_limit: "lots" is not a size`},
		{"gpu_mem_limit zero", "rembg {\ngpu_mem_limit 0\n}", Handler{}, `gpu_mem_limit: "0" is not a size`},
		{"gpu_mem_limit negative", "rembg {\ngpu_mem_limit -1GiB\n}", Handler{}, `gpu_mem_limit: "-1GiB" is not a size`},
		{"gpu_mem_limit too large", "rembg {\ngpu_mem_limit 16EiB\n}", Handler{}, `gpu_mem_limit: "16EiB" is not a size`},
		{"gpu_mem_limit without a size", "rembg {\ngpu_mem_limit\n}", Handler{}, "wrong argument count or unexpected line ending after 'gpu_mem_limit'"},
		{"tensorrt_cache without a path", "rembg {\ntensorrt_cache\n}", Handler{}, "wrong argument count or unexpected line ending after 'tensorrt_cache'"},
		{"tensorrt_cache two paths", "rembg {\ntensorrt_cache /a /b\n}", Handler{}, "wrong argument count"},
		{"custom_model sigmoid", "rembg {\ncustom_model m /m.onnx {\nbase isnet\nsigmoid\n}\n}",
			Handler{Rembg: Removal{Custom: []segment.CustomModel{{Name: "m", Path: "/m.onnx", Base: "isnet", ApplySigmoid: &yes}}}}, ""},
		{"custom_model min_max", "rembg {\ncustom_model m /m.onnx {\nbase isnet\nmin_max\n}\n}",
			Handler{Rembg: Removal{Custom: []segment.CustomModel{{Name: "m", Path: "/m.onnx", Base: "isnet", MinMax: &yes}}}}, ""},
		{"custom_model divide_by_max", "rembg {\ncustom_model m /m.onnx {\nbase isnet\ndivide_by_max\n}\n}",
			Handler{Rembg: Removal{Custom: []segment.CustomModel{{Name: "m", Path: "/m.onnx", Base: "isnet", DivideByMax: &yes}}}}, ""},
		{"custom_model sigmoid off", "rembg {\ncustom_model m /m.onnx {\nbase isnet\nsigmoid off\n}\n}", Handler{}, `sigmoid takes no argument`},
		{"unknown signature option", "signature {\nbind_path\n}", Handler{}, `unrecognized signature option "bind_path"`},
		{"signature with an argument", "signature x {\n}", Handler{}, "wrong argument count"},
		{"rembg with an argument", "rembg on", Handler{}, "wrong argument count"},
		// A repeated subdirective would silently replace (or merge into) the first.
		{"signature preset twice", "signature {\npreset a w=1\npreset a w=2\n}", Handler{}, `preset "a" is given twice`},
		{"signature presets", "signature {\npreset a w=1\npreset b w=2\n}", Handler{Signature: &Signature{Presets: map[string]string{"a": "w=1", "b": "w=2"}}}, ""},
		{"playground twice", "playground /a/\nplayground /b/", Handler{}, "playground is given twice: one playground per matte block"},
		{"rembg off and a block", "rembg off\nrembg {\nthreads 2\n}", Handler{}, "rembg is given twice: write `rembg off` or one rembg block"},
		{"rembg two blocks", "rembg {\nthreads 2\n}\nrembg {\nqueue 3\n}", Handler{}, "rembg is given twice"},
		{"faces block and off", "faces {\nthreshold 0.5\n}\nfaces off", Handler{}, "faces is given twice: write `faces off` or one faces block"},
		{"cache_shared twice", "cache_shared redis://a\ncache_shared redis://b", Handler{}, "cache_shared is given twice: list every Redis URL on one cache_shared line"},
		// A size past int64 would wrap to a negative one (a memory tier read as off).
		{"cache_memory 9EiB", "cache_memory 9EiB", Handler{}, `cache_memory: "9EiB" is too large`},
		{"cache_memory 8EiB - 1", "cache_memory 9223372036854775807", Handler{CacheMemory: 1<<63 - 1}, ""},
		{"cache_disk size 10EiB", "cache_disk /c 10EiB", Handler{}, `cache_disk: "10EiB" is too large`},
		{"max_source_bytes 9EiB", "max_source_bytes 9EiB", Handler{}, `max_source_bytes: "9EiB" is too large`},
		{"cache_shared max_entry_size 9EiB", "cache_shared redis://x {\nmax_entry_size 9EiB\n}", Handler{}, `max_entry_size: "9EiB" is too large`},
		{"origin timeout negative", "origin {\ntimeout -1s\n}", Handler{}, `origin timeout: "-1s" is not a duration`},
		{"origin timeout not a duration", "origin {\ntimeout soon\n}", Handler{}, `origin timeout: "soon" is not a duration`},
		// An option that takes no block names itself, not the brace.
		{"removebg with a block", "removebg {\nmax_file 1MiB\n}", Handler{}, "removebg takes no { } block"},
		{"workers with a block", "workers 2 {\n}", Handler{}, "workers takes no { } block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n" + tc.block + "\n}"))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			case tc.wantErr == "" && !reflect.DeepEqual(h, tc.want):
				t.Fatalf("got %+v\nwant %+v", h, tc.want)
			}
		})
	}
}

// TestValidateFallback: fallback_status is 200 or 400-599, fallback_ttl
// not negative, and fallback_image a path on this site or a URL on a host
// the origin block allows.
func TestValidateFallback(t *testing.T) {
	minusOne := caddy.Duration(-time.Second)
	allowed := &Origin{AllowHosts: []string{"cdn.example.com"}}
	for _, tc := range []struct {
		name    string
		h       Handler
		wantErr string // "" when accepted
	}{
		{"none", Handler{}, ""},
		{"a path", Handler{FallbackImage: "/img/missing.png", FallbackStatus: 200}, ""},
		{"a 404", Handler{FallbackImage: "/img/missing.png", FallbackStatus: 404}, ""},
		{"a 599", Handler{FallbackStatus: 599}, ""},
		{"an allowed URL", Handler{FallbackImage: "https://cdn.example.com/missing.png", Origin: allowed}, ""},
		{"a 302", Handler{FallbackStatus: 302}, "fallback_status 302: want 200 or 400-599"},
		{"a 204", Handler{FallbackStatus: 204}, "fallback_status 204: want 200 or 400-599"},
		{"a 600", Handler{FallbackStatus: 600}, "fallback_status 600"},
		{"a negative TTL", Handler{FallbackTTL: &minusOne}, "fallback_ttl must not be negative"},
		{"a relative path", Handler{FallbackImage: "img/missing.png"}, `fallback_image "img/missing.png": want an absolute path`},
		{"a dot-dot path", Handler{FallbackImage: "/img/../secret.png"}, "want an absolute path on this site"},
		{"a URL without allow_hosts", Handler{FallbackImage: "https://cdn.example.com/missing.png"}, "allow_hosts"},
		{"a URL with an empty origin block", Handler{FallbackImage: "http://cdn.example.com/m.png", Origin: &Origin{}}, "allow_hosts"},
		// Not a fallback's, but validated beside it.
		{"max_buffered_bytes at max_source_bytes", Handler{MaxSourceBytes: 1 << 20, MaxBufferedBytes: 1 << 20}, ""},
		{"max_buffered_bytes under max_source_bytes", Handler{MaxSourceBytes: 1 << 20, MaxBufferedBytes: 1<<20 - 1},
			"max_buffered_bytes (1048575) must be at least max_source_bytes (1048576)"},
		// JSON can say what the Caddyfile cannot.
		{"a negative timeout", Handler{Timeout: caddy.Duration(-time.Second)}, "timeout, source_ttl and source_heuristic_ttl must not be negative"},
		{"negative workers", Handler{Workers: -1}, "limits, workers and queue_megapixels must not be negative"},
		{"a negative queue", Handler{QueueMegapixels: -1}, "limits, workers and queue_megapixels must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.h.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestValidateRembgGPU: gpu_mem_limit is for cuda and tensorrt,
// tensorrt_cache for tensorrt, a cache path is a directory if it exists,
// and tensorrt caches in Caddy's data folder unless told otherwise.
func TestValidateRembgGPU(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		r       Removal
		wantErr string
	}{
		{"cuda limit", Removal{Provider: "cuda", GPUMemLimit: 1 << 30}, ""},
		{"tensorrt limit and cache", Removal{Provider: "tensorrt", GPUMemLimit: 1 << 30, TensorRTCache: dir}, ""},
		{"tensorrt cache to make", Removal{Provider: "tensorrt", TensorRTCache: filepath.Join(dir, "new", "trt")}, ""},
		{"tensorrt cache off", Removal{Provider: "tensorrt", TensorRTCacheOff: true}, ""},
		{"negative limit", Removal{Provider: "cuda", GPUMemLimit: -1}, "rembg gpu_mem_limit -1: must not be negative"},
		{"limit on cpu", Removal{GPUMemLimit: 1 << 30}, "rembg gpu_mem_limit: for execution_provider cuda or tensorrt, not cpu"},
		{"cache on cuda", Removal{Provider: "cuda", TensorRTCache: dir}, "rembg tensorrt_cache: for execution_provider tensorrt, not cuda"},
		{"cache off on cpu", Removal{Provider: "cpu", TensorRTCacheOff: true}, "rembg tensorrt_cache: for execution_provider tensorrt, not cpu"},
		{"cache and off", Removal{Provider: "tensorrt", TensorRTCache: dir, TensorRTCacheOff: true}, "rembg tensorrt_cache: both a path"},
		{"cache is a file", Removal{Provider: "tensorrt", TensorRTCache: file}, "rembg tensorrt_cache " + strconv.Quote(file) + ": not a directory"},
		// JSON may spell a provider in capitals, which segment accepts.
		{"CUDA limit", Removal{Provider: "CUDA", GPUMemLimit: 1 << 30}, ""},
		{"TensorRT cache", Removal{Provider: "TensorRT", TensorRTCache: dir}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Handler{Rembg: tc.r}).Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	for provider, want := range map[string]string{
		"tensorrt": filepath.Join(caddy.AppDataDir(), "matte", "tensorrt"),
		"TensorRT": filepath.Join(caddy.AppDataDir(), "matte", "tensorrt"),
		"cuda":     "",
		"":         "",
	} {
		r := Removal{Provider: provider}
		r.fillDefaults()
		if r.TensorRTCache != want {
			t.Errorf("%q: default tensorrt_cache %q, want %q", provider, r.TensorRTCache, want)
		}
	}
	off := Removal{Provider: "tensorrt", TensorRTCacheOff: true}
	if off.fillDefaults(); off.TensorRTCache != "" {
		t.Errorf("tensorrt_cache off got the default %q", off.TensorRTCache)
	}
}
