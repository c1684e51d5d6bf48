// Package emulator is a local stand-in for the parts of the Plaid Sandbox that Link Recovery testing
// touches. The real plaid-go client talks to it as if it were Plaid; it also does what the real Sandbox
// cannot: it "sends" the Link Recovery e-mail, so the whole flow can be tested end to end offline.
//
// CONTRACT STUB: the exported API below is fixed so that flows/, tui/ and main.go can build against it
// while the emulator is written. Bodies are filled in by the emulator's owner.
package emulator

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Sandbox institutions the emulator knows. The first is the one Link Recovery flows use by default.
const (
	DefaultInstitutionID = "ins_109508" // First Platypus Bank
)

// Sandbox credentials, as Plaid documents them for Link Recovery testing.
const (
	UserGood            = "user_good"
	PassGood            = "pass_good"
	PassInstitutionDown = "error_INSTITUTION_DOWN"
	UserLinkRecovery    = "user_link_recovery"
	PassLinkRecovery    = "{}"
	RecoveryEmail       = "example@plaid.com"
	RecoveryCode        = "123456"
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	// ClientID and Secret are the API keys the emulator accepts. Empty means "make them up".
	ClientID string
	Secret   string
	// BaseURL is the public base URL (scheme://host:port, no trailing slash) used to build
	// hosted_link_url and the links in recovery e-mails. It can also be set later with SetBaseURL,
	// once the listener's address is known.
	BaseURL string
	// HTTPClient delivers webhooks. nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// WebhookAttempts is how many times a webhook delivery is tried (default 5); WebhookBackoff the
	// first wait between tries, doubled each time (default 250 ms).
	WebhookAttempts int
	WebhookBackoff  time.Duration
	// Logf, if set, receives one line per notable event (requests, webhook deliveries). Never secrets.
	Logf func(format string, args ...any)
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Emulator is an http.Handler serving the Plaid API subset, the Hosted Link pages and the control
// endpoints (/emulator/...). It is safe for concurrent use.
type Emulator struct{}

// New returns an emulator ready to serve.
func New(cfg Config) (*Emulator, error) { return nil, errors.New("emulator: not implemented yet") }

// ServeHTTP serves the Plaid API, the Hosted Link pages and the control endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "emulator: not implemented yet", http.StatusNotImplemented)
}

// ClientID returns the client id the emulator accepts.
func (e *Emulator) ClientID() string { return "" }

// Secret returns the secret the emulator accepts. Callers must never print it in full.
func (e *Emulator) Secret() string { return "" }

// SetBaseURL sets the public base URL used in hosted_link_url and e-mail links.
func (e *Emulator) SetBaseURL(u string) {}

// BaseURL returns the public base URL.
func (e *Emulator) BaseURL() string { return "" }

// Close stops pending webhook deliveries and waits for their goroutines.
func (e *Emulator) Close() error { return nil }

// Email is a Link Recovery notification the emulator "sent".
type Email struct {
	ID              string
	To              string
	Subject         string
	Text            string
	URL             string // opens a new Hosted Link session (the recovery session)
	InstitutionID   string
	InstitutionName string
	LinkToken       string // the original link token whose webhook gets SESSION_FINISHED
	SentAt          time.Time
}

// RestoreInstitution marks an institution as back up ("" means every institution that is down) and
// sends a recovery e-mail for every opt-in waiting on it. It returns the e-mails sent.
// HTTP: POST /emulator/institutions/restore {"institution_id": "..."}.
func (e *Emulator) RestoreInstitution(institutionID string) ([]Email, error) {
	return nil, errors.New("emulator: not implemented yet")
}

// Inbox returns every recovery e-mail sent so far, newest first.
// HTTP: GET /emulator/inbox (HTML) or GET /emulator/inbox.json.
func (e *Emulator) Inbox() []Email { return nil }

// OptIns returns how many Link Recovery opt-ins are waiting for an institution to come back.
func (e *Emulator) OptIns() int { return 0 }

// Credentials drive a Hosted Link session without a browser (CompleteSession).
type Credentials struct {
	InstitutionID string // "" means DefaultInstitutionID
	Username      string
	Password      string
	// Email and Code complete the Link Recovery opt-in when the password is error_INSTITUTION_DOWN
	// (or the user is user_link_recovery).
	Email string
	Code  string
}

// CompleteSession walks the Hosted Link session at hostedLinkURL through the same state machine the
// HTML pages use, as a user would (select institution, log in, pick all accounts, finish; or log in,
// see the outage and opt in). It is for --auto demos and smoke tests.
func (e *Emulator) CompleteSession(ctx context.Context, hostedLinkURL string, c Credentials) error {
	return errors.New("emulator: not implemented yet")
}

// Fault makes the next Count calls to an API path fail or slow down.
// HTTP: POST /emulator/faults with the same fields in snake_case.
type Fault struct {
	Path         string // e.g. "/link/token/create"
	Count        int    // how many calls it applies to (0 means 1)
	HTTPStatus   int    // if set with no ErrorCode, a bare status with a Plaid API_ERROR body
	ErrorType    string // Plaid error_type, e.g. "API_ERROR"
	ErrorCode    string // Plaid error_code, e.g. "INTERNAL_SERVER_ERROR"
	ErrorMessage string
	Delay        time.Duration // added before the response (or the error)
}

// InjectFault queues a fault.
func (e *Emulator) InjectFault(f Fault) {}

// WebhookFault changes how the next webhooks are delivered.
// HTTP: POST /emulator/webhook_faults {"drop": N, "duplicate": N, "delay_ms": N}.
type WebhookFault struct {
	Drop      int           // the next Drop webhooks are not sent at all
	Duplicate int           // the next Duplicate webhooks are sent twice
	Delay     time.Duration // every webhook waits this long first
}

// SetWebhookFault sets the webhook fault (replacing any earlier one).
func (e *Emulator) SetWebhookFault(f WebhookFault) {}
