package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// minLeftWidth is the narrowest the checklist column may get before the QR code moves out of it.
const minLeftWidth = 36

// columnGap separates the checklist from the QR code.
const columnGap = 2

// sideBySide says whether q fits to the right of the checklist in a body w cells wide.
func sideBySide(w int, q qrCode) bool {
	return q.url != "" && w >= minLeftWidth+columnGap+q.w
}

// maxLeftWidth keeps the checklist column readable and the QR code near it on wide terminals.
const maxLeftWidth = 72

// layoutQR measures before it places: the checklist (built by build for a column width) goes left
// and the QR code right when both fit in the w×h body; otherwise the checklist takes the full width
// and build's URL block shows the "terminal too small" notice with the URL instead of the code.
// needH is then the body height the side-by-side layout would have needed.
func layoutQR(q qrCode, w, h int, build func(colW int, qrShown bool, needH int) []string) string {
	needH := q.h
	if q.url != "" && sideBySide(w, q) {
		colW := min(w-q.w-columnGap, maxLeftWidth)
		left := wrapBlock(build(colW, true, 0), colW)
		lh := lipgloss.Height(left)
		if q.h <= h && lh <= h {
			return joinColumns(left, q.View(), colW, h)
		}
		needH = max(needH, lh)
	}
	return clip(wrapBlock(build(w, false, needH), w), w, h)
}

// wrapBlock joins lines and wraps them to w, so that its height can be measured.
func wrapBlock(lines []string, w int) string {
	return lipgloss.NewStyle().Width(w).Render(strings.Join(lines, "\n"))
}

// urlBlock is the URL under the checklist: with the QR beside it, the URL wrapped to the column;
// without, the "terminal too small" notice, the URL in full, and the key for the QR-only view.
func urlBlock(c *common, label string, q qrCode, qrShown bool, colW, needH int) []string {
	s := c.styles
	if q.url == "" {
		return nil
	}
	head := s.Label.Render(ansi.Wrap(label+" (o opens it, v shows the QR alone):", colW, ""))
	if qrShown {
		return []string{"", head, s.URL.Render(wrapURL(q.url, colW))}
	}
	bw, bh := c.bodyW, c.bodyH
	needW := c.width - bw + minLeftWidth + columnGap + q.w
	needTermH := c.height - bh + needH
	return []string{"", head, tooSmallView(s, q.url, needW, needTermH, c.width, c.height, colW)}
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
			lines[i] = ansi.Truncate(l, w, "…")
		}
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// qrOnlyView is the QR code alone, for terminals where it does not fit beside the checklist.
func (m model) qrOnlyView(w, h int) string {
	s := m.c.styles
	q := m.currentQR()
	title := s.Title.Render("Scan with your phone (esc or v goes back)")
	if q.url == "" {
		return title + "\n" + s.Muted.Render("No URL yet.")
	}
	if q.w <= w && q.h+1 <= h {
		block := title + "\n" + q.View()
		if q.h+2+lipgloss.Height(wrapURL(q.url, w)) <= h {
			block += "\n" + s.URL.Render(wrapURL(q.url, w))
		}
		return lipgloss.PlaceHorizontal(w, lipgloss.Center, block)
	}
	needW := max(q.w, tinyW)
	needH := q.h + 1 + (m.c.height - h)
	return title + "\n" + tooSmallView(s, q.url, needW, needH, m.c.width, m.c.height, w)
}

// tinyView is the designed screen for terminals below tinyW×tinyH.
func (m model) tinyView() string {
	s := m.c.styles
	w := max(1, m.c.width)
	text := fmt.Sprintf("Make the window bigger: needs ≥ %d×%d (now %d×%d).", wantW, wantH, m.c.width, m.c.height)
	return clip(s.Title.Render("linkrecovery")+"\n"+s.Tiny.Render(ansi.Wrap(text, w, ""))+"\n"+s.Muted.Render("q quits"), w, m.c.height)
}
