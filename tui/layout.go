package tui

import (
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

// qrColumn is the QR code as the right column of a w×h body, or "" when it does not fit there (then
// the caller shows urlBlock's fallback).
func qrColumn(q qrCode, w, h int) string {
	if q.url == "" {
		return ""
	}
	if sideBySide(w, q) && q.h <= h {
		return q.View()
	}
	return ""
}

// qrFallback is the "terminal too small" block for a body w×h inside a c.width×c.height terminal:
// the terminal size the side-by-side layout needs, then the URL in full.
func qrFallback(c *common, q qrCode, w, h int) string {
	chromeW, chromeH := c.width-w, c.height-h
	needW := chromeW + minLeftWidth + columnGap + q.w
	needH := chromeH + q.h
	return tooSmallView(c.styles, q.url, needW, needH, c.width, c.height, w)
}

// joinColumns lays left (lines) and right (a block) side by side and clips the result to w×h.
func joinColumns(left []string, right string, w, h int) string {
	l := strings.Join(left, "\n")
	if right == "" {
		return clip(l, w, h)
	}
	rw := lipgloss.Width(right)
	lw := w - rw - columnGap
	if lw < 1 {
		return clip(l, w, h)
	}
	lblock := lipgloss.NewStyle().Width(lw).MaxWidth(lw).Render(l)
	return clip(lipgloss.JoinHorizontal(lipgloss.Top, lblock, strings.Repeat(" ", columnGap), right), w, h)
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

// urlBlock is the URL under the checklist: with the QR beside it, the URL wrapped to the column;
// without, the "terminal too small" notice, the URL in full, and the key for the QR-only view.
func urlBlock(c *common, label string, q qrCode, qrShown bool, colW, w, h int) []string {
	s := c.styles
	if q.url == "" {
		return nil
	}
	if qrShown {
		return []string{"", s.Label.Render(label + " (o opens it, v shows the QR alone):"), s.URL.Render(wrapURL(q.url, colW))}
	}
	return []string{"", s.Label.Render(label + " (o opens it, v shows the QR alone):"), qrFallback(c, q, w, h)}
}
