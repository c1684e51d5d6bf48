package flows

import (
	"errors"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// LeaveScenario is the person who leaves Link before linking an account. Plaid then sends
// SESSION_FINISHED with status EXITED and empty public_tokens (after EVENTS with an EXIT event): the
// app must exchange nothing and should offer Link again. It passes when that SESSION_FINISHED is
// verified and nothing was exchanged.
type LeaveScenario struct{ Base }

// LeaveLogin leaves Link at its first page, before choosing a bank.
var LeaveLogin = Login{Exit: true}

// ErrLinkedAnAccount: the person linked an account instead of leaving.
var ErrLinkedAnAccount = errors.New("the person linked an account (SESSION_FINISHED status SUCCESS); this scenario needs them to leave Link before linking one, and nothing was exchanged")

// LeaveState is what the leave scenario keeps: whether EVENTS reported the EXIT.
type LeaveState struct{ ExitEvent bool }

// LeaveOf is the leave scenario's own state of s (ok false for another scenario).
func LeaveOf(s State) (LeaveState, bool) {
	st, ok := s.Own.(LeaveState)
	return st, ok
}

// Info describes the scenario.
func (LeaveScenario) Info() Info {
	return Info{
		Name:  "leave",
		Title: "Leave Link",
		About: "leave Hosted Link before linking an account; nothing may be exchanged",
		Goal:  "Leave Link: SESSION_FINISHED with status EXITED, nothing exchanged",
		Login: LeaveLogin,
	}
}

// NewOwn starts with no EXIT seen.
func (LeaveScenario) NewOwn() any { return LeaveState{} }

// TokenCreated waits for the token's session.
func (LeaveScenario) TokenCreated(c *Ctx) { c.Await(c.State().Token.Token, false) }

// Webhook notes the EXIT event of an EVENTS webhook.
func (LeaveScenario) Webhook(c *Ctx, ev webhook.Event) {
	for _, le := range WebhookEvents(ev) {
		if le.Name == "EXIT" {
			c.SetOwn(LeaveState{ExitEvent: true})
		}
	}
}

// SessionEnded passes on an exit that came by a verified webhook; an Item fails the scenario and is
// not exchanged.
func (LeaveScenario) SessionEnded(c *Ctx, end SessionEnd) {
	switch {
	case len(end.PublicTokens) > 0:
		c.Emit(Failed{Step: "session", Err: ErrLinkedAnAccount})
		c.End(false, &StepError{Step: "session", Err: ErrLinkedAnAccount})
	case end.Via != "webhook":
		c.End(false, ErrWebhookPathBroken)
	default:
		c.Pass("a verified SESSION_FINISHED webhook said the person left Link (" + orDash(end.Status) + "), and nothing was exchanged")
	}
}
