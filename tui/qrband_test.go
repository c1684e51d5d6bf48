package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestQRNoBlackBand: the code's last line is light all the way down. A half-block "▀" there paints
// its lower half in the code's black ground, a black band under the code on any theme.
func TestQRNoBlackBand(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:1234/hosted/abc", "https://hosted.plaid.com/link/lp4a1b2c3d4e5f60718293a4b5c6d7e8f"} {
		lines, _, h := renderQR(u)
		last := ansi.Strip(lines[h-1])
		if strings.ContainsAny(last, "▀▄ ") {
			t.Errorf("%s: the last line %q has cells painted in the black ground", u, last)
		}
	}
}
