// Package testwait is the one polling helper of the tests: it waits for a
// condition that other goroutines make true. Only _test.go files import it.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long For polls before it fails the test.
const Timeout = 5 * time.Second

// For polls cond every millisecond until it is true, and fails t with
// "timed out waiting for <what>" after Timeout. cond runs on the test's
// goroutine and must be safe against the goroutines it observes.
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
