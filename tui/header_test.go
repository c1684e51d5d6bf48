package tui

import (
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
)

// TestSandboxHeaderSaysWhereYouAre: the client id (masked), where the keys came from, a
// PLAID_BASE_URL override, and the tunnel's real state instead of "none yet".
func TestSandboxHeaderSaysWhereYouAre(t *testing.T) {
	s := newStyles(nil, 0)
	h := headerModel{mode: flows.ModeSandbox, state: tunnelFailed, clientID: "5f3c00aa11bb22cc33dd0001",
		keysFrom: "the environment", baseURL: "http://127.0.0.1:8790"}
	v := h.View(s, 120)
	for _, want := range []string{"client id 5f3c…0001", "keys from the environment", "PLAID_BASE_URL http://127.0.0.1:8790", "the tunnel failed"} {
		if !strings.Contains(v, want) {
			t.Errorf("header lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, h.clientID) || strings.Contains(v, "none yet") {
		t.Errorf("header shows the client id in full or 'none yet':\n%s", v)
	}
	h.mode = flows.ModeDemo
	if strings.Contains(h.View(s, 120), "client id") {
		t.Error("demo mode shows a client id line")
	}
}
