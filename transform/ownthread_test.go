package transform

import "testing"

// onOwnThread waits for fn, and a panic in fn reaches the caller (where a
// cache flight recovers it) instead of killing the process from a
// goroutine nobody recovers.
func TestOnOwnThreadWaitsAndRepanics(t *testing.T) {
	ran := false
	onOwnThread(func() { ran = true })
	if !ran {
		t.Fatal("onOwnThread returned before fn ran")
	}
	defer func() {
		if got := recover(); got != "boom" {
			t.Fatalf("recovered %v, want boom", got)
		}
	}()
	onOwnThread(func() { panic("boom") })
	t.Fatal("no panic reached the caller")
}
