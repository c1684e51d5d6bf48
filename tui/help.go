package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// footerHelp is the short help with the global keys kept whole at the end (help would cut them
// first on a narrow terminal), or the full help after ?.
func (m model) footerHelp(w int) string {
	if m.help.ShowAll {
		return m.help.View(m.keys)
	}
	global := m.help.ShortHelpView(m.keys.globalKeys())
	room := w - lipgloss.Width(global) - lipgloss.Width(m.help.ShortSeparator)
	screen := fitShortHelp(m.help, m.keys.screenKeys(), room)
	if screen == "" {
		return global
	}
	return screen + m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator) + global
}

// fitShortHelp is the short help of the first enabled keys that fit in room cells, with "…" when
// some are left out (? shows them). bubbles/help's own cut lets a line overflow when the ellipsis
// itself does not fit, which would wrap the footer onto a second line.
func fitShortHelp(h help.Model, keys []key.Binding, room int) string {
	var on []key.Binding
	for _, k := range keys {
		if k.Enabled() {
			on = append(on, k)
		}
	}
	h.Width = 0
	tail := " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
	for n := len(on); n > 0; n-- {
		v := h.ShortHelpView(on[:n])
		if n < len(on) {
			v += tail
		}
		if lipgloss.Width(v) <= room {
			return v
		}
	}
	return ""
}

// newHelp is the footer's help, in s's colours, with a lighter separator than the default bullet.
func newHelp(s Styles) help.Model {
	h := help.New()
	h.Styles = s.Help
	h.ShortSeparator = " · "
	return h
}
