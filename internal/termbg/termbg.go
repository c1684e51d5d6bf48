// Package termbg decides the terminal's background (dark, light or unknown) without asking the
// terminal.
//
// Bubble Tea v1 asks at start: its package init calls lipgloss.HasDarkBackground, which writes an
// OSC 11 query and waits up to termenv.OSCTimeout (5 s) for an answer that some terminals never
// send. Setting the answer first makes that call return at once. Go initialises packages in import
// path order where dependencies allow (the spec since Go 1.21), and this package's path sorts before
// github.com/charmbracelet/bubbletea, so importing it from main runs its init first. Keep the module
// path sorting before "github.com/charmbracelet": TestImportPathSortsBeforeCharmbracelet here fails
// with the reason if it does not, and TestStartDoesNotQueryTerminal in the main package checks the effect.
package termbg

import (
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Background is what the app knows about the terminal's background.
type Background int

// The backgrounds. Unknown is the zero value: with no --theme and no COLORFGBG nothing says which
// it is, so the TUI must read on both (body text in the terminal's own colour).
const (
	Unknown Background = iota
	DarkBackground
	LightBackground
)

func (b Background) String() string {
	switch b {
	case DarkBackground:
		return "dark"
	case LightBackground:
		return "light"
	}
	return "unknown"
}

// current is the background decided at init, refined by Set.
var current = Detect("auto", os.Getenv("COLORFGBG"))

func init() {
	lipgloss.SetHasDarkBackground(current != LightBackground)
}

// Detect picks the background: theme "dark" or "light" wins; with "auto", COLORFGBG ("fg;bg", set
// by rxvt, Konsole and others; a bg of 7 or 15 is light, 0-6 and 8 dark) decides, else Unknown.
func Detect(theme, colorfgbg string) Background {
	switch theme {
	case "light":
		return LightBackground
	case "dark":
		return DarkBackground
	}
	if i := strings.LastIndex(colorfgbg, ";"); i >= 0 {
		switch colorfgbg[i+1:] {
		case "7", "15":
			return LightBackground
		case "0", "1", "2", "3", "4", "5", "6", "8":
			return DarkBackground
		}
	}
	return Unknown
}

// Dark says whether to pick dark-background colours: everything but a known light background.
func Dark(theme, colorfgbg string) bool { return Detect(theme, colorfgbg) != LightBackground }

// Current is the background decided at init or by the last Set.
func Current() Background { return current }

// Set applies a theme chosen later (a --theme flag) for the rest of the run.
func Set(theme string) {
	current = Detect(theme, os.Getenv("COLORFGBG"))
	lipgloss.SetHasDarkBackground(current != LightBackground)
}
