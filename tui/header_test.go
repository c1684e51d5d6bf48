package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
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

// TestHeaderCountsWebhooksPerHalf: the header's count takes webhooks only (not /complete visits
// nor refused requests) and starts again when the other half starts.
func TestHeaderCountsWebhooksPerHalf(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	count := func() string {
		line := strings.SplitN(ansi.Strip(f.m.View()), "\n", 2)[0]
		return line[strings.Index(line, "webhooks:"):]
	}
	f.open(nSignup)
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown)})
	f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventComplete, Seq: 2, At: t0, Status: 200}})
	f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 3, At: t0, Status: 415, Reason: "not JSON"}})
	f.send(webhookReceivedMsg{ev: sessionFinished(4, fixedToken1, true)})
	if got := count(); got != "webhooks: 2" {
		t.Fatalf("signup half: header says %q, want webhooks: 2 (two webhooks, a /complete visit, a refusal)", got)
	}
	f.key("esc")
	f.open(nSession)
	if got := count(); got != "webhooks: 0" {
		t.Fatalf("session half started: header says %q, want webhooks: 0", got)
	}
	f.send(webhookReceivedMsg{ev: sessionFinished(5, fixedToken2, true)})
	if got := count(); got != "webhooks: 1" {
		t.Fatalf("session half: header says %q, want webhooks: 1", got)
	}
}
