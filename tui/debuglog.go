package tui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// debugf writes a line to the debug log (LINKRECOVERY_DEBUG), if there is one.
func (c *common) debugf(format string, args ...any) {
	if c.debug != nil {
		c.debug.Printf(format, args...)
	}
}

// debugMsg logs the messages that change what the app is doing. Tokens appear masked, never the
// public or access token. (Plaid calls, webhooks and tunnel events are logged by internal/env.)
func (m model) debugMsg(msg tea.Msg) {
	c := m.c
	if c.debug == nil {
		return
	}
	switch msg := msg.(type) {
	case tunnelMsg:
		switch in := msg.in.(type) {
		case flows.TunnelUp:
			c.debugf("tui: tunnel up (%s)", in.Provider)
		case flows.TunnelDown:
			c.debugf("tui: tunnel failed: %v", in.Err)
		}
	case resultMsg:
		switch in := unwrap(msg.in).(type) {
		case flows.TokenCreated:
			c.debugf("tui: %s: link token %s created (webhook %q)", msg.scenario, secret.Mask(in.Token.Token), in.Token.Webhook)
		case flows.Exchanged:
			c.debugf("tui: %s: public token exchanged, item %s", msg.scenario, in.Item.ItemID)
		case flows.Restored:
			c.debugf("tui: %s: institution back, %d recovery e-mail(s) sent", msg.scenario, len(in.Sent))
		case flows.Walked:
			c.debugf("tui: %s: auto-complete finished (recovery session: %v)", msg.scenario, in.Recovery)
		case flows.DeadlinePassed:
			if in.Timer == flows.TimerWebhook {
				c.debugf("tui: %s: the webhook clock ran out", msg.scenario)
			}
		case flows.CallFailed:
			c.debugf("tui: %s: %s failed: %v", msg.scenario, in.Call, in.Err)
		}
	case stepErrMsg:
		c.debugf("tui: %s failed: %v", msg.step, msg.err)
		var d interface{ Detail() string }
		if errors.As(msg.err, &d) && d.Detail() != "" {
			c.debugf("tui: its output:\n%s", inertBlock(d.Detail())) // the lines the error box leaves out
		}
	case receiverClosedMsg:
		c.debugf("tui: the webhook receiver stopped")
	case copiedMsg:
		c.debugf("tui: copied the %s via %s", msg.label, msg.via)
	}
}

// debugState logs a change of screen (called once per Update, from finalize).
func (m *model) debugState() {
	if m.c.debug != nil && m.state != m.loggedState {
		m.c.debugf("tui: screen %s -> %s", m.loggedState, m.state)
	}
	m.loggedState = m.state
}
