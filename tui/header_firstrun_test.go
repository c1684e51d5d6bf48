package tui

import (
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/tunnel"
)

// The header says where the ngrok token came from, that the free plan puts ngrok's warning page in
// the phone's way, and when the clock is off.
func TestHeaderFirstRunLines(t *testing.T) {
	s := defaultStyles()
	h := headerModel{provider: tunnel.ProviderNgrok, state: tunnelUp, webhookURL: "https://calm-fox.ngrok-free.app/webhook",
		tokenSource: "~/.config/ngrok/ngrok.yml", freePlan: true}
	out := ansi.Strip(h.View(s, 200))
	for _, want := range []string{"tunnel: up (ngrok, token from ~/.config/ngrok/ngrok.yml)", "ngrok free plan", "tap Visit Site"} {
		if !strings.Contains(out, want) {
			t.Errorf("header lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "clock") {
		t.Errorf("a clock warning with no skew:\n%s", out)
	}
	h.clock = "your clock is 2m5s behind Plaid's: sync the clock"
	if out := ansi.Strip(h.View(s, 200)); !strings.Contains(out, "! your clock is 2m5s behind Plaid's") {
		t.Errorf("no clock warning:\n%s", out)
	}
	// A paid plan, or a tunnel that is not ngrok, has no such lines.
	paid := headerModel{provider: tunnel.ProviderURL, state: tunnelUp, tokenSource: "NGROK_AUTHTOKEN"}
	if out := ansi.Strip(paid.View(s, 200)); strings.Contains(out, "free plan") || strings.Contains(out, "token from") {
		t.Errorf("own tunnel header:\n%s", out)
	}
	// A failed tunnel shows its own cause and next step, not the token line.
	failed := headerModel{provider: tunnel.ProviderNgrok, state: tunnelFailed, tokenSource: "NGROK_AUTHTOKEN",
		err: &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "c", Next: "n"}}
	if out := ansi.Strip(failed.View(s, 200)); !strings.Contains(out, "tunnel: c") {
		t.Errorf("failed header:\n%s", out)
	}
}

// The free-plan line reaches the screen through the app when the tunnel opens on the free plan.
func TestFreePlanNoteOnScreen(t *testing.T) {
	f := newFixture(t, false, 120, 40)
	f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderNgrok), WebhookURL: "https://calm-fox.ngrok-free.app/webhook", FreePlan: true}})
	if out := ansi.Strip(f.m.View()); !strings.Contains(out, "ngrok free plan") {
		t.Fatalf("no free-plan line:\n%s", out)
	}
	// The core cannot import the tunnel, so the ready record's note is its own copy of the text.
	if flows.FreePlanNote != tunnel.FreePlanNote {
		t.Errorf("the ready record's note %q differs from the tunnel's %q", flows.FreePlanNote, tunnel.FreePlanNote)
	}
}

// Plaid redirects to /complete on success and on exit: the checklist says which once Plaid has.
func TestCompleteOutcome(t *testing.T) {
	st := flows.State{Wait: flows.Wait{CompleteSeen: true}}
	if got := completeOutcome(st); !strings.Contains(got, "success or exit") {
		t.Errorf("unknown outcome: %q", got)
	}
	st.Wait.Left, st.Wait.WebhookStatus = true, "EXITED"
	if got := completeOutcome(st); !strings.Contains(got, "left Link without an Item") {
		t.Errorf("exit: %q", got)
	}
	st.Wait.Left, st.Wait.WebhookStatus = false, "SUCCESS"
	if got := completeOutcome(st); !strings.Contains(got, "finished with an Item") {
		t.Errorf("success: %q", got)
	}
}
