package tui

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// goldenScenario is a screen worth pinning, built from fixed messages (no I/O).
type goldenScenario struct {
	name  string
	demo  bool
	build func(f *fixture)
}

// goldenScenarios are the screens worth pinning, each built from fixed messages (no I/O).
var goldenScenarios = []goldenScenario{
	{"home_demo_tunnel_opening", true, func(f *fixture) {
		f.clock.t = t0.Add(3 * time.Second) // the spinner shows how long it has been opening
		f.send(teaSize(f.m.c.width, f.m.c.height))
	}},
	{"home_sandbox_tunnel_failed", false, func(f *fixture) {
		f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok,
			Cause: "NGROK_AUTHTOKEN is not set", Next: "get one at https://dashboard.ngrok.com and put it in .env, or pass --webhook-url"}}})
	}},
	{"signup_demo_outage_seen", true, func(f *fixture) {
		f.open(nSignup)
		f.clock.t = t0.Add(12 * time.Second)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown)})
		f.key("tab")
	}},
	{"signup_demo_email_sent", true, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		f.clock.t = t0.Add(30 * time.Second)
		mail := fixedEmail()
		f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
		f.clock.t = t0.Add(41 * time.Second)
	}},
	{"signup_demo_opted_in", true, func(f *fixture) {
		// After the opt-in the footer offers r (bring the bank back), not a.
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	}},
	{"signup_demo_restoring", true, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		f.clock.t = t0.Add(20 * time.Second)
		f.key("r")
		f.clock.t = t0.Add(24 * time.Second) // the spinner shows how long the restore has run
		f.send(teaSize(f.m.c.width, f.m.c.height))
	}},
	{"signup_sandbox_done", false, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	}},
	{"signup_sandbox_ticked_by_hand", false, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown)})
		f.key("m")
	}},
	{"session_waiting_for_tunnel", false, func(f *fixture) {
		f.key("2")
	}},
	{"session_waiting", true, func(f *fixture) {
		f.open(nSession)
		f.clock.t = t0.Add(42 * time.Second)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventComplete, Seq: 1, At: t0.Add(40 * time.Second), Status: 200}})
	}},
	{"session_sandbox_waiting", false, func(f *fixture) {
		// Half 2 in Sandbox mode: the same credential cards as in demo mode.
		f.open(nSession)
		f.clock.t = t0.Add(5 * time.Second)
		f.key("tab")
	}},
	{"session_timeout_fallback", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, false)})
		f.clock.t = t0.Add(3 * time.Minute)
		f.send(timedOut(nSession, fixedToken2))
	}},
	{"session_done", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
	}},
	{"session_done_saved", true, func(f *fixture) {
		// The summary after s: where the report went.
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
		f.key("s")
		f.send(reportSavedMsg{scenario: nSession, path: "linkrecovery-report-20260102-150405.md"})
	}},
	{"session_done_save_failed", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
		f.key("s")
		f.send(reportSavedMsg{scenario: nSession, err: errors.New("cannot write the report: open linkrecovery-report-20260102-150405.md: permission denied")})
	}},
	{"session_done_back_to_run", true, func(f *fixture) {
		// esc on the summary shows the run's own screen, done.
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
		f.key("esc")
	}},
	{"home_demo_passed", true, func(f *fixture) {
		// The home screen marks the half that passed in this session.
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
		f.key("esc")
		f.key("esc")
	}},
	{"session_left_link", true, func(f *fixture) {
		// The person left Link: SESSION_FINISHED EXITED ends the wait (no spinner), nothing to exchange.
		f.open(nSession)
		f.clock.t = t0.Add(20 * time.Second)
		f.send(webhookReceivedMsg{ev: sessionExited(1, fixedToken2)})
	}},
	{"home_demo", true, func(f *fixture) {
		f.tunnelUp()
	}},
	{"signup_demo_done_many_accounts", true, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		mail := fixedEmail()
		f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
		f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken1, true)})
		it := fixedItem()
		for i := 0; i < 6; i++ {
			it.Accounts = append(it.Accounts, flows.Account{ID: fmt.Sprint("x", i), Name: fmt.Sprint("Plaid Extra ", i), Mask: fmt.Sprint(4440 + i), Type: "loan", Subtype: "student"})
		}
		f.send(exchanged(nSignup, it))
	}},
	{"session_plaid_error", false, func(f *fixture) {
		f.tunnelUp()
		f.key("2")
		f.send(callFailed(nSession, "create link token", &flows.PlaidError{
			HTTPStatus: 400, Type: "INVALID_REQUEST", Code: "INVALID_FIELD", Message: "webhook must be a valid https URL",
			RequestID: "req-abc123", Endpoint: "/link/token/create"}))
	}},
	{"inspector", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken2, evInstitutionDown)})
		f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken2, false)})
		f.send(webhookReceivedMsg{ev: sessionFinished(3, fixedToken2, true)})
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventForward, Seq: 3, At: t0,
			Forward: &webhook.ForwardResult{Seq: 3, URL: "http://127.0.0.1:3000/plaid", StatusCode: 204, Latency: 12 * time.Millisecond}}})
		f.key("w")
	}},
	{"signup_full_help", true, func(f *fixture) {
		f.open(nSignup)
		f.key("?")
	}},
	{"qr_only", true, func(f *fixture) {
		f.open(nSession)
		f.key("v")
	}},
	{"session_no_browser", true, func(f *fixture) {
		f.open(nSession)
		f.send(stepErrMsg{step: "open the browser", err: &openerError{name: "xdg-open", err: errors.New("exit status 3"),
			output: xdgOpenDump, noBrowser: true}})
	}},
	{"inspector_refused_and_new", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 1, At: t0, Status: 415,
			Reason: "Content-Type is text/plain, want application/json", Body: []byte("hello=forged")}})
		f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken2, true)})
		f.key("w")
		f.key("down")
		f.send(webhookReceivedMsg{ev: eventsWebhook(3, fixedToken2, evInstitutionDown)})
	}},
	{"inspector_resend", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		for _, code := range []int{204, 500} {
			f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventForward, Seq: 2, At: t0,
				Forward: &webhook.ForwardResult{Seq: 1, URL: "http://127.0.0.1:3000/plaid", StatusCode: code, Latency: 12 * time.Millisecond}}})
		}
		f.key("w")
	}},
}

