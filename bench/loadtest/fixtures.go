package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"
	"image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	_ "golang.org/x/image/webp"

	"github.com/jebosio/matte/internal/testimages"
)

var goodJPEG = []string{"/img/photo-1mp.jpg", "/img/photo-4mp.jpg"}

// paddedBytes is the size of the padded-sources phase's JPEG (under the
// default max_source_bytes, 50 MiB), served under paddedCopies paths.
const (
	paddedBytes  = 45 << 20
	paddedCopies = 64
)

func prepare(dir string) error {
	img := filepath.Join(dir, "site", "img")
	if err := os.MkdirAll(img, 0o755); err != nil {
		return err
	}
	for _, n := range []string{"photo-1mp.jpg", "photo-4mp.jpg", "photo-12mp.jpg", "photo-alpha.png"} {
		b, err := os.ReadFile(filepath.Join(*flagCorpus, n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(img, n), b, 0o644); err != nil {
			return err
		}
		if n == "photo-1mp.jpg" {
			// truncated: the first 40% of a good JPEG
			if err := os.WriteFile(filepath.Join(img, "truncated.jpg"), b[:len(b)*4/10], 0o644); err != nil {
				return err
			}
			// damaged: a JPEG's headers followed by garbage entropy data
			// (libjpeg may decode it to noise: 200 or 422 are both fine)
			c := slices.Clone(b)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := len(c) / 20; i < len(c)-2; i++ {
				c[i] = byte(rng.UintN(256))
			}
			if err := os.WriteFile(filepath.Join(img, "damaged.jpg"), c, 0o644); err != nil {
				return err
			}
			// corrupt: a JPEG SOI marker followed by garbage, no valid header
			c2 := append([]byte{0xFF, 0xD8, 0xFF}, c[len(c)/2:len(c)/2+32<<10]...)
			if err := os.WriteFile(filepath.Join(img, "corrupt.jpg"), c2, 0o644); err != nil {
				return err
			}
		}
	}
	// The padded-sources phase's source, under paddedCopies names.
	var small bytes.Buffer
	if err := jpeg.Encode(&small, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(img, "padded.jpg"), testimages.PaddedJPEG(small.Bytes(), paddedBytes-small.Len()), 0o644); err != nil {
		return err
	}
	for i := range paddedCopies {
		if err := os.Symlink("padded.jpg", filepath.Join(img, fmt.Sprintf("padded-%d.jpg", i))); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	files := map[string][]byte{
		"random.png":   junk,
		"notimage.jpg": []byte("this is a plain text file, not an image\n"),
	}
	var err error
	if files["bomb.png"], err = bombPNG(20000, 20000); err != nil {
		return err
	}
	if files["bomb.jpg"], err = bombJPEG(65000, 65000); err != nil {
		return err
	}
	// 50 MP within the limit, 146 KB on disk: the abuse phases' memory bomb.
	if files["wide.png"], err = bombPNG(50000, 999); err != nil {
		return err
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(img, n), b, 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "cache"), 0o755)
}

// bombPNG is a legitimate w x h black 8-bit greyscale PNG, a few hundred KB.
// It is written row by row so the generator never holds the pixels.
func bombPNG(w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := writePNGRows(&buf, w, h); err != nil {
		return nil, err
	}
	// sanity: the standard library reads its header
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil || format != "png" || cfg.Width != w || cfg.Height != h {
		return nil, fmt.Errorf("bomb PNG self-check: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
	}
	return buf.Bytes(), nil
}

// bombJPEG encodes a small JPEG and rewrites its SOF0 frame size to w x h.
func bombJPEG(w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64)), nil); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 || i+9 > len(b) {
		return nil, errors.New("no SOF0 marker")
	}
	b[i+5], b[i+6] = byte(h>>8), byte(h)
	b[i+7], b[i+8] = byte(w>>8), byte(w)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != w || cfg.Height != h {
		return nil, fmt.Errorf("bomb JPEG self-check: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	return b, nil
}
