package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlinkTo makes dir/name a symlink to a 0644 file holding "keep" and returns both paths.
func symlinkTo(t *testing.T, name string) (link, target string) {
	t.Helper()
	dir := t.TempDir()
	target = filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, name)
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	return link, target
}

func assertUntouched(t *testing.T, target string) {
	t.Helper()
	b, _ := os.ReadFile(target)
	fi, err := os.Stat(target)
	if err != nil || string(b) != "keep" || fi.Mode().Perm() != 0o644 {
		t.Errorf("the symlink's target changed: %q %v %v", b, fi.Mode(), err)
	}
}

func TestKeysFileRefusesSymlinkAndTightens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the emulator returns as soon as it has written the keys and printed its lines
	getenv := func(string) string { return "" }

	link, target := symlinkTo(t, "keys.env")
	var stderr bytes.Buffer
	if code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--keys-file", link, "--quiet"}, getenv, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("exit %d with a symlinked --keys-file, want 1; stderr %q", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--keys-file") || !strings.Contains(stderr.String(), "symbolic link") {
		t.Errorf("stderr does not name the cause: %q", stderr.String())
	}
	assertUntouched(t, target)

	keys := filepath.Join(t.TempDir(), "keys.env")
	if err := os.WriteFile(keys, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--keys-file", keys, "--quiet"}, getenv, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr.String())
	}
	fi, err := os.Stat(keys)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(keys); !strings.Contains(string(b), "PLAID_SECRET=") {
		t.Errorf("keys file = %q", b)
	}
}
