package segment

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPresetRegistry(t *testing.T) {
	want := []string{"birefnet-general", "birefnet-general-lite", "birefnet-portrait", "isnet", "isnet-general-use",
		"isnet-int8", "modnet", "silueta", "u2net", "u2net_human_seg", "u2netp"}
	ps := Presets()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("presets %v, want %v", names, want)
	}
	if _, ok := Lookup(DefaultPreset); !ok {
		t.Fatalf("default preset %q missing", DefaultPreset)
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("Lookup(nope) found something")
	}
	files := map[string]string{}
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if q, _ := Lookup(p.Name); q != p {
				t.Fatal("Lookup differs from Presets")
			}
			if other, dup := files[p.File]; dup {
				t.Fatalf("file %s shared with %s", p.File, other)
			}
			files[p.File] = p.Name
			if filepath.Base(p.File) != p.File {
				t.Fatalf("built-in file %q is not a bare name", p.File)
			}
			if p.InputWidth != p.InputHeight || p.Layout != NCHW || p.ChannelOrder != RGB || p.InputType != Float32 {
				t.Fatalf("unexpected geometry/type %+v", p)
			}
			if !strings.HasPrefix(p.URL, "https://") || p.License == "" || p.Description == "" || p.Fetch == "" {
				t.Fatalf("missing provenance: %+v", p)
			}
			// Every preset reads a probability in [0,1] after post-processing:
			// either the graph ends in a sigmoid or we apply one.
			switch {
			case strings.HasPrefix(p.Name, "isnet") && p.Name != "isnet-general-use": // imgly
				if p.SHA256 == "" || p.MD5 != "" || p.InputName != "input" || p.Output != "output" ||
					p.PixelScale != 1 || p.Mean != [3]float32{128, 128, 128} || p.Std != [3]float32{256, 256, 256} ||
					p.DivideByMax || p.MinMax || p.ApplySigmoid || p.InputWidth != 1024 ||
					p.ResizeKernel != KernelLinear || p.MaskKernel != KernelLinear {
					t.Fatalf("imgly preset %+v", p)
				}
			case p.Name == "modnet":
				if p.SHA256 != "" || p.MD5 != "" || p.Mean != [3]float32{0.5, 0.5, 0.5} || p.Std != [3]float32{0.5, 0.5, 0.5} ||
					p.PixelScale != 255 || p.DivideByMax || p.MinMax || p.ApplySigmoid || p.InputWidth != 512 {
					t.Fatalf("modnet preset %+v", p)
				}
			default: // rembg
				if p.MD5 == "" || p.SHA256 != "" || !p.DivideByMax || !p.MinMax || p.OutputIndex != 0 || p.Output != "" ||
					p.ResizeKernel != KernelLanczos3 || p.MaskKernel != KernelLanczos3 ||
					!strings.HasPrefix(p.URL, rembgRelease) || !strings.HasSuffix(p.URL, "/"+p.File) {
					t.Fatalf("rembg preset %+v", p)
				}
				birefnet := strings.HasPrefix(p.Name, "birefnet")
				if p.ApplySigmoid != birefnet {
					t.Fatalf("ApplySigmoid %v for %s", p.ApplySigmoid, p.Name)
				}
				size := 320
				if birefnet || p.Name == "isnet-general-use" {
					size = 1024
				}
				if p.InputWidth != size {
					t.Fatalf("size %d, want %d", p.InputWidth, size)
				}
				wantStd := imagenetStd
				if p.Name == "isnet-general-use" {
					wantStd = [3]float32{1, 1, 1}
				}
				if p.Mean != imagenetMean || p.Std != wantStd {
					t.Fatalf("mean %v std %v", p.Mean, p.Std)
				}
			}
		})
	}
}

