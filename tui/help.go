package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// footerHelp is the short help on one line, with the global keys kept whole at the end (help
// would cut them first on a narrow terminal). It stays one line after ? too: the full help opens in
// the body (fullHelpView), so the chrome, and with it every size rule, is the same either way.
func (m model) footerHelp(w int) string {
	global := m.help.ShortHelpView(m.keys.globalKeys())
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	var keys []key.Binding
	for _, k := range m.keys.screenKeys() {
		if k.Enabled() {
			keys = append(keys, k)
		}
	}
	// As many of the screen's keys as fit whole beside the global ones, measured (help's own cut
	// keeps the first key even when it does not fit, which pushed "q quit" off the line).
	more := m.help.Styles.ShortSeparator.Render(" …")
	for n := len(keys); n > 0; n-- {
		screen := m.help.ShortHelpView(keys[:n])
		if n < len(keys) {
			screen += more
		}
		if line := screen + sep + global; lipgloss.Width(line) <= w {
			return line
		}
	}
	return ansi.Truncate(global, w, "…")
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
	title := m.c.styles.Title.Render(ansi.Truncate("Every key on this screen (? or esc closes this)", w, "…"))
	return clip(title+"\n\n"+hm.View(m.keys), w, h)
}
