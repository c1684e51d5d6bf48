package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTUINoBrowserThenNewToken is the SSH or container case: o finds an xdg-open that can open
// nothing (it prints a dozen lines and exits 3, as xdg-open does with no browser). The screen must
// say so in one line and keep the URL and the QR code; n then makes a new token, and the new URL and
// code replace the old ones with no leftover of the opener's error.
func TestTUINoBrowserThenNewToken(t *testing.T) {
	bin := t.TempDir()
	var script strings.Builder
	script.WriteString("#!/bin/sh\n")
	for i := 1; i <= 11; i++ {
		fmt.Fprintf(&script, "echo 'xdg-open: no method available for opening (line %d)'\n", i)
	}
	script.WriteString("exit 3\n")
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	a := startAppEnv(t, []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}, "--half", "2")

	first := a.waitQR("")
	a.keys("o")
	a.waitScreen("the one-line no-browser error", "no browser", "scan the QR code or use the URL")
	screen := a.capture(false)
	if n := strings.Count(screen, "no method available"); n > 1 {
		t.Errorf("the opener's output fills the screen (%d of its lines shown); want one line:\n%s", n, screen)
	}
	if !strings.Contains(screen, first) {
		t.Errorf("with the opener's error up, the URL %s is not on screen whole:\n%s", first, screen)
	}
	if got := a.waitQR(""); got != first {
		t.Errorf("with the opener's error up, the QR code reads %q, want %q", got, first)
	}

	a.keys("n")
	second := a.waitQR(first)
	a.waitScreen("the new URL", second)
	if screen := a.capture(false); strings.Contains(screen, "no browser") || strings.Contains(screen, first) {
		t.Errorf("after n the old token's opener error or URL is still on screen:\n%s", screen)
	}
	a.quit()
}