// scripts/fetch-model.sh must download what the presets expect.
func TestFetchScriptMatchesPresets(t *testing.T) {
	if repoRoot == "" {
		t.Skip("skipping: repository root not found")
	}
	f, err := os.Open(filepath.Join(repoRoot, "scripts", "fetch-model.sh"))
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "|")
		if len(fields) != 4 || strings.HasPrefix(fields[0], "#") || strings.ContainsAny(fields[0], " $") {
			continue
		}
		name, file, url, md5 := fields[0], fields[1], fields[2], fields[3]
		p, ok := Lookup(name)
		if !ok {
			t.Errorf("script has %s, no such preset", name)
			continue
		}
		seen[name] = true
		if md5 == "-" {
			md5 = ""
		}
		if p.File != file || p.URL != url || p.MD5 != md5 {
			t.Errorf("%s: script %s %s %s; preset %s %s %s", name, file, url, md5, p.File, p.URL, p.MD5)
		}
	}
	for _, p := range Presets() {
		if strings.HasPrefix(p.Fetch, "make model") && !seen[p.Name] {
			t.Errorf("preset %s says %q but the script lacks it", p.Name, p.Fetch)
		}
	}
}

func TestPresetValidate(t *testing.T) {
	good, _ := Lookup("u2net")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Preset)
		want string
	}{
		{"empty name", func(p *Preset) { p.Name = "" }, "name"},
		{"bad name", func(p *Preset) { p.Name = "a b" }, "name"},
		{"no file", func(p *Preset) { p.File = "" }, "no model file"},
		{"not onnx", func(p *Preset) { p.File = "model.bin" }, ".onnx"},
		{"zero size", func(p *Preset) { p.InputWidth = 0 }, "input size"},
		{"huge size", func(p *Preset) { p.InputHeight = 10000 }, "input size"},
		{"channel order", func(p *Preset) { p.ChannelOrder = 7 }, "channel order"},
		{"layout", func(p *Preset) { p.Layout = 7 }, "layout"},
		{"input type", func(p *Preset) { p.InputType = 9 }, "input type"},
		{"pixel scale", func(p *Preset) { p.DivideByMax = false; p.PixelScale = 0 }, "pixel scale"},
		{"zero std", func(p *Preset) { p.Std[1] = 0 }, "std[1]"},
		{"nan mean", func(p *Preset) { p.Mean[2] = float32(nan()) }, "mean[2]"},
		{"output index", func(p *Preset) { p.OutputIndex = -1 }, "output index"},
		{"resize kernel", func(p *Preset) { p.ResizeKernel = "bicubic" }, "resize kernel"},
		{"mask kernel", func(p *Preset) { p.MaskKernel = "" }, "mask kernel"},
		{"sha256", func(p *Preset) { p.SHA256 = "abc" }, "sha256"},
		{"md5", func(p *Preset) { p.MD5 = strings.Repeat("g", 32) }, "md5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			tc.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
	// Every problem is reported at once.
	p := good
	p.File, p.Std[0] = "", 0
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "no model file") || !strings.Contains(err.Error(), "std[0]") {
		t.Fatalf("joined errors: %v", err)
	}
}

func nan() float64 { var z float64; return z / z }

