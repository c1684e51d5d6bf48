package tui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/internal/secret"
)

// debugf writes a line to the debug log (LINKRECOVERY_DEBUG), if there is one.
func (c *common) debugf(format string, args ...any) {
	if c.debug != nil {
		c.debug.Printf(format, args...)
	}
}

// debugMsg logs the messages that change what the app is doing. Tokens appear masked, never the
// public or access token. (Plaid calls, webhooks and tunnel events are logged by flows.)
func (m model) debugMsg(msg tea.Msg) {
	c := m.c
	if c.debug == nil {
		return
	}
	switch msg := msg.(type) {
	case tunnelOpenedMsg:
		c.debugf("tui: tunnel up (%s)", msg.provider)
	case tunnelFailedMsg:
		c.debugf("tui: tunnel failed: %v", msg.err)
	case linkTokenCreatedMsg:
		c.debugf("tui: half %d: link token %s created (webhook %q)", msg.half, secret.Mask(msg.token.Token), msg.token.Webhook)
	case exchangedMsg:
		c.debugf("tui: half %d: public token exchanged, item %s", msg.half, msg.item.ItemID)
	case institutionRestoredMsg:
		c.debugf("tui: institution back, %d recovery e-mail(s) sent", len(msg.sent))
	case autoCompletedMsg:
		c.debugf("tui: half %d: auto-complete finished (recovery session: %v)", msg.half, msg.recovery)
	case webhookTimeoutMsg:
		c.debugf("tui: half %d: no SESSION_FINISHED in time, falling back to /link/token/get", msg.half)
	case stepErrMsg:
		c.debugf("tui: half %d: %s failed: %v", msg.half, msg.step, msg.err)
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
