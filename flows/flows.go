// Package flows holds Link Recovery testing once, UI-free: plain steps over plaid-go (create a Hosted
// Link token, follow its session, take SESSION_FINISHED, exchange the public token, read the Item)
// and, over them, one state machine per half.
//
// A half is a Scenario (scenario.go; signup.go and session.go are the two there are): its
// credentials, checklist, pass rule and the hooks that make it differ. A Machine (machine.go) runs a
// Scenario as a pure reducer: Step takes an Input (a webhook, a poll answer, a deadline, an intent
// such as auto-complete, bring the bank back or tick by hand, each with the driver's clock) and
// returns Actions (calls to make, records to emit, deadlines to schedule). The machine owns the
// webhook clock (it starts when /link/token/get shows the session finished), the fallback to
// polling, the pass rule and the records. RunHeadless (headless.go) is a small loop that performs
// the actions and feeds their results back; the TUI drives the same machine from its Update.
//
// Other files: config.go (Config, LoadConfig, --products), env.go (Env: Plaid client, emulator,
// tunnel, receiver), demo.go (what only the demo's emulator can do, through the Env), link.go
// (link tokens, sessions, progress, webhook helpers), exchange.go (public token → Item), errors.go
// (PlaidError, hints; secrets are masked by internal/secret), transcript.go (JSON lines, 0600).
package flows

import (
	"log"
	"strconv"
	"time"
)

// Mode is where the app's Plaid calls go.
type Mode string

const (
	ModeDemo    Mode = "demo"    // the built-in emulator, in-process
	ModeSandbox Mode = "sandbox" // the real Plaid Sandbox
)

// Config is everything the app is started with (environment, .env and flags).
type Config struct {
	ClientID string // PLAID_CLIENT_ID
	KeysFrom string // where PLAID_CLIENT_ID/PLAID_SECRET came from: "the environment" or the .env path
	Secret   string // PLAID_SECRET (never shown in full)
	PlaidEnv string // PLAID_ENV: "sandbox" (default); "production" is refused
	// PlaidURL overrides the Plaid base URL (PLAID_BASE_URL): a sandbox run pointed at an emulator
	// started with `linkrecovery emulator`, for tests and for trying the real-mode screens offline.
	PlaidURL string

	NgrokAuthtoken string // NGROK_AUTHTOKEN, else from ngrok's own config file
	// NgrokAuthtokenSource says where NgrokAuthtoken came from, for the header: "NGROK_AUTHTOKEN",
	// the .env path, or ngrok's config file (e.g. ~/.config/ngrok/ngrok.yml).
	NgrokAuthtokenSource string
	// NgrokConfigProblem is why ngrok's config file could not be read, when it exists but is broken
	// and no token was found elsewhere; the tunnel error quotes it.
	NgrokConfigProblem string
	NgrokServer        string // ngrok server address override (tests)
	TunnelDeadline     time.Duration
	WebhookURL         string // --webhook-url: the user's own public URL (then Listen is required)
	Listen             string // --listen: where the receiver listens
	PublicHost         string // --public-host: build demo URLs with this host and listen on all interfaces
	ForwardTo          string // --forward-to: relay verified webhooks to the developer's own app
	// ForwardUnverified (--forward-unverified) relays every webhook, verified or not, for testing
	// your own handler's verification.
	ForwardUnverified bool
	// OnlyPlaidIPs (--only-plaid-ips) accepts /webhook only from Plaid's documented webhook addresses
	// (behind the ngrok tunnel only); /complete stays open for the phone.
	OnlyPlaidIPs bool
	RedirectURI  string // --redirect-uri: completion_redirect_uri (default: the receiver's /complete)

	WebhookTimeout time.Duration // how long half 2 waits for SESSION_FINISHED before polling (default 3 min)

	// DebugLog, when set (LINKRECOVERY_DEBUG), gets a line per Plaid call, webhook and tunnel
	// event; never a secret or a token.
	DebugLog *log.Logger
	// Products are the link token's products (--products; nil: DefaultProducts).
	Products []string
}

// Mode says which mode a Config selects: sandbox when both keys are set, else demo.
func (c Config) Mode() Mode {
	if c.ClientID != "" && c.Secret != "" {
		return ModeSandbox
	}
	return ModeDemo
}

// Half names the two halves of Link Recovery testing.
type Half int

const (
	HalfSignup  Half = 1 // log in with error_INSTITUTION_DOWN and opt in to the recovery e-mail
	HalfSession Half = 2 // finish a Hosted Link session and receive SESSION_FINISHED
)

// String names the half as the records and screens do.
func (h Half) String() string {
	switch h {
	case HalfSignup:
		return "signup"
	case HalfSession:
		return "session"
	}
	return "half(" + strconv.Itoa(int(h)) + ")"
}

// LinkToken is a created Hosted Link token.
type LinkToken struct {
	Token         string
	HostedLinkURL string
	Expiration    time.Time
	RequestID     string
	Webhook       string
	RedirectURI   string
}

// LinkEvent is one Link event of a session.
type LinkEvent struct {
	Name      string // e.g. ERROR, ISSUE_FOLLOWED, HANDOFF
	ErrorCode string
	ViewName  string
	At        time.Time
}

// Session is what /link/token/get (or the webhooks) tell of one Link session.
type Session struct {
	ID           string
	Finished     bool
	Status       string // SUCCESS, EXITED, or "" while open
	PublicTokens []string
	ExitCode     string // error code the session exited with, if any
	ExitStatus   string // where Link was when the user left (exit metadata status, e.g. requires_credentials)
	Events       []LinkEvent
}

// TokenStatus is /link/token/get's answer.
type TokenStatus struct {
	Sessions []Session
}

// SignupProgress is the sign-up half's checklist, derived from Link events.
type SignupProgress struct {
	InstitutionDown bool // an ERROR event with INSTITUTION_DOWN (or SELECT_DOWN_INSTITUTION)
	OptedIn         bool // ISSUE_FOLLOWED: the user asked to be told when it is back
}

// Account is one account of the exchanged Item.
type Account struct {
	ID, Name, Mask, Type, Subtype string
	Balance                       *float64
}

// Item is the result of exchanging a public token.
type Item struct {
	ItemID        string
	InstitutionID string
	AccessToken   string // never shown in full: use Mask
	Accounts      []Account
}

// Record is one line of --no-tui output and of a transcript: an object with an "event" field.
type Record map[string]any

// HalfOptions configures RunHeadless.
type HalfOptions struct {
	Half Half
	Auto bool // demo mode: complete the Hosted Link session(s) with the emulator, no browser needed
	// PollInterval is how often /link/token/get is polled while following a session (0:
	// PollInterval(mode): 250 ms in demo mode, 2 s against Plaid, which rate-limits).
	PollInterval time.Duration
	// TransportGrace is how long Plaid may not answer at all before the run gives up (0:
	// DefaultTransportGrace).
	TransportGrace time.Duration
	// EventsWait bounds the wait for late EVENTS once every sign-up session ended short (0:
	// DefaultEventsWait).
	EventsWait time.Duration
	// Now is the clock the records are stamped with (nil: time.Now).
	Now func() time.Time
}
