package tui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Fixed inputs, so views are the same on every run.
var (
	t0          = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	fixedHook   = "http://127.0.0.1:40000/webhook"
	fixedURL1   = "http://127.0.0.1:41000/hosted-link/11111111-2222-4333-8444-555555555555"
	fixedURL2   = "http://127.0.0.1:41000/hosted-link/66666666-7777-4888-9999-aaaaaaaaaaaa"
	fixedMail   = "http://127.0.0.1:41000/hosted-link/bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"
	fixedToken1 = "link-sandbox-00000000-0000-4000-8000-000000000001"
	fixedToken2 = "link-sandbox-00000000-0000-4000-8000-000000000002"
)

// clock is a settable time source for Options.Now.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// fixture is a model without I/O: no Env (Cmds are returned, not run) and a fixed clock. demo
// attaches an emulator object (never served) so demo-only steps show.
type fixture struct {
	t     *testing.T
	m     model
	clock *testClock
}

func newFixture(t *testing.T, demo bool, w, h int) *fixture {
	t.Helper()
	return newFixtureWith(t, demo, w, h, Options{})
}

// newFixtureWith is newFixture with options (a background, a renderer); Now is the fixture's clock.
func newFixtureWith(t *testing.T, demo bool, w, h int, o Options) *fixture {
	t.Helper()
	c := &testClock{t: t0}
	o.Now = c.now
	m := newModel(o)
	if demo {
		// Demo-only steps show (the emulator itself is never called: no Env, Cmds are returned).
		m.c.demo = true
		m.halves = newHalves(m.c)
	} else {
		m.c.mode = flows.ModeSandbox
		m.header.mode = flows.ModeSandbox
		m.header.clientID, m.header.keysFrom = "5f3c00aa11bb22cc33dd0001", ".env"
		m.halves = newHalves(m.c)
	}
	f := &fixture{t: t, m: m, clock: c}
	f.send(tea.WindowSizeMsg{Width: w, Height: h})
	return f
}

// send runs one Update and returns its Cmd (not run).
func (f *fixture) send(msg tea.Msg) tea.Cmd {
	f.t.Helper()
	nm, cmd := f.m.Update(msg)
	m, ok := nm.(model)
	if !ok {
		f.t.Fatalf("Update returned %T, want model", nm)
	}
	f.m = m
	return cmd
}

func (f *fixture) key(k string) tea.Cmd { return f.send(keyMsg(k)) }

func (f *fixture) tunnelUp() {
	f.send(tunnelOpenedMsg{provider: tunnel.ProviderLocal, url: "http://127.0.0.1:40000", webhookURL: fixedHook})
}

func (f *fixture) token(h flows.Half) flows.LinkToken {
	lt := flows.LinkToken{Token: fixedToken1, HostedLinkURL: fixedURL1, Webhook: fixedHook, RequestID: "req-fixed-1",
		Expiration: t0.Add(4 * time.Hour)}
	if h == flows.HalfSession {
		lt = flows.LinkToken{Token: fixedToken2, HostedLinkURL: fixedURL2, Webhook: fixedHook, RequestID: "req-fixed-2",
			RedirectURI: "http://127.0.0.1:40000/complete", Expiration: t0.Add(4 * time.Hour)}
	}
	return lt
}

// open picks a half on the home screen and delivers its token.
func (f *fixture) open(h flows.Half) {
	f.t.Helper()
	f.tunnelUp()
	f.key(string(rune('0' + int(h))))
	f.send(linkTokenCreatedMsg{half: h, token: f.token(h)})
}

// webhookEvent builds a receiver event.
func webhookEvent(seq int64, code string, verified bool, body string, w webhook.Webhook) webhook.Event {
	w.WebhookType, w.WebhookCode = "LINK", code
	ev := webhook.Event{Kind: webhook.EventWebhook, Seq: seq, At: t0.Add(time.Duration(seq) * time.Second),
		Webhook: &w, Body: []byte(body), Status: 200, Verified: verified}
	if !verified {
		ev.Reason = "signature does not match the body"
	}
	return ev
}

func sessionFinished(seq int64, token string, verified bool) webhook.Event {
	body := `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS","link_token":"` + token +
		`","public_tokens":["public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000"],"environment":"sandbox"}`
	return webhookEvent(seq, "SESSION_FINISHED", verified, body, webhook.Webhook{Status: "SUCCESS", LinkToken: token,
		PublicTokens: []string{"public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000"}})
}

func eventsWebhook(seq int64, token string, events string) webhook.Event {
	body := `{"webhook_type":"LINK","webhook_code":"EVENTS","link_token":"` + token + `","events":[` + events + `]}`
	return webhookEvent(seq, "EVENTS", true, body, webhook.Webhook{LinkToken: token})
}

const (
	evInstitutionDown = `{"event_name":"ERROR","event_id":"e1","timestamp":"2026-01-02T15:04:06Z","event_metadata":{"error_code":"INSTITUTION_DOWN","view_name":"ERROR","request_id":"r1"}}`
	evIssueFollowed   = `{"event_name":"ISSUE_FOLLOWED","event_id":"e2","timestamp":"2026-01-02T15:04:07Z","event_metadata":{"view_name":"ISSUE_FOLLOWED","request_id":"r2"}}`
)

func fixedItem() flows.Item {
	b1, b2 := 110.0, 210.5
	return flows.Item{ItemID: "item-fixed-0001", InstitutionID: "ins_109508", AccessToken: "access-sandbox-abcdef01-2345-6789-abcd-ef0123456789",
		Accounts: []flows.Account{
			{ID: "a1", Name: "Plaid Checking", Mask: "0000", Type: "depository", Subtype: "checking", Balance: &b1},
			{ID: "a2", Name: "Plaid Saving", Mask: "1111", Type: "depository", Subtype: "savings", Balance: &b2},
			{ID: "a3", Name: "Plaid Credit Card", Mask: "3333", Type: "credit", Subtype: "credit card"},
		}}
}

func fixedEmail() flows.Email {
	return flows.Email{ID: "mail-1", To: "example@plaid.com", Subject: "First Platypus Bank is back",
		URL: fixedMail, InstitutionID: "ins_109508", InstitutionName: "First Platypus Bank", LinkToken: fixedToken1,
		SentAt: t0.Add(30 * time.Second)}
}

// signup and session are the halves' screens.
func (f *fixture) signup() *signupModel { return f.m.half(flows.HalfSignup).(*signupModel) }

func (f *fixture) session() *sessionModel { return f.m.half(flows.HalfSession).(*sessionModel) }

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
