package tui

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
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
// colours; w and h are the code's size in terminal cells. A URL no QR code can hold has no lines
// (see newQRCode).
func renderQR(url string) (lines []string, w, h int) {
	return renderQRWith(url, qrterminal.Config{
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
	})
}

// renderBigQR renders url with a module two cells wide and one line tall: twice the half-block
// code's size each way, for v on a terminal with room (a phone reads it from further away).
func renderBigQR(url string) (lines []string, w, h int) {
	return renderQRWith(url, qrterminal.Config{BlackChar: "  ", WhiteChar: "██"})
}

func renderQRWith(url string, cfg qrterminal.Config) (lines []string, w, h int) {
	// qrterminal drops the encoder's error and then draws a nil code (a panic), so ask first.
	if _, err := qr.Encode(url, qr.L); err != nil {
		return nil, 0, 0
	}
	var buf bytes.Buffer
	cfg.Level, cfg.Writer, cfg.QuietZone = qrterminal.L, &buf, 2
	qrterminal.GenerateWithConfig(url, cfg)
	raw := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	// With an odd number of module rows the last half-block line is quiet zone on top and nothing
	// below, painted in the black ground: a black band under the code on every theme. Light all of it.
	if n := len(raw) - 1; cfg.HalfBlocks && n >= 0 && strings.Trim(raw[n], "▀") == "" {
		raw[n] = strings.ReplaceAll(raw[n], "▀", "█")
	}
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
// would redo the Reed-Solomon work on each frame). A URL longer than a QR code holds (Plaid's answer
// is not ours to trust) has no code: drawn is false and whyNone says so, and the URL is shown as
// always.
type qrCode struct {
	url   string
	lines []string // nil when the URL does not fit in a QR code
	w, h  int

	big        []string // the same code at twice the size, for v
	bigW, bigH int
}

func newQRCode(url string) qrCode {
	if url == "" {
		return qrCode{}
	}
	lines, w, h := renderQR(url)
	big, bw, bh := renderBigQR(url)
	return qrCode{url: url, lines: lines, w: w, h: h, big: big, bigW: bw, bigH: bh}
}

// grown is the same code at twice the size (the one v shows), for a body with room beside the
// steps; the zero qrCode's grown code is not drawn.
func (q qrCode) grown() qrCode {
	return qrCode{url: q.url, lines: q.big, w: q.bigW, h: q.bigH, big: q.big, bigW: q.bigW, bigH: q.bigH}
}

// fits says whether the code fits in a w×h area.
func (q qrCode) fits(w, h int) bool { return q.drawn() && q.w <= w && q.h <= h }

// drawn says whether there is a code to draw: a URL, and one short enough for a QR code.
func (q qrCode) drawn() bool { return len(q.lines) > 0 }

// qrMaxBytes is what the largest QR code (version 40) holds at level L in byte mode, the mode a URL
// with lower-case letters needs.
const qrMaxBytes = 2953

// whyNone says why a URL has no code, and what to do instead.
func (q qrCode) whyNone() string {
	return fmt.Sprintf("No QR code: the URL is %d bytes, more than a QR code holds (%d); open it with o or copy it.", len(q.url), qrMaxBytes)
}

// View is the code itself.
func (q qrCode) View() string { return strings.Join(q.lines, "\n") }

// hyperlink marks text as an OSC 8 link to url, so a terminal that knows OSC 8 opens the whole URL
// on a click even where the text is wrapped. url must already be inert: it goes into the sequence.
func hyperlink(url, text string) string {
	return "\x1b]8;;" + url + "\x1b\\" + text + "\x1b]8;;\x1b\\"
}

// urlLine is the one way a view prints a URL to open: made inert, on lines of its own, as an OSC 8
// hyperlink. When it fits in width it is one line, whole, so a mouse selection (or a triple click)
// copies it. Only on a terminal narrower than the URL is it hard-wrapped: Bubble Tea v1's renderer
// truncates every line to the terminal's width, so a longer line could not be left for the
// terminal to soft-wrap; each piece still links to the whole URL, and o opens it.
func urlLine(url string, width int) string {
	u := inert(url) // a URL came from Plaid, the emulator or a flag: never raw to the terminal
	if width < 1 || ansi.StringWidth(u) <= width {
		return hyperlink(u, u)
	}
	pieces := strings.Split(ansi.Hardwrap(u, width, false), "\n")
	for i, p := range pieces {
		pieces[i] = hyperlink(u, p)
	}
	return strings.Join(pieces, "\n")
}

// wrapURL hard-wraps a URL to width (it has no spaces to break at). For secondary URLs shown for
// reference (a redirect URI); the URL to open goes through urlLine.
func wrapURL(url string, width int) string {
	url = inert(url)
	if width < 1 {
		return url
	}
	return ansi.Hardwrap(url, width, false)
}
