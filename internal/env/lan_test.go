package env_test

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// ServeLAN serves the emulator on the LAN address too, its new URLs name that address, and StopLAN
// takes it off the network again. 127.0.0.2 stands in for a LAN address: it is this machine's (all
// of 127/8 is loopback on Linux) yet not the address the demo already listens on.
func TestServeLANReachableThenStopped(t *testing.T) {
	ctx := context.Background()
	e := testkit.DemoEnv(t, env.Config{})
	lan := netip.MustParseAddr("127.0.0.2")
	base, err := e.ServeLAN(ctx, lan)
	if err != nil {
		t.Skipf("cannot listen on %s here: %v", lan, err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.2:") || e.LANURL() != base {
		t.Fatalf("ServeLAN = %s (LANURL %s)", base, e.LANURL())
	}
	tok, err := e.CreatePollingLinkToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.HostedLinkURL, base+"/") {
		t.Errorf("hosted_link_url = %s, want it under %s", tok.HostedLinkURL, base)
	}
	if code := get(t, tok.HostedLinkURL); code != http.StatusOK {
		t.Errorf("GET %s on the LAN = %d", tok.HostedLinkURL, code)
	}
	// The plaid client still talks to loopback, and the page answers there too.
	if loop := strings.Replace(tok.HostedLinkURL, base, e.PlaidURL, 1); get(t, loop) != http.StatusOK {
		t.Errorf("GET %s on loopback failed", loop)
	}

	e.StopLAN()
	if e.LANURL() != "" {
		t.Errorf("LANURL after StopLAN = %s", e.LANURL())
	}
	if _, err := http.Get(tok.HostedLinkURL); err == nil {
		t.Errorf("the LAN address still answers after StopLAN")
	}
	tok2, err := e.CreatePollingLinkToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok2.HostedLinkURL, e.PlaidURL+"/") {
		t.Errorf("after StopLAN hosted_link_url = %s, want loopback %s", tok2.HostedLinkURL, e.PlaidURL)
	}
}

func TestServeLANRefusesIPv6AndSandbox(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	if _, err := e.ServeLAN(context.Background(), netip.MustParseAddr("::1")); err == nil {
		t.Error("ServeLAN(::1) worked")
	}
	var none *env.Env
	if _, err := none.ServeLAN(context.Background(), netip.MustParseAddr("127.0.0.2")); err == nil {
		t.Error("ServeLAN without an emulator worked")
	}
}

func get(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
