package transform

import "github.com/jebosio/matte/params"

// flip mirrors; a vertical flip reads its input bottom up, so load renders
// the image to memory first (randomAccess).
func (j *job) flip() error {
	f := j.p.Flip
	if f == params.FlipH || f == params.FlipHV {
		if err := j.img.Flip(false); err != nil {
			return err
		}
	}
	if f == params.FlipV || f == params.FlipHV {
		return j.img.Flip(true)
	}
	return nil
}
