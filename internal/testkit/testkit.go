// Package testkit is what the project's tests share: a wait on a condition with a generous
// deadline, a demo environment that cleans up after itself, a fake clock and a run recorder.
//
// No test here synchronises by sleeping: a wait ends as soon as its condition holds (Eventually,
// Recorder.WaitFor), and time that a test needs to pass is the fake Clock's, moved by Advance.
package testkit

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/env"
)

// Wait bounds every wait on a condition and the context of every run. It is generous because the
// machine is shared and -race is slow; a wait ends as soon as its condition holds, so it costs
// nothing when things are fast.
const Wait = 2 * time.Minute

// Eventually waits until cond holds, checking it every few milliseconds, and fails t naming what
// after Wait.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Within(Wait, cond) {
		t.Fatalf("%s: not within %s", what, Wait)
	}
}

// Within says whether cond came to hold within d.
func Within(d time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			return cond()
		}
	}
	return true
}

// Context is a context that ends after Wait, or with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	t.Cleanup(cancel)
	return ctx
}

// DemoEnv is a real Env for cfg (with no keys: the emulator in-process, the tunnel on loopback),
// closed when the test ends.
func DemoEnv(t testing.TB, cfg env.Config) *env.Env {
	t.Helper()
	e, err := env.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("env.New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing the Env: %v", err)
		}
	})
	return e
}

// Deadline fires after Wait.
func Deadline() <-chan time.Time { return time.After(Wait) }

// ReadPrivate reads the file at path, failing t unless only its owner may read it (mode 0600).
func ReadPrivate(t testing.TB, path string) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Returns runs fn and returns its result, or fails t naming what if fn has not returned within
// Wait (it is blocked, as an open(2) of a FIFO with no other end is).
func Returns[T any](t testing.TB, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(Wait):
		t.Fatalf("%s did not return within %s (blocked?)", what, Wait)
		var zero T
		return zero
	}
}
