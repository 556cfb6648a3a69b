// Command mkdemo writes the demo's sample images into a folder: procedurally
// drawn images (so the repository ships no fetched data), plus the shared
// test photos when ../shared/testdata is present.
package main

import (
	"flag"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "var/demo/img", "output folder")
	shared := flag.String("shared", "../shared/testdata/photos", "optional folder of extra photos to copy")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(*out, "product.jpg"), product(1600, 1200), false)
	write(filepath.Join(*out, "landscape.jpg"), landscape(2400, 1600), false)
	write(filepath.Join(*out, "badge.png"), badge(800, 800), true)
	writeGIF(filepath.Join(*out, "sunset.gif"), sunset(640, 400, 24))
	if entries, err := os.ReadDir(*shared); err == nil {
		for _, e := range entries {
			copyFile(filepath.Join(*shared, e.Name()), filepath.Join(*out, e.Name()))
		}
	}
}

// write encodes img into path: PNG when asPNG, else JPEG.
func write(path string, img image.Image, asPNG bool) {
	writeFile(path, func(w io.Writer) error {
		if asPNG {
			return png.Encode(w, img)
		}
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 90})
	})
}

// writeGIF writes an animation into path.
func writeGIF(path string, anim *gif.GIF) {
	writeFile(path, func(w io.Writer) error { return gif.EncodeAll(w, anim) })
}

// writeFile writes path through a temporary file, renamed once encode has
// written it whole, so a half-written image is never served.
func writeFile(path string, encode func(io.Writer) error) {
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		log.Fatal(err)
	}
	err = encode(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		log.Fatal(err)
	}
}

// sunset is an animated GIF of n frames: the landscape's sun setting behind
// the hills, 12 centiseconds a frame, looping.
func sunset(w, h, n int) *gif.GIF {
	anim := &gif.GIF{}
	for i := range n {
		frame := landscapeAt(w, h, 0.30+0.45*float64(i)/float64(n-1))
		p := image.NewPaletted(frame.Bounds(), palette.Plan9)
		draw.FloydSteinberg.Draw(p, p.Bounds(), frame, image.Point{})
		anim.Image, anim.Delay = append(anim.Image, p), append(anim.Delay, 12)
	}
	return anim
}

// copyFile copies src into dst through writeFile; a src it cannot open is
// skipped.
func copyFile(src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		return
	}
	defer in.Close()
	writeFile(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

// product is a studio shot: a rounded sneaker-like shape on a soft backdrop.
func product(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	back, floor := color.RGBA{232, 228, 220, 255}, color.RGBA{200, 196, 188, 255}
	body, sole, lace := color.RGBA{200, 40, 50, 255}, color.RGBA{245, 245, 245, 255}, color.RGBA{30, 30, 40, 255}
	cx, cy := float64(w)/2, float64(h)*0.55
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			c := mix(back, floor, (fy/float64(h)-0.4)*2)
			// shadow under the shoe
			sd := math.Hypot((fx-cx)/(0.36*float64(w)), (fy-cy-0.17*float64(h))/(0.04*float64(h)))
			if sd < 1.4 {
				c = mix(c, color.RGBA{90, 88, 84, 255}, 0.5*(1.4-sd)/1.4)
			}
			ux, uy := (fx-cx)/(0.33*float64(w)), (fy-cy)/(0.17*float64(h))
			switch {
			case uy > 0.55 && uy < 0.95 && math.Abs(ux) < 1.02:
				c = sole
			case ux*ux+uy*uy*1.1 < 1 && uy < 0.6 || (ux < -0.1 && ux > -0.75 && uy > -1.6 && uy < 0.6 && (ux+0.42)*(ux+0.42)*3+(uy+0.6)*(uy+0.6)*0.6 < 0.8):
				c = body
				if math.Mod(fx/18, 3) < 0.6 && ux > -0.6 && ux < 0.1 && uy < -0.2 && uy > -0.9 {
					c = lace
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func landscape(w, h int) image.Image { return landscapeAt(w, h, 0.45) }

// landscapeAt is the landscape with the sun's centre sunY of the height down.
func landscapeAt(w, h int, sunY float64) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sky1, sky2 := color.RGBA{40, 90, 170, 255}, color.RGBA{250, 190, 120, 255}
	hill1, hill2 := color.RGBA{40, 110, 60, 255}, color.RGBA{20, 70, 40, 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := mix(sky1, sky2, fy*1.6)
			if math.Hypot(fx-0.7, fy-sunY) < 0.06 {
				c = color.RGBA{255, 240, 200, 255}
			}
			if fy > 0.62+0.08*math.Sin(fx*9) {
				c = mix(hill1, hill2, (fy-0.6)*3)
			}
			if fy > 0.75+0.05*math.Sin(fx*5+1) {
				c = mix(color.RGBA{70, 140, 70, 255}, hill2, (fy-0.75)*4)
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// badge is a round logo on a transparent background.
func badge(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := float64(w) * 0.42
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x)-float64(w)/2, float64(y)-float64(h)/2)
			a := math.Max(0, math.Min(1, r-d+0.5))
			c := color.NRGBA{20, 120, 220, uint8(a * 255)}
			if d < r*0.6 {
				c = color.NRGBA{255, 200, 40, uint8(a * 255)}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}
