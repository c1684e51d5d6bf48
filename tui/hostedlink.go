package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/flows"
)

// hostedLink is what both halves share: a Hosted Link token being created or shown with its QR
// code, the /link/token/get polling that follows its session while the half is on screen, and an
// auto-complete in flight.
type hostedLink struct {
	half     flows.Half
	creating bool
	token    *flows.LinkToken
	qr       qrCode
	polling  bool
	auto     bool          // an auto-complete is running
	fin      finishTracker // the session whose Item this half waits for
}

// owns says whether a message about token is for this half's current token (a new token makes
// answers about the old one stale).
func (h hostedLink) owns(token string) bool { return h.token != nil && h.token.Token == token }

// started records a created token and returns what follows it: polling while the half is on
// screen, and with --auto the emulator completing the session with creds.
func (h *hostedLink) started(c *common, lt flows.LinkToken, open bool, creds emulator.Credentials) []tea.Cmd {
	h.creating = false
	h.token = &lt
	h.qr = newQRCode(lt.HostedLinkURL)
	var cmds []tea.Cmd
	if open {
		h.polling = true
		cmds = append(cmds, pollTickCmd(h.half, lt.Token))
	}
	if c.auto {
		h.auto = true
		cmds = append(cmds, autoCompleteCmd(c.ctx, c.em, h.half, false, lt.HostedLinkURL, creds))
	}
	return cmds
}

// pollTick answers a pollTickMsg with the next /link/token/get, or stops polling once the half is
// off screen or done, or the tick is about an older token.
func (h *hostedLink) pollTick(c *common, msg pollTickMsg, open, done bool) tea.Cmd {
	if !h.owns(msg.token) || !open || done {
		h.polling = false
		return nil
	}
	return getLinkTokenCmd(c.ctx, c.env, h.half, msg.token, c.nowFn)
}

// failed undoes the in-flight state of a step that failed (the root shows the error once), and
// keeps polling through a failed /link/token/get.
func (h *hostedLink) failed(step string, open, done bool) tea.Cmd {
	switch step {
	case "create link token":
		h.creating = false
	case "exchange public token":
		h.fin.exchanging = false
	case "poll /link/token/get":
		return h.pollFailed(open, done)
	default:
		h.auto = false
	}
	return nil
}

// pollFailed keeps polling through a failed /link/token/get (the root shows the error once) while
// the half is on screen and not done.
func (h *hostedLink) pollFailed(open, done bool) tea.Cmd {
	if h.token == nil || !open || done {
		h.polling = false
		return nil
	}
	return pollTickCmd(h.half, h.token.Token)
}

// resume restarts polling when the half is opened again.
func (h *hostedLink) resume(done bool) tea.Cmd {
	if h.token == nil || h.polling || done {
		return nil
	}
	h.polling = true
	return pollTickCmd(h.half, h.token.Token)
}

// exchange exchanges a public token a session produced; "" means there is none yet.
func (h hostedLink) exchange(c *common, publicToken string) tea.Cmd {
	if publicToken == "" {
		return nil
	}
	return exchangeCmd(c.ctx, c.env, h.half, publicToken)
}
