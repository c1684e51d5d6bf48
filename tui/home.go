package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
)

// homeModel lists the scenarios (flows.Scenarios); choosing one is an intent the root acts on.
type homeModel struct {
	c      *common
	cursor int // the scenario under the cursor, in menu order
}

func newHomeModel(c *common) homeModel { return homeModel{c: c} }

// homeItems are the scenarios, in menu order; their prose comes from flows.
var homeItems = flows.Scenarios

// homeAudit is the home screen's entry after the scenarios: the audit of the person's own handler.
var homeAudit = len(homeItems)

// update handles a key and returns the chosen scenario's index (homeAudit for the audit), or -1.
func (m homeModel) update(msg tea.KeyMsg, k keyMap) (homeModel, int) {
	for i, b := range k.Scenarios {
		if key.Matches(msg, b) {
			return m, i
		}
	}
	switch {
	case key.Matches(msg, k.Audit):
		return m, homeAudit
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = min(homeAudit, m.cursor+1)
	case key.Matches(msg, k.Select):
		return m, m.cursor
	}
	return m, -1
}

// onNetwork is where the demo is reachable beyond this machine (the LAN, or --public-host), or "".
func (m homeModel) onNetwork() string {
	switch {
	case m.c.links.on:
		return hostOf(m.c.links.lan) + " (L takes it off)"
	case m.c.cfg.PublicHost != "":
		return inert(m.c.cfg.PublicHost) + " (--public-host)"
	}
	return ""
}

// homeMaxWidth keeps the home screen's prose readable on a wide terminal; wider bodies centre it,
// as the run screens centre their steps and code.
const homeMaxWidth = 100

// View renders the home screen in a w×h body: at most homeMaxWidth wide, in the middle. A
// scenario that passed in this session has a ✓.
func (m homeModel) View(w, h int, passed func(name string) bool) string {
	if w <= homeMaxWidth {
		return m.view(w, h, passed)
	}
	block := m.view(homeMaxWidth, h, passed)
	return clip(centre(block, lipgloss.Width(block), w), w, h)
}

func (m homeModel) view(w, h int, passed func(name string) bool) string {
	s := m.c.styles
	lines := []string{s.Title.Render("Test Plaid Link Recovery end to end"), ""}
	for i, it := range homeItems {
		marker, st := "  ", s.MenuItem
		if i == m.cursor {
			marker, st = "› ", s.MenuSelected
		}
		info := it.Info()
		line := st.Render(marker + strconv.Itoa(i+1) + "  " + info.Title)
		if passed != nil && passed(info.Name) {
			line += s.OK.Render("  ✓ passed")
		}
		lines = append(lines, line, para(s.Muted, "     "+info.About, w))
	}
	marker, st := "  ", s.MenuItem
	if m.cursor == homeAudit {
		marker, st = "› ", s.MenuSelected
	}
	lines = append(lines, st.Render(marker+strconv.Itoa(homeAudit+1)+"  Audit · your own webhook handler"),
		para(s.Muted, "     forged and genuine webhooks to your handler: does it verify and dedupe?", w))
	lines = append(lines, "")
	if m.c.mode == flows.ModeSandbox {
		lines = append(lines, para(s.Text, "Plaid Sandbox with your keys. Open the Hosted Link URL (or scan its QR code) and use the credentials shown.", w))
	} else {
		lines = append(lines, para(s.Warn, "This is a local demo: no Plaid keys are set, so the built-in emulator stands in for the Plaid Sandbox, on this machine. It can also send the recovery e-mail, so the whole flow runs here.", w))
		if m.c.auto {
			lines = append(lines, para(s.Muted, "--auto: the emulator completes each Hosted Link session by itself.", w))
		}
		if where := m.onNetwork(); where != "" {
			lines = append(lines, para(s.Warn, "It is on your network too, at "+where+": anyone on that network can open its pages.", w))
		}
	}
	return clip(strings.Join(lines, "\n"), w, h)
}
