// Package testwait holds the polling helper that tests of concurrent code
// share.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long For waits before failing the test.
const Timeout = 5 * time.Second

// For polls cond every millisecond until it holds, and fails t (naming
// what) when it still does not after Timeout.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
