package flows

import (
	"encoding/json"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// What Link events and webhooks say about a session, as plain functions over plain values (the
// Plaid calls that fetch them are the wiring's, internal/env).

// Progress derives the checklist from events. Plaid reports the outage in several places: an ERROR
// or EXIT event whose error_code is INSTITUTION_DOWN or INSTITUTION_NOT_RESPONDING, and the
// SELECT_DOWN_INSTITUTION event (an event name in Plaid's LinkEventName; a view of that name is
// taken too, as older payloads used it). The opt-in is the ISSUE_FOLLOWED event.
func Progress(events []LinkEvent) SignupProgress {
	var p SignupProgress
	for _, ev := range events {
		switch {
		case (ev.Name == "ERROR" || ev.Name == "EXIT") && outageCode(ev.ErrorCode):
			p.InstitutionDown = true
		case ev.Name == "SELECT_DOWN_INSTITUTION", ev.ViewName == "SELECT_DOWN_INSTITUTION":
			p.InstitutionDown = true
		case ev.Name == "ISSUE_FOLLOWED":
			p.OptedIn = true
		}
	}
	return p
}

// outageCode says whether a Plaid error code means the institution is down.
func outageCode(code string) bool {
	return code == "INSTITUTION_DOWN" || code == "INSTITUTION_NOT_RESPONDING"
}

// Progress is the checklist from /link/token/get: every session's events, and a session's exit
// error (a session that exited with INSTITUTION_DOWN saw the outage even if its events are late).
func (st TokenStatus) Progress() SignupProgress {
	p := Progress(st.AllEvents())
	for _, s := range st.Sessions {
		if outageCode(s.ExitCode) {
			p.InstitutionDown = true
		}
	}
	return p
}

// Merge is the union of two checklists (webhooks and polling each see part of the story).
func (p SignupProgress) Merge(q SignupProgress) SignupProgress {
	return SignupProgress{InstitutionDown: p.InstitutionDown || q.InstitutionDown, OptedIn: p.OptedIn || q.OptedIn}
}

// Done says whether the sign-up half has seen both steps.
func (p SignupProgress) Done() bool { return p.InstitutionDown && p.OptedIn }

// AllEvents flattens the events of every session, in order.
func (st TokenStatus) AllEvents() []LinkEvent {
	var evs []LinkEvent
	for _, s := range st.Sessions {
		evs = append(evs, s.Events...)
	}
	return evs
}

// FirstPublicToken is the first public token of any finished session, or "".
func (st TokenStatus) FirstPublicToken() string {
	for _, s := range st.Sessions {
		if len(s.PublicTokens) > 0 {
			return s.PublicTokens[0]
		}
	}
	return ""
}

// SessionFinished says whether ev is a LINK SESSION_FINISHED webhook (verified or not: check
// ev.Verified before trusting it).
func SessionFinished(ev webhook.Event) bool {
	return ev.Kind == webhook.EventWebhook && ev.Webhook != nil &&
		(ev.Webhook.WebhookType == "LINK" || ev.Webhook.WebhookType == "") &&
		ev.Webhook.WebhookCode == "SESSION_FINISHED"
}

// PublicTokens are the public tokens a SESSION_FINISHED webhook carries (public_tokens, or the
// older single public_token), first one first.
func PublicTokens(ev webhook.Event) []string {
	if ev.Webhook == nil {
		return nil
	}
	toks := append([]string(nil), ev.Webhook.PublicTokens...)
	if len(toks) == 0 && ev.Webhook.PublicToken != "" {
		toks = []string{ev.Webhook.PublicToken}
	}
	return toks
}

// WebhookEvents are the Link events an EVENTS webhook carries (nil for other webhooks). They feed
// Progress as the session happens, before /link/token/get shows them.
func WebhookEvents(ev webhook.Event) []LinkEvent {
	if ev.Kind != webhook.EventWebhook || ev.Webhook == nil || ev.Webhook.WebhookCode != "EVENTS" {
		return nil
	}
	var body struct {
		Events []struct {
			Name      string `json:"event_name"`
			Timestamp string `json:"timestamp"`
			Metadata  struct {
				ErrorCode string `json:"error_code"`
				ViewName  string `json:"view_name"`
			} `json:"event_metadata"`
		} `json:"events"`
	}
	if err := json.Unmarshal(ev.Body, &body); err != nil {
		return nil
	}
	out := make([]LinkEvent, 0, len(body.Events))
	for _, le := range body.Events {
		e := LinkEvent{Name: le.Name, ErrorCode: le.Metadata.ErrorCode, ViewName: le.Metadata.ViewName}
		if t, err := time.Parse(time.RFC3339Nano, le.Timestamp); err == nil {
			e.At = t
		}
		out = append(out, e)
	}
	return out
}
