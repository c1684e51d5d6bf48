package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
)

// TestTUICopyInsideTmux presses c on a credential card inside tmux and checks the value reached
// tmux's buffer (an OSC 52 sequence wrapped for passthrough would be dropped by tmux's defaults),
// and that the app says so only then.
func TestTUICopyInsideTmux(t *testing.T) {
	a := startApp(t, "--half", "1")
	a.waitScreen("the credential cards", "Credentials", emulator.PassInstitutionDown)
	// Start from an empty buffer list, so a value found later came from the app.
	_, _ = a.tmux("delete-buffer")

	a.keys("tab") // the password card
	a.keys("c")
	var got string
	if !poll(30*time.Second, func() bool {
		out, err := a.tmux("show-buffer")
		got = string(out)
		return err == nil && got == emulator.PassInstitutionDown
	}) {
		t.Fatalf("tmux show-buffer holds %q, want %q", got, emulator.PassInstitutionDown)
	}
	a.waitScreen("the copy confirmation", "Copied the password")
	if strings.Contains(a.capture(false), "copy password") {
		t.Errorf("a copy error is on screen after a copy that worked")
	}
	a.quit()
}
