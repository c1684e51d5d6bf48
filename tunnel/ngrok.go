package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.ngrok.com/ngrok"
	"golang.ngrok.com/ngrok/config"
)

// NgrokOptions configures the ngrok provider.
type NgrokOptions struct {
	Authtoken  string        // NGROK_AUTHTOKEN; empty is an *Error naming the variable
	ServerAddr string        // ngrok server (tests point it at a local listener); "" means ngrok's default
	Deadline   time.Duration // how long to try before giving up (default 15 s)
	AllowCIDRs []string      // optional: only these source addresses may reach the tunnel

	// CA, if set, replaces ngrok's built-in CA for the server's certificate: for a TLS-intercepting
	// corporate proxy, and for tests against a local fake ngrok server.
	CA *x509.CertPool
}

// DefaultNgrokDeadline bounds the ngrok start: ngrok-go itself would retry forever.
const DefaultNgrokDeadline = 15 * time.Second

// ngrokNext is the next step after any ngrok failure: fix the token, or use another provider.
const ngrokNext = "set NGROK_AUTHTOKEN (https://dashboard.ngrok.com/get-started/your-authtoken), " +
	"or use --webhook-url with your own tunnel, or run without keys for the local demo"

// PlaidWebhookCIDRs are the addresses Plaid documents as the sources of its webhooks
// (https://plaid.com/docs/api/webhooks/#webhook-ip-addresses, checked 2026; Plaid may add more).
// Restricting the tunnel to them keeps the internet out, but it also keeps out the phone that opens
// /complete, so the app offers it as an option, not the default.
var PlaidWebhookCIDRs = []string{
	"52.21.26.131/32",
	"52.21.47.157/32",
	"52.41.247.19/32",
	"52.88.82.239/32",
}

// ngrok start states: the deadline timer and the successful start race for the one transition.
const (
	ngrokStarting int32 = iota
	ngrokStarted
	ngrokTimedOut
)

// Ngrok opens an ngrok HTTP endpoint. The first connection error is returned at once as an *Error.
// ctx bounds the start only; the session then lives until Tunnel.Close.
func Ngrok(ctx context.Context, o NgrokOptions) (*Tunnel, error) {
	if strings.TrimSpace(o.Authtoken) == "" {
		return nil, &Error{Provider: ProviderNgrok, Cause: "NGROK_AUTHTOKEN is not set", Next: ngrokNext}
	}
	for _, c := range o.AllowCIDRs {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return nil, &Error{
				Provider: ProviderNgrok,
				Cause:    fmt.Sprintf("allowed address %q is not a CIDR", c),
				Next:     "write addresses as CIDRs, e.g. 52.21.26.131/32",
				Err:      err,
			}
		}
	}
	deadline := o.Deadline
	if deadline <= 0 {
		deadline = DefaultNgrokDeadline
	}
	server := o.ServerAddr
	if server == "" {
		server = "connect.ngrok-agent.com:443"
	}

	// The session lives on after this function returns, so it gets its own context; the caller's ctx
	// and the deadline only cancel it while starting.
	sessCtx, cancelSess := context.WithCancel(context.WithoutCancel(ctx))
	var (
		state     atomic.Int32
		connected atomic.Bool // the session authenticated; only the tunnel itself is missing
		errOnce   sync.Once
		firstErr  error
	)
	// ngrok-go retries failed connections forever with backoff; the first error is the one to show,
	// and waiting longer would only repeat it.
	onDisconnect := func(_ context.Context, _ ngrok.Session, err error) {
		if err == nil || state.Load() != ngrokStarting {
			return // a clean stop, or a later drop that ngrok reconnects by itself
		}
		errOnce.Do(func() { firstErr = err })
		cancelSess()
	}
	opts := []ngrok.ConnectOption{
		ngrok.WithAuthtoken(o.Authtoken),
		ngrok.WithServer(server),
		ngrok.WithClientInfo("linkrecovery", "0.1"),
		ngrok.WithConnectHandler(func(context.Context, ngrok.Session) { connected.Store(true) }),
		ngrok.WithDisconnectHandler(onDisconnect),
	}
	if o.CA != nil {
		opts = append(opts, ngrok.WithCA(o.CA))
	}
	var epOpts []config.HTTPEndpointOption
	if len(o.AllowCIDRs) > 0 {
		epOpts = append(epOpts, config.WithAllowCIDRString(o.AllowCIDRs...))
	}

	stop := make(chan struct{})
	timer := time.NewTimer(deadline)
	go func() {
		defer timer.Stop()
		select {
		case <-timer.C:
			if state.CompareAndSwap(ngrokStarting, ngrokTimedOut) {
				cancelSess()
			}
		case <-ctx.Done():
			cancelSess()
		case <-stop:
		}
	}()

	tun, err := ngrok.Listen(sessCtx, config.HTTPEndpoint(epOpts...), opts...)
	close(stop)
	if err == nil && !state.CompareAndSwap(ngrokStarting, ngrokStarted) {
		// The deadline fired as the tunnel came up; its session is already being torn down.
		_ = tun.Close()
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancelSess()
		errOnce.Do(func() { firstErr = err })
		switch {
		case state.Load() == ngrokTimedOut && connected.Load():
			return nil, &Error{
				Provider: ProviderNgrok,
				Cause:    fmt.Sprintf("connected to ngrok at %s, but the tunnel was not ready within %s", server, deadline),
				Next:     ngrokNext,
				Err:      context.DeadlineExceeded,
			}
		case state.Load() == ngrokTimedOut:
			return nil, &Error{
				Provider: ProviderNgrok,
				Cause: fmt.Sprintf("no answer from the ngrok service at %s within %s (no network, or a firewall or proxy in the way)",
					server, deadline),
				Next: ngrokNext,
				Err:  context.DeadlineExceeded,
			}
		case ctx.Err() != nil && !isCancelOnly(firstErr):
			// The caller gave up, but ngrok had already said why; that is the more useful message.
			return nil, ngrokError(firstErr, server, o.Authtoken)
		case ctx.Err() != nil:
			return nil, &Error{Provider: ProviderNgrok, Cause: "cancelled while starting", Next: ngrokNext, Err: ctx.Err()}
		}
		return nil, ngrokError(firstErr, server, o.Authtoken)
	}
	return &Tunnel{
		Provider: ProviderNgrok,
		URL:      strings.TrimRight(tun.URL(), "/"),
		Listener: tun,
		closeExtra: func() error {
			defer cancelSess()
			if s := tun.Session(); s != nil {
				return s.Close()
			}
			return nil
		},
	}, nil
}

