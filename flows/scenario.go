package flows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Scenarios are every scenario, in menu order: --scenario, the home screen's keys 1…n and the help
// all come from this list. A new scenario is a file in flows (a type that embeds Base and
// implements the hooks it needs) and a line here.
var Scenarios = []Scenario{SignupScenario{}, SessionScenario{}, LeaveScenario{}}

// Lookup returns the scenario named name.
func Lookup(name string) (Scenario, bool) {
	for _, sc := range Scenarios {
		if sc.Info().Name == name {
			return sc, true
		}
	}
	return nil, false
}

// ByHalf returns the scenario that is Link Recovery's half h (1 or 2).
func ByHalf(h int) (Scenario, bool) {
	for _, sc := range Scenarios {
		if h != 0 && sc.Info().Half == h {
			return sc, true
		}
	}
	return nil, false
}

// Names are the scenarios' names, in menu order.
func Names() []string {
	out := make([]string, 0, len(Scenarios))
	for _, sc := range Scenarios {
		out = append(out, sc.Info().Name)
	}
	return out
}

// ErrUnknownScenario says a name is none of Scenarios; its message names every one.
func ErrUnknownScenario(name string) error {
	return fmt.Errorf("unknown scenario %q: use one of %s", name, strings.Join(Names(), ", "))
}

// Info describes a scenario: what lists show of it and what it needs.
type Info struct {
	Name  string // as --scenario and the records name it: "signup"
	Half  int    // Link Recovery's half it is, 1 or 2; 0 for a scenario that is not a half
	Title string // on menus: "Half 1 · Sign-up"
	About string // one line: what the person does
	Goal  string // the screen's heading
	// Cards are the Sandbox credentials the person types, one card per row (nil: none).
	Cards []CredentialCard
	// RecoveryCards are those of the recovery session the e-mail's link opens (nil: none).
	RecoveryCards []CredentialCard
	// Login is what the emulator does for --auto and the a key.
	Login Login
}

// Awaiting says what a run is waiting for, for a stop's message.
type Awaiting int

// What a run can wait for.
const (
	AwaitSessionFinished Awaiting = iota // a SESSION_FINISHED webhook
	AwaitSignupSteps                     // the sign-up's outage and opt-in
)

// String names it in a sentence ("timed out waiting for …").
func (a Awaiting) String() string {
	if a == AwaitSignupSteps {
		return "the sign-up steps"
	}
	return "SESSION_FINISHED"
}

// SessionEnd is the awaited session's outcome: from a verified SESSION_FINISHED, or from
// /link/token/get once the run fell back to polling.
type SessionEnd struct {
	Seq          int64  // the webhook, 0 for polling
	Status       string // SUCCESS or EXITED
	SessionID    string
	PublicTokens []string
	Via          string // "webhook" or "polling"
}

// Scenario is one way through Link Recovery testing: what the person does in Link and what passes.
// Step runs what every scenario shares (tunnel, token, polling, webhook records, the wait for
// SESSION_FINISHED and its clock, the fallback, the give-ups); the hooks decide the rest. Each hook
// gets a Ctx, the only way to change the run. Embed Base for the defaults.
type Scenario interface {
	Info() Info
	// NewOwn is the scenario's own state when a run (re)starts (nil: none). A value, like State.
	NewOwn() any
	// TokenCreated: the run's token is made (LinkTokenCreated is recorded).
	TokenCreated(c *Ctx)
	// Polled: /link/token/get answered (after the wait saw it).
	Polled(c *Ctx, st TokenStatus)
	// Webhook: a verified webhook about the run's tokens (after it was recorded).
	Webhook(c *Ctx, ev webhook.Event)
	// SessionEnded: the awaited session's outcome arrived. Base exchanges its first public token,
	// or, for an exit, fails a run that gives up.
	SessionEnded(c *Ctx, end SessionEnd)
	// Exchanged: the Item is in (ItemExchanged is recorded). Base passes when the public token came
	// by a verified webhook.
	Exchanged(c *Ctx, it Item, via string)
	// Deadline: one of the scenario's own timers fired (TimerPoll and TimerWebhook are Step's).
	Deadline(c *Ctx, t Timer)
	// Walked: the emulator finished walking a session.
	Walked(c *Ctx, recovery bool)
	// Restored: the emulator brought the bank back.
	Restored(c *Ctx, sent, inbox []Email)
	// Intent: the person asked for something other than a walk.
	Intent(c *Ctx, k IntentKind)
	// WalkNow is what the a key walks now, if anything.
	WalkNow(s State) (Walk, bool)
	// Awaiting is what the run waits for now.
	Awaiting(s State) Awaiting
}

