package tui

import (
	"time"

	"github.com/bankdown/linkrecovery/flows"
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
