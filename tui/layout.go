package tui

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/internal/env"
)

// minLeftWidth is the narrowest the checklist column may get before the QR code moves out of it.
const minLeftWidth = 36

// columnGap separates the checklist from the QR code.
const columnGap = 2

// sideBySide says whether q fits to the right of the checklist in a body w cells wide.
func sideBySide(w int, q qrCode) bool {
	return q.drawn() && w >= minLeftWidth+columnGap+q.w
}

// maxLeftWidth keeps the checklist column readable and the QR code near it on wide terminals.
const maxLeftWidth = 72

// layoutQR measures before it places: the checklist (built by build for a column width) goes left
// and the QR code right when both fit in the w×h body above the URL line; otherwise the checklist
// takes the full width and build's URL block names the size the code needs. Either way the URL to
// open is the body's last line (urlLine: whole, never cut mid-URL, an OSC 8 link), so it is always
// on screen. needH is the body height the side-by-side layout would have needed.
func layoutQR(q qrCode, w, h int, build func(colW int, qrShown bool, needH int) []string) string {
	if q.url == "" {
		return clip(wrapBlock(build(w, false, h), w), w, h)
	}
	link := urlLine(q.url, w)
	rows := max(0, h-lipgloss.Height(link)) // what the columns may take
	needH := q.h
	for _, q := range []qrCode{q.grown(), q} {
		if !sideBySide(w, q) {
			continue
		}
		colW := min(w-q.w-columnGap, maxLeftWidth)
		left := wrapBlock(build(colW, true, 0), colW)
		lh := lipgloss.Height(left)
		if q.h <= rows && lh <= rows {
			return centre(joinColumns(left, q.View(), colW, rows), colW+columnGap+q.w, w) + "\n" + link
		}
		needH = max(needH, lh)
	}
	needH += lipgloss.Height(link)
	return clip(wrapBlock(build(w, false, needH), w), w, rows) + "\n" + link
}

