//go:build unix

package privfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe in a temporary directory. Cleanup opens its other end (read and write
// at once, which never blocks on Linux), so an open that blocked on it returns and the test ends.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
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

// Within returns fn's error, or fails the test if fn has not returned after a generous deadline
// (it is blocked, as an open(2) on a FIFO with no other end is).
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked on a FIFO", what)
		return nil
	}
}

// A FIFO at the path (a transcript, the debug log, --keys-file, a .env) is refused at once, with
// a message saying what it is, instead of blocking the open until someone reads the other end.
func TestFIFOIsRefusedWithoutBlocking(t *testing.T) {
	for name, open := range map[string]func(string) error{
		"Create": func(p string) error { f, err := Create(p); closeIf(f); return err },
		"Append": func(p string) error { f, err := Append(p); closeIf(f); return err },
		"Write":  func(p string) error { return Write(p, []byte("secret")) },
		"Read":   func(p string) error { _, err := Read(p); return err },
	} {
		t.Run(name, func(t *testing.T) {
			p := mkfifo(t)
			err := within(t, name, func() error { return open(p) })
			if err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), p) {
				t.Errorf("%s on a FIFO: %v, want a refusal naming the path and a named pipe", name, err)
			}
		})
	}
	// With a reader waiting at the other end the open itself would succeed: Stat after the open
	// still refuses it, and nothing is written into the pipe.
	t.Run("Write with a reader", func(t *testing.T) {
		p := mkfifo(t)
		r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := within(t, "Write", func() error { return Write(p, []byte("secret")) }); err == nil {
			t.Error("Write into a FIFO with a reader succeeded")
		}
		buf := make([]byte, 16)
		if n, _ := r.Read(buf); n > 0 {
			t.Errorf("the reader got %q", buf[:n])
		}
	})
}

func closeIf(f *os.File) {
	if f != nil {
		f.Close()
	}
}

func TestReadRegularFileAndLimits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	if err := os.WriteFile(p, []byte("PLAID_ENV=sandbox\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.env")
	if err := os.Symlink(p, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	for _, path := range []string{p, link} {
		if b, err := Read(path); err != nil || string(b) != "PLAID_ENV=sandbox\n" {
			t.Errorf("Read(%s) = %q, %v", path, b, err)
		}
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxRead+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Read of a file over MaxRead: %v", err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Read of a directory: %v", err)
	}
}
