package emulator

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The webhook sender is a request forger by design: it POSTs to any URL a caller of
// /link/token/create names. These guards keep it to the targets Plaid could reach: no redirects
// (a 3xx is a failed delivery, as at Plaid), no link-local addresses (cloud metadata services live
// at 169.254.169.254), and not the emulator's own control plane. Loopback stays allowed: the app's
// receiver listens on 127.0.0.1.

// noRedirects makes a 3xx the answer of the delivery (a failed one), as Plaid does not follow it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// checkWebhookTarget checks a webhook URL given to /link/token/create or
// /sandbox/public_token/create. It returns a message fit for an INVALID_FIELD error.
func (e *Emulator) checkWebhookTarget(raw string) error {
	if err := checkURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	host, port := strings.ToLower(u.Hostname()), urlPort(u)
	if ip, err := netip.ParseAddr(host); err == nil {
		if linkLocal(ip) {
			return fmt.Errorf("must not point at a link-local address (%s): that is where cloud metadata services answer; use your receiver's address", host)
		}
	}
	if e.isOwnTarget(host, port) {
		return fmt.Errorf("must not point at the emulator itself (%s): its control endpoints are not a webhook receiver; use your receiver's address", net.JoinHostPort(host, port))
	}
	return nil
}

// linkLocal reports 169.254.0.0/16 and fe80::/10 (and their multicast cousins).
func linkLocal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()
}

// isOwnTarget says whether host:port is where this emulator listens: its base URL, an address a
// request reached it on, or loopback/unspecified on one of its ports.
func (e *Emulator) isOwnTarget(host, port string) bool {
	host = strings.Trim(strings.ToLower(host), "[]")
	e.ownMu.Lock()
	defer e.ownMu.Unlock()
	if _, ok := e.ownPorts[port]; !ok {
		return false
	}
	if host == "localhost" {
		return true
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true
		}
	}
	_, ok := e.ownHostSet[host]
	return ok
}

// noteOwnAddress records an address the emulator is reachable at (host or IP, and port).
func (e *Emulator) noteOwnAddress(host, port string) {
	if port == "" {
		return
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	e.ownMu.Lock()
	defer e.ownMu.Unlock()
	e.ownPorts[port] = struct{}{}
	if host != "" {
		e.ownHostSet[host] = struct{}{}
	}
}

// noteRequestAddr records the local address a request came in on, so a webhook aimed at that
// address (the emulator's listener, whatever its interface) is refused.
func (e *Emulator) noteRequestAddr(r *http.Request) {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return
	}
	if ap, err := netip.ParseAddrPort(la.String()); err == nil {
		e.noteOwnAddress(ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port())))
	}
}

// noteBaseURL records the base URL's host and port as the emulator's own.
func (e *Emulator) noteBaseURL(base string) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return
	}
	e.noteOwnAddress(u.Hostname(), urlPort(u))
}

// dialControl runs for every connection the webhook sender makes, after DNS and before connect:
// a name that resolves to a link-local address or to the emulator itself is refused there, since
// the check at /link/token/create only saw the name.
func (e *Emulator) dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("emulator: webhook refused: cannot parse the address %q", address)
	}
	if linkLocal(ap.Addr()) {
		return fmt.Errorf("emulator: webhook refused: %s is a link-local address (cloud metadata lives there)", ap.Addr())
	}
	if e.isOwnTarget(ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port()))) {
		return fmt.Errorf("emulator: webhook refused: %s is the emulator's own address", address)
	}
	return nil
}

// guardWebhookClient returns the client the sender uses: c (or a default) with no redirects, no
// proxy, and a dialer that runs dialControl. A caller's *http.Transport is changed in place, so the
// caller can still close its idle connections; any other RoundTripper is kept as it is (only the
// URL check at /link/token/create then applies).
func (e *Emulator) guardWebhookClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Timeout = 10 * time.Second
	}
	out.CheckRedirect = noRedirects
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: e.dialControl}
	switch t := out.Transport.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		tr.DialContext = dialer.DialContext
		out.Transport = tr
	case *http.Transport:
		t.Proxy = nil // a proxy would dial for us, past the check
		t.DialContext = dialer.DialContext
	}
	return &out
}

// urlPort is u's port, or its scheme's default one.
func urlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
