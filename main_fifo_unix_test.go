//go:build unix

package main

import (
	"bytes"
	"context"
	"log"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/testkit"
)

// A FIFO at --transcript, at the debug log's path or at --keys-file is refused at once, with a
// message naming the file and what it is; the emulator then lets go of its port.
func TestFIFOsAreRefusedNotOpened(t *testing.T) {
	t.Run("transcript", func(t *testing.T) {
		fifo := testkit.Mkfifo(t, t.TempDir(), "run.jsonl")
		var stderr bytes.Buffer
		code := testkit.Returns(t, "the run", func() int {
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
		testkit.Mkfifo(t, dir, debugLogFile)
		var stderr bytes.Buffer
		code := testkit.Returns(t, "the run", func() int {
			return run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t)},
				func(k string) string { return map[string]string{"LINKRECOVERY_DEBUG": "1"}[k] }, &bytes.Buffer{}, &stderr)
		})
		if code != 1 || !strings.Contains(stderr.String(), "LINKRECOVERY_DEBUG") || !strings.Contains(stderr.String(), "named pipe") {
			t.Errorf("exit %d, stderr %q; want 1 and a refusal naming the debug log", code, stderr.String())
		}
	})
	t.Run("keys file", func(t *testing.T) {
		fifo := testkit.Mkfifo(t, t.TempDir(), "keys.env")
		// A port that was free a moment ago: the emulator must give it back when it refuses.
		probe, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := probe.Addr().String()
		probe.Close()
		var stderr bytes.Buffer
		code := testkit.Returns(t, "the run", func() int {
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
