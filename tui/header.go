package tui

import (
	"errors"
	"fmt"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/tunnel"
)

// tunnelState is the header's view of the tunnel.
type tunnelState int

const (
	tunnelOpening tunnelState = iota
	tunnelUp
	tunnelFailed
)

func (t tunnelState) String() string {
	switch t {
	case tunnelOpening:
		return "opening"
	case tunnelUp:
		return "up"
	case tunnelFailed:
		return "failed"
	}
	return fmt.Sprintf("tunnelState(%d)", int(t))
}

// headerModel is the top of every screen: the mode, the webhook URL and the tunnel's state.
type headerModel struct {
	mode            flows.Mode
	provider        tunnel.Provider
	state           tunnelState
	webhookURL      string
	err             error // the tunnel failure
	receiverStopped bool
	webhooks        int // received since the half on screen started (webhooksHalf, a run's index)
	webhooksHalf    int
	tokenSource     string // where the ngrok authtoken came from ("" when not ngrok)
	freePlan        bool   // ngrok's free plan: say that the phone meets ngrok's warning page
	clock           string // the clock-skew warning, once Plaid has answered
	lan             string // the LAN address the demo is served on too ("": loopback only)

	openingSince time.Time     // when the tunnel began opening
	elapsed      time.Duration // since then, set by the root just before a spinning View

	// Sandbox mode: which keys, from where, against which Plaid.
	clientID, keysFrom, baseURL string
}

// tokenFrom is ", token from X" for an ngrok tunnel whose token source is known.
func (h headerModel) tokenFrom() string {
	if h.provider != tunnel.ProviderNgrok || h.tokenSource == "" {
		return ""
	}
	return ", token from " + inert(h.tokenSource) // a file path, from the environment
}

// View renders the header for a terminal width wide.
func (h headerModel) View(s Styles, width int) string { return h.ViewSpinning(s, width, "") }

// ViewSpinning is View with spin (a spinner frame) shown while the tunnel opens. It has the same
// height as View, so the layout measured with View holds.
func (h headerModel) ViewSpinning(s Styles, width int, spin string) string {
	badge := s.SandboxBadge.Render("SANDBOX")
	if h.mode != flows.ModeSandbox {
		badge = s.DemoBadge.Render("DEMO — local emulator, no Plaid keys")
	}
	var st string
	switch h.state {
	case tunnelOpening:
		st = s.Warn.Render("tunnel: opening…")
		if h.provider != "" {
			st = s.Warn.Render(fmt.Sprintf("tunnel: opening… (%s)", h.provider))
		}
		if spin != "" {
			st = spin + " " + st + s.Muted.Render(" "+clock(max(0, h.elapsed)))
		}
	case tunnelUp:
		st = s.OK.Render(fmt.Sprintf("tunnel: up (%s%s)", h.provider, h.tokenFrom()))
		if h.receiverStopped {
			st = s.Bad.Render("tunnel: up, receiver stopped")
		}
	case tunnelFailed:
		st = s.Bad.Render("tunnel: failed")
	default:
		st = s.Bad.Render("tunnel: " + h.state.String())
	}
	if h.lan != "" {
		badge += "  " + s.Warn.Render("LAN "+h.lan)
	}
	line1 := badge + "  " + st + s.HeaderText.Render(fmt.Sprintf("  webhooks: %d", h.webhooks))
	urlLine := s.HeaderText.Render("webhook URL ") + s.URL.Render(inert(h.webhookURL))
	if h.webhookURL == "" {
		urlLine = s.HeaderText.Render("webhook URL ") + s.Muted.Render(h.noURLReason())
	}
	lines := []string{fit(line1, width)}
	if where := h.sandboxLine(); where != "" {
		lines = append(lines, fit(s.HeaderText.Render(inert(where)), width)) // paths and URLs from the environment
	}
	lines = append(lines, fit(urlLine, width))
	if h.state == tunnelUp && h.freePlan {
		lines = append(lines, para(s.Warn, "! "+tunnel.FreePlanNote, width))
	}
	if h.clock != "" {
		lines = append(lines, para(s.Bad, "! "+inertBlock(h.clock), width))
	}
	if h.state == tunnelFailed && h.err != nil {
		cause, next := h.err.Error(), "Polling /link/token/get still works; press t to try the tunnel again."
		var te *tunnel.Error
		if errors.As(h.err, &te) {
			cause, next = te.Cause, te.Next
		}
		lines = append(lines,
			para(s.Bad, "tunnel: "+inertBlock(cause), width),
			para(s.Warn, "→ "+inertBlock(next), width))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}

// noURLReason says why there is no webhook URL yet: the tunnel's real state.
func (h headerModel) noURLReason() string {
	switch h.state {
	case tunnelOpening:
		return "(waiting for the tunnel)"
	case tunnelFailed:
		return "(none: the tunnel failed; sessions are followed by polling)"
	}
	return "(none)"
}

// sandboxLine says where a Sandbox run is: the client id (masked), where the keys came from and
// a PLAID_BASE_URL override. Empty in demo mode.
func (h headerModel) sandboxLine() string {
	if h.mode != flows.ModeSandbox || h.clientID == "" {
		return ""
	}
	line := "client id " + secret.Mask(h.clientID)
	if h.keysFrom != "" {
		line += " · keys from " + h.keysFrom
	}
	if h.baseURL != "" {
		line += " · PLAID_BASE_URL " + h.baseURL
	}
	return line
}
