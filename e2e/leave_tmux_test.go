package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// exitForm is the Hosted Link page's Exit form: its action and the step it leaves.
var exitForm = regexp.MustCompile(`<form method="post" action="([^"]*)" class="exit">\s*<input type="hidden" name="step" value="([^"]*)">`)

// TestTUILeavingTheSessionEndsTheWait: in the session half, the person opens the QR code's Hosted
// Link page and presses its Exit button (the form a browser would submit, posted over HTTP so that
// no browser is needed). The real terminal then shows SESSION_FINISHED with status EXITED and that
// nothing is exchanged, and no spinner still waits for SESSION_FINISHED.
func TestTUILeavingTheSessionEndsTheWait(t *testing.T) {
	a := startApp(t, "--half", "2")
	decoded := a.waitQR("")

	jar, err := cookiejar.New(nil)
	must(t, err)
	client := &http.Client{Jar: jar, Timeout: waitTimeout}
	resp, err := client.Get(decoded)
	must(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err)
	m := exitForm.FindSubmatch(page)
	if m == nil {
		t.Fatalf("the Hosted Link page at %s has no Exit form:\n%s", decoded, page)
	}
	base, err := url.Parse(decoded)
	must(t, err)
	action, err := base.Parse(html.UnescapeString(string(m[1])))
	must(t, err)
	resp, err = client.PostForm(action.String(), url.Values{"step": {html.UnescapeString(string(m[2]))}, "action": {"exit"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("Exit: HTTP %d", resp.StatusCode)
	}

	a.waitScreen("SESSION_FINISHED EXITED and nothing exchanged", "status EXITED", "no public token): nothing to")
	if screen := a.capture(false); strings.Contains(screen, "Waiting for SESSION_FINISHED") {
		t.Errorf("the session is over but a spinner still waits for SESSION_FINISHED:\n%s", screen)
	}
	if r := transcriptRecordHalf(a.transcript, "public_token_exchanged", 2); r != nil {
		t.Errorf("the person left Link, yet the transcript has an exchange: %v", r)
	}
	saveScreen(t, "tui-left-link", a.capture(true))
	a.quit()
}
