//go:build unix

package main

import (
	"context"
	"os/signal"
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
