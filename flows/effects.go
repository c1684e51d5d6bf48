package flows

import (
	"strconv"
	"time"
)

// Effect is something Step asks the driver to do; the wiring performs it and hands back an Input
// (the answer, or a CallFailed naming Call()).
type Effect interface {
	// Call is the call the effect makes, as its failure names it (0 for Schedule, which cannot fail).
	Call() Call
}

// CreateToken asks for /link/token/create: with the tunnel's webhook, or without one (polling only).
type CreateToken struct{ Webhook bool }

// PollToken asks for /link/token/get now; the answer comes back as Polled or CallFailed.
type PollToken struct{ Token string }

// ExchangeToken asks to exchange a public token for its Item (then /item/get and /accounts/get).
type ExchangeToken struct{ PublicToken string }

// Walk asks the emulator to walk a Hosted Link session as a person would (demo mode).
type Walk struct {
	URL      string
	Login    Login
	Recovery bool // the recovery e-mail's session
}

// RestoreBank asks the emulator to bring the bank back and send the recovery e-mails (demo mode).
type RestoreBank struct{}

// Schedule asks for a DeadlinePassed{Timer, Token} after After.
type Schedule struct {
	Timer Timer
	Token string
	After time.Duration
}

// Call implements Effect.
func (CreateToken) Call() Call   { return CallCreateToken }
func (PollToken) Call() Call     { return CallPoll }
func (ExchangeToken) Call() Call { return CallExchange }
func (Walk) Call() Call          { return CallWalk }
func (RestoreBank) Call() Call   { return CallRestore }
func (Schedule) Call() Call      { return 0 }

// Call names the calls effects make, so that a failure can say which one failed.
type Call int

// The calls.
const (
	CallCreateToken Call = iota + 1
	CallPoll
	CallExchange
	CallWalk
	CallRestore
)

// String is the call's name as "error" records give it in step.
func (c Call) String() string {
	return named("call", int(c), "", "link_token_create", "link_token_get", "exchange", "auto", "restore")
}

// Timer names the deadlines a run schedules.
type Timer int

// The deadlines.
const (
	TimerPoll    Timer = iota + 1 // the next /link/token/get
	TimerWebhook                  // the webhook clock: SESSION_FINISHED should have come by now
	TimerEvents                   // the sign-up's wait for late EVENTS: say how long is left
)

// String names the timer, so tests and logs do not depend on the order of the constants.
func (t Timer) String() string {
	return named("timer", int(t), "", "poll", "webhook", "events")
}

// named is the name of value n of an enum among names (indexed by value), or kind(n) for a value
// that has none.
func named(kind string, n int, names ...string) string {
	if n >= 0 && n < len(names) && names[n] != "" {
		return names[n]
	}
	return kind + "(" + strconv.Itoa(n) + ")"
}
