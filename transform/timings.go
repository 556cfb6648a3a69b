package transform

import "time"

// Stage is a group of pipeline steps whose wall time Timings adds up.
//
// libvips is lazy: a step that does not render to memory only builds the
// graph, and the pixels are computed while the encoder pulls them. A plain
// resize therefore spends most of its time under StageEncode; decode and
// resize show their own time where a step renders (a rotation, trim, a
// smart crop, background removal).
type Stage uint8

const (
	// StageDecode: load and removal-load (less the matte), and the
	// conversion to sRGB.
	StageDecode Stage = iota
	// StageInference: the Matter's Matte call, background removal only:
	// a cached matte, or the model input's rendering, the wait for an
	// inference slot and the model run.
	StageInference
	// StageResize: the geometry steps (framing, resize, turns, crops,
	// flips, canvas, padding, margins).
	StageResize
	// StageComposite: the matte's shaping and edge colours, effects, and
	// the background layers.
	StageComposite
	// StageEncode: encoding (and the ZIP answer).
	StageEncode
	// NumStages is the number of stages.
	NumStages
)

var stageNames = [NumStages]string{"decode", "inference", "resize", "composite", "encode"}

// String is the stage's name as Server-Timing and the metrics spell it.
func (s Stage) String() string {
	if s < NumStages {
		return stageNames[s]
	}
	return "unknown"
}

// Timings is the wall time one Process call spent per Stage. It is a
// fixed-size value: recording it allocates nothing.
type Timings [NumStages]time.Duration

// Total is the sum of the stages.
func (t *Timings) Total() time.Duration {
	var sum time.Duration
	for _, d := range t {
		sum += d
	}
	return sum
}

// timeApart records d, spent inside the running step, under stage s
// instead of the step's own stage (see Process).
func (j *job) timeApart(s Stage, d time.Duration) {
	j.res.Timings[s] += d
	j.apart += d
}
