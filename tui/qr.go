package tui

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/mdp/qrterminal/v3"
)

// qrOn and qrOff wrap every QR line in fixed colours. Half-block glyphs paint the LIGHT modules in
// the foreground colour, so the code must not use the theme's default colours: on a light theme
// those are inverted and phones then fail to read it. Colours 16 (black) and 231 (white) come from
// the fixed 6×6×6 cube, which themes do not remap (0–15 they do). They are raw SGR, applied whatever
// lipgloss's colour profile is, because a code without its colours is not a code.
const (
	qrOn  = "\x1b[38;5;231;48;5;16m"
	qrOff = "\x1b[0m"
)

// renderQR renders url as a half-block QR code with a 2-module quiet zone. lines carry their own
// colours; w and h are the code's size in terminal cells.
func renderQR(url string) (lines []string, w, h int) {
	var buf bytes.Buffer
	qrterminal.GenerateWithConfig(url, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         &buf,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		QuietZone:      2,
	})
	raw := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	lines = make([]string, 0, len(raw))
	for _, l := range raw {
		if cw := ansi.StringWidth(l); cw > w {
			w = cw
		}
		lines = append(lines, qrOn+l+qrOff)
	}
	return lines, w, len(lines)
}

// qrCode is a rendered QR code, computed once when its URL becomes known (rendering in every View
// would redo the Reed-Solomon work on each frame).
type qrCode struct {
	url   string
	lines []string
	w, h  int
}

func newQRCode(url string) qrCode {
	if url == "" {
		return qrCode{}
	}
	lines, w, h := renderQR(url)
	return qrCode{url: url, lines: lines, w: w, h: h}
}

// fits says whether the code fits in a w×h area.
func (q qrCode) fits(w, h int) bool { return q.url != "" && q.w <= w && q.h <= h }

// View is the code itself.
func (q qrCode) View() string { return strings.Join(q.lines, "\n") }

// tooSmallView is what shows instead of the code when it does not fit: how big the terminal must
// be, and the URL in full (wrapped, never truncated) so it can still be opened.
func tooSmallView(s Styles, url string, needW, needH, nowW, nowH, width int) string {
	if width < 10 {
		width = 10
	}
	msg := fmt.Sprintf("Terminal too small for the QR code: needs at least %d×%d (now %d×%d). Enlarge the window, or open the URL:",
		needW, needH, nowW, nowH)
	return s.Warn.Render(ansi.Wrap(msg, width, "")) + "\n" + s.URL.Render(ansi.Hardwrap(inert(url), width, false))
}

// wrapURL hard-wraps a URL to width (it has no spaces to break at).
func wrapURL(url string, width int) string {
	url = inert(url) // a URL came from Plaid, the emulator or a flag: never raw to the terminal
	if width < 1 {
		return url
	}
	return ansi.Hardwrap(url, width, false)
}
