package flows

import (
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Input is one thing that happened to a run, fed to Step with the time it happened (read from the
// driver's clock: the core never reads one).
type Input interface{ isInput() }

// Start begins a run (or begins it again with a new token: the "new token" intent).
type Start struct{}

// TunnelUp says the tunnel opened and the receiver runs.
type TunnelUp struct {
	WebhookURL  string
	Provider    string // tunnel.Provider: local, url or ngrok
	TokenSource string // ngrok: where its authtoken came from
	FreePlan    bool   // ngrok's free plan: the phone meets its browser warning first
}

// TunnelDown says the tunnel could not open (or a retry failed).
type TunnelDown struct{ Err error }

// TokenCreated is /link/token/create's answer, with what Plaid's first answer said of our clock.
type TokenCreated struct {
	Token     LinkToken
	ClockSkew time.Duration // Plaid's clock minus ours
	SkewKnown bool          // Plaid has answered with a Date: ClockSkew means something
}

// Polled is /link/token/get's answer for Token.
type Polled struct {
	Token  string
	Status TokenStatus
}

// Received is one receiver event (a webhook, a refused request, a /complete visit, a relay's result).
type Received struct{ Event webhook.Event }

// ReceiverStopped says the receiver's event channel closed: no more webhooks can come.
type ReceiverStopped struct{}

// DeadlinePassed is a Schedule effect's timer firing.
type DeadlinePassed struct {
	Timer Timer
	Token string
}

// Exchanged is the Item a public token was exchanged for.
type Exchanged struct{ Item Item }

// Walked says the emulator finished walking a Hosted Link session.
type Walked struct {
	Recovery bool // the recovery e-mail's session, not the run's own
}

// Restored says the bank is back: Sent are the recovery e-mails it sent now, Inbox every one so far.
type Restored struct {
	Sent  []Email
	Inbox []Email
}

// CallFailed says an effect's call failed.
type CallFailed struct {
	Call Call
	Err  error
}

// Intent is something the person asked for (a key in the TUI).
type Intent struct{ Kind IntentKind }

// Visible says whether the run is on screen: a TUI polls only the run the person looks at.
type Visible struct{ On bool }

// Stopped says the run's context ended (headless: a deadline or a signal).
type Stopped struct{ Err error }

// Answered wraps the input a call produced with the Plaid calls it made on the way (each one
// becomes a PlaidCall event, before what the input itself brings).
type Answered struct {
	Input Input
	Calls []PlaidCall
}

func (Start) isInput()           {}
func (TunnelUp) isInput()        {}
func (TunnelDown) isInput()      {}
func (TokenCreated) isInput()    {}
func (Polled) isInput()          {}
func (Received) isInput()        {}
func (ReceiverStopped) isInput() {}
func (DeadlinePassed) isInput()  {}
func (Exchanged) isInput()       {}
func (Walked) isInput()          {}
func (Restored) isInput()        {}
func (CallFailed) isInput()      {}
func (Intent) isInput()          {}
func (Visible) isInput()         {}
func (Stopped) isInput()         {}
func (Answered) isInput()        {}

// IntentKind names what the person asked for.
type IntentKind int

// The intents a person can have.
const (
	IntentWalk    IntentKind = iota + 1 // the emulator walks the current session (demo)
	IntentRestore                       // bring the bank back (demo, sign-up)
	IntentMark                          // tick the next sign-up step by hand
	IntentNext                          // step by step: perform the step the run paused before
)

// String names the intent.
func (k IntentKind) String() string {
	return named("intent", int(k), "", "walk", "restore", "mark", "next")
}
