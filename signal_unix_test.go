//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Closing the terminal (SIGHUP) ends the run's context as Ctrl-C does, so the tunnel is closed on
// the way out instead of the process dying with the ngrok session open.
func TestSIGHUPEndsTheRun(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), quitSignals...)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not end the context")
	}
}

// SIGTERM and SIGINT always end the process: when the run does not end after the first signal
// (its way out hangs), a second one ends it at once, and so does quitGrace after the first.
func TestForceQuitEndsAStuckRun(t *testing.T) {
	type result struct {
		code   int
		stderr string
	}
	start := func(timer <-chan time.Time) (chan os.Signal, chan result) {
		sigs := make(chan os.Signal, 2)
		out := make(chan result, 1)
		// exit runs on forceQuit's goroutine after its write, so reading stderr there is safe.
		var stderr bytes.Buffer
		go forceQuit(sigs, func(time.Duration) <-chan time.Time { return timer }, &stderr, func(c int) { out <- result{c, stderr.String()} })
		return sigs, out
	}
	wait := func(out chan result) result {
		select {
		case r := <-out:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("forceQuit did not end the process")
			return result{}
		}
	}

	sigs, out := start(nil) // the grace never ends
	sigs <- syscall.SIGTERM
	select {
	case r := <-out:
		t.Fatalf("one signal ended the process at once (%v): the run gets its grace to close the tunnel", r)
	default:
	}
	sigs <- syscall.SIGINT
	if r := wait(out); r.code != 1 || !strings.Contains(r.stderr, "interrupt again") {
		t.Errorf("second signal: %+v", r)
	}

	timer := make(chan time.Time, 1)
	sigs, out = start(timer)
	sigs <- syscall.SIGTERM
	timer <- time.Time{}
	if r := wait(out); r.code != 1 || !strings.Contains(r.stderr, "still running") {
		t.Errorf("grace over: %+v", r)
	}
}
