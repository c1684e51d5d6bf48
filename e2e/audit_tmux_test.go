package e2e

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/auditfixture"
)

// emulatorLine is the audit screen's line naming the demo emulator for the handler's Plaid client.
var emulatorLine = regexp.MustCompile(`base URL (http://127\.0\.0\.1:\d+) · client id (\S+)`)

// TestTUIAuditGradesAHandler: on the home screen the person picks the audit, types their handler's
// URL, copies the emulator's secret (c, into tmux's buffer) and points the handler's Plaid client
// at the emulator shown, then presses enter: in a real terminal the checklist fills in and a
// correct handler passes every case; r runs the selected case again.
func TestTUIAuditGradesAHandler(t *testing.T) {
	var mu sync.Mutex
	var client *plaid.APIClient
	fixture := auditfixture.Correct.HandlerFor(t, func() *plaid.APIClient {
		mu.Lock()
		defer mu.Unlock()
		return client
	})
	var deliveries atomic.Int64
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deliveries.Add(1)
		fixture.ServeHTTP(w, r)
	}))
	t.Cleanup(handler.Close)

	a := startApp(t)
	a.waitScreen("the home screen's audit entry", "4  Audit · your own webhook handler")
	a.keys("4")
	a.waitScreen("the audit screen", "Audit your own webhook handler", "type your webhook handler's URL")
	a.keys("-l", handler.URL+"/plaid/webhook")
	a.keys("Escape") // done typing
	a.waitScreen("the target typed", "Target  "+handler.URL+"/plaid/webhook", "e edit the target")
	m := emulatorLine.FindStringSubmatch(a.capture(false))
	if m == nil {
		t.Fatalf("the audit screen names no emulator:\n%s", a.capture(false))
	}

	_, _ = a.tmux("delete-buffer")
	a.keys("c")
	var secret string
	if !poll(30*time.Second, func() bool {
		out, err := a.tmux("show-buffer")
		secret = string(out)
		return err == nil && secret != ""
	}) {
		t.Fatal("c did not copy the emulator's secret to tmux's buffer")
	}
	mu.Lock()
	client = emulatortest.NewClient(t, m[1], m[2], secret)
	mu.Unlock()

	a.keys("Enter")
	a.waitScreen("every case passed", "14 passed, 0 failed, 0 warned.", "✓ still_works")
	before := deliveries.Load()
	a.keys("Down", "r")
	if !poll(waitTimeout, func() bool { return deliveries.Load() > before }) {
		t.Fatal("r sent nothing: the selected case did not run again")
	}
	a.waitScreen("the re-run case passed again", "PASS multiple_tokens", "exchanged both public tokens", "14 passed, 0 failed, 0 warned.")
	if screen := a.capture(false); regexp.MustCompile(regexp.QuoteMeta(secret)).MatchString(screen) {
		t.Error("the screen shows the emulator's secret in full")
	}
	saveScreen(t, "tui-audit", a.capture(true))
	a.quit()
}
