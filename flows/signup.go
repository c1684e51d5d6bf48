package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// SignupScenario is half 1: log in while the bank is down and opt in to the recovery e-mail; in
// demo mode, then bring the bank back and finish the session the e-mail opens. Against the
// Sandbox, which cannot bring a bank back on demand, it passes once both steps are seen; with the
// emulator, once the recovery session's Item came by a verified SESSION_FINISHED.
type SignupScenario struct{ baseScenario }

// SignupState is the sign-up half's own state (Machine.Signup).
type SignupState struct {
	Hook   SignupProgress // from verified EVENTS webhooks
	Poll   SignupProgress // from /link/token/get
	Manual SignupProgress // ticked by hand (m): the real Sandbox may not report the opt-in

	Restoring bool
	Restored  bool
	Inbox     []Email
	Mail      *Email // the recovery e-mail whose session the half follows

	walked     bool           // the --auto walk of the sign-up session returned
	reported   SignupProgress // the last progress record
	EndedSince time.Time      // every session has ended with steps missing, since then
	shortSaid  bool           // the give-up was reported
}

// Progress is the checklist from every source.
func (st *SignupState) Progress() SignupProgress { return st.Hook.Merge(st.Poll).Merge(st.Manual) }

// Signup is the sign-up half's state, or nil for another half.
func (m *Machine) Signup() *SignupState {
	st, _ := m.half.(*SignupState)
	return st
}

// Half is 1.
func (SignupScenario) Half() Half { return HalfSignup }

// Title names the half.
func (SignupScenario) Title() string { return "Half 1 · Sign-up" }

// About says what the person does.
func (SignupScenario) About() string {
	return "log in while the bank is down and opt in to the recovery e-mail"
}

// Goal is the screen's heading.
func (SignupScenario) Goal() string {
	return "Half 1 · Sign-up: see the outage, opt in to the recovery e-mail"
}

// Credentials are the outage login, its fallback for clients outside the Link Recovery beta, and
// the recovery opt-in, as Plaid documents them for the Sandbox.
func (SignupScenario) Credentials() []CredentialCard {
	return []CredentialCard{
		{"log in", []Credential{{"username", emulator.UserGood}, {"password", emulator.PassInstitutionDown}}},
		{"or", []Credential{{"fallback username", emulator.UserLinkRecovery}, {"fallback password", emulator.PassLinkRecovery}}},
		{"opt in", []Credential{{"e-mail", emulator.RecoveryEmail}, {"code", emulator.RecoveryCode}}},
	}
}

// AutoCredentials log in to the down bank and opt in.
func (SignupScenario) AutoCredentials() emulator.Credentials { return AutoSignupCredentials }

// Checklist is the outage and the opt-in.
func (SignupScenario) Checklist(m *Machine) []CheckItem {
	st := m.Signup()
	p, seen := st.Progress(), st.Hook.Merge(st.Poll)
	return []CheckItem{
		{Done: p.InstitutionDown, Reported: seen.InstitutionDown, ByHand: st.Manual.InstitutionDown, Text: "Institution-down error seen"},
		{Done: p.OptedIn, Reported: seen.OptedIn, ByHand: st.Manual.OptedIn, Text: "Recovery opt-in done"},
	}
}

func (SignupScenario) newState() any { return &SignupState{} }

// signupHint names both credential pairs, since a client outside the Link Recovery beta needs the
// second one.
func signupHint() string {
	return fmt.Sprintf("log in with %s / %s (or %s / %s if your Plaid client is not in the Link Recovery beta), then opt in with %s and code %s",
		emulator.UserGood, emulator.PassInstitutionDown, emulator.UserLinkRecovery, emulator.PassLinkRecovery,
		emulator.RecoveryEmail, emulator.RecoveryCode)
}

