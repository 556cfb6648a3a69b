// Package redistest starts private redis-server processes for tests, on a
// free loopback port, with persistence off. Tests that use it skip (saying
// why) when redis-server is not installed (scripts/setup-system.sh installs
// it).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/loopback"
	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process.
type Server struct {
	Addr string
	t    testing.TB
	bin  string
	cmd  *exec.Cmd
	// paused: Pause sent SIGSTOP and Resume has not sent SIGCONT.
	paused bool
	// password is the one RequirePass set since the last Restart.
	password string
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
	s.Resume()
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Pause stops the server's process (SIGSTOP) without ending it: its
// connections stay open and its data stays, but nothing is answered until
// Resume, as in a network partition or a stalled server. Stop (and the end
// of the test) resumes it first.
func (s *Server) Pause() {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process.Signal(syscall.SIGSTOP) != nil {
		s.t.Fatal("redistest: no server to pause")
	}
	s.paused = true
}

// Resume lets a paused server answer again (SIGCONT).
func (s *Server) Resume() {
	if s.cmd != nil && s.paused {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
	s.paused = false
}

// RequirePass makes the server ask every connection for password (CONFIG
// SET requirepass): a client with another one is answered WRONGPASS. It
// may be called again to change it, and lasts until the server is
// restarted.
func (s *Server) RequirePass(password string) {
	s.t.Helper()
	admin := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.password, MaxRetries: -1})
	defer admin.Close()
	if err := admin.ConfigSet(context.Background(), "requirepass", password).Err(); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	s.password = password
}

// Restart starts the server again on the same port (empty: no persistence)
// and waits until it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.password = ""
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