func TestCustomModel(t *testing.T) {
	ptr := func(v [3]float32) *[3]float32 { return &v }
	yes, no := true, false
	one := 1
	t.Run("from base", func(t *testing.T) {
		p, err := CustomModel{Name: "mine", Path: "/models/x.onnx", Base: "birefnet-general", InputWidth: 512, InputHeight: 768,
			ApplySigmoid: &no, OutputIndex: &one}.Preset()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Lookup("birefnet-general")
		if p.Name != "mine" || p.File != "/models/x.onnx" || p.InputWidth != 512 || p.InputHeight != 768 ||
			p.Mean != b.Mean || p.Std != b.Std || !p.DivideByMax || !p.MinMax || p.ApplySigmoid || p.OutputIndex != 1 ||
			p.ResizeKernel != KernelLanczos3 || p.MD5 != "" || p.URL != "" || p.Fetch != "" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("from base keeps output name", func(t *testing.T) {
		p, err := CustomModel{Name: "isnet2", Path: "isnet-copy.onnx", Base: "isnet"}.Preset()
		if err != nil {
			t.Fatal(err)
		}
		if p.Output != "output" || p.InputName != "input" || p.SHA256 != "" || p.PixelScale != 1 {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("from scratch", func(t *testing.T) {
		raw := `{"name":"dis","path":"/m/dis.onnx","input_width":1024,"input_height":1024,
			"mean":[0.5,0.5,0.5],"std":[1,1,1],"channel_order":"BGR","layout":"nhwc","input_type":"fp16",
			"output":"mask","sigmoid":true,"min_max":true,"divide_by_max":true,"resize_kernel":"Lanczos3",
			"sha256":"B6E8497BA978A6F5FBB647E419D2696CD80DF5A23CB6A8EA532021911BD76ACB","license":"Apache-2.0"}`
		var c CustomModel
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatal(err)
		}
		p, err := c.Preset()
		if err != nil {
			t.Fatal(err)
		}
		if p.ChannelOrder != BGR || p.Layout != NHWC || p.InputType != Float16 || p.Output != "mask" || !p.ApplySigmoid ||
			!p.MinMax || !p.DivideByMax || p.ResizeKernel != KernelLanczos3 || p.MaskKernel != KernelLinear ||
			p.PixelScale != 255 || p.SHA256 != "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb" {
			t.Fatalf("%+v", p)
		}
		p2, err := CustomModel{Name: "plain", Path: "p.onnx", InputWidth: 64, InputHeight: 32, Mean: ptr([3]float32{}), Std: ptr([3]float32{1, 1, 1})}.Preset()
		if err != nil {
			t.Fatal(err)
		}
		if p2.InputType != ElemAuto || p2.ChannelOrder != RGB || p2.Layout != NCHW || p2.ApplySigmoid || p2.MinMax {
			t.Fatalf("defaults %+v", p2)
		}
	})
	base := CustomModel{Name: "c", Path: "c.onnx", InputWidth: 320, InputHeight: 320,
		Mean: ptr(imagenetMean), Std: ptr(imagenetStd), DivideByMax: &yes}
	cases := []struct {
		name string
		edit func(*CustomModel)
		want string
	}{
		{"builtin name", func(c *CustomModel) { c.Name = "u2net" }, "built-in"},
		{"empty name", func(c *CustomModel) { c.Name = "" }, "name"},
		{"no path", func(c *CustomModel) { c.Path = "" }, "no path"},
		{"unknown base", func(c *CustomModel) { c.Base = "u3net" }, "unknown base"},
		{"no size", func(c *CustomModel) { c.InputWidth = 0 }, "input_width and input_height are required"},
		{"no mean", func(c *CustomModel) { c.Mean = nil }, "mean and std are required"},
		{"zero std", func(c *CustomModel) { c.Std = ptr([3]float32{1, 0, 1}) }, "std[1]"},
		{"channel order", func(c *CustomModel) { c.ChannelOrder = "rgba" }, "channel_order"},
		{"layout", func(c *CustomModel) { c.Layout = "chw" }, "layout"},
		{"input type", func(c *CustomModel) { c.InputType = "int8" }, "input_type"},
		{"kernel", func(c *CustomModel) { c.ResizeKernel = "bilinear" }, "resize kernel"},
		{"mask kernel", func(c *CustomModel) { c.MaskKernel = "area" }, "mask kernel"},
		{"negative scale", func(c *CustomModel) { c.DivideByMax = &no; c.PixelScale = -1 }, "pixel scale"},
		{"sha", func(c *CustomModel) { c.SHA256 = "xyz" }, "sha256"},
		{"negative index", func(c *CustomModel) { n := -2; c.OutputIndex = &n }, "output index"},
		{"file type", func(c *CustomModel) { c.Path = "c.pt" }, ".onnx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			_, err := c.Preset()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
	if _, err := base.Preset(); err != nil {
		t.Fatalf("base case: %v", err)
	}
}
