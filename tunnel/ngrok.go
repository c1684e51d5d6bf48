package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.ngrok.com/ngrok"
	"golang.ngrok.com/ngrok/config"

	"github.com/bankdown/linkrecovery/internal/positive"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// NgrokOptions configures the ngrok provider.
type NgrokOptions struct {
	Authtoken string // from NGROK_AUTHTOKEN, .env or ngrok's config file; empty is an *Error
	// Source says where Authtoken came from (TokenSourceEnv, TokenSourceDotenv or a file path), so
	// a rejected token names the place to fix it.
	Source     string
	ServerAddr string        // ngrok server (tests point it at a local listener); "" means ngrok's default
	Deadline   time.Duration // how long to try before giving up (default 15 s)
	AllowCIDRs []string      // optional: only these source addresses may reach the tunnel

	// Proxy, if set, is the outbound proxy to reach ngrok through (http, https or socks5 URL); see
	// NgrokProxyFromEnv for HTTPS_PROXY.
	Proxy *url.URL

	// CA, if set, replaces ngrok's built-in CA for the server's certificate: for a TLS-intercepting
	// corporate proxy, and for tests against a local fake ngrok server.
	CA *x509.CertPool
}

// DefaultNgrokDeadline bounds the ngrok start: ngrok-go itself would retry forever.
const DefaultNgrokDeadline = 15 * time.Second

// ngrokCloseBound bounds closing the session: offline, ngrok-go's unbind waits for an answer that
// never comes, and quitting must not hang (the issue asks for under 3 s).
const ngrokCloseBound = 2 * time.Second

// The next steps, by what went wrong.
const (
	ngrokOther       = "or use --webhook-url with your own tunnel, or run without keys for the local demo"
	ngrokNextToken   = "set NGROK_AUTHTOKEN or run `ngrok config add-authtoken <token>` (token at https://dashboard.ngrok.com/get-started/your-authtoken), " + ngrokOther
	ngrokNextNetwork = "check your network, firewall or proxy (HTTPS_PROXY is used for ngrok too), then try again; " + ngrokOther
)

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
		return nil, &Error{Provider: ProviderNgrok,
			Cause: "no ngrok authtoken: NGROK_AUTHTOKEN is not set and ngrok's config file has none",
			Next:  ngrokNextToken}
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
	deadline := positive.Or(o.Deadline, DefaultNgrokDeadline)
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
		clientInfo(),
		ngrok.WithConnectHandler(func(context.Context, ngrok.Session) { connected.Store(true) }),
		ngrok.WithDisconnectHandler(onDisconnect),
	}
	if o.CA != nil {
		opts = append(opts, ngrok.WithCA(o.CA))
	}
	if o.Proxy != nil {
		opt, err := proxyOption(o.Proxy)
		if err != nil {
			cancelSess()
			return nil, err
		}
		opts = append(opts, opt)
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
		go tun.Close() // may wait on the server; nobody needs its answer
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancelSess()
		errOnce.Do(func() { firstErr = err })
		// A refused Bind (ERR_NGROK_334) comes back from Listen, and ngrok-go then closes the session,
		// which the disconnect handler may have caught first as a mere client-side close.
		if hasNgrokCode(err) && !hasNgrokCode(firstErr) {
			firstErr = err
		}
		via := ""
		if o.Proxy != nil {
			via = " via the proxy " + o.Proxy.Redacted()
		}
		switch {
		case state.Load() == ngrokTimedOut && connected.Load():
			return nil, &Error{
				Provider: ProviderNgrok,
				Cause:    fmt.Sprintf("connected to ngrok at %s, but the tunnel was not ready within %s", server, deadline),
				Next:     ngrokNextNetwork,
				Err:      context.DeadlineExceeded,
			}
		case state.Load() == ngrokTimedOut:
			return nil, &Error{
				Provider: ProviderNgrok,
				Cause: fmt.Sprintf("no answer from the ngrok service at %s%s within %s (no network, or a firewall or proxy in the way)",
					server, via, deadline),
				Next: ngrokNextNetwork,
				Err:  context.DeadlineExceeded,
			}
		case ctx.Err() != nil && !isCancelOnly(firstErr):
			// The caller gave up, but ngrok had already said why; that is the more useful message.
			return nil, ngrokError(firstErr, server+via, o.Authtoken, o.Source)
		case ctx.Err() != nil:
			return nil, &Error{Provider: ProviderNgrok, Cause: "cancelled while starting", Next: "try again; " + ngrokOther, Err: ctx.Err()}
		}
		return nil, ngrokError(firstErr, server+via, o.Authtoken, o.Source)
	}
	sess := tun.Session()
	t := &Tunnel{
		Provider:    ProviderNgrok,
		URL:         strings.TrimRight(tun.URL(), "/"),
		TokenSource: o.Source,
	}
	if p, ok := sess.(interface{ PlanName() string }); ok {
		// Not in ngrok-go's Session interface, but exported on its session type (session.go says
		// such methods "can be interface-asserted"); ngrok-go v1.12.1 is pinned.
		t.Plan = p.PlanName()
	}
	l := &ngrokListener{Tunnel: tun, sess: sess, cancel: cancelSess}
	t.Listener = l // its Close ends the session too, whoever closes it (the receiver, or Tunnel.Close)
	return t, nil
}

