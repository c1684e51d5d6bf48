package flows

import (
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Event is one fact a step established: when, in which scenario, and what. Records, screens, the
// presenter view and the report are renderings of Events, each written where its output lives.
type Event struct {
	At       time.Time
	Scenario string // the scenario's name ("signup", "session", "leave")
	Half     int    // Link Recovery's half the scenario is (1 or 2), 0 for other scenarios
	Fact     Fact
}

// Fact is what an Event says; one of the types below.
type Fact interface{ isFact() }

// Ready: the emulator (demo) and the tunnel are up, or the tunnel failed and the run goes on
// without webhooks (Tunnel "none").
type Ready struct {
	Mode        Mode
	PlaidURL    string
	WebhookURL  string
	Tunnel      string // the provider, or "none"
	TokenSource string // ngrok: where its authtoken came from
	FreePlan    bool   // ngrok's free plan
}

// LinkTokenCreated: the Hosted Link token exists.
type LinkTokenCreated struct{ Token LinkToken }

// ClockOff: Plaid's first answer says the local clock is more than MaxClockSkew away.
type ClockOff struct{ Skew time.Duration }

// WaitingForPerson: without --auto, a person must open the URL and finish the session, typing
// the scenario's credentials (Cards).
type WaitingForPerson struct {
	URL   string
	Cards []CredentialCard
}

// WaitingForEvents: every sign-up session ended with steps missing; Plaid may still send its
// EVENTS, so the run waits Total at most, Left of it still to go.
type WaitingForEvents struct {
	URL     string
	Missing SignupProgress // what is missing: the false fields
	Left    time.Duration
	Total   time.Duration
	First   bool // the wait begins now
}

// PlaidCall: one HTTP call to Plaid (or the emulator in its place), with bodies masked and bounded.
type PlaidCall struct {
	Method    string // "POST"
	Endpoint  string // "/link/token/create"
	Status    int    // HTTP status; 0 when nothing answered
	Took      time.Duration
	RequestID string // Plaid's request_id, when the answer has one
	Request   Body
	Response  Body
	Err       string // why nothing answered
}

// Body is an HTTP or webhook body as events carry it: secrets and tokens masked (MaskBody), control
// characters escaped, at most MaxBody bytes.
type Body struct {
	Text string // indented JSON when it parsed, else the masked text
	Size int    // the whole body's size in bytes
	Cut  bool   // Text is a prefix
}

// WebhookSeen: the receiver took a webhook (verified or not, maybe a duplicate).
type WebhookSeen struct {
	Seq              int64
	Verified         bool
	Duplicate        bool
	Reason           string // why it is not verified
	Type, Code       string // webhook_type, webhook_code
	Status           string // SESSION_FINISHED: SUCCESS or EXITED
	LinkSessionID    string
	LinkToken        string
	PublicTokenCount int      // the tokens themselves are never in an event
	LinkEvents       []string // EVENTS: its Link events' names, in order (EXIT, ERROR…)
	Other            bool     // about a link token that is not this run's
	Body             Body
}

// RequestRefused: the receiver refused a request before it was a webhook (method, type, size).
type RequestRefused struct {
	Seq    int64
	Status int
	Reason string
}

// CompletionPage: the /complete page was opened with this run's nonce (the phone reached the end).
type CompletionPage struct{ Seq int64 }

// Relayed: --forward-to's answer for a webhook (or why it was not relayed).
type Relayed struct{ Result webhook.ForwardResult }

// SignupProgressed: the sign-up checklist changed.
type SignupProgressed struct{ Progress SignupProgress }

// RecoveryEmailSent: the bank is back and the recovery e-mail is out (demo).
type RecoveryEmailSent struct{ Email Email }

// LeftLink: the person left Link without linking an account: a verified SESSION_FINISHED with
// status EXITED and no public token.
type LeftLink struct {
	Seq       int64 // the webhook
	Status    string
	SessionID string
}

// Fallback says why a run follows /link/token/get instead of waiting for SESSION_FINISHED.
type Fallback int

// The reasons.
const (
	FallbackNone            Fallback = iota
	FallbackNoWebhook                // the token has no webhook (the tunnel had failed)
	FallbackTimeout                  // no verified SESSION_FINISHED within the webhook timeout of the finish
	FallbackReceiverStopped          // the receiver stopped before SESSION_FINISHED
)

// String names the reason.
func (f Fallback) String() string {
	return named("fallback", int(f), "none", "no-webhook", "timeout", "receiver-stopped")
}

// FellBack: the run gave up on the webhook and follows /link/token/get (it can no longer pass).
type FellBack struct {
	Why   Fallback
	After time.Duration // FallbackTimeout: the webhook timeout
}

// ReceiverGone: the receiver stopped; no webhook can come any more.
type ReceiverGone struct{}

// ItemExchanged: the public token was exchanged; Via says where it came from.
type ItemExchanged struct {
	Item Item
	Via  string // "webhook" or "polling"
}

// Failed: a step failed. With GiveUp the run ends next (Done); otherwise it goes on.
type Failed struct {
	Step string // link_token_create, link_token_get, exchange, auto, restore, session, tunnel, wait, …
	Err  error
}

// GaveUp: Plaid did not answer (or answered only errors) for too long; the run ends next.
type GaveUp struct {
	For      time.Duration
	Last     error
	Answered bool   // Plaid answered, with server errors or rate limits; false: no answer at all
	PlaidURL string // where the calls went, for the next step
}

// Done: the run reached its outcome.
type Done struct {
	Passed bool
	Reason string // why it passed, in a sentence ("" when it did not)
	Cause  error  // why it did not pass (nil when it passed)
	Via    string // where the Item (or the exit) came from: "webhook" or "polling"
}

func (Ready) isFact()             {}
func (LinkTokenCreated) isFact()  {}
func (ClockOff) isFact()          {}
func (WaitingForPerson) isFact()  {}
func (WaitingForEvents) isFact()  {}
func (PlaidCall) isFact()         {}
func (WebhookSeen) isFact()       {}
func (RequestRefused) isFact()    {}
func (CompletionPage) isFact()    {}
func (Relayed) isFact()           {}
func (SignupProgressed) isFact()  {}
func (RecoveryEmailSent) isFact() {}
func (LeftLink) isFact()          {}
func (FellBack) isFact()          {}
func (ReceiverGone) isFact()      {}
func (ItemExchanged) isFact()     {}
func (Failed) isFact()            {}
func (GaveUp) isFact()            {}
func (Done) isFact()              {}
