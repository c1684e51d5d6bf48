package env

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// listenAll is where demo servers listen with --public-host: every interface, so a phone on the
// LAN can reach them. Tests replace it with loopback (they must not listen on the network).
var listenAll = ":0"

// plaidHTTPTimeout bounds every Plaid call, so a dead network becomes an error, not a hang.
const plaidHTTPTimeout = 30 * time.Second

// demoAbandonedSessionDelay is how long the demo emulator waits after a Hosted Link session's last
// interaction before sending its EVENTS webhook (Plaid: 5-15 minutes): short, so it is seen in a demo,
// yet longer than a person takes between two pages.
const demoAbandonedSessionDelay = 30 * time.Second

// Env is a running set-up: the Plaid client, the emulator (demo mode), the tunnel and the receiver.
//
// The tunnel and the receiver are nil until OpenTunnel succeeds; OpenTunnel sets them once. They are
// read through CurrentTunnel and CurrentReceiver, which lock, because a TUI View may run while a Cmd
// opens the tunnel.
type Env struct {
	Mode     flows.Mode
	PlaidURL string
	Plaid    *plaid.APIClient
	Emulator *emulator.Emulator // nil outside demo mode
	tun      *tunnel.Tunnel     // nil until OpenTunnel succeeds; read with CurrentTunnel
	rcv      *webhook.Receiver  // nil until OpenTunnel succeeds; read with CurrentReceiver

	cfg   Config
	clock *clockCheck // reads the Date of Plaid's first answer (see ClockWarning)

	mu        sync.Mutex
	emuServer *http.Server // serves the emulator in demo mode
	lanServer *http.Server // serves it on a LAN address too, after ServeLAN (nil: loopback only)
	lanBase   string       // lanServer's base URL
	// webhookTransport carries the emulator's webhooks in demo mode (see New).
	webhookTransport *http.Transport
	stopRecv         context.CancelFunc
	recvDone         chan struct{} // closed when rcv.Serve returns
	closed           bool
	openTunnel       sync.Mutex // serialises OpenTunnel calls (one tunnel per Env)
}

