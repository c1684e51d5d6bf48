package env

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
)

// ServeLAN serves the demo's emulator on addr as well as on loopback, so a phone on the same
// network can open its Hosted Link pages, and points the emulator's URLs (hosted_link_url, the
// recovery e-mails' links) at addr. It listens on that one address, not on every interface, on the
// loopback port when it is free there. It returns the LAN base URL. Calling it again moves the
// emulator to the new address. StopLAN undoes it.
func (e *Env) ServeLAN(ctx context.Context, addr netip.Addr) (string, error) {
	if !e.CanDrive() {
		return "", ErrNoEmulator
	}
	if !addr.Is4() {
		return "", fmt.Errorf("serve the demo on %s: only IPv4 LAN addresses are served", addr)
	}
	e.StopLAN()
	_, port, _ := strings.Cut(strings.TrimPrefix(e.PlaidURL, "http://"), ":")
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(addr.String(), port))
	if err != nil {
		// The loopback port is taken on that address: any free one will do.
		if ln, err = lc.Listen(ctx, "tcp", net.JoinHostPort(addr.String(), "0")); err != nil {
			return "", fmt.Errorf("cannot listen on %s for the demo emulator: %w; check the address is this machine's (LINKRECOVERY_LAN_ADDRS), or use --public-host", addr, err)
		}
	}
	base := "http://" + ln.Addr().String()
	srv := emulator.NewServer(e.Emulator)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		ln.Close()
		return "", errors.New("the environment is closed; start a new one")
	}
	e.lanServer, e.lanBase = srv, base
	e.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	e.Emulator.SetBaseURL(base)
	e.debugf("lan: serving the emulator on %s", base)
	return base, nil
}

// StopLAN stops serving the emulator on the LAN (see ServeLAN) and points its URLs back at
// loopback. It does nothing when the emulator is not on the LAN.
func (e *Env) StopLAN() {
	if !e.CanDrive() {
		return
	}
	e.mu.Lock()
	srv := e.lanServer
	e.lanServer, e.lanBase = nil, ""
	e.mu.Unlock()
	if srv == nil {
		return
	}
	e.Emulator.SetBaseURL(e.PlaidURL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	e.debugf("lan: back to loopback only")
}

// LANURL is the emulator's LAN base URL while ServeLAN is in effect, else "".
func (e *Env) LANURL() string {
	if e == nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lanBase
}
