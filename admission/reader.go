package admission

import "io"

// Reader reads R and passes the size of each chunk it reads to Take
// before handing it on: the one way a request's buffered bytes are
// counted as they are read (a source, an API body, an upload). When Take
// refuses, the read returns the chunk's count (read, not to be used) with
// a *Refused carrying Take's error, so a caller tells a refusal apart
// from a failure of R.
type Reader struct {
	R    io.Reader
	Take func(n int64) error
}

// Refused ends a Reader's read whose chunk Take refused; Err is Take's.
type Refused struct{ Err error }

func (e *Refused) Error() string { return e.Err.Error() }
func (e *Refused) Unwrap() error { return e.Err }

func (r Reader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	if n > 0 {
		if terr := r.Take(int64(n)); terr != nil {
			return n, &Refused{Err: terr}
		}
	}
	return n, err
}
