// Package sendfiletest tells, in tests, whether a copy would reach
// sendfile(2): whether the reader handed to a connection's ReadFrom is in
// the form net's TCPConn.ReadFrom passes to sendfile.
package sendfiletest

import (
	"io"
	"syscall"
)

// Form reports whether net's TCPConn.ReadFrom would hand r to sendfile:
// at most one *io.LimitedReader, around something with a descriptor (an
// *os.File, or os's fileWithoutWriteTo: net/sendfile.go).
func Form(r io.Reader) bool {
	if lr, ok := r.(*io.LimitedReader); ok {
		r = lr.R
	}
	_, ok := r.(syscall.Conn)
	return ok
}

// Conn stands in for a TCP connection's ReadFrom: it copies into W and
// notes, per call, whether the reader was in sendfile's form.
type Conn struct {
	W     io.Writer
	Forms []bool
}

func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.Forms = append(c.Forms, Form(r))
	return io.Copy(c.W, r)
}

// AllSendfile reports whether ReadFrom was called and every call's reader
// was in sendfile's form.
func (c *Conn) AllSendfile() bool {
	for _, ok := range c.Forms {
		if !ok {
			return false
		}
	}
	return len(c.Forms) > 0
}
