package caddymodule_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// pipelineStages are the Server-Timing entries of a request that ran the
// pipeline without background removal, in order (README, Observability).
var pipelineStages = []string{"fetch", "queue", "decode", "resize", "composite", "encode", "cache"}

// serverTiming parses a Server-Timing header into its entries' names, in
// order, and their params; every entry must carry a dur.
func serverTiming(t *testing.T, header string) (names []string, params map[string]map[string]string) {
	t.Helper()
	t.Logf("Server-Timing: %s", header)
	params = map[string]map[string]string{}
	for _, entry := range strings.Split(header, ",") {
		fields := strings.Split(strings.TrimSpace(entry), ";")
		name := fields[0]
		names = append(names, name)
		params[name] = map[string]string{}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			params[name][k] = v
		}
		if d, err := strconv.ParseFloat(params[name]["dur"], 64); err != nil || d < 0 {
			t.Errorf("Server-Timing %q: entry %q has no valid dur", header, entry)
		}
	}
	return names, params
}

// servedLines reads what a JSON log file says of the images served: the
// handler's own "image served" lines, or with accessLog the object "matte"
// of each access log line that has one.
func servedLines(t *testing.T, path string, accessLog bool) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if accessLog {
			if mm, ok := m["matte"].(map[string]any); ok {
				lines = append(lines, mm)
			}
		} else if m["msg"] == "image served" {
			lines = append(lines, m)
		}
	}
	return lines
}

// documentedSeries lists the metric names in the README's Observability
// section.
func documentedSeries(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Observability\n")
	if !ok {
		t.Fatal("README has no Observability section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var names []string
	for _, m := range regexp.MustCompile("`(matte_[a-z_]+)`").FindAllStringSubmatch(sec, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// rembgRuntime is the runtime directory when the ONNX runtime and the
// int8 ISNet model are there, else "" and why not.
func rembgRuntime() (dir, why string) {
	dir = os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "runtime"))
	}
	for _, f := range []string{"lib/libonnxruntime.so", "models/isnet-int8.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Sprintf("background-removal runtime not fetched (%v); run `make runtime`", err)
		}
	}
	return dir, ""
}