// Base is the hooks a scenario may leave as they are.
type Base struct{}

// NewOwn: no state of its own.
func (Base) NewOwn() any { return nil }

// TokenCreated does nothing.
func (Base) TokenCreated(*Ctx) {}

// Polled does nothing.
func (Base) Polled(*Ctx, TokenStatus) {}

// Webhook does nothing.
func (Base) Webhook(*Ctx, webhook.Event) {}

// SessionEnded exchanges the first public token; an exit without one ends a run that gives up
// (the TUI shows it, and the person makes a new token).
func (Base) SessionEnded(c *Ctx, end SessionEnd) {
	if len(end.PublicTokens) > 0 {
		c.Exchange(end.PublicTokens[0], end.Via)
		return
	}
	if c.State().Opts.GiveUp {
		c.Fail("session", &LeftLinkError{Status: end.Status})
	}
}

// Exchanged passes when the Item came by a verified webhook: otherwise the webhook path is broken.
func (Base) Exchanged(c *Ctx, _ Item, via string) {
	if via != "webhook" {
		c.End(false, ErrWebhookPathBroken)
		return
	}
	c.Pass("a verified SESSION_FINISHED webhook brought the public token, and it was exchanged for an Item")
}

// Deadline does nothing.
func (Base) Deadline(*Ctx, Timer) {}

// Walked does nothing.
func (Base) Walked(*Ctx, bool) {}

// Restored does nothing.
func (Base) Restored(*Ctx, []Email, []Email) {}

// Intent does nothing.
func (Base) Intent(*Ctx, IntentKind) {}

// WalkNow walks the token's session while the run is live.
func (Base) WalkNow(s State) (Walk, bool) {
	if !s.HasToken() || s.Done() {
		return Walk{}, false
	}
	return Walk{URL: s.Token.HostedLinkURL, Login: s.Info().Login}, true
}

// Awaiting is SESSION_FINISHED.
func (Base) Awaiting(State) Awaiting { return AwaitSessionFinished }

// Ctx is what a hook may do to the run it is called for: read it, keep its own state, record a
// fact, ask for calls and deadlines, and end it.
type Ctx struct {
	s       *State
	at      time.Time
	effects []Effect
	events  []Event
}

// State is the run as it is now (a copy: change it through the Ctx).
func (c *Ctx) State() State { return *c.s }

// At is the time of the input being stepped.
func (c *Ctx) At() time.Time { return c.at }

// Own is the scenario's own state.
func (c *Ctx) Own() any { return c.s.Own }

// SetOwn replaces the scenario's own state.
func (c *Ctx) SetOwn(v any) { c.s.Own = v }

// Emit records a fact.
func (c *Ctx) Emit(f Fact) {
	info := c.s.sc.Info()
	c.events = append(c.events, Event{At: c.at, Scenario: info.Name, Half: info.Half, Fact: f})
}

func (c *Ctx) do(e Effect) { c.effects = append(c.effects, e) }

// Schedule asks for t to fire after d, for the run's token.
func (c *Ctx) Schedule(t Timer, d time.Duration) {
	c.do(Schedule{Timer: t, Token: c.s.Token.Token, After: d})
}

// Pass ends the run as passed; reason says why, in a sentence (the done record's reason).
func (c *Ctx) Pass(reason string) { c.end(true, reason, nil) }

// End ends the run with its outcome (once: a run that is done stays as it ended).
func (c *Ctx) End(passed bool, cause error) { c.end(passed, "", cause) }

