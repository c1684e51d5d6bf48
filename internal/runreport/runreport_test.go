package runreport

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/report"
)

// The script's tokens, in full: the report must show them masked only.
const (
	linkToken   = "link-sandbox-40cd7e1a-8f3b-4c2d-9e5f-1a2b3c4d5e6f"
	publicToken = "public-sandbox-5b1f2e3d-4c5b-6a79-8877-665544332211"
	itemID      = "eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6"
)

var t0 = time.Date(2026, 12, 1, 22, 46, 39, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// script is a sign-up half in demo mode, as the core emits it: the outage, the opt-in, the bank
// back, the recovery session and its SESSION_FINISHED at the original token's webhook.
func script() []flows.Event {
	ev := func(ms int, f flows.Fact) flows.Event {
		return flows.Event{At: at(ms), Scenario: "signup", Half: 1, Fact: f}
	}
	sf := func(status string, n int, tok string) flows.Body {
		return flows.MaskBody([]byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"` + status +
			`","link_token":"` + linkToken + `","public_tokens":[` + tok + `]}`))
	}
	page := func(ms int, from, to flows.Page, ended, recovery bool) flows.Event {
		return ev(ms, flows.PageSubmitted{Step: flows.PageStep{From: from, To: to, Ended: ended}, Recovery: recovery})
	}
	return []flows.Event{
		ev(0, flows.Ready{Mode: flows.ModeDemo, PlaidURL: "http://127.0.0.1:41234", WebhookURL: "http://127.0.0.1:41233/webhook", Tunnel: "local"}),
		ev(120, flows.PlaidCall{Method: "POST", Endpoint: "/link/token/create", Status: 200, Took: 80 * time.Millisecond,
			Request:  flows.MaskBody([]byte(`{"webhook":"http://127.0.0.1:41233/webhook","products":["transactions"]}`)),
			Response: flows.MaskBody([]byte(`{"link_token":"` + linkToken + `","hosted_link_url":"http://127.0.0.1:41234/hl/x"}`))}),
		ev(121, flows.LinkTokenCreated{Token: flows.LinkToken{Token: linkToken, Webhook: "http://127.0.0.1:41233/webhook"}}),
		ev(122, flows.Paused{Next: flows.PageSelect}),
		page(1000, flows.PageSelect, flows.PageLogin, false, false),
		page(2000, flows.PageLogin, flows.PageDown, false, false),
		page(3000, flows.PageDown, flows.PageCode, false, false),
		page(4000, flows.PageCode, flows.PageFollowed, true, false),
		ev(4500, flows.SignupProgressed{Progress: flows.SignupProgress{InstitutionDown: true}}),
		ev(4600, flows.SignupProgressed{Progress: flows.SignupProgress{InstitutionDown: true, OptedIn: true}}),
		ev(4700, flows.WebhookSeen{Seq: 1, Verified: true, Type: "LINK", Code: "SESSION_FINISHED", Status: "EXITED",
			LinkSessionID: "s1", LinkToken: linkToken, Body: sf("EXITED", 0, "")}),
		ev(5000, flows.RecoveryEmailSent{Email: flows.Email{To: "example@plaid.com", Subject: "Tartan Bank is back",
			InstitutionID: "ins_109511", InstitutionName: "Tartan Bank", LinkToken: linkToken}}),
		// The sign-up session's own EXITED, late: not the recovery's.
		ev(5500, flows.WebhookSeen{Seq: 9, Verified: true, Type: "LINK", Code: "SESSION_FINISHED", Status: "EXITED",
			LinkSessionID: "s1", LinkToken: linkToken}),
		page(6000, flows.PageLogin, flows.PageAccounts, false, true),
		page(7000, flows.PageAccounts, flows.PageSuccess, true, true),
		ev(7500, flows.WebhookSeen{Seq: 2, Verified: true, Type: "LINK", Code: "SESSION_FINISHED", Status: "SUCCESS",
			LinkSessionID: "s2", LinkToken: linkToken, PublicTokenCount: 1, Body: sf("SUCCESS", 1, `"`+publicToken+`"`)}),
		ev(7600, flows.WebhookSeen{Seq: 3, Verified: true, Duplicate: true, Type: "LINK", Code: "SESSION_FINISHED", Status: "SUCCESS",
			LinkSessionID: "s2", LinkToken: linkToken, PublicTokenCount: 1}),
		ev(7800, flows.ItemExchanged{Via: "webhook", Item: flows.Item{ItemID: itemID, InstitutionID: "ins_109511",
			InstitutionName: "Tartan Bank", AccessToken: "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6",
			Accounts: []flows.Account{{ID: "acc1", Name: "Plaid Checking", Mask: "0000", Type: "depository", Subtype: "checking"}}}}),
		ev(7900, flows.Done{Passed: true, Via: "webhook"}),
		{At: at(8000), Scenario: "session", Half: 2, Fact: flows.Done{Passed: false}}, // another scenario's
	}
}

