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
// at 169.254.169.254, and at a few well-known addresses besides, in any IPv6 dress), and not the
// emulator's own control plane. Loopback stays allowed: the app's receiver listens on 127.0.0.1.

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
	if metadataNames[strings.TrimSuffix(host, ".")] {
		return fmt.Errorf("must not point at %s: it names a cloud metadata service; use your receiver's address", host)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		// 2852039166, 0xa9fea9fe and 0251.0376.0251.0376 are 169.254.169.254 to a C resolver.
		ip, err = parseLegacyIPv4(host)
	}
	if err == nil {
		if why, bad := refusedTarget(ip); bad {
			return fmt.Errorf("must not point at %s (%s); use your receiver's address", host, why)
		}
		host = ip.String()
	}
	if e.isOwnTarget(host, port) {
		return fmt.Errorf("must not point at the emulator itself (%s): its control endpoints are not a webhook receiver; use your receiver's address", net.JoinHostPort(host, port))
	}
	return nil
}

// metadataIPs are the cloud metadata services that answer outside 169.254.0.0/16 and fe80::/10:
// Alibaba Cloud, Oracle Cloud, Azure's WireServer, and the IPv6 endpoints of AWS (instance
// metadata, and the EKS Pod Identity agent that hands out credentials), Google Cloud and Scaleway.
var metadataIPs = map[netip.Addr]string{
	netip.MustParseAddr("100.100.100.200"): "Alibaba Cloud's metadata service",
	netip.MustParseAddr("192.0.0.192"):     "Oracle Cloud's metadata service",
	netip.MustParseAddr("168.63.129.16"):   "Azure's WireServer",
	netip.MustParseAddr("fd00:ec2::254"):   "AWS's IPv6 metadata service",
	netip.MustParseAddr("fd00:ec2::23"):    "AWS's EKS Pod Identity agent",
	netip.MustParseAddr("fd20:ce::254"):    "Google Cloud's IPv6 metadata service",
	netip.MustParseAddr("fd00:42::42"):     "Scaleway's IPv6 metadata service",
}

// metadataNames are the DNS names metadata services are reached by (the dial check also catches
// them once resolved; refusing the name gives a clearer message at token creation).
var metadataNames = map[string]bool{
	"metadata.google.internal": true, "metadata.goog": true, "metadata": true,
	"instance-data": true, "instance-data.ec2.internal": true, "metadata.tencentyun.com": true,
}

// refusedTarget says why a webhook must not go to ip: a link-local address (169.254.0.0/16 with the
// usual metadata service, fe80::/10), a well-known metadata address, or an IPv6 address that
// carries a refused IPv4 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96 and
// 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32), which a translator or relay would deliver there.
func refusedTarget(ip netip.Addr) (string, bool) {
	ip = ip.WithZone("")
	check := func(a netip.Addr) (string, bool) {
		if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
			return "a link-local address: cloud metadata services answer there", true
		}
		if name, ok := metadataIPs[a]; ok {
			return name, true
		}
		return "", false
	}
	if why, bad := check(ip.Unmap()); bad {
		return why, true
	}
	for _, v4 := range embeddedIPv4(ip) {
		if why, bad := check(v4); bad {
			return fmt.Sprintf("an IPv6 address carrying %s, %s", v4, why), true
		}
	}
	return "", false
}

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries in the forms a host, translator or
// relay acts on. (Mapped addresses are handled by Unmap.)
func embeddedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() || ip.Is4In6() {
		return nil
	}
	b := ip.As16()
	v4 := func(p []byte) netip.Addr { return netip.AddrFrom4([4]byte{p[0], p[1], p[2], p[3]}) }
	zero := func(p []byte) bool {
		for _, c := range p {
			if c != 0 {
				return false
			}
		}
		return true
	}
	var out []netip.Addr
	switch {
	case zero(b[:12]) && !ip.IsUnspecified() && !ip.IsLoopback(): // IPv4-compatible ::a.b.c.d
		out = append(out, v4(b[12:]))
	case netip.PrefixFrom(netip.MustParseAddr("64:ff9b::"), 96).Contains(ip): // NAT64, well-known prefix
		out = append(out, v4(b[12:]))
	case netip.PrefixFrom(netip.MustParseAddr("64:ff9b:1::"), 48).Contains(ip): // local NAT64 (RFC 8215)
		// RFC 6052 with a /48 prefix: the IPv4 address is bits 48-63 and 72-95, around the u octet.
		out = append(out, v4([]byte{b[6], b[7], b[9], b[10]}))
	case b[0] == 0x20 && b[1] == 0x02: // 6to4 2002:a.b.c.d::/48
		out = append(out, v4(b[2:6]))
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0: // Teredo: server, and client (inverted)
		out = append(out, v4(b[4:8]), v4([]byte{^b[12], ^b[13], ^b[14], ^b[15]}))
	}
	return out
}

// parseLegacyIPv4 reads the forms inet_aton accepts besides dotted decimal (one to four parts, each
// decimal, octal with a leading 0 or hex with 0x), which some resolvers turn into an address.
func parseLegacyIPv4(s string) (netip.Addr, error) {
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, fmt.Errorf("not an address")
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 0, 32)
		if err != nil || p == "" {
			return netip.Addr{}, fmt.Errorf("not an address")
		}
		vals[i] = v
	}
	// The last part fills the bytes the earlier ones leave.
	n := len(vals)
	last := vals[n-1]
	if last >= 1<<(8*(5-n)) {
		return netip.Addr{}, fmt.Errorf("not an address")
	}
	var x uint64
	for i, v := range vals[:n-1] {
		if v > 255 {
			return netip.Addr{}, fmt.Errorf("not an address")
		}
		x |= v << (8 * (3 - i))
	}
	x |= last
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}), nil
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
	if why, bad := refusedTarget(ap.Addr()); bad {
		return fmt.Errorf("emulator: webhook refused: %s is %s", ap.Addr(), why)
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
