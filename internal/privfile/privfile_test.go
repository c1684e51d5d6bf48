package privfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteTightensExistingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(p, []byte("old content that is longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if fi.Mode().Perm() != 0o600 || string(b) != "new" {
		t.Errorf("mode %v content %q, want 0600 and \"new\"", fi.Mode().Perm(), b)
	}
}

func TestWriteRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "keys")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	err := Write(link, []byte("secret"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Write through a symlink: %v, want a refusal naming the link", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target was changed to %q", b)
	}
	// A dangling link must not create its target either.
	dangling := filepath.Join(dir, "dangling")
	_ = os.Symlink(filepath.Join(dir, "new-target"), dangling)
	if err := Write(dangling, []byte("secret")); err == nil {
		t.Error("Write through a dangling symlink succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "new-target")); err == nil {
		t.Error("the dangling link's target was created")
	}
}

func TestWriteRefusesDirectory(t *testing.T) {
	if err := Write(t.TempDir(), []byte("x")); err == nil {
		t.Error("Write to a directory succeeded")
	}
}

func TestAppendKeepsContentTightensAndRefusesSymlink(t *testing.T) {
	p := filepath.Join(t.TempDir(), "debug.log")
	if err := os.WriteFile(p, []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Append(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("now\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if fi.Mode().Perm() != 0o600 || string(b) != "earlier\nnow\n" {
		t.Errorf("mode %v content %q, want 0600 and both lines", fi.Mode().Perm(), b)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "debug.log")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if f, err := Append(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		if f != nil {
			f.Close()
		}
		t.Fatalf("Append through a symlink: %v, want a refusal naming the link", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target was changed to %q", b)
	}
}
