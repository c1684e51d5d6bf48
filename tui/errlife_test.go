package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// hasErr says whether an error of step (of scenario name's run) is still held.
func hasErr(f *fixture, step string, name string) bool {
	for _, e := range f.m.errs {
		if e.step == step && e.scenario == name {
			return true
		}
	}
	return false
}

func refused(seq int64) webhook.Event {
	return webhook.Event{Kind: webhook.EventRejected, Seq: seq, At: t0, Status: 400, Reason: "no Plaid-Verification header"}
}

// A failed a was about the sign-up session; once r brought the bank back it is moot.
func TestFailedAutoGoesWhenTheBankIsBack(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSignup)
	f.key("a")
	f.send(callFailed(nSignup, stepAuto, errors.New("the emulator could not log in")))
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	if !hasErr(f, stepAuto, nSignup) {
		t.Fatal("the failed a went before its cause did")
	}
	f.key("r")
	mail := fixedEmail()
	f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	if hasErr(f, stepAuto, nSignup) || strings.Contains(f.m.View(), "could not log in") {
		t.Fatalf("the failed a stayed after r succeeded:\n%s", f.m.View())
	}
}

// A new token clears the half's errors, even one about the old token that arrives while the new
// one is being made; the other half's errors stay.
func TestNewTokenClearsTheOldTokensErrors(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSignup)
	f.send(callFailed(nSignup, stepRestore, errors.New("half 1 trouble")))
	f.key("esc")
	f.open(nSession)
	f.send(callFailed(nSession, stepAuto, errors.New("emulator said no")))
	f.key("n")
	if hasErr(f, stepAuto, nSession) {
		t.Fatal("n left the old token's failed a")
	}
	f.send(callFailed(nSession, stepPoll, errors.New("late poll of the old token")))
	f.send(created(nSession, f.token(nSession)))
	if hasErr(f, stepPoll, nSession) {
		t.Fatal("the new token left an error of the old one")
	}
	if !hasErr(f, stepRestore, nSignup) {
		t.Fatal("a new token in half 2 cleared half 1's error")
	}
}

// A refused webhook's box goes when a verified webhook arrives, or when the person dismisses it.
func TestRefusedWebhookBoxLifetime(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	f.send(webhookReceivedMsg{ev: refused(1)})
	if !strings.Contains(f.m.View(), "refused a request") {
		t.Fatal("no box for the refused request")
	}
	f.send(webhookReceivedMsg{ev: eventsWebhook(2, fixedToken2, evInstitutionDown)})
	if strings.Contains(f.m.View(), "refused a request") {
		t.Fatal("the refusal stayed after a verified webhook")
	}
	f.send(webhookReceivedMsg{ev: refused(3)})
	f.key("x")
	if strings.Contains(f.m.View(), "refused a request") {
		t.Fatal("x did not dismiss the refusal")
	}
}

// x dismisses the error on screen; the one before it shows next; with none, x is off and not
// offered.
func TestDismissKey(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	if f.m.keys.Dismiss.Enabled() || strings.Contains(ansi.Strip(f.m.View()), "dismiss") {
		t.Fatal("x offered with no error")
	}
	f.send(stepErrMsg{step: "write the transcript", err: errors.New("disk full")})
	f.send(callFailed(nSession, stepPoll, errors.New("poll failed")))
	v := ansi.Strip(f.m.View())
	if !f.m.keys.Dismiss.Enabled() || !strings.Contains(v, "x dismiss error") || !strings.Contains(v, "poll failed") || !strings.Contains(v, "(+1 more)") {
		t.Fatalf("two errors, x not offered or the newest not shown:\n%s", v)
	}
	f.key("x")
	if v := f.m.View(); strings.Contains(v, "poll failed") || !strings.Contains(v, "disk full") {
		t.Fatalf("x did not move on to the older error:\n%s", v)
	}
	f.key("x")
	if v := f.m.View(); strings.Contains(v, "disk full") || f.m.keys.Dismiss.Enabled() {
		t.Fatalf("x left an error, or stays offered with none:\n%s", v)
	}
	// x works in the inspector and on the home screen too.
	f.send(stepErrMsg{step: "write the transcript", err: errors.New("disk full")})
	f.key("w")
	f.key("x")
	if len(f.m.errs) != 0 {
		t.Fatal("x did nothing in the inspector")
	}
}

// A browser that would not open belongs to the URL on screen: it goes when the screen or the
// token changes.
func TestOpenErrorGoesWithItsURL(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	f.send(stepErrMsg{step: stepOpen, err: errors.New("no browser")})
	f.key("n")
	if hasErr(f, stepOpen, "") {
		t.Fatal("the open error stayed after n")
	}
	f.send(created(nSession, f.token(nSession)))
	f.send(stepErrMsg{step: stepOpen, err: errors.New("no browser")})
	f.key("esc")
	if hasErr(f, stepOpen, "") {
		t.Fatal("the open error stayed after leaving the screen")
	}
}

// Opening a half whose token failed tries again: the old failure goes while it runs.
func TestReopeningAHalfRetriesItsToken(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.tunnelUp()
	f.key("2")
	f.send(callFailed(nSession, stepCreate, errors.New("Plaid is down")))
	f.key("esc")
	if !hasErr(f, stepCreate, nSession) {
		t.Fatal("the create error went before its retry")
	}
	f.key("2")
	if !f.session().starting() || hasErr(f, stepCreate, nSession) {
		t.Fatalf("reopening the half: creating=%v, old error still held=%v", f.session().starting(), hasErr(f, stepCreate, nSession))
	}
}
