package privfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seed writes content to dir/name, readable by all (0644) as a file left by an older version would
// be, and returns its path.
func seed(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// victimLink makes dir/name a symlink to a file holding "keep me", as an attacker would plant it.
func victimLink(t *testing.T, name string) (dir, link, target string) {
	t.Helper()
	dir = t.TempDir()
	target = seed(t, dir, "victim", "keep me")
	link = filepath.Join(dir, name)
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	return dir, link, target
}

// assertPrivate fails unless the file at p is the owner's alone (0600) and holds want.
func assertPrivate(t *testing.T, p, want string) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); fi.Mode().Perm() != 0o600 || string(b) != want {
		t.Errorf("%s: mode %v content %q, want 0600 and %q", p, fi.Mode().Perm(), b, want)
	}
}

// assertKept fails if the symlink's target was written.
func assertKept(t *testing.T, target string) {
	t.Helper()
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target was changed to %q", b)
	}
}

func TestWriteTightensExistingFile(t *testing.T) {
	p := seed(t, t.TempDir(), "keys", "old content that is longer")
	if err := Write(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	assertPrivate(t, p, "new")
}

func TestWriteRefusesSymlink(t *testing.T) {
	dir, link, target := victimLink(t, "keys")
	err := Write(link, []byte("secret"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Write through a symlink: %v, want a refusal naming the link", err)
	}
	assertKept(t, target)
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
	p := seed(t, t.TempDir(), "debug.log", "earlier\n")
	f, err := Append(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("now\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	assertPrivate(t, p, "earlier\nnow\n")

	_, link, target := victimLink(t, "debug.log")
	if f, err := Append(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		if f != nil {
			f.Close()
		}
		t.Fatalf("Append through a symlink: %v, want a refusal naming the link", err)
	}
	assertKept(t, target)
}
