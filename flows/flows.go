// Package flows holds the two halves of Link Recovery testing as plain, UI-free steps over plaid-go:
// create a Hosted Link token, follow its session, take SESSION_FINISHED, exchange the public token and
// read the Item. The TUI calls these steps from tea.Cmds; RunHeadless chains them for --no-tui.
//
// CONTRACT STUB: the exported API is fixed so that tui/ and main.go build against it; the flows owner
// fills in the bodies.
package flows

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/linkrecovery/linkrecovery/emulator"
	"github.com/linkrecovery/linkrecovery/tunnel"
	"github.com/plaid/plaid-go/v29/plaid"
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
	Secret   string // PLAID_SECRET (never shown in full)
	PlaidEnv string // PLAID_ENV: "sandbox" (default); "production" is refused
	// PlaidURL overrides the Plaid base URL (PLAID_BASE_URL): a sandbox run pointed at an emulator
	// started with `linkrecovery emulator`, for tests and for trying the real-mode screens offline.
	PlaidURL string

	NgrokAuthtoken string // NGROK_AUTHTOKEN
	NgrokServer    string // ngrok server address override (tests)
	TunnelDeadline time.Duration
	WebhookURL     string // --webhook-url: the user's own public URL (then Listen is required)
	Listen         string // --listen: where the receiver listens
	PublicHost     string // --public-host: build demo URLs with this host and listen on all interfaces
	ForwardTo      string // --forward-to: relay webhooks to the developer's own app
	RedirectURI    string // --redirect-uri: completion_redirect_uri (default: the receiver's /complete)

	WebhookTimeout time.Duration // how long half 2 waits for SESSION_FINISHED before polling (default 3 min)
}

// LoadConfig reads PLAID_CLIENT_ID, PLAID_SECRET, PLAID_ENV, PLAID_BASE_URL and NGROK_AUTHTOKEN from
// getenv, falling back to a .env file at dotenvPath (ignored when absent). It refuses production.
func LoadConfig(getenv func(string) string, dotenvPath string) (Config, error) {
	return Config{}, errors.New("flows: not implemented yet")
}

// Mode says which mode a Config selects: sandbox when both keys are set, else demo.
func (c Config) Mode() Mode {
	if c.ClientID != "" && c.Secret != "" {
		return ModeSandbox
	}
	return ModeDemo
}

// Env is a running set-up: the Plaid client, the emulator (demo mode), the tunnel and the receiver.
type Env struct {
	Mode     Mode
	PlaidURL string
	Plaid    *plaid.APIClient
	Emulator *emulator.Emulator // nil outside demo mode
	Tunnel   *tunnel.Tunnel     // nil until OpenTunnel succeeds
	Receiver *tunnel.Receiver
}

// NewEnv builds the Plaid client and, in demo mode, starts the emulator on loopback. It is fast (no
// tunnel yet) so the first frame is not delayed.
func NewEnv(ctx context.Context, cfg Config) (*Env, error) {
	return nil, errors.New("flows: not implemented yet")
}

// OpenTunnel opens the tunnel the Config asks for (local in demo mode; --webhook-url, else ngrok, in
// sandbox mode) and starts the receiver on it. A tunnel failure is a *tunnel.Error with a next step;
// the Env stays usable (polling /link/token/get still works).
func (e *Env) OpenTunnel(ctx context.Context) (*tunnel.Tunnel, error) {
	return nil, errors.New("flows: not implemented yet")
}

// Close closes the tunnel, the receiver and the emulator.
func (e *Env) Close() error { return nil }

// Half names the two halves of Link Recovery testing.
type Half int

const (
	HalfSignup  Half = 1 // log in with error_INSTITUTION_DOWN and opt in to the recovery e-mail
	HalfSession Half = 2 // finish a Hosted Link session and receive SESSION_FINISHED
)

// LinkToken is a created Hosted Link token.
type LinkToken struct {
	Token         string
	HostedLinkURL string
	Expiration    time.Time
	RequestID     string
	Webhook       string
	RedirectURI   string
}

// CreateHostedLinkToken calls /link/token/create with webhook and hosted_link (completion_redirect_uri
// included) for the half.
func (e *Env) CreateHostedLinkToken(ctx context.Context, half Half) (LinkToken, error) {
	return LinkToken{}, errors.New("flows: not implemented yet")
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
	Events       []LinkEvent
}

// TokenStatus is /link/token/get's answer.
type TokenStatus struct {
	Sessions []Session
}

// GetLinkToken calls /link/token/get.
func (e *Env) GetLinkToken(ctx context.Context, token string) (TokenStatus, error) {
	return TokenStatus{}, errors.New("flows: not implemented yet")
}

// SignupProgress is the sign-up half's checklist, derived from Link events.
type SignupProgress struct {
	InstitutionDown bool // an ERROR event with INSTITUTION_DOWN (or SELECT_DOWN_INSTITUTION)
	OptedIn         bool // ISSUE_FOLLOWED: the user asked to be told when it is back
}

// Progress derives the checklist from events.
func Progress(events []LinkEvent) SignupProgress { return SignupProgress{} }

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

// Exchange calls /item/public_token/exchange, then /item/get and /accounts/get.
func (e *Env) Exchange(ctx context.Context, publicToken string) (Item, error) {
	return Item{}, errors.New("flows: not implemented yet")
}

// PlaidError is a Plaid error response, with what to do about it.
type PlaidError struct {
	HTTPStatus     int
	Type           string
	Code           string
	Message        string
	DisplayMessage string
	RequestID      string
	Endpoint       string
}

func (e *PlaidError) Error() string { return e.Endpoint + ": " + e.Code + ": " + e.Message }

// Hint says what the user should do next for this error.
func (e *PlaidError) Hint() string { return "" }

// Mask shows the start and end of a secret: "acce…1234".
func Mask(secret string) string { return "" }

// Record is one line of --no-tui output and of a transcript: an object with an "event" field.
type Record map[string]any

// HalfOptions configures RunHeadless.
type HalfOptions struct {
	Half Half
	Auto bool // demo mode: complete the Hosted Link session(s) with the emulator, no browser needed
}

// RunHeadless runs a half and emits one Record per step (ready, link_token_created, webhook,
// public_token_exchanged, error, done). It reports whether the half passed.
func RunHeadless(ctx context.Context, env *Env, o HalfOptions, emit func(Record)) bool { return false }

// Transcript writes Records as JSON lines to a 0600 file.
type Transcript struct{ w io.WriteCloser }

// OpenTranscript creates (or truncates) path with mode 0600.
func OpenTranscript(path string) (*Transcript, error) {
	return nil, errors.New("flows: not implemented yet")
}

// Write appends one record.
func (t *Transcript) Write(r Record) error { return nil }

// Close closes the file.
func (t *Transcript) Close() error { return nil }

var _ = http.StatusOK
