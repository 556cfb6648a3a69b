// Package loopback hands the bench tools and integration tests ports on
// 127.0.0.1 for the servers they start (they never listen elsewhere).
package loopback

import "net"

// FreePort asks the kernel for a 127.0.0.1 port that is free now. Another
// process may take it before the caller listens on it; the servers started
// on it fail to start then, which the callers report.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
