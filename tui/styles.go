package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/internal/termbg"
)

// palette is the colours for one background. Each is chosen so every letter reads: at least 4.5:1
// (WCAG AA) against black on a dark background and against white on a light one, also after
// degrading to the 256-colour palette; on an unknown background body text keeps the terminal's
// own foreground and every accent reads at least 3:1 on black and on white alike. Colours set on a
// background of their own (cards, badges) carry their foreground with them. TestContrast checks
// all of this on the rendered views.
type palette struct {
	text, muted, accent, ok, bad, warn lipgloss.TerminalColor

	cardFg, cardBg lipgloss.TerminalColor // NoColor for both: reverse video
}

// The badges and the focused card are the same on every background: they paint their own
// background, so the terminal's does not matter.
var (
	focusFg, focusBg = hex("#FFFFFF"), hex("#5B21B6")
	demoFg, demoBg   = hex("#111827"), hex("#FDE68A")
	sandFg, sandBg   = hex("#FFFFFF"), hex("#1E3A8A")
)

type hex = lipgloss.Color

var none = lipgloss.NoColor{}

// palettes, by background.
var palettes = map[termbg.Background]palette{
	termbg.DarkBackground: {
		text: hex("#F3F4F6"), muted: hex("#9CA3AF"), accent: hex("#A78BFA"),
		ok: hex("#4ADE80"), bad: hex("#F87171"), warn: hex("#FBBF24"),
		cardFg: hex("#F3F4F6"), cardBg: hex("#2E2A47"),
	},
	termbg.LightBackground: {
		text: hex("#111827"), muted: hex("#4B5563"), accent: hex("#5B21B6"),
		ok: hex("#166534"), bad: hex("#B91C1C"), warn: hex("#854D0E"),
		cardFg: hex("#111827"), cardBg: hex("#E0E7FF"),
	},
	// Unknown: mid-tone accents (relative luminance between 0.1 and 0.3 reads 3:1 on black and on
	// white), body text and cards in the terminal's own colours. Reds like #E11D48 are out: termenv
	// maps them to near-black (#080808) on a 256-colour terminal.
	termbg.Unknown: {
		text: none, muted: hex("#808080"), accent: hex("#8B5CF6"),
		ok: hex("#15803D"), bad: hex("#DC2626"), warn: hex("#C2410C"),
		cardFg: none, cardBg: none,
	},
}

// Styles is every style the TUI uses, built once by newStyles so View code never assembles
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

	Help help.Styles // the footer

	Presenter presenterStyles // the presenter pane (presenterPalettes)
}

// presenterStyles are the presenter pane's: every letter at least 7:1 against a known background
// (a projector washes colours out), the Link Recovery point on a background of its own.
type presenterStyles struct {
	Title, Heading, Text, Label, Key, URL, Bad, Point, Pane lipgloss.Style
}

// presenterPalettes are the pane's colours (text, muted, accent, bad) by background, each at least
// 7:1 on black (dark) or white (light), also once degraded to 256 colours (TestPresenterContrast).
// An unknown background keeps the main palette: nothing can be promised there.
var presenterPalettes = map[termbg.Background][4]lipgloss.TerminalColor{
	termbg.DarkBackground:  {hex("#F9FAFB"), hex("#D1D5DB"), hex("#C4B5FD"), hex("#FCA5A5")},
	termbg.LightBackground: {hex("#030712"), hex("#1F2937"), hex("#4C1D95"), hex("#7F1D1D")},
}

func newPresenterStyles(st func() lipgloss.Style, p palette, bg termbg.Background) presenterStyles {
	c, ok := presenterPalettes[bg]
	if !ok {
		c = [4]lipgloss.TerminalColor{p.text, p.muted, p.accent, p.bad}
	}
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return st().Foreground(c) }
	return presenterStyles{
		Title: fg(c[2]).Bold(true), Heading: fg(c[0]).Bold(true), Text: fg(c[0]), Label: fg(c[1]),
		Key: fg(c[2]).Bold(true), URL: fg(c[2]).Underline(true), Bad: fg(c[3]),
		Point: st().Bold(true).Foreground(focusFg).Background(focusBg),
		Pane:  st().BorderStyle(lipgloss.RoundedBorder()).BorderForeground(c[1]).Padding(0, 1),
	}
}

// newStyles builds the styles for background bg, rendered by r (nil: lipgloss's default renderer,
// the terminal; tests pass one with a fixed colour profile).
func newStyles(r *lipgloss.Renderer, bg termbg.Background) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	p, ok := palettes[bg]
	if !ok {
		p = palettes[termbg.Unknown]
	}
	st := func() lipgloss.Style { return r.NewStyle() }
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return st().Foreground(c) }

	var s Styles
	badge := st().Bold(true).Padding(0, 1)
	s.DemoBadge = badge.Foreground(demoFg).Background(demoBg)
	s.SandboxBadge = badge.Foreground(sandFg).Background(sandBg)
	s.HeaderText = fg(p.muted)
	s.HeaderBar = st().BorderStyle(lipgloss.NormalBorder()).BorderBottom(true).BorderForeground(p.muted)

	s.Title = fg(p.accent).Bold(true)
	s.Muted = fg(p.muted)
	s.Text = fg(p.text)
	s.OK = fg(p.ok)
	s.Bad = fg(p.bad)
	s.Warn = fg(p.warn)
	s.Accent = fg(p.accent)
	s.URL = fg(p.accent).Underline(true)
	s.Label = fg(p.muted)
	s.Spinner = fg(p.accent)

	s.Card = st().Foreground(p.cardFg).Background(p.cardBg)
	if p.cardBg == none {
		s.Card = st().Reverse(true) // the terminal's own colours, swapped: readable on any theme
	}
	s.CardFocused = st().Bold(true).Foreground(focusFg).Background(focusBg)

	s.MenuItem = fg(p.text)
	s.MenuSelected = fg(p.accent).Bold(true)

	s.ErrorBox = fg(p.bad).BorderStyle(lipgloss.NormalBorder()).
		BorderLeft(true).BorderForeground(p.bad).PaddingLeft(1)
	s.Pane = st().BorderStyle(lipgloss.RoundedBorder()).BorderForeground(p.muted)
	s.ListItem = fg(p.text)
	s.ListSel = fg(p.accent).Bold(true)
	s.Tiny = fg(p.warn).Bold(true)

	// bubbles' help defaults are greys chosen for looks (3.3:1 on black, 2.2:1 on white): keys in
	// the body colour, descriptions and separators muted.
	key, desc := fg(p.text), fg(p.muted)
	s.Help = help.Styles{
		ShortKey: key, ShortDesc: desc, ShortSeparator: desc, Ellipsis: desc,
		FullKey: key, FullDesc: desc, FullSeparator: desc,
	}
	s.Presenter = newPresenterStyles(st, p, bg)
	return s
}

// defaultStyles is newStyles for the terminal and the background main decided (termbg.Current).
func defaultStyles() Styles { return newStyles(nil, termbg.Current()) }
