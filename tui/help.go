package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// footerHelp is the short help on one line, with the global keys kept whole at the end (help
// would cut them first on a narrow terminal). It stays one line after ? too: the full help opens in
// the body (fullHelpView), so the chrome, and with it every size rule, is the same either way.
func (m model) footerHelp(w int) string {
	global := m.help.ShortHelpView(m.keys.globalKeys())
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	screen := fitShortHelp(m.help, m.keys.screenKeys(), w-lipgloss.Width(global)-lipgloss.Width(sep))
	if screen == "" {
		return fit(global, w)
	}
	return screen + sep + global
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

// fullHelpView is the full help (?) in the body's place, cut to the w×h body; ? or esc closes it.
func (m model) fullHelpView(w, h int) string {
	hm := m.help
	hm.ShowAll, hm.Width = true, w
	title := m.c.styles.Title.Render(fit("Every key on this screen (? or esc closes this)", w))
	return clip(title+"\n\n"+hm.View(m.keys), w, h)
}