func build(evs []flows.Event) report.Run {
	b := New("signup")
	for _, ev := range evs {
		b.Add(ev)
	}
	return b.Run()
}

func TestScriptedSignupBuildsTheRun(t *testing.T) {
	r := build(script())
	if r.Scenario != "signup" || r.Title != "Half 1 · Sign-up" || r.Mode != report.ModeDemo || r.PlaidURL != "http://127.0.0.1:41234" {
		t.Errorf("run = %q %q %q %q", r.Scenario, r.Title, r.Mode, r.PlaidURL)
	}
	if !r.Started.Equal(at(40)) || !r.Ended.Equal(at(7900)) || r.LinkToken != linkToken {
		t.Errorf("started %v ended %v token %q", r.Started, r.Ended, r.LinkToken)
	}
	if r.Verdict == nil || !r.Verdict.Passed || r.Verdict.Via != "webhook" {
		t.Fatalf("verdict = %+v, want passed via webhook (another scenario's Done ignored)", r.Verdict)
	}
	want := []struct {
		text string
		at   time.Time
	}{
		{"Hosted Link token created", at(121)},
		{"Institution-down error seen", at(4500)},
		{"Recovery opt-in done", at(4600)},
		{"Institution back: recovery e-mail sent", at(5000)},
		{"SESSION_FINISHED received: verified, at the original link token's webhook", at(7500)}, // not the sign-up's EXITED
		{"Public token exchanged", at(7800)},
	}
	if len(r.Checklist) != len(want) {
		t.Fatalf("checklist = %+v", r.Checklist)
	}
	for i, w := range want {
		c := r.Checklist[i]
		if c.Text != w.text || !c.Done || !c.At.Equal(w.at) {
			t.Errorf("check %d = %+v, want %q done at %v", i, c, w.text, w.at)
		}
	}
	if r.Item == nil || r.Item.InstitutionName != "Tartan Bank" || len(r.Item.Accounts) != 1 {
		t.Errorf("item = %+v", r.Item)
	}
	var kinds []string
	for _, e := range r.Events {
		kinds = append(kinds, typeName(e))
	}
	if got := strings.Join(kinds, " "); got != "Call Page Page Page Page Webhook Email Webhook Page Page Webhook Webhook" {
		t.Errorf("events = %s", got)
	}
	if c := r.Events[0].(report.Call); !c.At.Equal(at(40)) || c.Duration != 80*time.Millisecond {
		t.Errorf("call = %+v: it was sent Took before its answer was stepped", c)
	}
}

func typeName(e report.Event) string {
	switch e.(type) {
	case report.Call:
		return "Call"
	case report.Page:
		return "Page"
	case report.Webhook:
		return "Webhook"
	case report.Email:
		return "Email"
	case report.Note:
		return "Note"
	case report.Fallback:
		return "Fallback"
	}
	return "?"
}

