package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/jebosio/matte/bench"
)

// refRow is one server's figures for one scenario in the reference file.
type refRow struct {
	ReqPerSec float64
	P50, P99  float64 // ms
}

// reference holds shared/bench-reference.md's figures, measured on this
// machine kind in another run (imgproxy and imaginary cannot be installed
// here).
type reference struct {
	Path      string
	Header    string                        // the file's first paragraph
	Rows      map[string]map[string]refRow  // scenario id -> server -> figures at c8
	Loop2     map[string]float64            // scenario id -> libvips in-process loop, 2 threads, img/s
	P50c2     map[string]map[string]float64 // scenario id -> server -> p50 ms at c2
	Single    map[string]float64            // scenario id -> single-thread libvips ms/img
	RSS       map[string]float64            // server -> peak MiB
	Scenarios []string                      // ids in file order
}

var (
	reRowID  = regexp.MustCompile(`^([a-z]):`)
	reWide   = regexp.MustCompile(`(\d+) wide`)
	reSlash  = regexp.MustCompile(`^([0-9.]+)\s*/\s*([0-9.]+)$`)
	reC2     = regexp.MustCompile(`\b([a-z]) (\d+(?:\.\d+)?)(?: ms \(imgproxy\))? / (\d+(?:\.\d+)?)`)
	reSingle = regexp.MustCompile(`([0-9.]+) ms \(([a-z])\)`)
	reRSS    = regexp.MustCompile(`imgproxy (\d+) MiB, imaginary (\d+) MiB`)
)

// loadReference parses the reference file; ok is false when it is absent
// or has no table.
func loadReference(path string) (reference, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return reference{}, false
	}
	ref := reference{Path: path, Rows: map[string]map[string]refRow{}, Loop2: map[string]float64{},
		P50c2: map[string]map[string]float64{}, Single: map[string]float64{}, RSS: map[string]float64{}}
	letter := map[string]string{} // reference letter -> our scenario id
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| scenario"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) < 6 {
				continue
			}
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			id := ""
			if m := reRowID.FindStringSubmatch(cells[0]); m != nil {
				width := 0
				if w := reWide.FindStringSubmatch(cells[0]); w != nil {
					width, _ = strconv.Atoi(w[1])
				}
				for _, s := range bench.Scenarios {
					if strings.HasPrefix(s.ID, m[1]) && s.Width == width {
						id = s.ID
						break
					}
				}
				if id != "" {
					letter[m[1]] = id
				}
			} else if strings.HasPrefix(cells[0], "passthrough") {
				id = "pass"
			}
			if id == "" {
				continue
			}
			ref.Scenarios = append(ref.Scenarios, id)
			ref.Rows[id] = map[string]refRow{}
			for i, srv := range []string{"imgproxy", "imaginary"} {
				rps, err := strconv.ParseFloat(cells[1+2*i], 64)
				if err != nil {
					continue
				}
				row := refRow{ReqPerSec: rps}
				if m := reSlash.FindStringSubmatch(cells[2+2*i]); m != nil {
					row.P50, _ = strconv.ParseFloat(m[1], 64)
					row.P99, _ = strconv.ParseFloat(m[2], 64)
				}
				ref.Rows[id][srv] = row
			}
			if v, err := strconv.ParseFloat(cells[5], 64); err == nil {
				ref.Loop2[id] = v
			}
		case strings.HasPrefix(line, "At concurrency 2"):
			for _, m := range reC2.FindAllStringSubmatch(line, -1) {
				id := letter[m[1]]
				if id == "" {
					continue
				}
				a, _ := strconv.ParseFloat(m[2], 64)
				c, _ := strconv.ParseFloat(m[3], 64)
				ref.P50c2[id] = map[string]float64{"imgproxy": a, "imaginary": c}
			}
		case strings.HasPrefix(line, "Single-thread"):
			for _, m := range reSingle.FindAllStringSubmatch(line, -1) {
				if id := letter[m[2]]; id != "" {
					ref.Single[id], _ = strconv.ParseFloat(m[1], 64)
				}
			}
		case strings.HasPrefix(line, "Peak RSS"):
			if m := reRSS.FindStringSubmatch(line); m != nil {
				ref.RSS["imgproxy"], _ = strconv.ParseFloat(m[1], 64)
				ref.RSS["imaginary"], _ = strconv.ParseFloat(m[2], 64)
			}
		}
	}
	// Header: the lines between the title and the table.
	var hdr []string
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if strings.HasPrefix(line, "|") {
			break
		}
		hdr = append(hdr, line)
	}
	ref.Header = strings.TrimSpace(strings.Join(hdr, "\n"))
	return ref, len(ref.Rows) > 0
}
