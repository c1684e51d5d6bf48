package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Every spinner says how long its step has been going, on the injected clock: the step's start is
// the time of the input that began it, not of the view.
func TestEverySpinnerShowsElapsed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		begin func(f *fixture)
		want  string
	}{
		{"waiting for the tunnel", func(f *fixture) { f.key("2") }, "Waiting for the tunnel: the token carries its webhook URL…  0:07"},
		{"creating the token", func(f *fixture) { f.tunnelUp(); f.key("2") }, "Creating a Hosted Link token…  0:07"},
		{"auto-completing half 2", func(f *fixture) { f.open(nSession); f.key("a") }, "Completing the session with user_good / pass_good…  0:07"},
		{"auto-completing half 1", func(f *fixture) { f.open(nSignup); f.key("a") }, "opting in…  0:07"},
		{"restoring", func(f *fixture) {
			f.open(nSignup)
			f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
			f.key("r")
		}, "Bringing the institution back…  0:07"},
		{"exchanging", func(f *fixture) {
			f.open(nSession)
			f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		}, "Exchanging the public token (from webhook)…  0:07"},
		{"polling", func(f *fixture) {
			f.open(nSession)
			f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, false)})
		}, "Waiting for SESSION_FINISHED  0:07"},
	} {
		f := newFixture(t, true, 160, 40)
		f.clock.t = t0.Add(time.Minute) // the step starts a minute in: elapsed counts from there
		f.send(teaSize(160, 40))
		tc.begin(f)
		if !f.m.needsSpinner() {
			t.Fatalf("%s: nothing in flight", tc.name)
		}
		f.clock.t = t0.Add(time.Minute + 7*time.Second + 400*time.Millisecond)
		f.send(teaSize(160, 40)) // any message reads the clock
		if v := ansi.Strip(f.m.View()); !strings.Contains(v, tc.want) {
			t.Errorf("%s: no %q:\n%s", tc.name, tc.want, v)
		}
	}
}
