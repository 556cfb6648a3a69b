package cluster

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/loopback"
	"github.com/jebosio/matte/internal/redistest"
	"github.com/jebosio/matte/internal/testimages"
)

// proc is one Caddy process (a Matte node or the front).
type proc struct {
	name      string
	port      int // HTTP
	admin     int
	caddyfile string
	dataDir   string // the process's own folder: its config (start), and a node's data (node3: its disk tier, in cache/)
	cmd       *exec.Cmd
	log       *bytes.Buffer
}

func (p *proc) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", p.port, path) }

func freePort(t *testing.T) int {
	t.Helper()
	p, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildCaddy builds ./cmd/caddy once into a temp dir.
func buildCaddy(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is not on PATH: cannot build ./cmd/caddy for the cluster test")
	}
	bin := filepath.Join(t.TempDir(), "caddy")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/caddy")
	cmd.Dir = testimages.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/caddy: %v\n%s", err, out)
	}
	return bin
}

// start runs bin with p's Caddyfile and waits until its HTTP port answers.
func (p *proc) start(t *testing.T, bin string) {
	t.Helper()
	// Under dataDir, not t.TempDir(): a node restarted inside a subtest
	// outlives it, and Caddy keeps writing its autosave and storage here,
	// which made the subtest's cleanup fail ("directory not empty").
	dir, err := os.MkdirTemp(p.dataDir, "run-")
	if err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cf, []byte(p.caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	p.log = &bytes.Buffer{}
	p.cmd = exec.Command(bin, "run", "--config", cf, "--adapter", "caddyfile")
	p.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HOME="+dir)
	lw := &lockedWriter{w: p.log}
	p.cmd.Stdout, p.cmd.Stderr = lw, lw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.port), 100*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) || p.cmd.ProcessState != nil {
			p.kill()
			t.Fatalf("%s did not start:\n%s", p.name, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// metric sums the samples of a series (any labels matching the filter).
func (p *proc) metric(t *testing.T, name, labels string) float64 {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", p.admin))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') || !strings.Contains(rest, labels) {
			continue
		}
		if i := strings.LastIndexByte(rest, ' '); i >= 0 {
			v, _ := strconv.ParseFloat(rest[i+1:], 64)
			sum += v
		}
	}
	return sum
}

var client = &http.Client{Timeout: 3 * time.Minute}

type reply struct {
	status int
	xcache string
	body   []byte
	took   time.Duration
	err    error
}

func get(url string) reply {
	start := time.Now()
	res, err := client.Get(url)
	if err != nil {
		return reply{err: err, took: time.Since(start)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, xcache: res.Header.Get("X-Cache"), body: b, err: err, took: time.Since(start)}
}

// writeImages writes the sources: a small gradient, a large noisy photo
// (slow to transform) and a shape on a plain background (for rembg).
func writeImages(t *testing.T, dir string) {
	t.Helper()
	write := func(name string, img image.Image) {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	small := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			small.Set(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), 128, 255})
		}
	}
	write("small.jpg", small)
	rng := rand.New(rand.NewPCG(1, 2))
	big := image.NewRGBA(image.Rect(0, 0, 3000, 2000))
	for i := range big.Pix {
		big.Pix[i] = uint8(rng.IntN(256))
	}
	write("big.jpg", big)
	shape := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for y := range 400 {
		for x := range 400 {
			c := color.RGBA{235, 235, 235, 255}
			if (x-200)*(x-200)+(y-200)*(y-200) < 100*100 {
				c = color.RGBA{200, 30, 30, 255}
			}
			shape.Set(x, y, c)
		}
	}
	write("shape.jpg", shape)
	shapeJPEG, _ = os.ReadFile(filepath.Join(dir, "shape.jpg"))
}

// shapeJPEG is shape.jpg's bytes, for the hosted API.
var shapeJPEG []byte

// runtimeDir is the ONNX Runtime and models folder, or "" without one.
func runtimeDir() string {
	rt := os.Getenv("MATTE_RUNTIME")
	if rt == "" {
		rt = filepath.Join(testimages.RepoRoot(), "runtime")
	}
	if _, err := os.Stat(filepath.Join(rt, "lib", "libonnxruntime.so")); err != nil {
		return ""
	}
	return rt
}

// cluster is the running test cluster.
type cluster struct {
	redis *redistest.Server
	nodes []*proc
	front *proc
	bin   string
	rembg bool
}

// nodeCaddyfile is one node's config; node3 also has a disk tier (in
// dataDir, so that it outlives a restart).
func nodeCaddyfile(p *proc, redisAddr, imgDir, dataDir, rt string) string {
	disk := ""
	if p.name == "node3" {
		disk = "cache_disk " + filepath.Join(dataDir, "cache")
	}
	rembg := "rembg off"
	if rt != "" {
		rembg = fmt.Sprintf("rembg {\n\t\t\truntime %s/lib/libonnxruntime.so\n\t\t\tmodels_dir %s/models\n\t\t\tmodel isnet-int8\n\t\t}", rt, rt)
	}
	return fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	grace_period 1ns
	skip_install_trust
	storage file_system %s
}
http://127.0.0.1:%d {
	bind 127.0.0.1
	root * %s
	matte {
		timeout 2m
		workers 2
		cache_memory 64MiB
		%s
		cache_shared redis://%s/0 {
			key_prefix ct:
			timeout 1s
		}
		%s
		removebg
		api_key clusterkey {
			credits 10
		}
		api_usage_file %s/usage.json
	}
	file_server
}
`, p.admin, dataDir, p.port, imgDir, disk, redisAddr, rembg, dataDir)
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{redis: redistest.Start(t)}
	c.bin = buildCaddy(t)
	imgDir := t.TempDir()
	writeImages(t, imgDir)
	rt := runtimeDir()
	c.rembg = rt != ""
	var upstreams []string
	for i := range 3 {
		p := &proc{name: fmt.Sprintf("node%d", i+1), port: freePort(t), admin: freePort(t), dataDir: t.TempDir()}
		p.caddyfile = nodeCaddyfile(p, c.redis.Addr, imgDir, p.dataDir, rt)
		p.start(t, c.bin)
		t.Cleanup(p.kill)
		c.nodes = append(c.nodes, p)
		upstreams = append(upstreams, fmt.Sprintf("127.0.0.1:%d", p.port))
	}
	c.front = &proc{name: "front", port: freePort(t), admin: freePort(t), dataDir: t.TempDir()}
	c.front.caddyfile = fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	grace_period 1ns
	skip_install_trust
}
http://127.0.0.1:%d {
	bind 127.0.0.1
	reverse_proxy %s {
		lb_policy uri_hash
	}
}
`, c.front.admin, c.front.port, strings.Join(upstreams, " "))
	c.front.start(t, c.bin)
	t.Cleanup(c.front.kill)
	return c
}

// sum is a metric summed over the live nodes.
func (c *cluster) sum(t *testing.T, name, labels string) float64 {
	var s float64
	for _, n := range c.nodes {
		if n.cmd.ProcessState == nil {
			s += n.metric(t, name, labels)
		}
	}
	return s
}

// concurrently runs fn(i) for i in [0, n) at once and returns the replies.
func concurrently(n int, fn func(i int) reply) []reply {
	out := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}