func (sc SignupScenario) polled(s *stepper, st TokenStatus) {
	ss := s.m.Signup()
	ss.Poll = ss.Poll.Merge(st.Progress())
	sc.progressed(s)
	if s.m.Done || ss.Restored || ss.Progress().Done() || !allEnded(st) {
		ss.stopWaiting(s.m)
		return
	}
	if anySucceeded(st) {
		// The person got into the bank: it was not down, so no EVENTS will change that.
		sc.giveUp(s, ss)
		return
	}
	if ss.EndedSince.IsZero() && !ss.shortSaid {
		// Plaid sends EVENTS when the user finishes, or minutes after an abandoned session: wait.
		ss.EndedSince = s.at
		s.m.Note = fmt.Sprintf("Every session ended without %s so far. Plaid may send its EVENTS up to 15 minutes after a session is abandoned: waiting up to %s. Or press n and %s.",
			missingSteps(ss.Progress()), s.m.o.EventsWait, signupHint())
		s.emit(Record{"event": "waiting", "half": s.half(), "hosted_link_url": s.m.Token.HostedLinkURL,
			"message": fmt.Sprintf("every session ended without %s so far; Plaid may send its EVENTS up to 15 minutes after a session is abandoned, so waiting up to %s",
				missingSteps(ss.Progress()), s.m.o.EventsWait)})
		s.do(Schedule{Timer: TimerEvents, Token: s.m.Token.Token, After: min(eventsNotice, s.m.o.EventsWait)})
	}
}

func (sc SignupScenario) deadline(s *stepper, t Timer) {
	ss := s.m.Signup()
	if t != TimerEvents || ss.EndedSince.IsZero() || ss.Progress().Done() || ss.Restored {
		return
	}
	el := s.at.Sub(ss.EndedSince)
	if el >= s.m.o.EventsWait {
		sc.giveUp(s, ss)
		return
	}
	left := s.m.o.EventsWait - el
	s.emit(Record{"event": "waiting", "half": s.half(), "hosted_link_url": s.m.Token.HostedLinkURL,
		"message": fmt.Sprintf("still no EVENTS with %s; waiting %s more", missingSteps(ss.Progress()), left.Round(time.Second))})
	s.do(Schedule{Timer: TimerEvents, Token: s.m.Token.Token, After: min(eventsNotice, left)})
}

// stopWaiting ends the wait for late EVENTS (they came, or a session is open again).
func (st *SignupState) stopWaiting(m *Machine) {
	if !st.EndedSince.IsZero() {
		st.EndedSince = time.Time{}
		m.Note = ""
	}
}

// giveUp says, once, that the sign-up session ended short, naming both credential pairs.
func (SignupScenario) giveUp(s *stepper, ss *SignupState) {
	if ss.shortSaid {
		return
	}
	ss.shortSaid = true
	ss.EndedSince = time.Time{}
	msg := fmt.Sprintf("the sign-up session ended without %s; open a new token and %s", missingSteps(ss.Progress()), signupHint())
	s.m.Note = msg
	s.fail("session", fmt.Errorf("%s", msg))
}

func (sc SignupScenario) webhook(s *stepper, ev webhook.Event) {
	ss := s.m.Signup()
	if !ev.Verified || ss.Restored {
		return
	}
	ss.Hook = ss.Hook.Merge(Progress(WebhookEvents(ev)))
	sc.progressed(s)
	if SessionFinished(ev) && !ss.Progress().Done() {
		s.pollNow() // the session is over: look now rather than at the next tick
	}
}

// progressed records a changed checklist and moves the half on when both steps are seen.
func (SignupScenario) progressed(s *stepper) {
	m, ss := s.m, s.m.Signup()
	p := ss.Progress()
	if p != ss.reported {
		ss.reported = p
		s.emit(Record{"event": "progress", "institution_down": p.InstitutionDown, "opted_in": p.OptedIn})
	}
	if !p.Done() || m.Done {
		return
	}
	ss.stopWaiting(m)
	if !m.o.CanRestore {
		// Without the emulator nothing brings the bank back on demand: the half ends here.
		s.finish(true, "")
		return
	}
	if m.o.Auto && ss.walked && !ss.Restoring && !ss.Restored {
		ss.Restoring = true
		s.do(RestoreBank{})
	}
}

func (sc SignupScenario) autoCompleted(s *stepper, recovery bool) {
	if recovery {
		return
	}
	s.m.Signup().walked = true
	s.pollNow() // the opt-in is recorded now: look rather than wait for the next tick
	sc.progressed(s)
}

