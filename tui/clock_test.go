package tui

import (
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
)

// fakeTimers puts the runs' deadlines on the fixture's clock, so a test moves time forward
// instead of sleeping; the other effects are not performed (the fixture has no Env).
type fakeTimers struct {
	f   *fixture
	due []timer
}

type timer struct {
	at  time.Time
	msg tea.Msg
}

func withFakeTimers(f *fixture) *fakeTimers {
	ft := &fakeTimers{f: f}
	f.m.c.effectCmd = func(scenario string, eff flows.Effect) tea.Cmd {
		if s, ok := eff.(flows.Schedule); ok {
			ft.due = append(ft.due, timer{at: f.clock.t.Add(s.After),
				msg: resultMsg{scenario: scenario, in: flows.DeadlinePassed{Timer: s.Timer, Token: s.Token}}})
		}
		return nil
	}
	return ft
}

// advance moves the clock to t, delivering every deadline due by then, in order.
func (ft *fakeTimers) advance(t time.Time) {
	for {
		sort.SliceStable(ft.due, func(i, j int) bool { return ft.due[i].at.Before(ft.due[j].at) })
		if len(ft.due) == 0 || ft.due[0].at.After(t) {
			break
		}
		next := ft.due[0]
		ft.due = ft.due[1:]
		ft.f.clock.t = next.at
		ft.f.send(next.msg)
	}
	ft.f.clock.t = t
}

// The slow person: --webhook-timeout 3s, and the session completed 6 s after the token was made.
// The webhook clock starts when /link/token/get shows the session finished, so the prompt
// SESSION_FINISHED is verified and no "webhook path looks broken" warning shows.
func TestTUISlowPersonIsNotAWebhookFailure(t *testing.T) {
	threeSeconds := withConfig(func(c *env.Config) { c.WebhookTimeout = 3 * time.Second })
	f := newFixture(t, true, 120, 40, threeSeconds)
	ft := withFakeTimers(f)
	f.open(nSession) // the token is made at t0

	ft.advance(t0.Add(6 * time.Second)) // the person is still in Link: polls and ticks run
	if v := f.m.View(); strings.Contains(v, "looks broken") || f.session().st.Wait.TimedOut() {
		t.Fatalf("a person slower than the webhook timeout was taken for a broken webhook path:\n%s", v)
	}
	finished := flows.TokenStatus{Sessions: []flows.Session{{ID: "s1", Finished: true, Status: "SUCCESS",
		PublicTokens: []string{"public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000"}}}}
	f.send(polled(nSession, fixedToken2, finished))
	ft.advance(t0.Add(7 * time.Second)) // the webhook comes 1 s after the finish: within the timeout
	f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
	ft.advance(t0.Add(20 * time.Second)) // any clock still armed runs out

	v := f.m.View()
	if !strings.Contains(v, "SESSION_FINISHED received: verified (webhook #1") {
		t.Fatalf("no verified SESSION_FINISHED on screen:\n%s", v)
	}
	if strings.Contains(v, "looks broken") || strings.Contains(v, "! ") || f.session().st.Wait.TimedOut() {
		t.Fatalf("a warning shows under the verified SESSION_FINISHED:\n%s", v)
	}

	// And the clock does run from the finish: with no webhook, the fallback comes 3 s after it.
	g := newFixture(t, true, 120, 40, threeSeconds)
	gt := withFakeTimers(g)
	g.open(nSession)
	gt.advance(t0.Add(6 * time.Second))
	g.send(polled(nSession, fixedToken2, finished))
	gt.advance(t0.Add(8*time.Second + 900*time.Millisecond))
	if g.session().st.Wait.TimedOut() {
		t.Fatal("fell back before the webhook timeout had passed since the finish")
	}
	gt.advance(t0.Add(9 * time.Second))
	if !g.session().st.Wait.TimedOut() || !strings.Contains(g.m.View(), "looks broken") {
		t.Fatalf("no fallback 3 s after the finish:\n%s", g.m.View())
	}
}

// Every sign-up session ended without the steps: the TUI says so, as headless does, waits for
// Plaid's late EVENTS (bounded), and then names both credential pairs.
func TestTUISignupEndedShort(t *testing.T) {
	f := newFixture(t, false, 120, 40)
	ft := withFakeTimers(f)
	f.open(nSignup)
	ended := flows.TokenStatus{Sessions: []flows.Session{{ID: "s1", Finished: true, Status: "EXITED"}}}
	f.send(polled(nSignup, fixedToken1, ended))
	v := f.m.View()
	for _, want := range []string{"Every session ended without", "waiting up to 16m0s", "user_link_recovery / {}"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	ft.advance(t0.Add(flows.DefaultEventsWait + time.Minute))
	note := f.signup().note()
	if v := f.m.View(); !strings.Contains(v, "the sign-up session ended without") ||
		!strings.Contains(note, "without the institution-down error and the recovery opt-in") || !strings.Contains(note, "not in the Link Recovery beta") {
		t.Fatalf("no give-up naming both credential pairs after the wait (note %q):\n%s", note, v)
	}
	// Late EVENTS still count: the person may go on.
	f.send(webhookReceivedMsg{ev: eventsWebhook(9, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	if !f.signup().done() {
		t.Fatal("late EVENTS did not finish the sandbox sign-up half")
	}
}
