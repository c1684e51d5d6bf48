// Package tunnel gives the app a public webhook URL and a net.Listener behind it (ngrok, a URL of the
// user's own, or loopback for the emulator). What arrives on that listener is verified and reported by
// package internal/webhook. It knows nothing of the TUI: it reports through return values and *Error.
//
// Files: tunnel.go (providers Local and Own), ngrok.go (the ngrok provider).
package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
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

	// TokenSource says where the ngrok authtoken came from (ngrok only): NGROK_AUTHTOKEN, .env or
	// the path of ngrok's config file.
	TokenSource string
	// Plan is the ngrok plan the session reported ("" if it did not say); see FreePlan.
	Plan string

	// closeExtra releases what the provider holds besides the listener (the ngrok session).
	closeExtra func() error
	closeOnce  sync.Once
	closeErr   error
}

// WebhookURL is where Plaid should POST webhooks.
func (t *Tunnel) WebhookURL() string { return t.URL + "/webhook" }

// CompleteURL is the default completion_redirect_uri.
func (t *Tunnel) CompleteURL() string { return t.URL + "/complete" }

// Close closes the listener (and the ngrok session). It is safe to call more than once.
func (t *Tunnel) Close() error {
	if t == nil {
		return nil
	}
	t.closeOnce.Do(func() {
		var errs []error
		if t.Listener != nil {
			if err := t.Listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		if t.closeExtra != nil {
			if err := t.closeExtra(); err != nil {
				errs = append(errs, err)
			}
		}
		t.closeErr = errors.Join(errs...)
	})
	return t.closeErr
}

// Error is a tunnel failure a person can act on.
type Error struct {
	Provider Provider
	Cause    string // what went wrong, in plain words
	Next     string // what to do next
	Err      error
}

func (e *Error) Error() string { return string(e.Provider) + ": " + e.Cause + "; " + e.Next }
func (e *Error) Unwrap() error { return e.Err }

// Hint is the next step (so that a tunnel failure answers flows.Hinter like every other).
func (e *Error) Hint() string { return e.Next }

// DefaultLocalAddr is where Local listens when addr is empty: loopback only, any free port.
const DefaultLocalAddr = "127.0.0.1:0"

// Local listens on addr (default 127.0.0.1:0). publicHost, if set, replaces the host in URL (for
// phones on the LAN; then addr should listen on all interfaces).
func Local(addr, publicHost string) (*Tunnel, error) {
	if addr == "" {
		addr = DefaultLocalAddr
	}
	ln, err := listenOn(ProviderLocal, addr, "pick another address with --listen (for example 127.0.0.1:0 for any free port)")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	host := publicHost
	if host == "" {
		host = ln.Addr().(*net.TCPAddr).IP.String()
		// A wildcard listen address is not somewhere a browser can go; loopback is.
		if ip := ln.Addr().(*net.TCPAddr).IP; ip.IsUnspecified() {
			host = "127.0.0.1"
		}
	}
	// publicHost may carry a port the user wants in URLs (e.g. a LAN proxy); otherwise use ours.
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
	}
	return &Tunnel{
		Provider: ProviderLocal,
		URL:      "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port),
		Listener: ln,
	}, nil
}

// Own uses a public URL the user runs themselves (e.g. their own ngrok or cloudflared) forwarding to listen.
func Own(publicURL, listen string) (*Tunnel, error) {
	next := "pass --webhook-url https://your-tunnel.example and --listen 127.0.0.1:8080 (the address your tunnel forwards to)"
	if publicURL == "" {
		return nil, &Error{Provider: ProviderURL, Cause: "no --webhook-url given", Next: next}
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, &Error{
			Provider: ProviderURL,
			Cause:    fmt.Sprintf("--webhook-url %q is not an absolute http(s) URL", publicURL),
			Next:     next,
			Err:      err,
		}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, &Error{
			Provider: ProviderURL,
			Cause:    fmt.Sprintf("--webhook-url %q must be a plain base URL (no user, query or fragment)", publicURL),
			Next:     next,
		}
	}
	// Users paste either the base or the full webhook URL; both mean the same base.
	path := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/webhook")
	base := u.Scheme + "://" + u.Host + path
	if listen == "" {
		return nil, &Error{
			Provider: ProviderURL,
			Cause:    "--webhook-url needs --listen too (the local address your tunnel forwards to)",
			Next:     next,
		}
	}
	ln, err := listenOn(ProviderURL, listen, "check that nothing else uses that port, or choose another --listen address and point your tunnel at it")
	if err != nil {
		return nil, err
	}
	return &Tunnel{Provider: ProviderURL, URL: base, Listener: ln}, nil
}

// listenOn listens on addr for p's tunnel; a failure is an *Error that names the address and next.
func listenOn(p Provider, addr, next string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &Error{Provider: p, Cause: fmt.Sprintf("cannot listen on %s: %v", addr, errText(err)), Next: next, Err: err}
	}
	return ln, nil
}

// errText is err's message without the "listen tcp 1.2.3.4:5:" prefix that the address already says.
func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