// New builds the Plaid client and, in demo mode, starts the emulator on loopback. It is fast (no
// tunnel yet) so the first frame is not delayed.
func New(ctx context.Context, cfg Config) (*Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.WebhookTimeout == 0 {
		cfg.WebhookTimeout = flows.DefaultWebhookTimeout
	}
	if cfg.TunnelDeadline == 0 {
		cfg.TunnelDeadline = DefaultTunnelDeadline
	}
	e := &Env{Mode: cfg.Mode(), cfg: cfg}
	// From here on these values are masked wherever they turn up (an echoed header in an error
	// body, a log line), not only in the fields named for them.
	secret.Register(cfg.Secrets()...)
	if e.Mode == flows.ModeSandbox {
		e.PlaidURL = string(plaid.Sandbox)
		if cfg.PlaidURL != "" {
			e.PlaidURL = cfg.PlaidURL
		}
		e.Plaid, e.clock = newPlaidClient(e.PlaidURL, cfg.ClientID, cfg.Secret, time.Now, cfg.DebugLog)
		return e, nil
	}

	// The emulator's webhook client is ours so that Close can drop its idle connections: net/http's
	// Transport may dial a spare connection that never carries a request, and Server.Shutdown counts
	// such a never-used connection as busy for 5 s, which would stall the receiver's shutdown.
	webhookTransport := http.DefaultTransport.(*http.Transport).Clone()
	// Plaid sends an abandoned session's EVENTS webhook 5-15 minutes after the last interaction; the
	// demo waits demoAbandonedSessionDelay so a walked-away session shows its webhook while one watches.
	emu, err := emulator.New(emulator.Config{HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: webhookTransport},
		AbandonedSessionDelay: demoAbandonedSessionDelay})
	if err != nil {
		return nil, fmt.Errorf("cannot start the local demo emulator: %w", err)
	}
	// With --public-host a phone on the LAN must reach the Hosted Link pages, so listen everywhere;
	// otherwise loopback only, so the demo is not exposed to the network by default.
	addr, host := "127.0.0.1:0", "127.0.0.1"
	if cfg.PublicHost != "" {
		addr, host = listenAll, cfg.PublicHost
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		emu.Close()
		return nil, fmt.Errorf("cannot listen on %s for the local demo emulator: %w; free a port or check --public-host", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	e.PlaidURL = "http://" + net.JoinHostPort(host, port)
	emu.SetBaseURL(e.PlaidURL)
	e.Emulator = emu
	e.webhookTransport = webhookTransport
	// Timeouts and a header cap, so a slow client on the LAN cannot hold the emulator; its ErrorLog
	// discards net/http's connection noise, which would tear through the TUI.
	e.emuServer = emulator.NewServer(emu)
	go func(srv *http.Server) { _ = srv.Serve(ln) }(e.emuServer)
	secret.Register(emu.Secret())
	e.Plaid, e.clock = newPlaidClient(e.PlaidURL, emu.ClientID(), emu.Secret(), time.Now, cfg.DebugLog)
	return e, nil
}

// newPlaidClient is plaid-go pointed at baseURL with the keys as default headers. now is the local
// clock that Plaid's Date header is compared with; debug, when set, logs each call.
func newPlaidClient(baseURL, clientID, secret string, now func() time.Time, debug *log.Logger) (*plaid.APIClient, *clockCheck) {
	c := plaid.NewConfiguration()
	c.AddDefaultHeader("PLAID-CLIENT-ID", clientID)
	c.AddDefaultHeader("PLAID-SECRET", secret)
	c.UseEnvironment(plaid.Environment(baseURL))
	// Its own transport, so that Close dropping idle connections touches only ours; plaidGuard
	// follows no redirect and caps each answer.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	clock := &clockCheck{next: debugTransport(captureTransport{plaidGuard{transport}}, debug), now: now}
	c.HTTPClient = &http.Client{Timeout: plaidHTTPTimeout, Transport: clock}
	c.UserAgent = "linkrecovery (plaid-go v29)"
	return plaid.NewAPIClient(c), clock
}

// Config returns the Config the Env was built from (defaults filled in).
func (e *Env) Config() Config { return e.cfg }

// CurrentTunnel returns the tunnel, or nil before OpenTunnel succeeds. Safe concurrently with OpenTunnel.
func (e *Env) CurrentTunnel() *tunnel.Tunnel {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tun
}

// CurrentReceiver returns the receiver, or nil before OpenTunnel succeeds. Safe concurrently with OpenTunnel.
func (e *Env) CurrentReceiver() *webhook.Receiver {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rcv
}

// WebhookURL is the webhook URL link tokens carry, or "" before the tunnel is open.
func (e *Env) WebhookURL() string {
	if t := e.CurrentTunnel(); t != nil {
		return t.WebhookURL()
	}
	return ""
}

// TunnelProvider says which provider OpenTunnel uses for this Env's Config (for the header before
// and while it opens).
func (e *Env) TunnelProvider() tunnel.Provider {
	switch {
	case e.Mode == flows.ModeDemo:
		return tunnel.ProviderLocal
	case e.cfg.WebhookURL != "":
		return tunnel.ProviderURL
	case plaidIsLocal(e.PlaidURL):
		return tunnel.ProviderLocal
	}
	return tunnel.ProviderNgrok
}

// OpenTunnel opens the tunnel the Config asks for (local in demo mode; --webhook-url, else ngrok, in
// sandbox mode) and starts the receiver on it. A tunnel failure is a *tunnel.Error with a next step;
// the Env stays usable (polling /link/token/get still works) and OpenTunnel may be called again.
// Once open, later calls return the same tunnel. The receiver runs until Close (not until ctx
// ends: ctx only bounds the opening).
func (e *Env) OpenTunnel(ctx context.Context) (*tunnel.Tunnel, error) {
	e.openTunnel.Lock()
	defer e.openTunnel.Unlock()
	if t := e.CurrentTunnel(); t != nil {
		return t, nil
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, errors.New("the environment is closed; start a new one")
	}

	var (
		t   *tunnel.Tunnel
		err error
	)
	e.debugf("tunnel: opening (%s)", e.TunnelProvider())
	switch e.TunnelProvider() {
	case tunnel.ProviderURL:
		t, err = tunnel.Own(e.cfg.WebhookURL, e.cfg.Listen)
	case tunnel.ProviderLocal:
		addr := e.cfg.Listen
		if addr == "" {
			addr = "127.0.0.1:0"
			if e.Mode == flows.ModeDemo && e.cfg.PublicHost != "" {
				addr = listenAll // so the phone can reach /complete
			}
		}
		publicHost := ""
		if e.Mode == flows.ModeDemo {
			publicHost = e.cfg.PublicHost
		}
		t, err = tunnel.Local(addr, publicHost)
	default:
		if e.cfg.NgrokAuthtoken == "" && e.cfg.NgrokConfigProblem != "" {
			return nil, &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "no ngrok authtoken: " + e.cfg.NgrokConfigProblem,
				Next: "fix that file (`ngrok config check`), or set NGROK_AUTHTOKEN, or use --webhook-url with your own tunnel"}
		}
		var proxy *url.URL
		if proxy, err = tunnel.NgrokProxyFromEnv(os.Getenv, e.cfg.NgrokServer); err != nil {
			return nil, err
		}
		t, err = tunnel.Ngrok(ctx, tunnel.NgrokOptions{
			Authtoken:  e.cfg.NgrokAuthtoken,
			Source:     e.cfg.NgrokAuthtokenSource,
			ServerAddr: e.cfg.NgrokServer,
			Deadline:   e.cfg.TunnelDeadline,
			Proxy:      proxy,
		})
	}
	if err != nil {
		e.debugf("tunnel: %s failed: %v", e.TunnelProvider(), err)
		return nil, err // a *tunnel.Error: its Cause and Next are shown as they are
	}
	if t == nil || t.Listener == nil {
		return nil, &tunnel.Error{Provider: e.TunnelProvider(), Cause: "the tunnel gave no listener",
			Next: "this is a bug in linkrecovery; please report it"}
	}

	e.debugf("tunnel: %s up, webhook URL %s", e.TunnelProvider(), t.WebhookURL())
	rcv := webhook.NewReceiver(e.receiverConfig(t.Provider))
	serveCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rcv.Serve(serveCtx, t.Listener)
	}()

	e.mu.Lock()
	e.tun, e.rcv, e.stopRecv, e.recvDone = t, rcv, stop, done
	e.mu.Unlock()
	return t, nil
}