func (c *Ctx) end(passed bool, reason string, cause error) {
	s := c.s
	if s.Done() {
		return
	}
	s.Phase = PhaseDone
	s.Outcome = Outcome{Passed: passed, Reason: reason, Cause: cause, Via: s.Wait.Via}
	s.Busy = Busy{}
	s.Pacing = Pacing{On: s.Pacing.On}
	c.Emit(Done{Passed: passed, Reason: reason, Cause: cause, Via: s.Wait.Via})
}

// Fail records that step failed; a run that gives up ends with it, otherwise it goes on (the
// screen shows it).
func (c *Ctx) Fail(step string, err error) {
	c.Emit(Failed{Step: step, Err: err})
	if c.s.Opts.GiveUp {
		c.End(false, &StepError{Step: step, Err: err})
	}
}

// Exchange asks for a public token's Item; via says where the token came from.
func (c *Ctx) Exchange(publicToken, via string) {
	w := &c.s.Wait
	if w.publicToken != "" {
		return // one exchange per wait
	}
	w.publicToken, w.Via = publicToken, via
	c.s.Busy.Exchanging = c.at
	c.do(ExchangeToken{PublicToken: publicToken})
}

// PollNow asks /link/token/get at once (unless a poll is already on its way).
func (c *Ctx) PollNow() {
	s := c.s
	if !s.HasToken() || s.Done() || !s.visible || s.polling {
		return
	}
	s.polling = true
	c.do(PollToken{Token: s.Token.Token})
}

// pollLater schedules the next poll while the run is on screen and not done.
func (c *Ctx) pollLater() {
	s := c.s
	if !s.HasToken() || s.Done() || !s.visible || s.pollDue || s.polling {
		return
	}
	s.pollDue = true
	wait, limit := s.Opts.PollInterval, max(MaxRateLimitBackoff, s.Opts.PollInterval)
	for i := 0; i < s.rateLimited && wait < limit; i++ {
		wait *= 2 // Plaid says too many requests: ask less often while it does
	}
	c.Schedule(TimerPoll, min(wait, limit))
}

// Walk asks the emulator to walk a session (one walk at a time).
func (c *Ctx) Walk(w Walk) {
	if !c.s.Busy.Walking.IsZero() || c.s.Pacing.walking() {
		return
	}
	if c.s.Pacing.On {
		c.pace(w)
		return
	}
	c.s.Busy.Walking = c.at
	c.do(w)
}

// Restore asks the emulator to bring the bank back (one at a time).
func (c *Ctx) Restore() {
	if !c.s.Busy.Restoring.IsZero() {
		return
	}
	c.s.Busy.Restoring = c.at
	c.do(RestoreBank{})
}

// Await starts the wait for SESSION_FINISHED of token's session (the run's own token, or a
// recovery e-mail's), whose webhooks then concern the run. Exits of the sessions seen so far are
// expected when quietPast is set: the sign-up session's own EXITED may still arrive during the
// recovery session.
func (c *Ctx) Await(token string, quietPast bool) {
	s := c.s
	if token != "" && !slices.Contains(s.tokens, token) {
		s.tokens = add(s.tokens, token)
	}
	w := Wait{Token: token, Since: c.at}
	if s.NoWebhook() {
		w.Fallback = FallbackNoWebhook // nothing to wait for: polling is all there is
	}
	if quietPast {
		w.Quiet = add([]string(nil), s.sessions...)
		w.QuietExits = true
	}
	s.Wait = w
}

// StepError is a failed step as a run's outcome: "step: err".
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// LeftLinkError: the session ended without an Item (the person left Link).
type LeftLinkError struct{ Status string }

func (e *LeftLinkError) Error() string {
	return "the Link session finished without an Item (status " + orDash(e.Status) + ")"
}

// ErrWebhookPathBroken: the Item came by polling because no verified SESSION_FINISHED did.
var ErrWebhookPathBroken = errors.New("the session finished, but no verified SESSION_FINISHED webhook arrived: the webhook path is broken (see the error records)")
