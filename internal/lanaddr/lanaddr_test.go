package lanaddr

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func ifaces(list ...Interface) Lister { return func() ([]Interface, error) { return list, nil } }

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func noEnv(string) string { return "" }

func TestFindKeepsLANAddressesOnly(t *testing.T) {
	got, err := Find(noEnv, ifaces(
		Interface{Name: "lo", Up: true, Addrs: pfx("127.0.0.1/8", "::1/128")},
		Interface{Name: "docker0", Up: false, Addrs: pfx("172.17.0.1/16")},
		Interface{Name: "tun0", Up: true, Addrs: pfx("100.64.3.4/10")},
		Interface{Name: "wlan0", Up: true, Addrs: pfx("169.254.10.1/16", "fe80::1/64", "192.168.1.20/24", "2001:db8::5/64")},
		Interface{Name: "eth0", Up: true, Addrs: pfx("10.0.0.7/8", "192.168.1.20/24")},
	))
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, c := range got {
		s = append(s, c.String())
	}
	// Private first, in interface order; the CGNAT address after; no loopback, link-local,
	// IPv6, down interface or repeat.
	want := "192.168.1.20 (wlan0), 10.0.0.7 (eth0), 100.64.3.4 (tun0)"
	if strings.Join(s, ", ") != want {
		t.Errorf("Find = %s, want %s", strings.Join(s, ", "), want)
	}
}

func TestFindNoneSaysWhyAndWhatToDo(t *testing.T) {
	_, err := Find(noEnv, ifaces(Interface{Name: "lo", Up: true, Addrs: pfx("127.0.0.1/8")},
		Interface{Name: "eth0", Up: true, Addrs: pfx("169.254.1.1/16")}))
	var ne *NoneError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a *NoneError", err)
	}
	for _, want := range []string{"no LAN address found", "loopback or link-local", "lo, eth0", EnvVar + "=", "Wi-Fi"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	_, err = Find(noEnv, func() ([]Interface, error) { return nil, errors.New("permission denied") })
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a listing failure: %v", err)
	}
}

func TestFindEnvOverrideWins(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvVar {
				return v
			}
			return ""
		}
	}
	never := func() ([]Interface, error) { t.Fatal("the interfaces were listed despite " + EnvVar); return nil, nil }
	got, err := Find(env(" 127.0.0.2, 192.168.5.5,127.0.0.2 "), never)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "127.0.0.2" || got[1].String() != "192.168.5.5" {
		t.Errorf("Find = %v", got)
	}
	for _, bad := range []string{"fe80::1", "phone.local", "0.0.0.0", " , "} {
		if _, err := Find(env(bad), never); err == nil || !strings.Contains(err.Error(), EnvVar) {
			t.Errorf("%s=%q: err = %v, want one naming %s", EnvVar, bad, err, EnvVar)
		}
	}
}

// TestSystemLists is a smoke test of the real listing: it works, and no address comes out unparsed.
func TestSystemLists(t *testing.T) {
	ifs, err := System()
	if err != nil {
		t.Skipf("no interfaces here: %v", err)
	}
	for _, in := range ifs {
		for _, p := range in.Addrs {
			if !p.Addr().IsValid() {
				t.Errorf("%s: an invalid address %v", in.Name, p)
			}
		}
	}
}
