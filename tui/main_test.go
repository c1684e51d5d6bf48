package tui

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// TestMain turns colours off (golden files hold text, not a terminal's palette) and fixes the
// background so nothing queries a terminal.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// waitForText waits until the program's output contains every one of texts. teatest's WaitFor
// consumes the output it reads, so all the texts are checked against what has accumulated.
func waitForText(t *testing.T, tm *teatest.TestModel, d time.Duration, texts ...string) {
	t.Helper()
	var seen bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen.Write(b)
		s := seen.String()
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(d), teatest.WithCheckInterval(50*time.Millisecond))
}

// keyTypes are the named keys tests press.
var keyTypes = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
	"up": tea.KeyUp, "down": tea.KeyDown, "pgdown": tea.KeyPgDown, "ctrl+c": tea.KeyCtrlC,
	"left": tea.KeyLeft, "right": tea.KeyRight, " ": tea.KeySpace, "space": tea.KeySpace,
}

// keyMsg is a key press as Bubble Tea delivers it.
func keyMsg(s string) tea.KeyMsg {
	if t, ok := keyTypes[s]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}
