package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// optInEvents is a verified EVENTS webhook with the outage and the opt-in.
func optInEvents() webhook.Event {
	body := `{"webhook_type":"LINK","webhook_code":"EVENTS","link_token":"` + mTok + `","events":[` +
		`{"event_name":"ERROR","event_metadata":{"error_code":"INSTITUTION_DOWN"}},{"event_name":"ISSUE_FOLLOWED"}]}`
	return webhook.Event{Kind: webhook.EventWebhook, Seq: 1, Verified: true, Body: []byte(body),
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "EVENTS", LinkToken: mTok}}
}

// After the reported opt-in the sign-up session is over: a (auto-complete) is refused by the
// machine and r is the next step; before it, r says why it does nothing.
func TestSignupAutoAndRestoreAfterOptIn(t *testing.T) {
	m := NewMachine(SignupScenario{}, MachineOptions{Mode: ModeDemo, CanRestore: true})
	m.Step(TunnelUp{At: m0, WebhookURL: mHook})
	m.Step(Start{At: m0})
	m.Step(TokenCreated{At: m0, Token: mToken(mHook)})
	if !CanAutoNow(m) || CanRestoreNow(m) {
		t.Fatalf("before the opt-in: auto=%v restore=%v", CanAutoNow(m), CanRestoreNow(m))
	}
	if why := RestoreWhyNot(m); !strings.Contains(why, "needs the recovery opt-in first") {
		t.Fatalf("r before the opt-in: %q", why)
	}
	m.Step(WebhookReceived{At: m0.Add(time.Second), Event: optInEvents()})
	if !m.Signup().Progress().OptedIn {
		t.Fatal("the EVENTS webhook did not record the opt-in")
	}
	if CanAutoNow(m) || !CanRestoreNow(m) || RestoreWhyNot(m) != "" {
		t.Fatalf("after the opt-in: auto=%v restore=%v why=%q", CanAutoNow(m), CanRestoreNow(m), RestoreWhyNot(m))
	}
	for _, a := range m.Step(Intent{At: m0.Add(2 * time.Second), Kind: IntentAutoComplete}) {
		if _, ok := a.(CompleteSession); ok {
			t.Fatal("a after the opt-in walked the finished sign-up session again")
		}
	}

	// An opt-in only ticked by hand may not have happened: a still walks the session.
	h := NewMachine(SignupScenario{}, MachineOptions{Mode: ModeDemo, CanRestore: true})
	h.Step(TunnelUp{At: m0, WebhookURL: mHook})
	h.Step(Start{At: m0})
	h.Step(TokenCreated{At: m0, Token: mToken(mHook)})
	h.Step(Intent{At: m0, Kind: IntentMark})
	h.Step(Intent{At: m0, Kind: IntentMark})
	if !h.Signup().Progress().OptedIn || !CanAutoNow(h) {
		t.Fatalf("opt-in by hand: opted in=%v auto=%v", h.Signup().Progress().OptedIn, CanAutoNow(h))
	}

	// Against the Sandbox r never works, and says so.
	s := NewMachine(SignupScenario{}, MachineOptions{Mode: ModeSandbox})
	if why := RestoreWhyNot(s); !strings.Contains(why, "Sandbox cannot bring a bank back") {
		t.Fatalf("r in Sandbox mode: %q", why)
	}
}
