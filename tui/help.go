package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// footerHelp is the short help with the global keys kept whole at the end (help would cut them
// first on a narrow terminal), or the full help after ?.
func (m model) footerHelp(w int) string {
	if m.help.ShowAll {
		return m.help.View(m.keys)
	}
	global := m.help.ShortHelpView(m.keys.globalKeys())
	local := m.help
	local.Width = max(1, w-lipgloss.Width(global)-lipgloss.Width(m.help.ShortSeparator))
	screen := local.ShortHelpView(m.keys.screenKeys())
	if screen == "" {
		return global
	}
	return screen + m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator) + global
}

// newHelp is the footer's help, in s's colours, with a lighter separator than the default bullet.
func newHelp(s Styles) help.Model {
	h := help.New()
	h.Styles = s.Help
	h.ShortSeparator = " · "
	return h
}
