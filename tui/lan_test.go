package tui

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/internal/lanaddr"
)

// fakeLAN is lanOps over a fixed list of addresses; serve and stop count their calls.
type fakeLAN struct {
	cands        []lanaddr.Candidate
	findErr      error
	served       []netip.Addr
	stops        int
	serveFailure error
}

func (f *fakeLAN) ops() lanOps {
	return lanOps{
		find: func() ([]lanaddr.Candidate, error) { return f.cands, f.findErr },
		serve: func(_ context.Context, a netip.Addr) (string, string, error) {
			f.served = append(f.served, a)
			if f.serveFailure != nil {
				return "", "", f.serveFailure
			}
			return "http://127.0.0.1:41000", "http://" + a.String() + ":41000", nil
		},
		stop: func() { f.stops++ },
	}
}

// lanFixture is the session half's QR view with lan's addresses to offer.
func lanFixture(t *testing.T, lan *fakeLAN) *fixture {
	t.Helper()
	f := newFixture(t, true, 120, 40)
	f.m.c.lanOps = lan.ops()
	f.open(nSession)
	f.key("v")
	return f
}

// run sends k and then every message its Cmd brings back.
func (f *fixture) keyThrough(k string) {
	f.t.Helper()
	for _, msg := range collect(f.key(k), nil) {
		f.send(msg)
	}
}

func (f *fixture) screen() string { return ansi.Strip(f.m.View()) }

func TestLANKeyAsksThenServesAndBack(t *testing.T) {
	lan := &fakeLAN{cands: []lanaddr.Candidate{
		{Addr: netip.MustParseAddr("192.168.1.20"), Interface: "wlan0"},
		{Addr: netip.MustParseAddr("10.0.0.7"), Interface: "eth0"},
	}}
	f := lanFixture(t, lan)
	scr := f.screen()
	if !strings.Contains(scr, "which a phone cannot open: l serves the demo on your LAN") || !strings.Contains(scr, "l serve on the LAN") {
		t.Fatalf("the QR view does not offer the LAN:\n%s", scr)
	}

	f.keyThrough("l")
	scr = f.screen()
	for _, want := range []string{"Serve the demo on your local network?", "Anyone on that network can then open the demo's pages",
		"› 192.168.1.20 (wlan0)", "10.0.0.7 (eth0)", "y serves it on 192.168.1.20"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the prompt does not say %q:\n%s", want, scr)
		}
	}
	if len(lan.served) != 0 {
		t.Fatal("served before the confirmation")
	}
	f.key("j") // the second address
	f.keyThrough("y")
	if len(lan.served) != 1 || lan.served[0].String() != "10.0.0.7" {
		t.Fatalf("served %v, want 10.0.0.7", lan.served)
	}
	want := "http://10.0.0.7:41000/hosted-link/66666666-7777-4888-9999-aaaaaaaaaaaa"
	if got := f.m.currentQR().url; got != want {
		t.Errorf("the QR code holds %s, want %s", got, want)
	}
	if got := f.m.currentURL(); got != want {
		t.Errorf("o opens %s, want %s", got, want)
	}
	scr = f.screen()
	if first := strings.SplitN(scr, "\n", 2)[0]; !strings.Contains(first, "LAN 10.0.0.7") {
		t.Errorf("the header does not say LAN: %q", first)
	}
	if !strings.Contains(scr, want) || !strings.Contains(scr, "L off the LAN") {
		t.Errorf("the QR view does not show the LAN URL and the way back:\n%s", scr)
	}

	f.keyThrough("L")
	if lan.stops != 1 {
		t.Fatalf("stop called %d times", lan.stops)
	}
	if got := f.m.currentQR().url; got != fixedURL2 {
		t.Errorf("back on loopback the code holds %s, want %s", got, fixedURL2)
	}
	if first := strings.SplitN(f.screen(), "\n", 2)[0]; strings.Contains(first, "LAN") {
		t.Errorf("the header still says LAN: %q", first)
	}
}

func TestLANPromptEscCancels(t *testing.T) {
	lan := &fakeLAN{cands: []lanaddr.Candidate{{Addr: netip.MustParseAddr("192.168.1.20")}}}
	f := lanFixture(t, lan)
	f.keyThrough("l")
	if !f.m.lan.asking {
		t.Fatal("l did not ask")
	}
	f.key("esc")
	if f.m.lan.asking || !f.m.showQR || len(lan.served) != 0 {
		t.Errorf("esc: asking %t, QR view %t, served %v; want the QR view back, nothing served", f.m.lan.asking, f.m.showQR, lan.served)
	}
	if f.m.keys.Confirm.Enabled() {
		t.Error("y still enabled")
	}
}

