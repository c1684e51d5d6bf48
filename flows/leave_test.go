package flows

import (
	"slices"
	"testing"
	"time"
)

// The leave scenario: an exit that comes by a verified webhook passes; anything else does not,
// and nothing is exchanged.
func TestLeaveSteps(t *testing.T) {
	runStepCases(t, []stepCase{
		{"leave: a verified EXITED passes", LeaveScenario{}, true,
			[]timed{{1 * time.Second, Received{eventsHook(1, "EXIT")}}, {2 * time.Second, Received{finishedHook(2, true, "EXITED")}}},
			"webhookseen,leftlink,done:true | "},
		{"leave: an unverified EXITED does not", LeaveScenario{}, true,
			[]timed{{2 * time.Second, Received{finishedHook(2, false, "EXITED")}}},
			"webhookseen | "},
		{"leave: linking an account fails and exchanges nothing", LeaveScenario{}, true,
			[]timed{{2 * time.Second, Received{finishedHook(2, true, "SUCCESS", mPub)}}},
			"webhookseen,failed:session,done:false | "},
		{"leave: an exit seen only by polling is a broken webhook path", LeaveScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{4 * time.Second, DeadlinePassed{TimerWebhook, mTok}}},
			"fellback,done:false | "},
	})
}

// An EVENTS webhook's event carries the names of its Link events, so the report can tick "EVENTS
// reported the EXIT" from events alone; other webhooks carry none.
func TestWebhookSeenNamesLinkEvents(t *testing.T) {
	r := newRun(t, LeaveScenario{}, Options{})
	var got [][]string
	for i, in := range []Input{Received{eventsHook(1, "OPEN", "EXIT")}, Received{finishedHook(2, true, "EXITED")}} {
		var evs []Event
		r.s, _, evs = Step(r.s, at(time.Duration(i+1)*time.Second), in)
		for _, ev := range evs {
			if w, ok := ev.Fact.(WebhookSeen); ok {
				got = append(got, w.LinkEvents)
			}
		}
	}
	if len(got) != 2 || !slices.Equal(got[0], []string{"OPEN", "EXIT"}) || got[1] != nil {
		t.Errorf("LinkEvents = %q, want [[OPEN EXIT] []]", got)
	}
}
