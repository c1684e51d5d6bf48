// Package emulatortest is the way another project tests its Plaid code against the linkrecovery
// emulator of the Plaid Sandbox, in the spirit of net/http/httptest. New starts an emulator on a
// loopback httptest.Server for one test and gives back its base URL and a plaid-go client already
// holding the emulator's keys; point your own Plaid client at URL (the plaid-go server URL,
// PlaidEnvironments in plaid-node, host in plaid-python) with Emulator.ClientID and Secret.
//
// From the Server, a test drives what a person and Plaid would do:
//   - Emulator.CompleteSession walks a Hosted Link session (as the user in the browser);
//   - Emulator.RestoreInstitution brings a bank back and "sends" the Link Recovery e-mails, which
//     Emulator.Inbox lists;
//   - Emulator.Deliveries lists every webhook with each attempt; Emulator.RotateWebhookKey rotates
//     the signing key; Emulator.AddFault and SetWebhookFault make Plaid fail or its webhooks drop;
//   - Emulator.Advance moves the emulator's clock (expiries, abandoned sessions' EVENTS, webhook
//     retries on Plaid's schedule) and Emulator.Expire ends one token now;
//   - Emulator.ExchangeAttempts shows which public tokens the code under test exchanged.
//
// Everything is closed with the test (t.Cleanup), in the order that keeps webhook goroutines from
// outliving their targets: the emulator first (it cancels and waits for pending deliveries), then
// the server, then the client's idle connections. Start and Close do the same without a test
// (TestMain, examples).
//
// Stability: within a major version of linkrecovery, minor versions keep every exported name of
// this package and of package emulator that docs/emulator.md lists as stable, with its meaning:
// New, Start, Server and its fields, the options, Config's fields, and the Emulator methods above;
// the HTTP control endpoints under /emulator keep their paths and JSON fields. Minor versions may
// add fields, methods and endpoints, make the emulator closer to Plaid (a new check Plaid documents
// may refuse a request that passed before) and change log and error texts.
//
// The emulator package's own internal tests cannot use this package (it imports the emulator);
// they keep one setup of their own, newEnv in emulator/helpers_test.go.
package emulatortest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
)

// ClientTimeout bounds one plaid-go request from the harness's client. It is a backstop against a
// hung server, not a speed check: a loaded 2-core machine running the whole suite under -race can
// take seconds to answer one call, so it is generous.
const ClientTimeout = 2 * time.Minute

// Server is an emulator serving on loopback, with a plaid-go client for it.
type Server struct {
	// Emulator is the emulator behind the server, for driving sessions (CompleteSession,
	// RestoreInstitution, ...) and inspecting its state.
	Emulator *emulator.Emulator
	// URL is the base URL (http://127.0.0.1:port, no trailing slash): the Plaid environment URL
	// and the emulator's public base URL for hosted_link_url and e-mail links.
	URL string
	// Client is a plaid-go client pointed at URL with the emulator's client id and secret.
	Client *plaid.APIClient
	// HTTPServer is the underlying server.
	HTTPServer *httptest.Server

	transport *http.Transport // the client's, closed with the Server
}

// options collects what Option functions set.
type options struct {
	cfg       emulator.Config
	transport func(http.RoundTripper) http.RoundTripper
	handler   func(http.Handler) http.Handler
}

// Option changes how New builds the Server.
type Option func(*options)

// WithConfig sets the emulator's Config (the zero Config otherwise). BaseURL is ignored: the
// harness sets it to the server's URL.
func WithConfig(cfg emulator.Config) Option {
	return func(o *options) { o.cfg = cfg }
}

// WithTransport wraps the client's transport, e.g. to record or schema-check every response.
// wrap receives the harness's own transport and returns the one the client uses.
func WithTransport(wrap func(base http.RoundTripper) http.RoundTripper) Option {
	return func(o *options) { o.transport = wrap }
}

// WithHandler wraps the emulator's handler in the server, e.g. to capture requests before the
// emulator sees them. wrap receives the emulator and returns what the server serves.
func WithHandler(wrap func(emu http.Handler) http.Handler) Option {
	return func(o *options) { o.handler = wrap }
}

// New starts an emulator on loopback and registers its shutdown with t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("emulatortest: %v", err)
		}
	})
	return s
}

// Start is New without a test: the caller closes the Server (defer s.Close()).
func Start(opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.cfg.BaseURL = ""
	emu, err := emulator.New(o.cfg)
	if err != nil {
		return nil, fmt.Errorf("emulator.New: %w", err)
	}
	var h http.Handler = emu
	if o.handler != nil {
		h = o.handler(emu)
	}
	srv := httptest.NewServer(h)
	emu.SetBaseURL(srv.URL)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	var rt http.RoundTripper = transport
	if o.transport != nil {
		rt = o.transport(transport)
	}
	return &Server{
		Emulator:   emu,
		URL:        srv.URL,
		Client:     newClient(srv.URL, emu.ClientID(), emu.Secret(), &http.Client{Timeout: ClientTimeout, Transport: rt}),
		HTTPServer: srv,
		transport:  transport,
	}, nil
}

// Close shuts the Server down: the emulator first (it cancels and waits for pending webhook
// deliveries), then the HTTP server, then the client's idle connections.
func (s *Server) Close() error {
	var err error
	if cerr := s.Emulator.Close(); cerr != nil {
		err = fmt.Errorf("emulator Close: %w", cerr)
	}
	s.HTTPServer.Close()
	s.transport.CloseIdleConnections()
	return err
}

// NewClient returns a plaid-go client for a Plaid (or emulator) at baseURL with the given keys,
// e.g. for an emulator started by another process. Its idle connections are closed with the test.
func NewClient(t testing.TB, baseURL, clientID, secret string) *plaid.APIClient {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	return newClient(baseURL, clientID, secret, &http.Client{Timeout: ClientTimeout, Transport: transport})
}

func newClient(baseURL, clientID, secret string, hc *http.Client) *plaid.APIClient {
	cfg := plaid.NewConfiguration()
	cfg.UseEnvironment(plaid.Environment(baseURL))
	cfg.AddDefaultHeader("PLAID-CLIENT-ID", clientID)
	cfg.AddDefaultHeader("PLAID-SECRET", secret)
	cfg.HTTPClient = hc
	return plaid.NewAPIClient(cfg)
}
