// Package tunnel gives the app a public webhook URL and a net.Listener behind it (ngrok, a URL of the
// user's own, or loopback for the emulator), and the receiver that verifies what arrives there.
// It knows nothing of the TUI: it reports through return values and a channel of Events.
//
// CONTRACT STUB: the exported API is fixed so that flows/, tui/ and main.go build against it; the
// tunnel's owner fills in the bodies.
package tunnel

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"
)

// Provider names where the public URL comes from.
type Provider string

const (
	ProviderNgrok Provider = "ngrok"
	ProviderURL   Provider = "url"   // --webhook-url plus --listen: the user's own tunnel
	ProviderLocal Provider = "local" // loopback, for the emulator
)

// Tunnel is a public base URL and the listener that receives its traffic.
type Tunnel struct {
	Provider Provider
	URL      string // public base URL, no trailing slash
	Listener net.Listener
}

// WebhookURL is where Plaid should POST webhooks.
func (t *Tunnel) WebhookURL() string { return t.URL + "/webhook" }

// CompleteURL is the default completion_redirect_uri.
func (t *Tunnel) CompleteURL() string { return t.URL + "/complete" }

// Close closes the listener (and the ngrok session).
func (t *Tunnel) Close() error { return nil }

// Error is a tunnel failure a person can act on.
type Error struct {
	Provider Provider
	Cause    string // what went wrong, in plain words
	Next     string // what to do next
	Err      error
}

func (e *Error) Error() string { return string(e.Provider) + ": " + e.Cause + "; " + e.Next }
func (e *Error) Unwrap() error { return e.Err }

// Local listens on addr (default 127.0.0.1:0). publicHost, if set, replaces the host in URL (for
// phones on the LAN; then addr should listen on all interfaces).
func Local(addr, publicHost string) (*Tunnel, error) {
	return nil, errors.New("tunnel: not implemented yet")
}

// Own uses a public URL the user runs themselves (e.g. their own ngrok or cloudflared) forwarding to listen.
func Own(publicURL, listen string) (*Tunnel, error) {
	return nil, errors.New("tunnel: not implemented yet")
}

// NgrokOptions configures the ngrok provider.
type NgrokOptions struct {
	Authtoken  string        // NGROK_AUTHTOKEN; empty is an *Error naming the variable
	ServerAddr string        // ngrok server (tests point it at a local listener); "" means ngrok's default
	Deadline   time.Duration // how long to try before giving up (default 15 s)
	AllowCIDRs []string      // optional: only these source addresses may reach the tunnel
}

// Ngrok opens an ngrok HTTP endpoint. The first connection error is returned at once as an *Error.
func Ngrok(ctx context.Context, o NgrokOptions) (*Tunnel, error) {
	return nil, errors.New("tunnel: not implemented yet")
}

// Key is a webhook verification key as /webhook_verification_key/get returns it.
type Key struct {
	KID       string
	Public    *ecdsa.PublicKey
	CreatedAt time.Time
	ExpiredAt *time.Time // nil: not expired
}

// KeySource looks a key up by kid (PlaidKeySource does it through plaid-go).
type KeySource interface {
	WebhookKey(ctx context.Context, kid string) (Key, error)
}

// Verifier checks Plaid-Verification headers as Plaid documents it.
type Verifier struct{}

// NewVerifier returns a verifier that caches keys from src.
func NewVerifier(src KeySource) *Verifier { return &Verifier{} }

// Verify checks the JWT in header against body. A *VerifyError names the reason.
func (v *Verifier) Verify(ctx context.Context, header string, body []byte) error {
	return errors.New("tunnel: not implemented yet")
}

// EventKind says what an Event is about.
type EventKind int

const (
	EventWebhook  EventKind = iota + 1 // a POST /webhook that parsed (verified or not, maybe a duplicate)
	EventRejected                      // a request refused before it was a webhook (method, size, JSON)
	EventComplete                      // the /complete page was opened: the phone reached the end
	EventForward                       // the --forward-to target answered (or failed)
)

// Webhook is the part of a Plaid LINK webhook the app acts on.
type Webhook struct {
	WebhookType   string   `json:"webhook_type"`
	WebhookCode   string   `json:"webhook_code"`
	Status        string   `json:"status,omitempty"`
	LinkSessionID string   `json:"link_session_id,omitempty"`
	LinkToken     string   `json:"link_token,omitempty"`
	PublicToken   string   `json:"public_token,omitempty"`
	PublicTokens  []string `json:"public_tokens,omitempty"`
	Environment   string   `json:"environment,omitempty"`
}

// Event is one thing the receiver saw.
type Event struct {
	Kind      EventKind
	Seq       int64 // 1, 2, 3... in arrival order
	At        time.Time
	Webhook   *Webhook // nil unless Kind == EventWebhook
	Body      []byte   // raw body (truncated for rejected oversize bodies)
	Status    int      // HTTP status the receiver answered
	Verified  bool
	Reason    string // why not verified, or why rejected
	Duplicate bool
	Forward   *ForwardResult // Kind == EventForward
}

// ForwardResult is the --forward-to target's answer for the event with Seq.
type ForwardResult struct {
	Seq        int64
	URL        string
	StatusCode int
	Latency    time.Duration
	Err        string
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	Verifier  *Verifier // nil: nothing verifies (every event says so)
	ForwardTo string    // relay target, optional
	Keep      int       // how many recent events Recent keeps (default 200)
}

// Receiver serves POST /webhook and GET /complete, and streams Events.
type Receiver struct{}

// NewReceiver returns a receiver; call Serve or mount it as an http.Handler and call Close.
func NewReceiver(cfg ReceiverConfig) *Receiver { return &Receiver{} }

// ServeHTTP serves /webhook and /complete.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	http.Error(w, "tunnel: not implemented yet", http.StatusNotImplemented)
}

// Events is closed when the receiver stops.
func (r *Receiver) Events() <-chan Event { return nil }

// Recent returns the latest events, newest first.
func (r *Receiver) Recent() []Event { return nil }

// Serve serves on ln until ctx ends, then closes Events.
func (r *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	return errors.New("tunnel: not implemented yet")
}

// Close stops the receiver and closes Events (for receivers mounted without Serve).
func (r *Receiver) Close() error { return nil }

// PlaidKeySource fetches keys with /webhook_verification_key/get through plaid-go.
func PlaidKeySource(c *plaid.APIClient) KeySource { return nil }

// VerifyError says why a webhook was not verified.
type VerifyError struct{ Reason string }

func (e *VerifyError) Error() string { return "webhook not verified: " + e.Reason }
