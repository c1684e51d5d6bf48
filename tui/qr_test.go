package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
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
		f.open(flows.HalfSession)
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
	f.open(flows.HalfSession)
	v := f.m.View()
	if !strings.Contains(v, "Terminal too small for the QR code: needs at least") || !strings.Contains(v, "(now 60×20)") {
		t.Fatalf("no size notice:\n%s", v)
	}
	if strings.Contains(v, qrOn) {
		t.Fatal("a QR code was drawn although it does not fit")
	}
	// The URL is wrapped, never truncated: joined back it is whole.
	if !strings.Contains(strings.ReplaceAll(ansi.Strip(v), "\n", ""), fixedURL2) {
		t.Fatalf("URL not shown in full:\n%s", v)
	}
	// The QR-only view (v) needs less room; at 60×20 it is still too small, and says how big.
	f.key("v")
	if v := f.m.View(); !strings.Contains(v, "needs at least") {
		t.Fatalf("QR-only view at 60×20:\n%s", v)
	}
	f.send(teaSize(80, 24))
	if v := f.m.View(); !strings.Contains(v, qrOn) {
		t.Fatalf("QR-only view at 80×24 has no code:\n%s", v)
	}
}
