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

// TestTUILANKey: in the QR view l offers the LAN, y serves the demo there, and the code then holds
// a URL at the LAN address that really answers; L takes it off again. LINKRECOVERY_LAN_ADDRS
// stands in for the interfaces: 127.0.0.2 is this machine's yet not where the demo listened.
func TestTUILANKey(t *testing.T) {
	a := startAppEnv(t, []string{"LINKRECOVERY_LAN_ADDRS=127.0.0.2"}, "--half", "2")
	loop := a.waitQR("")
	if !strings.HasPrefix(loop, "http://127.0.0.1:") {
		t.Fatalf("the first code holds %s, want loopback", loop)
	}
	a.keys("v")
	a.waitScreen("the loopback note", "which a phone cannot open: l serves the demo on your LAN")
	a.keys("l")
	a.waitScreen("the confirmation", "Serve the demo on your local network?", "Anyone on that network", "127.0.0.2")
	a.keys("y")
	a.waitScreen("the header on the LAN", "LAN 127.0.0.2")
	lan := a.waitQR(loop)
	if !strings.HasPrefix(lan, "http://127.0.0.2:") {
		t.Fatalf("on the LAN the code holds %s, want 127.0.0.2", lan)
	}
	a.waitScreen("the LAN URL as text", lan)
	resp, err := http.Get(lan)
	if err != nil {
		t.Fatalf("GET the LAN URL %s: %v", lan, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the LAN URL %s: %s", lan, resp.Status)
	}

	a.keys("L")
	if back := a.waitQR(lan); !strings.HasPrefix(back, "http://127.0.0.1:") {
		t.Errorf("after L the code holds %s, want loopback", back)
	}
	if !poll(waitTimeout, func() bool {
		resp, err := http.Get(lan)
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	}) {
		t.Errorf("the LAN address still answers after L")
	}
	a.quit()
}