// TestObservability sends a resize, a cache hit and (when the runtime is
// there) a background removal through the real server, then checks the
// Server-Timing headers, every series the README documents on /metrics,
// and the log lines.
func TestObservability(t *testing.T) {
	dir := t.TempDir()
	// Bytes after the JPEG's end make this test's source its own: the
	// caches and model pools outlive a config reload, so a photo another
	// test removed the background of would come with its matte cached.
	photo := append(testPhoto(t), "TestObservability"...)
	// cf.jpg, a source of its own, is read through a URL dialect.
	writeFiles(t, dir, map[string][]byte{"photo.jpg": photo, "cf.jpg": photo})
	logPath := filepath.Join(t.TempDir(), "matte.log")
	accessPath := filepath.Join(t.TempDir(), "access.log")
	rt, noRembg := rembgRuntime()
	rembg := "rembg off"
	if rt != "" {
		rembg = fmt.Sprintf("rembg {\n\t\t\truntime %s/lib/libonnxruntime.so\n\t\t\tmodels_dir %s/models\n\t\t\tmodel isnet-int8\n\t\t}", rt, rt)
	}
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	// The global options, with the handler's log as JSON in a file.
	options, ok := strings.CutSuffix(globalOptions, "}\n")
	if !ok {
		t.Fatalf("globalOptions %q does not end its block", globalOptions)
	}
	tester.InitServer(options+fmt.Sprintf(`	log matte {
		output file %s
		format json
		level DEBUG
		include http.handlers.matte
	}
}

http://localhost:9080 {
	log {
		output file %s
		format json
	}
	root * %s
	matte {
		server_timing on
		# A fresh source memo: a repeat is a hit with no revalidation.
		source_ttl 1h
		timeout 2m
		removebg
		url_dialect cloudflare
		%s
	}
	file_server
}`, logPath, accessPath, dir, rembg), "caddyfile")

	url := "http://localhost:9080/photo.jpg?w=100&fm=png"
	res, body := get(t, tester, url)
	if res.StatusCode != 200 {
		t.Fatalf("miss: status %d: %.200s", res.StatusCode, body)
	}
	names, params := serverTiming(t, res.Header.Get("Server-Timing"))
	if !slices.Equal(names, pipelineStages) || params["cache"]["desc"] != "MISS" {
		t.Errorf("miss: Server-Timing %q, want the stages %v and cache;desc=MISS", res.Header.Get("Server-Timing"), pipelineStages)
	}
	missBytes := len(body)

	res, body = get(t, tester, url)
	if res.StatusCode != 200 || res.Header.Get("X-Cache") != "HIT-MEMORY" {
		t.Fatalf("hit: status %d, X-Cache %q", res.StatusCode, res.Header.Get("X-Cache"))
	}
	names, params = serverTiming(t, res.Header.Get("Server-Timing"))
	if !slices.Equal(names, []string{"cache"}) || params["cache"]["desc"] != "HIT-MEMORY" {
		t.Errorf("hit: Server-Timing %q, want only cache;desc=HIT-MEMORY", res.Header.Get("Server-Timing"))
	}

	// A URL dialect's request: the same stages, under its own name.
	res, body = get(t, tester, "http://localhost:9080/cdn-cgi/image/width=50,format=png/cf.jpg")
	if res.StatusCode != 200 {
		t.Fatalf("cloudflare: status %d: %.200s", res.StatusCode, body)
	}
	names, params = serverTiming(t, res.Header.Get("Server-Timing"))
	if !slices.Equal(names, pipelineStages) || params["cache"]["desc"] != "MISS" {
		t.Errorf("cloudflare: Server-Timing %q, want the stages %v and cache;desc=MISS", res.Header.Get("Server-Timing"), pipelineStages)
	}
	dialectBytes := len(body)

	removed := t.Run("rembg", func(t *testing.T) {
		if rt == "" {
			t.Skip(noRembg)
		}
		res, body := get(t, tester, "http://localhost:9080/photo.jpg?rembg=1&w=100")
		if res.StatusCode != 200 {
			t.Fatalf("rembg: status %d: %.200s", res.StatusCode, body)
		}
		want := slices.Insert(slices.Clone(pipelineStages), 3, "inference")
		if names, _ := serverTiming(t, res.Header.Get("Server-Timing")); !slices.Equal(names, want) {
			t.Errorf("rembg: Server-Timing %q, want the stages %v", res.Header.Get("Server-Timing"), want)
		}
		// The hosted API's answer: the same source, so the matte comes
		// from the mask cache, and a MISS of its own result.
		res, body = postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), field("size", "preview"))
		if res.StatusCode != 200 {
			t.Fatalf("removebg: status %d: %.200s", res.StatusCode, body)
		}
		want = slices.Delete(slices.Clone(want), 0, 1) // an upload: no fetch
		if names, _ := serverTiming(t, res.Header.Get("Server-Timing")); !slices.Equal(names, want) {
			t.Errorf("removebg: Server-Timing %q, want the stages %v", res.Header.Get("Server-Timing"), want)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		lines := scrapeMetrics(t)
		has := func(prefix string) bool {
			return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
		}
		documented := documentedSeries(t)
		for _, name := range []string{"matte_stage_duration_seconds", "matte_requests_total", "matte_queue_depth",
			"matte_inference_queue_depth", "matte_inference_batch_size"} {
			if !slices.Contains(documented, name) {
				t.Errorf("README's Observability section does not list %s", name)
			}
		}
		for _, name := range documented {
			if !has(name+" ") && !has(name+"{") && !has(name+"_bucket{") {
				t.Errorf("documented series %s not on /metrics", name)
			}
		}
		for _, stage := range pipelineStages {
			if !has(fmt.Sprintf(`matte_stage_duration_seconds_count{dialect="imgix",stage=%q} `, stage)) {
				t.Errorf("no %s histogram for the imgix dialect", stage)
			}
		}
		for _, stage := range pipelineStages {
			if !has(fmt.Sprintf(`matte_stage_duration_seconds_count{dialect="cloudflare",stage=%q} 1`, stage)) {
				t.Errorf("no %s histogram for the cloudflare dialect", stage)
			}
		}
		for _, want := range []string{`matte_requests_total{cache="MISS",dialect="imgix"} `, `matte_requests_total{cache="HIT-MEMORY",dialect="imgix"} 1`,
			`matte_requests_total{cache="MISS",dialect="cloudflare"} 1`} {
			if !has(want) {
				t.Errorf("no %q line on /metrics", want)
			}
		}
		if removed && rt != "" {
			for _, want := range []string{`matte_stage_duration_seconds_count{dialect="imgix",stage="inference"} 1`,
				`matte_stage_duration_seconds_count{dialect="removebg",stage="inference"} 1`} {
				if !has(want) {
					t.Errorf("no %q line on /metrics", want)
				}
			}
			// The model pool outlives a reload, so other tests' runs count
			// too: at least this test's one.
			runs := -1
			for _, l := range lines {
				if v, ok := strings.CutPrefix(l, "matte_inference_batch_size_count "); ok {
					runs, _ = strconv.Atoi(v)
				}
			}
			if runs < 1 {
				t.Errorf("matte_inference_batch_size_count %d, want at least this test's run", runs)
			}
		}
	})

	// The handler's own DEBUG line, and the same fields as the object
	// "matte" of Caddy's access log line.
	for _, log := range []struct {
		name   string
		path   string
		access bool
	}{{"debug log", logPath, false}, {"access log", accessPath, true}} {
		t.Run(log.name, func(t *testing.T) {
			lines := servedLines(t, log.path, log.access)
			for _, l := range lines {
				t.Logf("%s: %v", log.name, l)
			}
			if len(lines) < 3 {
				t.Fatalf("%d image served lines in the log, want at least 3", len(lines))
			}
			miss, hit, cf := lines[0], lines[1], lines[2]
			// checkMiss checks a MISS line's fields and its every stage's timing.
			checkMiss := func(name string, line map[string]any, fields map[string]any) {
				t.Helper()
				for field, want := range fields {
					if line[field] != want {
						t.Errorf("%s log line: %s = %v, want %v (%v)", name, field, line[field], want, line)
					}
				}
				timings, _ := line["timings"].(map[string]any)
				for _, stage := range pipelineStages {
					if v, ok := timings[stage+"_ms"].(float64); !ok || v < 0 {
						t.Errorf("%s log line: timings.%s_ms = %v", name, stage, timings[stage+"_ms"])
					}
				}
			}
			want := map[string]any{"dialect": "imgix", "cache": "MISS", "model": "", "bytes_in": float64(len(photo)),
				"bytes_out": float64(missBytes), "format": "image/png", "width": 100.0, "height": 50.0}
			if !log.access {
				want["logger"], want["level"] = "http.handlers.matte", "debug"
			}
			checkMiss("miss", miss, want)
			checkMiss("cloudflare", cf, map[string]any{"dialect": "cloudflare", "cache": "MISS", "bytes_in": float64(len(photo)),
				"bytes_out": float64(dialectBytes), "format": "image/png", "width": 50.0, "height": 25.0})
			timings, _ := miss["timings"].(map[string]any)
			if _, ok := timings["inference_ms"]; ok {
				t.Errorf("a resize logged inference: %v", timings)
			}
			if hit["cache"] != "HIT-MEMORY" || hit["bytes_in"] != 0.0 || hit["bytes_out"] != float64(missBytes) {
				t.Errorf("hit log line %v", hit)
			}
			if ht, _ := hit["timings"].(map[string]any); len(ht) != 1 || ht["cache_ms"] == nil {
				t.Errorf("hit log line timings %v, want only cache_ms", hit["timings"])
			}
			if removed && rt != "" && len(lines) >= 5 {
				rem, api := lines[3], lines[4]
				if m, _ := rem["model"].(string); !strings.HasPrefix(m, "isnet-int8@") {
					t.Errorf("rembg log line: model %q", rem["model"])
				}
				if rt, _ := rem["timings"].(map[string]any); rt["inference_ms"] == nil {
					t.Errorf("rembg log line has no inference_ms: %v", rem["timings"])
				}
				if api["dialect"] != "removebg" || api["bytes_in"] != float64(len(photo)) {
					t.Errorf("removebg log line %v", api)
				}
			}
		})
	}
}
