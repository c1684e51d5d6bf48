//go:build unix

package privfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bankdown/linkrecovery/internal/privfile"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// A FIFO at the path (a transcript, the debug log, --keys-file, a .env) is refused at once, with
// a message saying what it is, instead of blocking the open until someone reads the other end.
func TestFIFOIsRefusedWithoutBlocking(t *testing.T) {
	for name, open := range map[string]func(string) error{
		"Create": func(p string) error { f, err := privfile.Create(p); closeIf(f); return err },
		"Append": func(p string) error { f, err := privfile.Append(p); closeIf(f); return err },
		"Write":  func(p string) error { return privfile.Write(p, []byte("secret")) },
		"Read":   func(p string) error { _, err := privfile.Read(p); return err },
	} {
		t.Run(name, func(t *testing.T) {
			p := testkit.Mkfifo(t, t.TempDir(), "fifo")
			err := testkit.Returns(t, name, func() error { return open(p) })
			if err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), p) {
				t.Errorf("%s on a FIFO: %v, want a refusal naming the path and a named pipe", name, err)
			}
		})
	}
	// With a reader waiting at the other end the open itself would succeed: Stat after the open
	// still refuses it, and nothing is written into the pipe.
	t.Run("Write with a reader", func(t *testing.T) {
		p := testkit.Mkfifo(t, t.TempDir(), "fifo")
		r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := testkit.Returns(t, "Write", func() error { return privfile.Write(p, []byte("secret")) }); err == nil {
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
		if b, err := privfile.Read(path); err != nil || string(b) != "PLAID_ENV=sandbox\n" {
			t.Errorf("privfile.Read(%s) = %q, %v", path, b, err)
		}
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, privfile.MaxRead+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := privfile.Read(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Read of a file over privfile.MaxRead: %v", err)
	}
	if _, err := privfile.Read(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Read of a directory: %v", err)
	}
}
