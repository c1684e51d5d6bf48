package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdp/qrterminal/v3"

	"github.com/bankdown/linkrecovery/internal/qrscan"
	"github.com/bankdown/linkrecovery/internal/testkit/ci"
)

// TestQRScanThroughTmux checks the scanner against what tmux really prints with capture-pane -e
// (tmux re-encodes colours in its own way), independently of the app: a QR code printed with explicit
// colours reads on both themes, one in the terminal's default colours only on a dark theme.
func TestQRScanThroughTmux(t *testing.T) {
	ci.NeedCommand(t, "tmux", "apt-get install -y tmux")
	const url = "http://127.0.0.1:43111/hosted-link/0b5e8a8e-3d7c-4a43-9d4f-6f1f0b2b7c11"
	var buf bytes.Buffer
	qrterminal.GenerateWithConfig(url, qrterminal.Config{
		Level: qrterminal.L, Writer: &buf, HalfBlocks: true, QuietZone: 2,
		BlackChar: qrterminal.BLACK_BLACK, WhiteChar: qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE, WhiteBlackChar: qrterminal.WHITE_BLACK,
	})
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")

	for _, tc := range []struct {
		name      string
		wrap      func(string) string
		lightOK   bool
		colourSGR bool
	}{
		{"explicit", func(l string) string { return "\x1b[38;5;231;48;5;16m" + l + "\x1b[0m" }, true, true},
		{"default", func(l string) string { return l }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out strings.Builder
			out.WriteString("scan me:\n")
			for _, l := range lines {
				out.WriteString("   " + tc.wrap(l) + "\n")
			}
			file := filepath.Join(dir, "qr.txt")
			must(t, os.WriteFile(file, []byte(out.String()), 0o600))
			done := filepath.Join(dir, "done")

			s := &tmuxSession{t: t, socket: fmt.Sprintf("lr-qr-%d-%s", os.Getpid(), tc.name), name: "qr", env: cleanEnv()}
			script := fmt.Sprintf("cat '%s'; touch '%s'; sleep 60", file, done)
			if _, err := s.tmux("new-session", "-d", "-s", s.name, "-x", "100", "-y", "40", "sh", "-c", script); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = s.tmux("kill-server") })
			if !poll(waitTimeout, func() bool { _, err := os.Stat(done); return err == nil }) {
				t.Fatal("tmux never ran the command")
			}
			var screen string
			poll(5e9, func() bool { screen = s.capture(true); return strings.Contains(screen, "█") })
			if got := strings.Contains(screen, "38;5;231"); got != tc.colourSGR {
				t.Fatalf("capture-pane -e colour escapes present=%v, want %v; screen %q", got, tc.colourSGR, screen[:min(200, len(screen))])
			}

			got, err := qrscan.DecodeScreen(screen, qrscan.Dark)
			if err != nil || got != url {
				t.Fatalf("dark theme: %q, %v; want %q", got, err, url)
			}
			got, err = qrscan.DecodeScreen(screen, qrscan.Light)
			switch {
			case tc.lightOK && (err != nil || got != url):
				t.Fatalf("light theme: %q, %v; want %q", got, err, url)
			case !tc.lightOK && !errors.Is(err, qrscan.ErrNoQR):
				t.Fatalf("light theme read an inverted code (%q, %v); a phone would not", got, err)
			}
		})
	}
}
