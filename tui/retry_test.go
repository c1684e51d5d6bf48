package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/tunnel"
)

// TestRetryClearsItsError: pressing the key that retries a failed step takes the old error off
// the screen while the retry runs.
func TestRetryClearsItsError(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	f.send(callFailed(nSession, "auto-complete the Hosted Link session", errors.New("emulator said no")))
	f.send(stepErrMsg{step: "open the browser", err: errors.New("xdg-open: not found")})
	if v := f.m.View(); !strings.Contains(v, "xdg-open: not found") {
		t.Fatalf("no error box:\n%s", v)
	}
	f.key("o")
	if v := f.m.View(); strings.Contains(v, "xdg-open: not found") {
		t.Fatalf("o (retry) left the old browser error:\n%s", v)
	}
	f.key("a")
	if v := f.m.View(); strings.Contains(v, "emulator said no") {
		t.Fatalf("a (retry) left the old auto-complete error:\n%s", v)
	}
	f.send(callFailed(nSession, "create link token", errors.New("Plaid is down")))
	f.key("n")
	if v := f.m.View(); strings.Contains(v, "Plaid is down") {
		t.Fatalf("n (new token) left the old token error:\n%s", v)
	}
}

// TestTunnelKeySaysWhyNothingHappens: t when there is nothing to retry says so.
func TestTunnelKeySaysWhyNothingHappens(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.tunnelUp()
	if cmd := f.key("t"); cmd != nil {
		t.Fatal("t with a working local receiver started something")
	}
	if v := f.m.View(); !strings.Contains(v, "needs none") {
		t.Fatalf("t said nothing:\n%s", v)
	}
	// After a failure, t retries.
	f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "dns", Next: "check the network"}}})
	if cmd := f.key("t"); cmd == nil || f.m.header.state != tunnelOpening {
		t.Fatal("t after a failure did not retry")
	}
}
