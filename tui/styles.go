package tui

import "github.com/charmbracelet/lipgloss"

// Palette. Every colour adapts to the terminal's background, which main.go decides once with
// lipgloss.SetHasDarkBackground, so nothing here ever queries the terminal.
var (
	colorAccent  = lipgloss.AdaptiveColor{Light: "#5A3FD9", Dark: "#A78BFA"}
	colorOK      = lipgloss.AdaptiveColor{Light: "#137A3A", Dark: "#4ADE80"}
	colorBad     = lipgloss.AdaptiveColor{Light: "#B42318", Dark: "#F87171"}
	colorWarn    = lipgloss.AdaptiveColor{Light: "#9A5B00", Dark: "#FBBF24"}
	colorMuted   = lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#9CA3AF"}
	colorText    = lipgloss.AdaptiveColor{Light: "#111827", Dark: "#F3F4F6"}
	colorCardBg  = lipgloss.AdaptiveColor{Light: "#EEF2FF", Dark: "#2E2A47"}
	colorFocusBg = lipgloss.AdaptiveColor{Light: "#5A3FD9", Dark: "#A78BFA"}
	colorFocusFg = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#111827"}
	colorDemoBg  = lipgloss.AdaptiveColor{Light: "#FDE68A", Dark: "#92400E"}
	colorSandBg  = lipgloss.AdaptiveColor{Light: "#BFDBFE", Dark: "#1E3A8A"}
)

// Styles is every style the TUI uses, built once by defaultStyles so View code never assembles
// styles ad hoc (except one-off widths).
type Styles struct {
	DemoBadge    lipgloss.Style
	SandboxBadge lipgloss.Style
	HeaderText   lipgloss.Style
	HeaderBar    lipgloss.Style

	Title   lipgloss.Style
	Muted   lipgloss.Style
	Text    lipgloss.Style
	OK      lipgloss.Style
	Bad     lipgloss.Style
	Warn    lipgloss.Style
	Accent  lipgloss.Style
	URL     lipgloss.Style
	Label   lipgloss.Style
	Spinner lipgloss.Style

	Card        lipgloss.Style // a credential value
	CardFocused lipgloss.Style // the credential that c copies

	MenuItem     lipgloss.Style
	MenuSelected lipgloss.Style

	ErrorBox lipgloss.Style
	Pane     lipgloss.Style // bordered pane (inspector, inbox)
	ListItem lipgloss.Style
	ListSel  lipgloss.Style
	Tiny     lipgloss.Style
}

func defaultStyles() Styles {
	var s Styles
	badge := lipgloss.NewStyle().Bold(true).Padding(0, 1)
	s.DemoBadge = badge.Foreground(colorText).Background(colorDemoBg)
	s.SandboxBadge = badge.Foreground(colorText).Background(colorSandBg)
	s.HeaderText = lipgloss.NewStyle().Foreground(colorMuted)
	s.HeaderBar = lipgloss.NewStyle().BorderStyle(lipgloss.NormalBorder()).BorderBottom(true).BorderForeground(colorMuted)

	s.Title = lipgloss.NewStyle().Bold(true).Foreground(colorAccent)
	s.Muted = lipgloss.NewStyle().Foreground(colorMuted)
	s.Text = lipgloss.NewStyle().Foreground(colorText)
	s.OK = lipgloss.NewStyle().Foreground(colorOK)
	s.Bad = lipgloss.NewStyle().Foreground(colorBad)
	s.Warn = lipgloss.NewStyle().Foreground(colorWarn)
	s.Accent = lipgloss.NewStyle().Foreground(colorAccent)
	s.URL = lipgloss.NewStyle().Foreground(colorAccent).Underline(true)
	s.Label = lipgloss.NewStyle().Foreground(colorMuted)
	s.Spinner = lipgloss.NewStyle().Foreground(colorAccent)

	s.Card = lipgloss.NewStyle().Foreground(colorText).Background(colorCardBg)
	s.CardFocused = lipgloss.NewStyle().Bold(true).Foreground(colorFocusFg).Background(colorFocusBg)

	s.MenuItem = lipgloss.NewStyle().Foreground(colorText)
	s.MenuSelected = lipgloss.NewStyle().Bold(true).Foreground(colorAccent)

	s.ErrorBox = lipgloss.NewStyle().Foreground(colorBad).BorderStyle(lipgloss.NormalBorder()).
		BorderLeft(true).BorderForeground(colorBad).PaddingLeft(1)
	s.Pane = lipgloss.NewStyle().BorderStyle(lipgloss.RoundedBorder()).BorderForeground(colorMuted)
	s.ListItem = lipgloss.NewStyle().Foreground(colorText)
	s.ListSel = lipgloss.NewStyle().Bold(true).Foreground(colorAccent)
	s.Tiny = lipgloss.NewStyle().Foreground(colorWarn).Bold(true)
	return s
}
