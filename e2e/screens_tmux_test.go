package e2e

import (
	"net/http"
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

// TestTUIInspectorBurst: jjj sent at once in the inspector moves the selection three rows, as three
// presses would (bubbletea hands a burst over as one message of several runes).
func TestTUIInspectorBurst(t *testing.T) {
	a := startApp(t, "--half", "2")
	a.waitScreen("the webhook URL", "webhook URL http://")
	var hook string
	for _, line := range strings.Split(a.capture(false), "\n") {
		if _, after, ok := strings.Cut(line, "webhook URL "); ok {
			hook = strings.Fields(after)[0]
		}
	}
	// Four unsigned deliveries: each is a row (not verified) in the inspector.
	for i := 0; i < 4; i++ {
		resp, err := http.Post(hook, "application/json", strings.NewReader(`{"webhook_type":"LINK","webhook_code":"EVENTS"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	a.keys("w")
	a.waitScreen("four rows in the inspector", "#4 ", "#1 ")
	a.keys("jjj")
	if !poll(waitTimeout, func() bool { return strings.Contains(a.capture(false), "› ✗ #1 ") }) {
		t.Fatalf("jjj did not move the selection from #4 to #1:\n%s", a.capture(false))
	}
	a.quit()
}
