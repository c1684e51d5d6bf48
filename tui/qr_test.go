package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/internal/qrscan"
)

// hostedURLs are URLs of the lengths the app shows: the emulator's, and Plaid's hosted_link_url.
var hostedURLs = []string{
	fixedURL2,
	"https://hosted.plaid.com/link/lp0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9",
	"http://192.168.1.23:41234/hosted-link/66666666-7777-4888-9999-aaaaaaaaaaaa",
}

func TestRenderQRShape(t *testing.T) {
	lines, w, h := renderQR(fixedURL2)
	if h != len(lines) || h == 0 {
		t.Fatalf("h = %d for %d lines", h, len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, qrOn) || !strings.HasSuffix(l, qrOff) {
			t.Fatalf("line %d is not wrapped in the fixed colours: %q", i, l)
		}
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d wide, want %d", i, got, w)
		}
	}
	// The quiet zone: the top line is all light (the foreground paints light modules).
	if top := ansi.Strip(lines[0]); strings.Trim(top, "█") != "" {
		t.Fatalf("top line is not quiet zone: %q", top)
	}
}

// TestQRDecodesUnderBothThemes reads the code back the way a phone would, from the rendered
// text, with a dark and a light terminal's default colours.
func TestQRDecodesUnderBothThemes(t *testing.T) {
	for _, u := range hostedURLs {
		lines, _, _ := renderQR(u)
		for name, th := range map[string]qrscan.Theme{"dark": qrscan.Dark, "light": qrscan.Light} {
			got, err := qrscan.DecodeScreen(strings.Join(lines, "\n"), th)
			if err != nil {
				t.Fatalf("%s theme, %s: %v", name, u, err)
			}
			if got != u {
				t.Fatalf("%s theme: decoded %q, want %q", name, got, u)
			}
		}
	}
}

// TestQRDecodesFromTheWholeScreen scans the full half-2 screen, text around the code included.
func TestQRDecodesFromTheWholeScreen(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		f := newFixture(t, true, size[0], size[1])
		f.open(nSession)
		screen := f.m.View()
		for name, th := range map[string]qrscan.Theme{"dark": qrscan.Dark, "light": qrscan.Light} {
			got, err := qrscan.DecodeScreen(screen, th)
			if err != nil || got != fixedURL2 {
				t.Fatalf("%dx%d %s theme: got %q, %v", size[0], size[1], name, got, err)
			}
		}
	}
}

func TestQRTooSmallShowsSizeAndFullURL(t *testing.T) {
	f := newFixture(t, true, 60, 20)
	f.open(nSession)
	v := f.m.View()
	if !strings.Contains(v, "The QR code needs a ") || !strings.Contains(v, "(now 60×20)") {
		t.Fatalf("no size notice:\n%s", v)
	}
	if strings.Contains(v, qrOn) {
		t.Fatal("a QR code was drawn although it does not fit")
	}
	// Narrower than the URL: wrapped, never truncated, every piece a link to the whole URL.
	if !strings.Contains(strings.ReplaceAll(ansi.Strip(v), "\n", ""), fixedURL2) {
		t.Fatalf("URL not shown in full:\n%s", v)
	}
	if n := strings.Count(v, "\x1b]8;;"+fixedURL2+"\x1b\\"); n < 2 {
		t.Fatalf("the wrapped URL's pieces are not each an OSC 8 link to it (%d links):\n%q", n, v)
	}
	// The QR-only view (v) needs less room; at 60×20 it is still too small, and says how big.
	f.key("v")
	if v := f.m.View(); !strings.Contains(v, "The QR code needs a ") {
		t.Fatalf("QR-only view at 60×20:\n%s", v)
	}
	f.send(teaSize(80, 24))
	if v := f.m.View(); !strings.Contains(v, qrOn) {
		t.Fatalf("QR-only view at 80×24 has no code:\n%s", v)
	}
}

// TestURLIsWholeOnItsOwnLine: wherever a half's URL shows, and whether the code fits or not, the
// URL is one line of its own, whole and marked as an OSC 8 link, once the terminal is wider than it.
func TestURLIsWholeOnItsOwnLine(t *testing.T) {
	want := hyperlink(fixedURL2, fixedURL2)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {76, 14}, {200, 60}} {
		for _, v := range []string{"main", "qr"} {
			f := newFixture(t, true, size[0], size[1])
			f.open(nSession)
			if v == "qr" {
				f.key("v")
			}
			found := false
			for _, l := range strings.Split(f.m.View(), "\n") {
				found = found || l == want
			}
			if !found {
				t.Errorf("%dx%d %s: no line is the whole URL as an OSC 8 link:\n%s", size[0], size[1], v, f.m.View())
			}
		}
	}
}

