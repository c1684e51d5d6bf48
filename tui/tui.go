// Package tui is the Bubble Tea walk-through of both halves of Link Recovery testing.
//
// CONTRACT STUB: New's signature is fixed so main.go builds; the TUI owner fills it in.
package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/linkrecovery/linkrecovery/flows"
)

// Options are what main.go hands the TUI.
type Options struct {
	Config     flows.Config
	Env        *flows.Env
	Half       flows.Half // 0: home screen; 1 or 2: open that half and create its token at once
	Auto       bool       // demo mode: complete Hosted Link sessions without a browser
	Transcript *flows.Transcript
	Dark       bool // terminal background, decided by main.go without querying the terminal
}

// New returns the root model.
func New(o Options) tea.Model { return nil }