func TestLANNoAddressSaysWhyAndWhatToDo(t *testing.T) {
	_, none := lanaddr.Find(func(string) string { return "" }, func() ([]lanaddr.Interface, error) {
		return []lanaddr.Interface{{Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}}}, nil
	})
	f := lanFixture(t, &fakeLAN{findErr: none})
	f.keyThrough("l")
	if f.m.lan.asking {
		t.Fatal("asked with no address")
	}
	scr := strings.Join(strings.Fields(f.screen()), " ")
	for _, want := range []string{"no LAN address found", "link-local", "(interfaces: lo)", "Wi-Fi", "LINKRECOVERY_LAN_ADDRS=192.168.1.20"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the screen does not say %q:\n%s", want, f.screen())
		}
	}
}

// Without the emulator's LAN server (no Env here, or --public-host) l is not offered, and the note
// says what does work.
func TestLANNotOfferedWithoutIt(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	f.key("v")
	if f.m.keys.LAN.Enabled() {
		t.Error("l enabled without a way to serve the LAN")
	}
	if scr := f.screen(); !strings.Contains(scr, "which a phone cannot open; open it here with o") {
		t.Errorf("no note on the loopback URL:\n%s", scr)
	}
}

func TestLANLinksMapBothWays(t *testing.T) {
	l := lanLinks{on: true, loop: "http://127.0.0.1:41000", lan: "http://192.168.1.20:41000"}
	for in, want := range map[string]string{
		"http://127.0.0.1:41000/hosted-link/x": "http://192.168.1.20:41000/hosted-link/x",
		"http://127.0.0.1:410001/x":            "http://127.0.0.1:410001/x", // another port
		"https://hosted.plaid.com/link/x":      "https://hosted.plaid.com/link/x",
		"":                                     "",
	} {
		if got := l.reachable(in); got != want {
			t.Errorf("on: reachable(%q) = %q, want %q", in, got, want)
		}
	}
	l.on = false
	if got := l.reachable("http://192.168.1.20:41000/hosted-link/x"); got != "http://127.0.0.1:41000/hosted-link/x" {
		t.Errorf("off: a LAN link maps to %q", got)
	}
}

// Once on the LAN, the home screen no longer says only "on this machine".
func TestLANHomeSaysSo(t *testing.T) {
	f := lanFixture(t, &fakeLAN{cands: []lanaddr.Candidate{{Addr: netip.MustParseAddr("192.168.1.20")}}})
	f.keyThrough("l")
	f.keyThrough("y")
	f.key("esc") // the QR view
	f.key("esc") // home
	if scr := strings.Join(strings.Fields(f.screen()), " "); !strings.Contains(scr, "on your network too, at 192.168.1.20") {
		t.Errorf("home does not say the demo is on the network:\n%s", f.screen())
	}
}

// TestLANMainScreenSaysAPhoneCannot: beside the steps too, a loopback code says a phone cannot open
// it and names the keys to one that can (v, then l); once the demo is on the LAN it no longer does.
func TestLANMainScreenSaysAPhoneCannot(t *testing.T) {
	lan := &fakeLAN{cands: []lanaddr.Candidate{{Addr: netip.MustParseAddr("192.168.1.20"), Interface: "wlan0"}}}
	f := newFixture(t, true, 120, 40)
	f.m.c.lanOps = lan.ops()
	f.open(nSession)
	flat := func() string { return strings.Join(strings.Fields(f.screen()), " ") }
	if scr := flat(); !strings.Contains(scr, "a phone cannot") || !strings.Contains(scr, "127.0.0.1: v, then l)") {
		t.Fatalf("the main screen does not say a phone cannot open the code:\n%s", f.screen())
	}
	f.key("v")
	f.keyThrough("l")
	f.keyThrough("y")
	f.key("esc")
	if scr := flat(); strings.Contains(scr, "a phone cannot open") || !strings.Contains(scr, "192.168.1.20") {
		t.Errorf("on the LAN the main screen still says a phone cannot open it, or lacks the LAN URL:\n%s", f.screen())
	}
}