// goldenOptions are the options a golden screen's fixture is built with, by name.
var goldenOptions = map[string][]fixtureOption{
	"inspector_refused_and_new": {withForwardTo("http://127.0.0.1:3000/plaid")},
	"inspector_resend":          {withForwardTo("http://127.0.0.1:3000/plaid")},
}

// goldenEdgeSizes are the smallest body the layout serves and a big terminal, pinned for the
// screens the issue names (goldenAtEdges): home, both halves and the QR view.
var goldenEdgeSizes = [][2]int{{60, 15}, {250, 70}}

var goldenAtEdges = map[string]bool{
	"home_demo": true, "signup_demo_outage_seen": true, "signup_demo_email_sent": true,
	"session_waiting": true, "qr_only": true,
}

// TestGolden pins each screen at 80×24 and 120×40, and those of goldenAtEdges at 60×15 and
// 250×70 too (regenerate with -update).
func TestGolden(t *testing.T) {
	for _, sc := range goldenScenarios {
		sizes := [][2]int{{80, 24}, {120, 40}}
		if goldenAtEdges[sc.name] {
			sizes = append(sizes, goldenEdgeSizes...)
		}
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				f := newFixture(t, sc.demo, size[0], size[1], goldenOptions[sc.name]...)
				sc.build(f)
				golden.RequireEqual(t, f.m.View())
			})
		}
	}
}

// TestGoldenLight pins the screens of goldenAtEdges at 60×15 and 250×70 on a light theme, with
// their colours (true colour), since the theme is what differs: the QR code's fixed colours, the
// pending steps and the footer on white.
func TestGoldenLight(t *testing.T) {
	for _, sc := range goldenScenarios {
		if !goldenAtEdges[sc.name] {
			continue
		}
		for _, size := range goldenEdgeSizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				light := func(o *Options) {
					o.Background, o.Renderer = termbg.LightBackground, colourRenderer(termbg.LightBackground)
				}
				f := newFixture(t, sc.demo, size[0], size[1], append(goldenOptions[sc.name], light)...)
				sc.build(f)
				golden.RequireEqual(t, f.m.View())
			})
		}
	}
}

// TestGoldenTiny pins the one screen a terminal below the smallest layout gets, whatever is
// going on: every golden screen at 30×10 draws it.
func TestGoldenTiny(t *testing.T) {
	var first string
	for _, sc := range goldenScenarios {
		f := newFixture(t, sc.demo, 30, 10, goldenOptions[sc.name]...)
		sc.build(f)
		if v := f.m.View(); first == "" {
			first = v
			golden.RequireEqual(t, v)
		} else if v != first {
			t.Errorf("%s at 30×10 differs from the tiny screen:\n%s", sc.name, v)
		}
	}
}