func isCancelOnly(err error) bool {
	return err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ngrokError turns what ngrok-go reported into a cause a person can act on. The authtoken never
// appears in it, even if a library message were to echo it.
func ngrokError(err error, server, token string) *Error {
	e := &Error{Provider: ProviderNgrok, Next: ngrokNext, Err: err}
	var nerr ngrok.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &nerr) && nerr.ErrorCode() != "":
		code := nerr.ErrorCode()
		switch code {
		case "ERR_NGROK_105", "ERR_NGROK_106", "ERR_NGROK_107":
			e.Cause = "ngrok rejected the authtoken (" + code + ")"
		case "ERR_NGROK_4018":
			e.Cause = "ngrok requires a verified account and authtoken (" + code + ")"
		case "ERR_NGROK_108":
			e.Cause = "your ngrok account already has the maximum number of agent sessions running (" + code + "); stop the other one"
		default:
			e.Cause = "ngrok refused: " + firstLine(nerr.Msg()) + " (" + code + ")"
		}
	case strings.Contains(err.Error(), "authentication failed"):
		e.Cause = "ngrok rejected the authtoken: " + firstLine(err.Error())
	case errors.As(err, &dnsErr):
		e.Cause = fmt.Sprintf("cannot resolve the ngrok server %s (no network or no DNS?)", server)
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Cause = fmt.Sprintf("the ngrok server at %s refused the connection (a firewall, or the wrong server address)", server)
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		e.Cause = "no network route to the ngrok server at " + server + " (are you offline?)"
	case errors.As(err, &certErr), errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &recErr),
		strings.Contains(err.Error(), "tls:"):
		e.Cause = fmt.Sprintf("TLS handshake with the ngrok server at %s failed (a proxy or firewall intercepting?): %s",
			server, firstLine(err.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		// ngrok-go's wording when the connection died before the authtoken could even be sent.
		strings.Contains(err.Error(), "failed to send authentication request"):
		e.Cause = fmt.Sprintf("the ngrok server at %s closed the connection before the session started", server)
	default:
		e.Cause = "could not start the ngrok tunnel: " + firstLine(err.Error())
	}
	if token != "" && strings.Contains(e.Cause, token) {
		e.Cause = strings.ReplaceAll(e.Cause, token, Redact(token))
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// Redact shows enough of a secret to recognise it and no more: "2abc…wxyz" (or "…" if short).
func Redact(secret string) string {
	if len(secret) < 12 {
		return "…"
	}
	return secret[:4] + "…" + secret[len(secret)-4:]
}
