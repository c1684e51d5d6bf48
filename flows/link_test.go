package flows

import (
	"testing"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

func TestProgress(t *testing.T) {
	cases := []struct {
		name string
		evs  []LinkEvent
		want SignupProgress
	}{
		{"nothing", nil, SignupProgress{}},
		{"open only", []LinkEvent{{Name: "OPEN"}, {Name: "SELECT_INSTITUTION"}}, SignupProgress{}},
		{"down error", []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}}, SignupProgress{InstitutionDown: true}},
		{"not responding", []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_NOT_RESPONDING"}}, SignupProgress{InstitutionDown: true}},
		{"other error", []LinkEvent{{Name: "ERROR", ErrorCode: "INVALID_CREDENTIALS"}}, SignupProgress{}},
		{"down view", []LinkEvent{{Name: "TRANSITION_VIEW", ViewName: "SELECT_DOWN_INSTITUTION"}}, SignupProgress{InstitutionDown: true}},
		// Plaid's spec has SELECT_DOWN_INSTITUTION as an event name (LinkEventName), and reports the
		// outage on EXIT events too.
		{"down institution event", []LinkEvent{{Name: "SELECT_DOWN_INSTITUTION"}}, SignupProgress{InstitutionDown: true}},
		{"exit with the outage", []LinkEvent{{Name: "EXIT", ErrorCode: "INSTITUTION_NOT_RESPONDING"}}, SignupProgress{InstitutionDown: true}},
		{"exit without it", []LinkEvent{{Name: "EXIT", ErrorCode: "INVALID_CREDENTIALS"}}, SignupProgress{}},
		{"both", []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}, SignupProgress{true, true}},
		{"opt-in alone", []LinkEvent{{Name: "ISSUE_FOLLOWED"}}, SignupProgress{OptedIn: true}},
	}
	for _, c := range cases {
		if got := Progress(c.evs); got != c.want {
			t.Errorf("%s: got %+v want %+v", c.name, got, c.want)
		}
	}
	if (SignupProgress{InstitutionDown: true}).Merge(SignupProgress{OptedIn: true}) != (SignupProgress{true, true}) {
		t.Error("Merge lost a step")
	}
	if (SignupProgress{InstitutionDown: true}).Done() || !(SignupProgress{true, true}).Done() {
		t.Error("Done wrong")
	}
	// A session's exit error counts even when its events are not in yet.
	st := TokenStatus{Sessions: []Session{{ID: "s", Finished: true, Status: "EXITED", ExitCode: "INSTITUTION_DOWN"}}}
	if !st.Progress().InstitutionDown {
		t.Error("a session that exited with INSTITUTION_DOWN did not count as the outage")
	}
}

func TestWebhookHelpers(t *testing.T) {
	body := []byte(`{"webhook_type":"LINK","webhook_code":"EVENTS","link_token":"link-x","events":[
		{"event_name":"ERROR","timestamp":"2024-01-02T03:04:05Z","event_id":"e1","event_metadata":{"error_code":"INSTITUTION_DOWN","request_id":"r"}},
		{"event_name":"ISSUE_FOLLOWED","timestamp":"2024-01-02T03:04:06Z","event_id":"e2","event_metadata":{"request_id":"r","view_name":"X"}}]}`)
	ev := webhook.Event{Kind: webhook.EventWebhook, Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "EVENTS"}, Body: body}
	evs := WebhookEvents(ev)
	if len(evs) != 2 || evs[0].ErrorCode != "INSTITUTION_DOWN" || evs[1].Name != "ISSUE_FOLLOWED" || evs[1].ViewName != "X" || evs[0].At.IsZero() {
		t.Fatalf("events = %+v", evs)
	}
	if !Progress(evs).Done() {
		t.Error("EVENTS webhook should complete the sign-up checklist")
	}
	if SessionFinished(ev) {
		t.Error("EVENTS is not SESSION_FINISHED")
	}

	fin := webhook.Event{Kind: webhook.EventWebhook, Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED",
		PublicTokens: []string{"public-a", "public-b"}}}
	if !SessionFinished(fin) || WebhookEvents(fin) != nil {
		t.Error("SESSION_FINISHED not recognised")
	}
	if got := PublicTokens(fin); len(got) != 2 || got[0] != "public-a" {
		t.Errorf("tokens = %v", got)
	}
	old := webhook.Event{Kind: webhook.EventWebhook, Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", PublicToken: "public-old"}}
	if got := PublicTokens(old); len(got) != 1 || got[0] != "public-old" {
		t.Errorf("single public_token not read: %v", got)
	}
	if SessionFinished(webhook.Event{Kind: webhook.EventRejected}) {
		t.Error("a rejected request is not SESSION_FINISHED")
	}
	if WebhookEvents(webhook.Event{Kind: webhook.EventWebhook, Webhook: &webhook.Webhook{WebhookCode: "EVENTS"}, Body: []byte("{")}) != nil {
		t.Error("broken body must give no events")
	}
}

func TestTokenStatusHelpers(t *testing.T) {
	st := TokenStatus{Sessions: []Session{
		{ID: "s1", Finished: true, Status: "EXITED", Events: []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}}},
		{ID: "s2", Finished: true, Status: "SUCCESS", PublicTokens: []string{"public-1"}, Events: []LinkEvent{{Name: "HANDOFF"}}},
	}}
	if len(st.AllEvents()) != 2 || st.FirstPublicToken() != "public-1" {
		t.Errorf("helpers wrong: %v %q", st.AllEvents(), st.FirstPublicToken())
	}
	if (TokenStatus{}).FirstPublicToken() != "" {
		t.Error("empty status has no token")
	}
}

func TestAllEnded(t *testing.T) {
	exited := Session{ID: "s-exit", Finished: true, Status: "EXITED"}
	ok := Session{ID: "s-ok", Finished: true, Status: "SUCCESS", PublicTokens: []string{"public-1"}}
	open := Session{ID: "s-open"}
	if allEnded(TokenStatus{Sessions: []Session{exited, ok, open}}) || !allEnded(TokenStatus{Sessions: []Session{exited, ok}}) || allEnded(TokenStatus{}) {
		t.Error("allEnded wrong")
	}
}