// centre indents block (bw wide) to the middle of a w-wide body, so that on a big terminal the
// steps and the code sit together in the middle rather than hugging the left edge. The URL line
// is not indented: a line that is the URL alone copies whole with a triple click.
func centre(block string, bw, w int) string {
	pad := (w - bw) / 2
	if pad <= 0 {
		return block
	}
	lines := strings.Split(block, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = strings.Repeat(" ", pad) + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrap wraps text at width cells; it, para and fit are the one place that decides how a screen
// wraps a paragraph and where it cuts a line.
func wrap(text string, width int) string { return ansi.Wrap(text, width, "") }

// para is a paragraph in st wrapped to w cells, so every screen wraps the same way.
func para(st lipgloss.Style, text string, w int) string { return st.Render(wrap(text, w)) }

// fit cuts a line to w cells and marks the cut with an ellipsis, the same one on every screen.
func fit(text string, w int) string { return ansi.Truncate(text, w, "…") }

// sentence makes a reason the core gives in lower case ("a verified SESSION_FINISHED webhook …")
// a sentence of its own.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// wrapBlock joins lines and wraps them to w, so that its height can be measured.
func wrapBlock(lines []string, w int) string {
	return lipgloss.NewStyle().Width(w).Render(strings.Join(lines, "\n"))
}

// urlBlock is what the checklist says about the URL: where it is and which keys use it, and when
// the code does not fit beside the checklist, the size it needs (tooSmallNotice).
func urlBlock(c *common, label string, q qrCode, qrShown bool, colW, needH int) []string {
	s := c.styles
	if q.url == "" {
		return nil
	}
	where := label + ": the last line below (o opens it, v shows the QR alone)"
	if env.IsLoopbackURL(q.url) && c.lanOps.serve != nil {
		// The code on this screen is no use to a phone: say so, and the way to one that is.
		where = label + ": the last line below (o opens it here; a phone cannot open " + hostOf(q.url) + ": v, then l)"
	}
	head := para(s.Label, where, colW)
	if qrShown {
		return []string{"", head}
	}
	return []string{"", head, tooSmallNotice(c, q, needH, colW)}
}

// tooSmallNotice names the real limit: the terminal size at which the code fits beside the
// checklist (the chrome as it is now, plus the body needH tall), and whether v can show it alone
// now or at what size. The full help never changes it: it is measured with the short footer.
func tooSmallNotice(c *common, q qrCode, needH, width int) string {
	if !q.drawn() {
		return para(c.styles.Warn, q.whyNone(), max(10, width))
	}
	chromeW, chromeH := c.width-c.bodyW, c.height-c.bodyH
	needW := max(chromeW+minLeftWidth+columnGap+q.w, tinyW)
	needTermH := max(chromeH+needH, tinyH)
	msg := fmt.Sprintf("The QR code needs a %d×%d terminal to show beside the steps (now %d×%d).", needW, needTermH, c.width, c.height)
	aloneW, aloneH := qrAloneNeeds(c, q)
	if c.width >= aloneW && c.height >= aloneH {
		msg += " Press v to see it alone."
	} else {
		msg += fmt.Sprintf(" Alone (v) it needs %d×%d.", aloneW, aloneH)
	}
	return para(c.styles.Warn, msg, max(10, width))
}

// qrAloneNeeds is the smallest terminal on which v shows the code: the code and the URL line in
// the body (the title goes first when room is short), never more than the main screen needs.
func qrAloneNeeds(c *common, q qrCode) (w, h int) {
	chromeW, chromeH := c.width-c.bodyW, c.height-c.bodyH
	return max(chromeW+q.w, tinyW), max(chromeH+q.h+lipgloss.Height(urlLine(q.url, c.bodyW)), tinyH)
}

// joinColumns lays left (a block lw wide) and right side by side and clips to h lines.
func joinColumns(left string, right string, lw, h int) string {
	out := lipgloss.JoinHorizontal(lipgloss.Top, left, strings.Repeat(" ", columnGap), right)
	return clip(out, lw+columnGap+lipgloss.Width(right), h)
}

// clip cuts a block to at most w columns and h lines, so a long checklist never pushes the header
// or the help off the screen.
func clip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if h >= 0 && len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = fit(l, w)
		}
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// qrOnlyView is the QR code alone (v): twice the size where the body has room, the normal size
// otherwise, so it never needs more room than the main screen; the URL line is always under it.
func (m model) qrOnlyView(w, h int) string {
	s := m.c.styles
	q := m.currentQR()
	title := s.Title.Render(fit("Scan with your phone (esc or v goes back)", w))
	if q.url == "" {
		return title + "\n" + s.Muted.Render("No URL yet.")
	}
	if m.lan.asking {
		return m.lanPrompt(w)
	}
	head := title // with the note on where the code points, where that fits
	if note := m.lanNote(q.url); note != "" {
		head += "\n" + para(s.Warn, note, w)
	}
	link := urlLine(q.url, w)
	rows := h - lipgloss.Height(link) // above the URL line
	var code string
	switch {
	case q.drawn() && q.bigW <= w && q.bigH+1 <= rows:
		code = strings.Join(q.big, "\n")
	case q.fits(w, rows):
		code = q.View()
	default:
		aw, ah := qrAloneNeeds(m.c, q)
		msg := fmt.Sprintf("The QR code needs a %d×%d terminal (now %d×%d). Enlarge the window, or open the URL:", aw, ah, m.c.width, m.c.height)
		if !q.drawn() {
			msg = q.whyNone()
		}
		return clip(title+"\n"+para(s.Warn, msg, w), w, max(0, rows)) + "\n" + link
	}
	code = lipgloss.PlaceHorizontal(w, lipgloss.Center, code)
	switch {
	case lipgloss.Height(code)+lipgloss.Height(head) <= rows:
		code = head + "\n" + code // the title and the note only where they cost the code nothing
	case lipgloss.Height(code)+1 <= rows:
		code = title + "\n" + code
	}
	return code + "\n" + link
}

// tinyView is the designed screen for terminals below tinyW×tinyH; it names that real limit (the
// size at which the layout starts), not a nicer size the layout merely prefers.
func (m model) tinyView() string {
	s := m.c.styles
	w := max(1, m.c.width)
	text := fmt.Sprintf("Make the window bigger: needs ≥ %d×%d (now %d×%d).", tinyW, tinyH, m.c.width, m.c.height)
	return clip(s.Title.Render("linkrecovery")+"\n"+para(s.Tiny, text, w)+"\n"+s.Muted.Render("q quits"), w, m.c.height)
}

// minBodyH is the fewest lines the body keeps however tall the chrome grows.
const minBodyH = 3

// fitChrome keeps the header, the error box and the footer of a w×h terminal small enough to leave
// the body minBodyH lines, measured as rendered: the error box gives up lines first (its last line
// says more was cut), then the header's notes (its first line, mode and tunnel, stays). The footer,
// which says how to quit, stays whole and last. Without this the frame's last lines would be cut.
func fitChrome(header, errs, footer string, w, h int) (string, string, string) {
	errH := 0
	if errs != "" {
		errH = lipgloss.Height(errs)
	}
	over := lipgloss.Height(header) + errH + lipgloss.Height(footer) + minBodyH - h
	if over > 0 && errH > 0 {
		keep := max(1, errH-over)
		if keep < errH {
			lines := strings.Split(errs, "\n")[:keep]
			lines[keep-1] = ansi.Truncate(lines[keep-1], max(1, w-1), "") + "…"
			errs = strings.Join(lines, "\n")
			over -= errH - keep
		}
	}
	if over > 0 {
		header = clip(header, w, max(1, lipgloss.Height(header)-over))
	}
	return header, errs, footer
}
