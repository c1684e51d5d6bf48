package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/tunnel"
)

// clearRetried drops the errors a key press retries, so an old failure does not sit on screen
// while its retry runs (a new failure brings it back).
func (m *model) clearRetried(msg tea.KeyMsg) {
	k := m.keys
	name := m.currentName()
	switch {
	case key.Matches(msg, k.NewToken) && name != "":
		// A new token starts the run over: none of its old errors applies any more.
		m.clearRunErrs(name)
	case key.Matches(msg, k.Auto):
		m.clearErr(callSteps[flows.CallWalk], name)
	case key.Matches(msg, k.Restore):
		m.clearErr(callSteps[flows.CallRestore], name)
	case key.Matches(msg, k.Open):
		m.clearErr(stepOpen, "")
	case key.Matches(msg, k.Copy):
		m.clearCopyErrs()
	}
}

// tunnelKeyWhy explains a t that does nothing: t retries a failed tunnel only.
func (m model) tunnelKeyWhy(msg tea.KeyMsg) (string, bool) {
	t := m.keys.Tunnel
	t.SetEnabled(true)
	if m.keys.Tunnel.Enabled() || !key.Matches(msg, t) {
		return "", false
	}
	switch m.header.state {
	case tunnelOpening:
		return "t retries the tunnel after it fails; it is still opening.", true
	case tunnelUp:
		if m.header.provider == tunnel.ProviderLocal {
			return "t retries a failed tunnel; this run needs none (webhooks arrive on loopback) and its receiver is up.", true
		}
		return "t retries a failed tunnel; this one is up (" + string(m.header.provider) + ").", true
	}
	return "t retries the tunnel after it fails.", true
}
