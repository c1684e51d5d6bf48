//go:build unix

package main

import (
	"bytes"
	"context"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe at dir/name. Cleanup opens its other end (read and write at once,
// which never blocks on Linux), so a run that blocked opening it can return and the test end.
func mkfifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(p, os.O_RDWR|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	return p
}

// runWithin runs fn and returns its exit code, or fails the test if it has not returned after a
// generous deadline (blocked opening a FIFO, deaf to the context).
func runWithin(t *testing.T, fn func() int) int {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- fn() }()
	select {
	case c := <-done:
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("the run blocked opening a FIFO")
		return -1
	}
}

// A FIFO at --transcript, at the debug log's path or at --keys-file is refused at once, with a
// message naming the file and what it is; the emulator then lets go of its port.
func TestFIFOsAreRefusedNotOpened(t *testing.T) {
	t.Run("transcript", func(t *testing.T) {
		fifo := mkfifo(t, t.TempDir(), "run.jsonl")
		var stderr bytes.Buffer
		code := runWithin(t, func() int {
			return run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t), "--transcript", fifo},
				func(string) string { return "" }, &bytes.Buffer{}, &stderr)
		})
		if code != 1 || !strings.Contains(stderr.String(), fifo) || !strings.Contains(stderr.String(), "named pipe") {
			t.Errorf("exit %d, stderr %q; want 1 and a refusal naming the FIFO", code, stderr.String())
		}
	})
	t.Run("debug log", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })
		mkfifo(t, dir, debugLogFile)
		var stderr bytes.Buffer
		code := runWithin(t, func() int {
			return run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t)},
				func(k string) string { return map[string]string{"LINKRECOVERY_DEBUG": "1"}[k] }, &bytes.Buffer{}, &stderr)
		})
		if code != 1 || !strings.Contains(stderr.String(), "LINKRECOVERY_DEBUG") || !strings.Contains(stderr.String(), "named pipe") {
			t.Errorf("exit %d, stderr %q; want 1 and a refusal naming the debug log", code, stderr.String())
		}
	})
	t.Run("keys file", func(t *testing.T) {
		fifo := mkfifo(t, t.TempDir(), "keys.env")
		// A port that was free a moment ago: the emulator must give it back when it refuses.
		probe, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := probe.Addr().String()
		probe.Close()
		var stderr bytes.Buffer
		code := runWithin(t, func() int {
			return runEmulator(context.Background(), []string{"--addr", addr, "--keys-file", fifo, "--quiet"},
				func(string) string { return "" }, &bytes.Buffer{}, &stderr)
		})
		if code != 1 || !strings.Contains(stderr.String(), "--keys-file") || !strings.Contains(stderr.String(), "named pipe") {
			t.Errorf("exit %d, stderr %q; want 1 and a refusal naming --keys-file", code, stderr.String())
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("the emulator still holds %s after refusing: %v", addr, err)
		} else {
			ln.Close()
		}
	})
}
