package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/qrscan"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// TestQRShowsWhateverTheChecklistSays is the e2e recovery-e-mail screen as a loaded machine draws
// it in tmux (120×45, 44 rows under tmux's status line): the webhook-timeout warning, a refused
// late webhook's box, a poll error. Whether the code shows depends on the terminal's size only,
// never on how long the checklist beside it has grown: the checklist is cut, the code stays.
func TestQRShowsWhateverTheChecklistSays(t *testing.T) {
	for _, size := range [][2]int{{120, 45}, {120, 44}, {120, 40}} {
		f := newFixture(t, true, size[0], size[1])
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		mail := fixedEmail()
		f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
		f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken1, false)})
		f.clock.t = t0.Add(4 * time.Minute)
		f.send(timedOut(nSignup, fixedToken1))
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 3, At: t0, Status: 401, Reason: "the JWT's iat is more than 5 minutes old"}})
		f.send(callFailed(nSignup, "poll /link/token/get", errors.New("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")))
		v := f.m.View()
		got, err := qrscan.DecodeScreen(v, qrscan.Dark)
		if err != nil || got != fixedMail {
			t.Errorf("%dx%d: the recovery e-mail's QR code does not read (%q, %v):\n%s", size[0], size[1], got, err, v)
		}
		if !strings.Contains(v, hyperlink(fixedMail, fixedMail)) && !strings.Contains(v, fixedMail) {
			t.Errorf("%dx%d: the URL is not on screen:\n%s", size[0], size[1], v)
		}
	}
}
