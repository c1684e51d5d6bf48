package tui

import (
	"strconv"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
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
// builds it without keys (demo mode: demo-only steps show; nothing is ever called), else with
// Sandbox keys.
type fixture struct {
	t     *testing.T
	m     model
	clock *testClock
}

// fixtureOption changes the Options a fixture's model is built with.
type fixtureOption func(*Options)

// withConfig changes the fixture's Config (a webhook timeout, --forward-to…).
func withConfig(change func(*env.Config)) fixtureOption {
	return func(o *Options) { change(&o.Config) }
}

func newFixture(t *testing.T, demo bool, w, h int, opts ...fixtureOption) *fixture {
	t.Helper()
	o := Options{}
	if !demo {
		o.Config = env.Config{ClientID: "5f3c00aa11bb22cc33dd0001", Secret: "fixture-secret-0123456789", KeysFrom: ".env"}
	}
	for _, opt := range opts {
		opt(&o)
	}
	return newFixtureWith(t, w, h, o)
}

// newFixtureWith builds the model from o as it is (a background, a renderer, a config); Now is the
// fixture's clock.
func newFixtureWith(t *testing.T, w, h int, o Options) *fixture {
	t.Helper()
	c := &testClock{t: t0}
	o.Now = c.now
	f := &fixture{t: t, m: newModel(o), clock: c}
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
	f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderLocal), WebhookURL: fixedHook}})
}

func (f *fixture) token(h string) flows.LinkToken {
	lt := flows.LinkToken{Token: fixedToken1, HostedLinkURL: fixedURL1, Webhook: fixedHook, RequestID: "req-fixed-1",
		Expiration: t0.Add(4 * time.Hour)}
	if h == nSession {
		lt = flows.LinkToken{Token: fixedToken2, HostedLinkURL: fixedURL2, Webhook: fixedHook, RequestID: "req-fixed-2",
			RedirectURI: "http://127.0.0.1:40000/complete", Expiration: t0.Add(4 * time.Hour)}
	}
	return lt
}

// open picks a scenario on the home screen and delivers its token.
func (f *fixture) open(name string) {
	f.t.Helper()
	f.tunnelUp()
	i, _ := f.m.runIndex(name)
	f.key(strconv.Itoa(i + 1))
	f.send(created(name, f.token(name)))
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
	return flows.Item{ItemID: "item-fixed-0001", InstitutionID: "ins_109508", InstitutionName: "First Platypus Bank", AccessToken: "access-sandbox-abcdef01-2345-6789-abcd-ef0123456789",
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

// The scenarios' names, as tests use them.
var (
	nSignup  = flows.SignupScenario{}.Info().Name
	nSession = flows.SessionScenario{}.Info().Name
)

// signup and session are the halves' screens.
func (f *fixture) signup() *signupModel { return f.m.byName(nSignup).(*signupModel) }

func (f *fixture) session() *defaultScreen { return f.m.byName(nSession).(*defaultScreen) }

// byName is the screen of scenario name.
func (m model) byName(name string) screen {
	i, _ := m.runIndex(name)
	return m.runs[i]
}

// stateOf is the state that shows scenario name's screen.
func stateOf(name string) state {
	i, _ := flows.Lookup(name)
	for j, sc := range flows.Scenarios {
		if sc == i {
			return runState(j)
		}
	}
	return stateHome
}

// The messages the interpreter's Cmds would bring.
func created(name string, lt flows.LinkToken) tea.Msg {
	return resultMsg{scenario: name, in: flows.TokenCreated{Token: lt}}
}

func polled(name, token string, st flows.TokenStatus) tea.Msg {
	return resultMsg{scenario: name, in: flows.Polled{Token: token, Status: st}}
}

func exchanged(name string, it flows.Item) tea.Msg {
	return resultMsg{scenario: name, in: flows.Exchanged{Item: it}}
}

func restored(name string, sent, inbox []flows.Email) tea.Msg {
	return resultMsg{scenario: name, in: flows.Restored{Sent: sent, Inbox: inbox}}
}

func timedOut(name, token string) tea.Msg {
	return resultMsg{scenario: name, in: flows.DeadlinePassed{Timer: flows.TimerWebhook, Token: token}}
}

func callFailed(name, step string, err error) tea.Msg {
	for c, s := range callSteps {
		if s == step {
			return resultMsg{scenario: name, in: flows.CallFailed{Call: c, Err: err}}
		}
	}
	panic("no call is the step " + step)
}

// The steps of a run's calls, as the error box names them.
var (
	stepCreate   = callSteps[flows.CallCreateToken]
	stepPoll     = callSteps[flows.CallPoll]
	stepExchange = callSteps[flows.CallExchange]
	stepAuto     = callSteps[flows.CallWalk]
	stepRestore  = callSteps[flows.CallRestore]
)

// What a test asks of a run.
func (r *run) exchanging() bool { return !r.st.Busy.Exchanging.IsZero() }
func (r *run) restoring() bool  { return !r.st.Busy.Restoring.IsZero() }
func (r *run) walking() bool    { return !r.st.Busy.Walking.IsZero() }

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// withQueuedRecords gives the model a transcript whose records queue on the model (as while a
// write is in flight) until the test writes them, in order.
func withQueuedRecords(tr *flows.Transcript) fixtureOption {
	return func(o *Options) { o.Transcript, o.queueRecords = tr, true }
}

func sessionExited(seq int64, token string) webhook.Event {
	body := `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"EXITED","link_token":"` + token +
		`","link_session_id":"s-left","public_tokens":[],"environment":"sandbox"}`
	return webhookEvent(seq, "SESSION_FINISHED", true, body, webhook.Webhook{Status: "EXITED", LinkToken: token, LinkSessionID: "s-left"})
}

// withEnv gives the model a real Env: its Cmds then really call the emulator.
func withEnv(e *env.Env) fixtureOption {
	return func(o *Options) { o.Env, o.Config = e, e.Config() }
}

// withForwardTo is --forward-to url.
func withForwardTo(url string) fixtureOption {
	return withConfig(func(c *env.Config) { c.ForwardTo = url })
}