// TestQRAloneNeedsNoMoreThanMain: wherever the main screen draws the code, v draws it too; where
// there is room v draws it at twice the size.
func TestQRAloneNeedsNoMoreThanMain(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	for w := 40; w <= 200; w += 8 {
		for h := 12; h <= 60; h += 2 {
			f.send(teaSize(w, h))
			main := f.m.View()
			f.key("v")
			alone := f.m.View()
			f.key("v")
			if strings.Contains(main, qrOn) && !strings.Contains(alone, qrOn) {
				t.Fatalf("%dx%d: the main screen draws the code, v does not:\n%s", w, h, alone)
			}
		}
	}
	f.send(teaSize(200, 60))
	f.key("v")
	q := f.m.currentQR()
	if !strings.Contains(f.m.View(), q.big[len(q.big)/2]) {
		t.Fatalf("200x60: v does not draw the large code:\n%s", f.m.View())
	}
	for name, th := range map[string]qrscan.Theme{"dark": qrscan.Dark, "light": qrscan.Light} {
		if got, err := qrscan.DecodeScreen(f.m.View(), th); err != nil || got != fixedURL2 {
			t.Fatalf("the large code, %s theme: %q, %v", name, got, err)
		}
	}
}

// TestFullHelpKeepsTheSizes: ? opens the full help in the body, so the chrome keeps its height and
// no "needs a bigger terminal" notice comes from the help; closing it brings the code back.
func TestFullHelpKeepsTheSizes(t *testing.T) {
	f := newFixture(t, true, 80, 24)
	f.open(nSession)
	if !strings.Contains(f.m.View(), qrOn) {
		t.Fatalf("80x24 has no code:\n%s", f.m.View())
	}
	bh := f.m.c.bodyH
	f.key("?")
	v := f.m.View()
	if f.m.c.bodyH != bh || strings.Contains(v, "needs a") || !strings.Contains(v, "new token") {
		t.Fatalf("with ? the body is %d tall (was %d), or the notice shows, or the help does not:\n%s", f.m.c.bodyH, bh, v)
	}
	f.key("esc")
	if !strings.Contains(f.m.View(), qrOn) || f.m.help.ShowAll {
		t.Fatalf("esc did not close the help:\n%s", f.m.View())
	}
}

// TestQRURLTooLongForACode: a hosted_link_url no QR code can hold (Plaid's answer, or whatever
// answers as Plaid) used to panic in the encoder's caller. The screen keeps the URL, whole and
// linked, says why there is no code, and v says the same; the app goes on.
func TestQRURLTooLongForACode(t *testing.T) {
	long := "https://hosted.plaid.com/link/lp" + strings.Repeat("a1b2c3d4", 375) // 3,032 bytes
	if q := newQRCode(long); q.drawn() || q.url != long {
		t.Fatalf("a %d-byte URL got a code (%d lines)", len(long), len(q.lines))
	}
	for _, size := range [][2]int{{200, 60}, {120, 45}, {80, 24}} {
		f := newFixture(t, true, size[0], size[1])
		f.tunnelUp()
		f.key("2")
		lt := f.token(nSession)
		lt.HostedLinkURL = long
		f.send(created(nSession, lt))
		for _, view := range []string{"main", "v"} {
			if view == "v" {
				f.key("v")
			}
			v := f.m.View()
			if strings.Contains(v, qrOn) {
				t.Errorf("%dx%d %s: a code is drawn for a URL no code holds:\n%s", size[0], size[1], view, v)
			}
			if !strings.Contains(v, "\x1b]8;;"+long+"\x1b\\") {
				t.Errorf("%dx%d %s: the URL is not on screen as a link to the whole URL:\n%s", size[0], size[1], view, v)
			}
			if size[0] >= 120 && !strings.Contains(strings.Join(strings.Fields(ansi.Strip(v)), " "), "No QR code: the URL is 3032 bytes, more than a QR code holds (2953)") {
				t.Errorf("%dx%d %s: the screen does not say why there is no code:\n%s", size[0], size[1], view, v)
			}
		}
	}
}

// TestQRGrowsAndCentresOnABigTerminal: at 250×70 the code beside the steps is the big one, the
// block sits in the middle, and the grown code still scans on dark and light themes.
func TestQRGrowsAndCentresOnABigTerminal(t *testing.T) {
	f := newFixture(t, true, 250, 70)
	f.open(nSession)
	q := f.session().qr
	screen := f.m.View()
	if !strings.Contains(screen, q.big[1]) {
		t.Fatalf("the big code is not beside the steps at 250×70:\n%s", screen)
	}
	for _, l := range strings.Split(ansi.Strip(screen), "\n") {
		if strings.Contains(l, "Half 2 · Session") && !strings.HasPrefix(l, strings.Repeat(" ", 20)) {
			t.Fatalf("the layout is not centred: %q", l)
		}
	}
	for name, th := range map[string]qrscan.Theme{"dark": qrscan.Dark, "light": qrscan.Light} {
		if got, err := qrscan.DecodeScreen(screen, th); err != nil || got != fixedURL2 {
			t.Fatalf("250×70 %s theme: got %q, %v", name, got, err)
		}
	}
}