func TestScriptedSignupMarkdown(t *testing.T) {
	md := string(report.Markdown(build(script())))
	for _, want := range []string{
		"```mermaid", "sequenceDiagram", "POST /link/token/create",
		"page select", "log in as user_good / error_INSTITUTION_DOWN", "enter the code 123456 sent to example@plaid.com",
		"recovery session, log in as user_good / pass_good → accounts", "recovery e-mail to example@plaid.com",
		"ORIGINAL link token", "✅ passed", "Tartan Bank",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	for _, full := range []string{linkToken, publicToken, itemID, "access-sandbox-de3ce8ef"} {
		if strings.Contains(md, full) {
			t.Errorf("report holds %q in full", full)
		}
	}
}

func TestNewTokenStartsTheChecklistAgain(t *testing.T) {
	evs := script()[:13] // up to the recovery e-mail
	other := "link-sandbox-77aa0000-1111-2222-3333-444455556666"
	evs = append(evs,
		flows.Event{At: at(9000), Scenario: "signup", Fact: flows.Failed{Step: "restore", Err: errors.New("boom")}},
		flows.Event{At: at(9100), Scenario: "signup", Fact: flows.LinkTokenCreated{Token: flows.LinkToken{Token: other}}})
	r := build(evs)
	if r.LinkToken != other || r.Verdict != nil || !r.Ended.IsZero() {
		t.Errorf("token %q verdict %+v ended %v", r.LinkToken, r.Verdict, r.Ended)
	}
	for i, c := range r.Checklist {
		if c.Done != (i == 0) {
			t.Errorf("check %d = %+v: only the new token is done", i, c)
		}
	}
	last := r.Events[len(r.Events)-1].(report.Note)
	if last.Text != "restore: boom" {
		t.Errorf("note = %q", last.Text)
	}
}

func TestSessionAndLeaveChecklists(t *testing.T) {
	for _, tc := range []struct {
		name  string
		facts []flows.Fact
		want  []string
	}{
		{"session", []flows.Fact{
			flows.LinkTokenCreated{Token: flows.LinkToken{Token: linkToken}},
			flows.WebhookSeen{Verified: true, Code: "SESSION_FINISHED", Other: true, LinkToken: "link-other"}, // not this run's
			flows.FellBack{Why: flows.FallbackTimeout, After: time.Minute},
			flows.ItemExchanged{Via: "polling"},
			flows.Done{Passed: false, Cause: flows.ErrWebhookPathBroken, Via: "polling"},
		}, []string{"✓ Hosted Link token created", "○ SESSION_FINISHED received: verified", "✓ Public token exchanged"}},
		{"leave", []flows.Fact{
			flows.LinkTokenCreated{Token: flows.LinkToken{Token: linkToken}},
			flows.WebhookSeen{Verified: true, Code: "EVENTS", LinkToken: linkToken, LinkEvents: []string{"OPEN"}},
			flows.WebhookSeen{Verified: false, Code: "EVENTS", LinkToken: linkToken, LinkEvents: []string{"EXIT"}}, // forged
			flows.WebhookSeen{Verified: true, Code: "SESSION_FINISHED", Status: "EXITED", LinkToken: linkToken},
			flows.LeftLink{Status: "EXITED"},
			flows.Done{Passed: true, Via: "webhook"},
		}, []string{"✓ Hosted Link token created", "✓ SESSION_FINISHED received: verified", "○ EVENTS reported the EXIT",
			"✓ Left Link: SESSION_FINISHED EXITED, no public token", "✓ Nothing exchanged"}},
		{"leave", []flows.Fact{
			flows.LinkTokenCreated{Token: flows.LinkToken{Token: linkToken}},
			flows.WebhookSeen{Verified: true, Code: "EVENTS", LinkToken: linkToken, LinkEvents: []string{"OPEN", "EXIT"}},
			flows.WebhookSeen{Verified: true, Code: "SESSION_FINISHED", Status: "EXITED", LinkToken: linkToken},
			flows.LeftLink{Status: "EXITED"},
			flows.Done{Passed: true, Via: "webhook"},
		}, []string{"✓ Hosted Link token created", "✓ SESSION_FINISHED received: verified", "✓ EVENTS reported the EXIT",
			"✓ Left Link: SESSION_FINISHED EXITED, no public token", "✓ Nothing exchanged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.name)
			for i, f := range tc.facts {
				b.Add(flows.Event{At: at(i * 100), Scenario: tc.name, Fact: f})
			}
			var got []string
			for _, c := range b.Run().Checklist {
				mark := "○ "
				if c.Done {
					mark = "✓ "
				}
				got = append(got, mark+c.Text)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("checklist:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLeavePageSaysThePersonLeft(t *testing.T) {
	b := New("leave")
	b.Add(flows.Event{At: t0, Scenario: "leave", Fact: flows.PageSubmitted{Step: flows.PageStep{From: flows.PageSelect, To: flows.PageExited, Ended: true}}})
	if p := b.Run().Events[0].(report.Page); p.Detail != "leave Link (Exit) → exited, the session ends" {
		t.Errorf("page = %+v", p)
	}
}

func TestRunIsACopy(t *testing.T) {
	b := New("signup")
	for _, ev := range script()[:3] {
		b.Add(ev)
	}
	r := b.Run()
	r.Checklist[0].Text = "changed"
	if b.Run().Checklist[0].Text == "changed" {
		t.Error("Run shares the builder's checklist")
	}
	if !b.Started() || New("signup").Started() {
		t.Error("Started is wrong")
	}
}

// TestOutageWebhooksAfterTheEmail: walked page by page, the outage session's EVENTS and EXITED can
// arrive only after the recovery e-mail went out. Its EVENTS show the opt-in (ISSUE_FOLLOWED), so
// its EXITED neither ticks the recovery's SESSION_FINISHED nor is drawn as the recovery.
func TestOutageWebhooksAfterTheEmail(t *testing.T) {
	var evs []flows.Event
	for _, ev := range script() {
		if w, ok := ev.Fact.(flows.WebhookSeen); ok && w.LinkSessionID == "s1" {
			continue // the outage session's webhooks move below, after the e-mail
		}
		evs = append(evs, ev)
		if _, ok := ev.Fact.(flows.RecoveryEmailSent); ok {
			mk := func(ms int, code, status, body string) flows.Event {
				return flows.Event{At: at(ms), Scenario: "signup", Half: 1, Fact: flows.WebhookSeen{Verified: true, Type: "LINK",
					Code: code, Status: status, LinkSessionID: "s0", LinkToken: linkToken, Body: flows.MaskBody([]byte(body))}}
			}
			evs = append(evs,
				mk(5100, "EVENTS", "", `{"webhook_type":"LINK","webhook_code":"EVENTS","events":[{"event_name":"ISSUE_FOLLOWED"}],"link_token":"`+linkToken+`"}`),
				mk(5200, "SESSION_FINISHED", "EXITED", `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"EXITED","public_tokens":[]}`))
		}
	}
	r := build(evs)
	for _, c := range r.Checklist {
		if strings.HasPrefix(c.Text, "SESSION_FINISHED received") && !c.At.Equal(at(7500)) {
			t.Errorf("the recovery's SESSION_FINISHED ticked at %v, want at(7500): the outage's EXITED was taken for it", c.At)
		}
	}
	lines := strings.Split(report.Diagram(r), "\n")
	for i, l := range lines[:len(lines)-1] {
		if strings.Contains(l, "SESSION_FINISHED · EXITED") && strings.Contains(lines[i+1], "recovery session finished") {
			t.Errorf("the outage's EXITED is drawn as the recovery's:\n%s", strings.Join(lines, "\n"))
		}
	}
}
