package flows

import (
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// SignupScenario is Link Recovery's half 1: log in while the bank is down and opt in to the
// recovery e-mail; in demo mode, then bring the bank back and finish the session the e-mail opens.
// Against the Sandbox, which cannot bring a bank back on demand, it passes once both steps are
// seen; with the emulator, once the recovery session's Item came by a verified SESSION_FINISHED.
type SignupScenario struct{ Base }

// SignupState is the sign-up half's own state.
type SignupState struct {
	Hook   SignupProgress // from verified EVENTS webhooks
	Poll   SignupProgress // from /link/token/get
	Manual SignupProgress // ticked by hand: the real Sandbox may not report the opt-in

	// EndedSince: every session has ended with steps missing since then; the run waits for
	// Plaid's late EVENTS. EndedShort: that wait ran out.
	EndedSince time.Time
	EndedShort bool
	NoMail     bool // the bank came back, but no recovery e-mail was sent (no opt-in was waiting)
	Restored   bool
	Inbox      []Email
	Mail       Email // the recovery e-mail whose session the run follows (Restored)

	walked   bool           // the --auto walk of the sign-up session returned
	reported SignupProgress // the last progress event
}

// Progress is the checklist from every source.
func (st SignupState) Progress() SignupProgress { return st.Hook.Merge(st.Poll).Merge(st.Manual) }

// Reported is the checklist as Plaid reported it (not ticked by hand).
func (st SignupState) Reported() SignupProgress { return st.Hook.Merge(st.Poll) }

// SignupOf is the sign-up half's own state of s (ok false for another scenario).
func SignupOf(s State) (SignupState, bool) {
	st, ok := s.Own.(SignupState)
	return st, ok
}

// CanRestore says whether bringing the bank back makes sense now.
func CanRestore(s State) bool {
	ss, ok := SignupOf(s)
	return ok && s.Opts.CanRestore && s.HasToken() && ss.Progress().OptedIn && !ss.Restored && s.Busy.Restoring.IsZero() && !s.Done()
}

// Info describes the half.
func (SignupScenario) Info() Info {
	return Info{
		Name:  "signup",
		Half:  1,
		Title: "Half 1 · Sign-up",
		About: "log in while the bank is down and opt in to the recovery e-mail",
		Goal:  "Half 1 · Sign-up: see the outage, opt in to the recovery e-mail",
		// The outage login, its fallback for clients outside the Link Recovery beta, and the
		// recovery opt-in, as Plaid documents them for the Sandbox.
		Cards: []CredentialCard{
			{"log in", []Credential{{"username", SignupLogin.Username}, {"password", SignupLogin.Password}}},
			{"or", []Credential{{"fallback username", FallbackLogin.Username}, {"fallback password", FallbackLogin.Password}}},
			{"opt in", []Credential{{"e-mail", SignupLogin.Email}, {"code", SignupLogin.Code}}},
		},
		// The recovery session finishes with an Item, like the session half.
		RecoveryCards: []CredentialCard{{"log in", []Credential{{"username", SessionLogin.Username}, {"password", SessionLogin.Password}}}},
		Login:         SignupLogin,
	}
}

// NewOwn starts with nothing seen.
func (SignupScenario) NewOwn() any { return SignupState{} }

func own(c *Ctx) SignupState { st, _ := c.Own().(SignupState); return st }

// Polled merges the checklist and, once every session ended short, waits (bounded) for late EVENTS.
func (sc SignupScenario) Polled(c *Ctx, st TokenStatus) {
	ss := own(c)
	ss.Poll = ss.Poll.Merge(st.Progress())
	c.SetOwn(ss)
	sc.progressed(c)
	ss, s := own(c), c.State()
	if s.Done() || ss.Restored || ss.Progress().Done() || !allEnded(st) {
		ss.EndedSince = time.Time{}
		c.SetOwn(ss)
		return
	}
	if anySucceeded(st) {
		// The person got into the bank: it was not down, so no EVENTS will change that.
		sc.giveUp(c)
		return
	}
	if ss.EndedSince.IsZero() && !ss.EndedShort {
		// Plaid sends EVENTS when the user finishes, or minutes after an abandoned session: wait.
		ss.EndedSince = c.At()
		c.SetOwn(ss)
		c.Emit(WaitingForEvents{URL: s.Token.HostedLinkURL, Missing: ss.Progress(), Left: s.Opts.EventsWait,
			Total: s.Opts.EventsWait, First: true})
		c.Schedule(TimerEvents, min(eventsNotice, s.Opts.EventsWait))
	}
}

// Deadline says how long the wait for late EVENTS has left, and ends it when it is over.
func (sc SignupScenario) Deadline(c *Ctx, t Timer) {
	ss, s := own(c), c.State()
	if t != TimerEvents || ss.EndedSince.IsZero() || ss.Progress().Done() || ss.Restored {
		return
	}
	el := c.At().Sub(ss.EndedSince)
	if el >= s.Opts.EventsWait {
		sc.giveUp(c)
		return
	}
	left := s.Opts.EventsWait - el
	c.Emit(WaitingForEvents{URL: s.Token.HostedLinkURL, Missing: ss.Progress(), Left: left, Total: s.Opts.EventsWait})
	c.Schedule(TimerEvents, min(eventsNotice, left))
}

// giveUp says, once, that the sign-up session ended short.
func (SignupScenario) giveUp(c *Ctx) {
	ss := own(c)
	if ss.EndedShort {
		return
	}
	ss.EndedShort, ss.EndedSince = true, time.Time{}
	c.SetOwn(ss)
	c.Fail("session", &SignupShortError{Missing: ss.Progress()})
}

// Webhook takes the checklist from EVENTS.
func (sc SignupScenario) Webhook(c *Ctx, ev webhook.Event) {
	ss := own(c)
	if ss.Restored {
		return
	}
	ss.Hook = ss.Hook.Merge(Progress(WebhookEvents(ev)))
	c.SetOwn(ss)
	sc.progressed(c)
	if SessionFinished(ev) && !own(c).Progress().Done() {
		c.PollNow() // the session is over: look now rather than at the next tick
	}
}

// progressed reports a changed checklist and moves the half on when both steps are seen.
func (SignupScenario) progressed(c *Ctx) {
	ss, s := own(c), c.State()
	p := ss.Progress()
	if p != ss.reported {
		ss.reported = p
		c.SetOwn(ss)
		c.Emit(SignupProgressed{Progress: p})
	}
	if !p.Done() || s.Done() {
		return
	}
	ss.EndedSince = time.Time{}
	c.SetOwn(ss)
	if !s.Opts.CanRestore {
		// Without the emulator nothing brings the bank back on demand: the half ends here.
		c.Pass("Plaid's EVENTS showed the institution down and the recovery opt-in; only the demo's emulator can bring the bank back on demand")
		return
	}
	if s.Autopilot() && ss.walked && !ss.Restored {
		c.AutoRestore()
	}
}

// Walked: the sign-up walk has opted in; look now rather than wait for the next tick.
func (sc SignupScenario) Walked(c *Ctx, recovery bool) {
	if recovery {
		return
	}
	ss := own(c)
	ss.walked = true
	c.SetOwn(ss)
	c.PollNow()
	sc.progressed(c)
}

// Restored follows the recovery e-mail's session: its SESSION_FINISHED comes to the original
// token's webhook.
func (SignupScenario) Restored(c *Ctx, sent, inbox []Email) {
	ss, s := own(c), c.State()
	ss.Inbox = add([]Email(nil), inbox...)
	if !s.HasToken() || ss.Restored {
		c.SetOwn(ss)
		return
	}
	mail, ok := pickEmail(sent, s.Token.Token)
	if !ok {
		ss.NoMail = true
		c.SetOwn(ss)
		c.Fail("restore", ErrNoRecoveryEmail)
		return
	}
	ss.NoMail, ss.Restored, ss.Mail = false, true, mail
	c.SetOwn(ss)
	c.Emit(RecoveryEmailSent{Email: mail})
	token := s.Token.Token
	if mail.LinkToken != "" {
		token = mail.LinkToken
	}
	// The sign-up session's own EXITED SESSION_FINISHED may still come: it is not the recovery's.
	c.Await(token, true)
	if s.Autopilot() {
		c.Walk(Walk{URL: mail.URL, Login: SessionLogin, Recovery: true})
	}
}

// Intent brings the bank back, or ticks the next step by hand.
func (sc SignupScenario) Intent(c *Ctx, k IntentKind) {
	ss, s := own(c), c.State()
	switch k {
	case IntentRestore:
		if CanRestore(s) {
			c.Restore()
		}
	case IntentMark:
		if !s.HasToken() {
			return
		}
		switch p := ss.Progress(); {
		case !p.InstitutionDown:
			ss.Manual.InstitutionDown = true
		case !p.OptedIn:
			ss.Manual.OptedIn = true
		}
		c.SetOwn(ss)
		sc.progressed(c)
	}
}

// WalkNow is the sign-up session until its opt-in is reported, then the recovery e-mail's.
func (SignupScenario) WalkNow(s State) (Walk, bool) {
	ss, _ := SignupOf(s)
	switch {
	case !s.HasToken() || s.Done():
		return Walk{}, false
	case ss.Restored:
		return Walk{URL: ss.Mail.URL, Login: SessionLogin, Recovery: true}, true
	case ss.Reported().OptedIn || !s.Busy.Restoring.IsZero():
		// The sign-up session is over (its opt-in was reported): walking its link again only
		// meets "session ended". An opt-in ticked by hand may not have happened: a walk still may.
		return Walk{}, false
	}
	return Walk{URL: s.Token.HostedLinkURL, Login: SignupLogin}, true
}

// Awaiting is the sign-up steps, then the recovery's SESSION_FINISHED.
func (SignupScenario) Awaiting(s State) Awaiting {
	if ss, _ := SignupOf(s); ss.Restored {
		return AwaitSessionFinished
	}
	return AwaitSignupSteps
}

func pickEmail(emails []Email, token string) (Email, bool) {
	for _, m := range emails {
		if m.LinkToken == token {
			return m, true
		}
	}
	if len(emails) > 0 {
		return emails[0], true
	}
	return Email{}, false
}

// allEnded says whether the token has sessions and all of them have finished.
func allEnded(st TokenStatus) bool {
	if len(st.Sessions) == 0 {
		return false
	}
	for _, s := range st.Sessions {
		if !s.Finished {
			return false
		}
	}
	return true
}

// anySucceeded says whether a session ended with an Item.
func anySucceeded(st TokenStatus) bool {
	for _, s := range st.Sessions {
		if len(s.PublicTokens) > 0 {
			return true
		}
	}
	return false
}

// MissingSteps names the sign-up steps not in p.
func MissingSteps(p SignupProgress) string {
	var miss []string
	if !p.InstitutionDown {
		miss = append(miss, "the institution-down error")
	}
	if !p.OptedIn {
		miss = append(miss, "the recovery opt-in")
	}
	return strings.Join(miss, " and ")
}
