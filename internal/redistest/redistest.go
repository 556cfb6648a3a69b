// Package redistest starts private redis-server processes for tests, on a
// free loopback port, with persistence off. Tests that use it skip (saying
// why) when redis-server is not installed (scripts/setup-system.sh installs
// it).
package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/loopback"
)

// Server is one redis-server process.
type Server struct {
	Addr string
	t    testing.TB
	bin  string
	cmd  *exec.Cmd
}

// Start runs redis-server on a free 127.0.0.1 port and stops it at the end
// of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (scripts/setup-system.sh installs it): skipping the Redis-backed test")
	}
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), t: t, bin: bin}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Stop kills the server (SIGKILL: as abrupt as an outage) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port (empty: no persistence)
// and waits until it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.Port()), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	s.t.Fatal(fmt.Sprintf("redis-server did not listen on %s within 10s", s.Addr))
}
