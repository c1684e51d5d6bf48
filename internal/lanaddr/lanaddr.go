// Package lanaddr finds this machine's candidate LAN addresses: where a phone on the same network
// can reach the demo's Hosted Link pages. The interfaces are injected (System in the app, a list in
// tests), and LINKRECOVERY_LAN_ADDRS overrides them for tests and for users whose right address is
// not found (a VPN, a container).
package lanaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// EnvVar overrides the interfaces: a comma-separated list of IPv4 addresses, taken as they are
// (a test may give 127.0.0.2, which no interface scan would offer).
const EnvVar = "LINKRECOVERY_LAN_ADDRS"

// Interface is what Find needs to know of a network interface.
type Interface struct {
	Name  string
	Up    bool
	Addrs []netip.Prefix
}

// Lister lists the interfaces (System, or a test's).
type Lister func() ([]Interface, error)

// Candidate is one address a phone may reach this machine at.
type Candidate struct {
	Addr      netip.Addr
	Interface string // the interface it is on ("" when it came from EnvVar)
}

// String is "192.168.1.20 (wlan0)", or the address alone.
func (c Candidate) String() string {
	if c.Interface == "" {
		return c.Addr.String()
	}
	return c.Addr.String() + " (" + c.Interface + ")"
}

// NoneError says that no candidate was found, why, and what to do.
type NoneError struct {
	Cause string
	Next  string
}

func (e *NoneError) Error() string { return "no LAN address found: " + e.Cause + "; " + e.Next }

// nextStep is what a user without a LAN address can do.
const nextStep = "join the phone's Wi-Fi or a wired network and try again, or name the address with " +
	EnvVar + "=192.168.1.20 (or --public-host)"

// Find lists the candidate LAN addresses: EnvVar's when it is set (getenv), else every up
// interface's IPv4 addresses that are not loopback, link-local, multicast or unspecified, private
// ones (RFC 1918) first. None is a *NoneError naming the cause and the next step.
func Find(getenv func(string) string, list Lister) ([]Candidate, error) {
	if raw := strings.TrimSpace(getenv(EnvVar)); raw != "" {
		return parseList(raw)
	}
	ifs, err := list()
	if err != nil {
		return nil, &NoneError{Cause: fmt.Sprintf("cannot list this machine's network interfaces (%v)", err), Next: nextStep}
	}
	var out []Candidate
	var seen []string
	for _, in := range ifs {
		seen = append(seen, in.Name)
		if !in.Up {
			continue
		}
		for _, p := range in.Addrs {
			a := p.Addr().Unmap()
			if usable(a) && !slices.ContainsFunc(out, func(c Candidate) bool { return c.Addr == a }) {
				out = append(out, Candidate{Addr: a, Interface: in.Name})
			}
		}
	}
	if len(out) == 0 {
		cause := "no network interface is up with an IPv4 address other than loopback or link-local"
		if len(seen) > 0 {
			cause += " (interfaces: " + strings.Join(seen, ", ") + ")"
		}
		return nil, &NoneError{Cause: cause, Next: nextStep}
	}
	// Private addresses first: a phone on the same Wi-Fi reaches those; a public one is rarer.
	slices.SortStableFunc(out, func(a, b Candidate) int {
		switch pa, pb := a.Addr.IsPrivate(), b.Addr.IsPrivate(); {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	return out, nil
}

// usable says whether a is an IPv4 address another machine could reach.
func usable(a netip.Addr) bool {
	return a.Is4() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified()
}

// parseList reads EnvVar's value.
func parseList(raw string) ([]Candidate, error) {
	var out []Candidate
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || !a.Unmap().Is4() || a.IsUnspecified() {
			return nil, &NoneError{Cause: fmt.Sprintf("%s=%s: %q is not an IPv4 address", EnvVar, raw, f),
				Next: "give IPv4 addresses of this machine separated by commas, e.g. " + EnvVar + "=192.168.1.20"}
		}
		if c := (Candidate{Addr: a.Unmap()}); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &NoneError{Cause: EnvVar + " is set but holds no address", Next: "unset it, or give e.g. " + EnvVar + "=192.168.1.20"}
	}
	return out, nil
}

// System lists this machine's interfaces.
func System() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []Interface
	var errs []error
	for _, in := range ifs {
		addrs, err := in.Addrs()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", in.Name, err))
			continue
		}
		it := Interface{Name: in.Name, Up: in.Flags&net.FlagUp != 0}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					ones, _ := n.Mask.Size()
					it.Addrs = append(it.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
		out = append(out, it)
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