func (SignupScenario) restored(s *stepper, sent, inbox []Email) {
	m, ss := s.m, s.m.Signup()
	ss.Restoring = false
	ss.Inbox = inbox
	if m.Token == nil || ss.Restored {
		return
	}
	mail, ok := pickEmail(sent, m.Token.Token)
	if !ok {
		m.Note = "The bank is back, but no recovery e-mail was sent: no opt-in was waiting. Log in with user_good / error_INSTITUTION_DOWN and opt in first (a does it for you)."
		s.fail("restore", fmt.Errorf("the institution is back but no recovery e-mail was sent: the opt-in was not recorded; run half 1 again"))
		return
	}
	m.Note = ""
	ss.Restored = true
	ss.Mail = &mail
	s.emit(Record{"event": "recovery_email", "to": mail.To, "url": mail.URL, "subject": mail.Subject,
		"institution_id": mail.InstitutionID, "institution_name": mail.InstitutionName})
	token := m.Token.Token
	if mail.LinkToken != "" && mail.LinkToken != token {
		token = mail.LinkToken
		m.tokens = append(m.tokens, token)
	}
	m.Fin = newFinish(token, s.at, m.NoWebhook())
	m.Fin.QuietExits = true // the sign-up session's own EXITED SESSION_FINISHED may still come
	if m.o.Auto {
		m.Auto = true
		s.do(CompleteSession{URL: mail.URL, Creds: AutoSessionCredentials, Recovery: true})
	}
}

func (SignupScenario) restoreFailed(s *stepper, err error) {
	s.m.Signup().Restoring = false
	s.fail("restore", err)
}

func (sc SignupScenario) intent(s *stepper, k IntentKind) {
	m, ss := s.m, s.m.Signup()
	switch k {
	case IntentRestore:
		if CanRestoreNow(m) {
			ss.Restoring = true
			s.do(RestoreBank{})
		}
	case IntentMark:
		if m.Token == nil {
			return
		}
		p := ss.Progress()
		switch {
		case !p.InstitutionDown:
			ss.Manual.InstitutionDown = true
		case !p.OptedIn:
			ss.Manual.OptedIn = true
		}
		sc.progressed(s)
	}
}

// RestoreWhyNot says in a line (at most 80 cells) why r (bring the bank back) does nothing now, or "" when it works.
func RestoreWhyNot(m *Machine) string {
	ss := m.Signup()
	switch {
	case ss == nil:
		return "r brings the bank back in half 1 (sign-up) only."
	case !m.o.CanRestore:
		return "r needs the local emulator: the Sandbox cannot bring a bank back on demand."
	case m.Token == nil:
		return "r brings the bank back after the opt-in; create a token first (n)."
	case ss.Restoring:
		return "r: the institution is already coming back."
	case ss.Restored:
		return "r: the institution is back and the recovery e-mail is out."
	case m.Done:
		return "r: this half is over; press n to start again."
	case !ss.Progress().OptedIn:
		return "r needs the recovery opt-in first: opt in in Link (a does it for you)."
	}
	return ""
}

// CanRestoreNow says whether bringing the bank back makes sense now (the r key).
func CanRestoreNow(m *Machine) bool {
	ss := m.Signup()
	return ss != nil && m.o.CanRestore && m.Token != nil && ss.Progress().OptedIn && !ss.Restored && !ss.Restoring && !m.Done
}

func (SignupScenario) autoTarget(m *Machine) (string, emulator.Credentials, bool, bool) {
	ss := m.Signup()
	if m.Token == nil || m.Done {
		return "", emulator.Credentials{}, false, false
	}
	if ss.Restored {
		if ss.Mail == nil {
			return "", emulator.Credentials{}, false, false
		}
		return ss.Mail.URL, AutoSessionCredentials, true, true
	}
	if ss.Hook.Merge(ss.Poll).OptedIn || ss.Restoring {
		// The sign-up session is over (its opt-in was reported): walking its link again only
		// meets "session ended". An opt-in ticked by hand (m) may not have happened: a still may.
		return "", emulator.Credentials{}, false, false
	}
	return m.Token.HostedLinkURL, AutoSignupCredentials, false, true
}

func (SignupScenario) waitingFor(m *Machine) string {
	if ss := m.Signup(); ss != nil && ss.Restored {
		return "SESSION_FINISHED"
	}
	return "the sign-up steps"
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

// missingSteps names the sign-up steps not seen, for the error.
func missingSteps(p SignupProgress) string {
	var miss []string
	if !p.InstitutionDown {
		miss = append(miss, "the institution-down error")
	}
	if !p.OptedIn {
		miss = append(miss, "the recovery opt-in")
	}
	return strings.Join(miss, " and ")
}
