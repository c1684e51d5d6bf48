package e2e

import (
	"strings"
	"testing"
)

const helpTitle = "Every key on this screen"

// TestTUIEscClosesHomeHelp: on the home screen esc closes the ? help (the help says it does), and
// choosing a half from under the help opens it without the help over it.
func TestTUIEscClosesHomeHelp(t *testing.T) {
	a := startApp(t)
	a.waitScreen("the home screen", "Half 1 · Sign-up")
	a.keys("?")
	a.waitScreen("the help", helpTitle)
	a.keys("Escape")
	a.waitScreen("the home screen again", "Half 1 · Sign-up", "Test Plaid Link Recovery")
	if strings.Contains(a.capture(false), helpTitle) {
		t.Fatal("esc did not close the help on the home screen")
	}
	a.keys("?")
	a.waitScreen("the help", helpTitle)
	a.keys("1")
	a.waitScreen("half 1", "Half 1")
	a.record("link_token_created", 1)
	if s := a.capture(false); strings.Contains(s, helpTitle) {
		t.Errorf("half 1 opened with the help still over it:\n%s", s)
	}
	a.quit()
}