// ngrokListener is the ngrok tunnel as a net.Listener whose Close is bounded and also ends the
// session: closing the tunnel alone asks the server to unbind and waits for its answer, which an
// offline server never gives, and an open session keeps the free plan's one agent slot taken.
type ngrokListener struct {
	ngrok.Tunnel
	sess   ngrok.Session
	cancel context.CancelFunc

	once sync.Once
	err  error
}

// Close ends the session first (that only drops the connection: local, immediate), then the tunnel,
// whose unbind then fails at once instead of waiting. Both are bounded by ngrokCloseBound.
func (l *ngrokListener) Close() error {
	l.once.Do(func() {
		done := make(chan error, 1)
		go func() {
			if l.sess != nil {
				err := l.sess.Close()
				// The tunnel went with its session; closing it now only releases it locally, and
				// its unbind fails in whichever words muxado picks ("remote gone away", "closed",
				// ...), which say nothing about the close we asked for.
				_ = l.Tunnel.Close()
				done <- err
				return
			}
			if err := l.Tunnel.Close(); err != nil && !isClosedErr(err) {
				done <- err
				return
			}
			done <- nil
		}()
		select {
		case err := <-done:
			l.err = err
		case <-time.After(ngrokCloseBound):
			l.err = fmt.Errorf("the ngrok session did not close within %s (offline?); ngrok ends it by itself shortly", ngrokCloseBound)
		}
		l.cancel()
	})
	return l.err
}

// isClosedErr says whether err only reports that the session or tunnel was already closed.
func isClosedErr(err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "closed") || strings.Contains(msg, "shutdown")
}

// hasNgrokCode says whether err carries an ngrok error code (ERR_NGROK_...).
func hasNgrokCode(err error) bool {
	var nerr ngrok.Error
	return errors.As(err, &nerr) && nerr.ErrorCode() != ""
}

func isCancelOnly(err error) bool {
	return err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ngrokCode is the cause and next step for one ngrok error code (https://ngrok.com/docs/errors/).
type ngrokCode struct{ cause, next string }

// ngrokCodes are the codes a first run meets. %s in cause is replaced by where the token came from.
var ngrokCodes = map[string]ngrokCode{
	"ERR_NGROK_105": {"ngrok rejected the authtoken%s: it is not a valid token", ngrokNextToken},
	"ERR_NGROK_106": {"ngrok rejected the authtoken%s: it is not a valid token", ngrokNextToken},
	"ERR_NGROK_107": {"ngrok rejected the authtoken%s: it was revoked or belongs to no account", ngrokNextToken},
	"ERR_NGROK_108": {"your ngrok account already has an agent session online (the free plan allows one)",
		"stop the other agent (a running `ngrok http`, or another linkrecovery), or wait a minute, then try again; " + ngrokOther},
	"ERR_NGROK_334": {"your ngrok dev domain is already online, served by another agent",
		"stop the other agent using it (a running `ngrok http`, or another linkrecovery), then try again; " + ngrokOther},
	"ERR_NGROK_4018": {"ngrok requires a verified account before it serves traffic",
		"verify your e-mail address at https://dashboard.ngrok.com (then use that account's authtoken); " + ngrokOther},
	"ERR_NGROK_120": {"ngrok no longer supports this client version (ngrok-go " + ngrokLibVersion + ")",
		"update linkrecovery; meanwhile run a current `ngrok http` yourself and pass --webhook-url and --listen"},
	"ERR_NGROK_121": {"ngrok refused this client as too old for your account (ngrok-go " + ngrokLibVersion + "); ngrok enforces a minimum agent version on free accounts",
		"update linkrecovery; meanwhile run a current `ngrok http` yourself and pass --webhook-url and --listen"},
}

// ngrokError turns what ngrok-go reported into a cause a person can act on. server names where we
// tried (and through which proxy); source says where the token came from. The authtoken never
// appears in it, even if a library message were to echo it.
func ngrokError(err error, server, token, source string) *Error {
	e := &Error{Provider: ProviderNgrok, Next: ngrokNextNetwork, Err: err}
	from := ""
	if source != "" {
		from = " from " + source
	}
	var nerr ngrok.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &nerr) && nerr.ErrorCode() != "":
		code := nerr.ErrorCode()
		if c, ok := ngrokCodes[code]; ok {
			cause := c.cause
			if strings.Contains(cause, "%s") {
				cause = fmt.Sprintf(cause, from)
			}
			e.Cause, e.Next = cause+" ("+code+")", c.next
		} else {
			e.Cause = "ngrok refused: " + firstLine(nerr.Msg()) + " (" + code + ")"
			e.Next = "see https://ngrok.com/docs/errors/" + strings.ToLower(code) + "; " + ngrokOther
		}
	case strings.Contains(err.Error(), "authentication failed"):
		// The server said no without a code: most likely the token.
		e.Cause = "ngrok rejected the authtoken" + from + ": " + firstLine(err.Error())
		e.Next = ngrokNextToken
	case strings.Contains(err.Error(), "proxy"):
		e.Cause = fmt.Sprintf("could not reach the ngrok server at %s: %s", server, firstLine(err.Error()))
	case errors.As(err, &dnsErr):
		e.Cause = fmt.Sprintf("cannot resolve %s for the ngrok server %s (no network or no DNS?)", dnsErr.Name, server)
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
		e.Cause = strings.ReplaceAll(e.Cause, token, secret.Mask(token))
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