// receiverConfig is the receiver's configuration for a tunnel from provider.
func (e *Env) receiverConfig(provider tunnel.Provider) webhook.ReceiverConfig {
	rc := webhook.ReceiverConfig{
		Verifier:          webhook.NewVerifier(webhook.PlaidKeySource(e.Plaid)),
		ForwardTo:         e.cfg.ForwardTo,
		ForwardUnverified: e.cfg.ForwardUnverified,
		OnEvent:           e.debugEvent,
	}
	if e.cfg.OnlyPlaidIPs {
		for _, c := range tunnel.PlaidWebhookCIDRs {
			if p, err := netip.ParsePrefix(c); err == nil {
				rc.AllowWebhookFrom = append(rc.AllowWebhookFrom, p)
			}
		}
		// ngrok appends the client's address to X-Forwarded-For; anywhere else the header is the
		// sender's to write. (Config.Validate allows the flag with ngrok only.)
		rc.TrustForwardedFor = provider == tunnel.ProviderNgrok
	}
	return rc
}

// FinishForwards lets the --forward-to relays still queued or in flight finish (at most
// webhook.DefaultForwardDrain, then they are cancelled), stops relaying, and returns every relay
// result the run has not read from the receiver, so that it can record each relay before it
// exits (see webhook.Receiver.FinishForwards). Nil without a receiver.
func (e *Env) FinishForwards() []webhook.Event {
	if r := e.CurrentReceiver(); r != nil {
		return r.FinishForwards(webhook.DefaultForwardDrain)
	}
	return nil
}

// plaidIsLocal says whether the Plaid base URL is this machine: an emulator standing in for Plaid,
// which can deliver webhooks to loopback, so no public tunnel is needed.
func plaidIsLocal(base string) bool { return IsLoopbackURL(base) }

// IsLoopbackURL says whether u points at this machine's loopback (localhost or a loopback IP):
// a URL that only this machine can open, not a phone.
func IsLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && isLoopbackHost(p.Hostname())
}

// Close closes the tunnel, the receiver and the emulator. It is safe to call more than once.
func (e *Env) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	t, stop, done, srv, emu, wt := e.tun, e.stopRecv, e.recvDone, e.emuServer, e.Emulator, e.webhookTransport
	lan := e.lanServer
	e.mu.Unlock()
	if lan != nil {
		lan.Close() // the LAN listener goes at once: nobody on the network should reach a closing demo
	}

	var errs []error
	if emu != nil {
		// The emulator goes first: it cancels its pending webhook deliveries, which would otherwise
		// hold a connection to the receiver open and stall the receiver's shutdown.
		if err := emu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the emulator: %w", err))
		}
	}
	if wt != nil {
		wt.CloseIdleConnections()
	}
	if r := e.CurrentReceiver(); r != nil {
		// Relays in flight finish (bounded) before the receiver stops, so their results are not
		// cut off; the receiver's shutdown below would otherwise cancel them.
		r.FinishForwards(webhook.DefaultForwardDrain)
	}
	if stop != nil {
		stop()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			errs = append(errs, errors.New("the webhook receiver did not stop within 5 s"))
		}
	}
	if t != nil {
		if err := t.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("closing the tunnel: %w", err))
		}
	}
	if srv != nil {
		// Same reason as the webhook transport: drop the Plaid client's spare connections to the
		// emulator, or Shutdown waits on them.
		if c := e.Plaid.GetConfig().HTTPClient; c != nil {
			c.CloseIdleConnections()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		cancel()
	}
	return errors.Join(errs...)
}

// String describes the Env without its keys: %v of an Env would otherwise print the Config and the
// Plaid client's default headers, PLAID-SECRET included.
func (e *Env) String() string {
	if e == nil {
		return "env.Env(nil)"
	}
	webhook := e.WebhookURL()
	if webhook == "" {
		webhook = "(tunnel not open)"
	}
	return fmt.Sprintf("env.Env{Mode:%s PlaidURL:%s Webhook:%s}", e.Mode, e.PlaidURL, webhook)
}

// GoString is String for %#v.
func (e *Env) GoString() string { return e.String() }
