// Package termbg decides the terminal's background (dark or light) without asking the terminal.
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

func init() {
	lipgloss.SetHasDarkBackground(Dark("auto", os.Getenv("COLORFGBG")))
}

// Dark picks the background: theme "dark" or "light" wins; with "auto", COLORFGBG ("fg;bg", set by
// rxvt, Konsole and others; a bg of 7 or 15 is light) decides, else dark.
func Dark(theme, colorfgbg string) bool {
	switch theme {
	case "light":
		return false
	case "dark":
		return true
	}
	if i := strings.LastIndex(colorfgbg, ";"); i >= 0 {
		switch colorfgbg[i+1:] {
		case "7", "15":
			return false
		}
	}
	return true
}

// Set applies a theme chosen later (a --theme flag) for the rest of the run.
func Set(theme string) {
	lipgloss.SetHasDarkBackground(Dark(theme, os.Getenv("COLORFGBG")))
}
