package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// paceSummary names what a step gave that step by step is about: its pauses and pages, and the
// walks and restores it asked for.
func paceSummary(evs []Event, effs []Effect) string {
	var out []string
	for _, ev := range evs {
		switch f := ev.Fact.(type) {
		case Paused:
			out = append(out, fmt.Sprintf("paused:%s:recovery=%v:restore=%v", f.Next, f.Recovery, f.Restore))
		case PageSubmitted:
			out = append(out, fmt.Sprintf("page:%s>%s:recovery=%v", f.Step.From, f.Step.To, f.Recovery))
		case Done:
			out = append(out, fmt.Sprintf("done:%v", f.Passed))
		}
	}
	for _, eff := range effs {
		switch f := eff.(type) {
		case WalkPage:
			out = append(out, fmt.Sprintf("walkpage:recovery=%v", f.Walk.Recovery))
		case Walk:
			out = append(out, "walk")
		case RestoreBank:
			out = append(out, "restore")
		}
	}
	return strings.Join(out, ",")
}

func (r *run) pace(in Input) string {
	var effs []Effect
	var evs []Event
	r.s, effs, evs = Step(r.s, at(time.Second), in)
	return paceSummary(evs, effs)
}

func page(from, to Page, recovery bool) PageWalked {
	return PageWalked{Step: PageStep{From: from, To: to, Ended: to == PageSuccess || to == PageFollowed || to == PageExited}, Recovery: recovery}
}

var (
	walk = Intent{Kind: IntentWalk}
	next = Intent{Kind: IntentNext}
)

// TestPacedSessionPausesBeforeEachPage: with the presenter's step by step on, a walks the half-2
// session one page per IntentNext, pausing before each page, and the last page ends the walk.
func TestPacedSessionPausesBeforeEachPage(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{Mode: ModeDemo})
	r.pace(Paced{On: true})
	for i, c := range []struct {
		in   Input
		want string
	}{
		{walk, "paused:select:recovery=false:restore=false"},
		{walk, ""}, // paused: a does not start a second walk
		{next, "walkpage:recovery=false"},
		{next, ""}, // the page is on its way: nothing to perform
		{page(PageSelect, PageLogin, false), "page:select>login:recovery=false,paused:login:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageLogin, PageAccounts, false), "page:login>accounts:recovery=false,paused:accounts:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageAccounts, PageSuccess, false), "page:accounts>success:recovery=false"},
	} {
		if got := r.pace(c.in); got != c.want {
			t.Fatalf("step %d (%T %v): got %q, want %q", i, c.in, c.in, got, c.want)
		}
	}
	if r.s.Pacing.walking() || !r.s.Busy.Walking.IsZero() {
		t.Errorf("after the last page the walk is still on: %+v", r.s.Pacing)
	}
}

// TestPacedSignupDrivesTheWholeHalf: a in step by step drives the sign-up to its end as --auto
// does, pausing before each page, before the bank comes back, and before each page of the
// recovery session.
func TestPacedSignupDrivesTheWholeHalf(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, CanRestore: true})
	r.pace(Paced{On: true})
	mail := Email{ID: "m", URL: "http://127.0.0.1:2/hosted-link/mail", LinkToken: mTok}
	for i, c := range []struct {
		in   Input
		want string
	}{
		{walk, "paused:select:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageSelect, PageLogin, false), "page:select>login:recovery=false,paused:login:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageLogin, PageDown, false), "page:login>down:recovery=false,paused:down:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageDown, PageCode, false), "page:down>code:recovery=false,paused:code:recovery=false:restore=false"},
		{next, "walkpage:recovery=false"},
		{page(PageCode, PageFollowed, false), "page:code>followed:recovery=false"},
		{Received{eventsHook(1, "ERROR", "ISSUE_FOLLOWED")}, "paused::recovery=false:restore=true"},
		{next, "restore"},
		{Restored{Sent: []Email{mail}, Inbox: []Email{mail}}, "paused:login:recovery=true:restore=false"},
		{next, "walkpage:recovery=true"},
		{page(PageLogin, PageAccounts, true), "page:login>accounts:recovery=true,paused:accounts:recovery=true:restore=false"},
		{next, "walkpage:recovery=true"},
		{page(PageAccounts, PageSuccess, true), "page:accounts>success:recovery=true"},
	} {
		if got := r.pace(c.in); got != c.want {
			t.Fatalf("step %d (%T): got %q, want %q", i, c.in, got, c.want)
		}
	}
}

// TestPacedOffGoesOn: turning step by step off during a walk performs the paused page and the
// rest follow without pauses; a new token keeps step by step on.
func TestPacedOffGoesOn(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{Mode: ModeDemo})
	r.pace(Paced{On: true})
	r.pace(walk)
	if got := r.pace(Paced{On: false}); got != "walkpage:recovery=false" {
		t.Fatalf("turning pacing off while paused: %q, want the page performed", got)
	}
	if got := r.pace(page(PageSelect, PageLogin, false)); got != "page:select>login:recovery=false,walkpage:recovery=false" {
		t.Fatalf("the next page after pacing went off: %q, want it at once", got)
	}
	r.pace(page(PageLogin, PageAccounts, false))
	r.pace(page(PageAccounts, PageSuccess, false))
	if got := r.pace(walk); got != "walk" {
		t.Errorf("a without pacing: %q, want one whole walk as before", got)
	}

	r = newRun(t, SessionScenario{}, Options{Mode: ModeDemo})
	r.pace(Paced{On: true})
	r.pace(walk)
	r.step(2*time.Second, Start{})
	r.step(2*time.Second, TokenCreated{Token: mToken(mHook)})
	if !r.s.Pacing.On || r.s.Pacing.walking() {
		t.Errorf("after a new token: %+v, want pacing on and no walk", r.s.Pacing)
	}
	if got := r.pace(walk); got != "paused:select:recovery=false:restore=false" {
		t.Errorf("a after a new token: %q", got)
	}
}

// TestPacedWalkFailureEndsTheWalk: a refused page ends the paced walk, so a can start again.
func TestPacedWalkFailureEndsTheWalk(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{Mode: ModeDemo})
	r.pace(Paced{On: true})
	r.pace(walk)
	r.pace(next)
	r.pace(CallFailed{Call: CallWalk, Err: fmt.Errorf("emulator: Link rejected the login step")})
	if !r.s.CanWalk() {
		t.Fatalf("after a failed page the walk cannot start again: %+v", r.s.Pacing)
	}
}
