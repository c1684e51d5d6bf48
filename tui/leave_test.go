package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

var nLeave = flows.LeaveScenario{}.Info().Name

func (f *fixture) leave() *leaveModel { return f.m.byName(nLeave).(*leaveModel) }

// The leave scenario's screens and its script for the parity test.
func init() {
	goldenScenarios = append(goldenScenarios, []goldenScenario{
		{"leave_waiting", true, func(f *fixture) {
			f.open(nLeave)
			f.clock.t = t0.Add(7 * time.Second)
			f.send(teaSize(f.m.c.width, f.m.c.height))
		}},
		{"leave_passed", true, func(f *fixture) {
			f.open(nLeave)
			f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, `{"event_name":"EXIT","event_metadata":{"request_id":"r3"}}`)})
			f.send(webhookReceivedMsg{ev: sessionExited(2, fixedToken1)})
		}},
	}...)
	moreParityScripts["leave"] = func(start func(string) []flows.Timed, got func(int, webhook.Event) flows.Timed) parityScript {
		return parityScript{nLeave, append(start(nLeave),
			got(6, eventsWebhook(1, fixedToken1, `{"event_name":"EXIT","event_metadata":{"request_id":"r3"}}`)),
			got(7, sessionExited(2, fixedToken1)))}
	}
}

// A leave run passes with no public token: its summary and the presenter's last step give the
// scenario's own reason, and claim no token and no Item.
func TestLeaveSummaryClaimsNoToken(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nLeave)
	f.send(webhookReceivedMsg{ev: sessionExited(2, fixedToken1)})
	v := ansi.Strip(f.m.View())
	if !strings.Contains(v, "Leave Link: passed") || !strings.Contains(v, "said the person left Link (EXITED), and nothing was exchanged.") {
		t.Fatalf("the summary does not give the leave scenario's reason:\n%s", v)
	}
	if strings.Contains(v, "public token came") {
		t.Errorf("the summary claims a public token:\n%s", v)
	}
	st := f.leave().driver().st
	ps := newStyles(nil, termbg.DarkBackground).Presenter
	x := explain(ps, flows.Event{At: t0, Scenario: nLeave, Fact: flows.Done{Passed: true, Reason: st.Outcome.Reason, Via: st.Outcome.Via}}, 60)
	if x.title != "Leave Link passed" || !strings.HasPrefix(x.why, "A verified SESSION_FINISHED webhook said the person left Link") || strings.Contains(x.why, "Item came") {
		t.Errorf("the presenter's last step: %q / %q", x.title, x.why)
	}
}
