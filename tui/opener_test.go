package tui

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestOpenWithNoBrowserIsOneLine: in a container xdg-open prints a dozen lines and exits 3; o then
// says in one line that there is no browser and points at the code and the URL, the full output
// goes to the debug log, x dismisses it, and the code and the URL stay on screen throughout.
func TestOpenWithNoBrowserIsOneLine(t *testing.T) {
	fakeOpener(t, `for i in 1 2 3 4 5 6 7 8 9 10; do echo "/usr/bin/xdg-open: 882: browser$i: not found" >&2; done
echo "xdg-open: no method available for opening '$1'" >&2; exit 3`)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		var buf strings.Builder
		f := newFixture(t, true, size[0], size[1], func(o *Options) { o.DebugLog = log.New(&buf, "", 0) })
		f.open(nSession)
		msg := findMsg[stepErrMsg](t, f.key("o"))
		f.send(msg)
		v := f.m.View()
		var box []string
		for _, l := range strings.Split(ansi.Strip(v), "\n") {
			if strings.HasPrefix(l, "│") {
				box = append(box, l)
			}
		}
		if len(box) != 1 || !strings.Contains(box[0], "no browser (") || !strings.Contains(box[0], "scan the QR code or use the URL") {
			t.Fatalf("%dx%d: the error is not one line naming the missing browser and the way round it (%d lines):\n%s", size[0], size[1], len(box), v)
		}
		if strings.Contains(v, "browser7") {
			t.Errorf("%dx%d: the opener's output is on screen:\n%s", size[0], size[1], v)
		}
		if !strings.Contains(buf.String(), "browser7: not found") {
			t.Errorf("the opener's output is not in the debug log:\n%s", buf.String())
		}
		if !strings.Contains(v, qrOn) || !strings.Contains(v, hyperlink(fixedURL2, fixedURL2)) {
			t.Fatalf("%dx%d: the code or the URL went off the screen:\n%s", size[0], size[1], v)
		}
		if !f.m.keys.Dismiss.Enabled() || !strings.Contains(v, "x dismiss error") {
			t.Fatalf("x is not offered:\n%s", v)
		}
		f.key("x")
		if v := f.m.View(); strings.Contains(v, "no browser (") || f.m.keys.Dismiss.Enabled() {
			t.Fatalf("x did not dismiss the error:\n%s", v)
		}
	}
}

// TestOpenWithNoOpenerSaysSo: no xdg-open on PATH at all.
func TestOpenWithNoOpenerSaysSo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := newFixture(t, true, 80, 24)
	f.open(nSession)
	f.send(findMsg[stepErrMsg](t, f.key("o")))
	if v := ansi.Strip(f.m.View()); !strings.Contains(v, "no browser (no xdg-open)") || !strings.Contains(v, "scan the QR code") {
		t.Fatalf("no opener:\n%s", v)
	}
}

// TestOpenRefusesWhatIsNotAWebPage: the URL comes from Plaid (or whatever answers as Plaid), and
// xdg-open does what its scheme says or reads it as an option, so o opens only http and https
// URLs; anything else gets a one-line refusal and the opener is never run.
func TestOpenRefusesWhatIsNotAWebPage(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	fakeOpener(t, `echo "$1" >> `+ran)
	for _, u := range []string{"--help", "file:///etc/passwd", "javascript:alert(document.cookie)", "JavaScript:alert(1)",
		"ms-settings:", "http://", "https:///no-host", "/hosted-link/relative", "data:text/html,<script>alert(1)</script>"} {
		f := newFixture(t, true, 80, 24)
		f.tunnelUp()
		f.key("2")
		lt := f.token(nSession)
		lt.HostedLinkURL = u
		f.send(created(nSession, lt))
		msg := findMsg[stepErrMsg](t, f.key("o"))
		f.send(msg)
		var box []string
		for _, l := range strings.Split(ansi.Strip(f.m.View()), "\n") {
			if strings.HasPrefix(l, "│") {
				box = append(box, l)
			}
		}
		if len(box) != 1 || !strings.Contains(box[0], "refused") || !strings.Contains(box[0], "not an http or https URL") {
			t.Errorf("%q: the refusal is not one line saying why (%d lines):\n%s", u, len(box), f.m.View())
		}
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Fatalf("the opener was run with: %s", b)
	}
	// A web page still opens.
	for _, u := range []string{fixedURL2, "HTTPS://hosted.plaid.com/link/lp123"} {
		if _, ok := openBrowserCmd(context.Background(), u)().(browserOpenedMsg); !ok {
			t.Errorf("%q was not opened", u)
		}
	}
}
