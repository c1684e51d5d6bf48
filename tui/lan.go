package tui

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/lanaddr"
)

// The phone path in demo mode: the emulator listens on loopback, so the QR code holds a URL no
// phone can open. l (in the QR view) finds this machine's LAN addresses, asks before exposing the
// demo to the network, and then serves the emulator on the one chosen too; the QR codes then hold
// the LAN URL and the header says LAN. L takes the demo off the network again.

// stepLAN is how the error box names a failure to serve the demo on the LAN.
const stepLAN = "serve the demo on the LAN"

// lanOps is how the TUI finds LAN addresses and serves the demo there: lanaddr and the Env's
// ServeLAN/StopLAN in the app, fakes in tests. serve returns the emulator's loopback and LAN base
// URLs. serve nil: the demo cannot go on the LAN (no emulator, or --public-host already did).
type lanOps struct {
	find  func() ([]lanaddr.Candidate, error)
	serve func(ctx context.Context, addr netip.Addr) (loop, lan string, err error)
	stop  func()
}

// lanLinks maps URLs between the emulator's loopback and LAN bases: while on the LAN a link made
// before (loopback) is shown at the LAN address, and back on loopback a link made on the LAN is
// shown at loopback, so a QR code always holds an address that answers.
type lanLinks struct {
	on        bool
	loop, lan string // base URLs, no trailing slash
}

// reachable is u at the address the emulator answers on now.
func (l lanLinks) reachable(u string) string {
	from, to := l.lan, l.loop
	if l.on {
		from, to = l.loop, l.lan
	}
	if from == "" || to == "" {
		return u
	}
	if rest, ok := strings.CutPrefix(u, from); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
		return to + rest
	}
	return u
}

// lanModel is the LAN prompt's state.
type lanModel struct {
	finding bool                // the addresses are being listed
	asking  bool                // the confirmation is on screen
	cands   []lanaddr.Candidate // what asking offers
	sel     int
	serving bool   // the emulator is being started on the LAN, or taken off it
	on      string // the address the demo is served on ("": loopback only)
}

// lanFoundMsg fires when the LAN addresses are listed (err: none, with why and what to do).
type lanFoundMsg struct {
	cands []lanaddr.Candidate
	err   error
}

// lanServedMsg fires when the emulator answers on the LAN too (or could not: err).
type lanServedMsg struct {
	cand      lanaddr.Candidate
	loop, lan string
	err       error
}

// lanStoppedMsg fires when the emulator no longer answers on the LAN.
type lanStoppedMsg struct{}

func lanFindCmd(find func() ([]lanaddr.Candidate, error)) tea.Cmd {
	return func() tea.Msg {
		c, err := find()
		return lanFoundMsg{cands: c, err: err}
	}
}

func lanServeCmd(ctx context.Context, serve func(context.Context, netip.Addr) (string, string, error), c lanaddr.Candidate) tea.Cmd {
	return func() tea.Msg {
		loop, lan, err := serve(ctx, c.Addr)
		return lanServedMsg{cand: c, loop: loop, lan: lan, err: err}
	}
}

func lanStopCmd(stop func()) tea.Cmd {
	return func() tea.Msg {
		stop()
		return lanStoppedMsg{}
	}
}

// canLAN says whether l would offer to serve the demo on the LAN now.
func (m model) canLAN() bool {
	return m.c.lanOps.serve != nil && m.c.lanOps.find != nil && m.lan.on == "" && !m.lan.serving && !m.lan.finding
}

// lanKey handles the LAN keys (ok false: msg is none of them, or not now).
func (m model) lanKey(msg tea.KeyMsg) (model, tea.Cmd, bool) {
	k := m.keys
	switch {
	case m.lan.asking && key.Matches(msg, k.Confirm):
		c := m.lan.cands[m.lan.sel]
		m.lan.asking, m.lan.serving = false, true
		return m, lanServeCmd(m.c.ctx, m.c.lanOps.serve, c), true
	case m.lan.asking && key.Matches(msg, k.Up):
		m.lan.sel = max(0, m.lan.sel-1)
		return m, nil, true
	case m.lan.asking && key.Matches(msg, k.Down):
		m.lan.sel = min(len(m.lan.cands)-1, m.lan.sel+1)
		return m, nil, true
	case key.Matches(msg, k.LAN) && m.showQR && m.canLAN():
		m.lan.finding = true
		return m, lanFindCmd(m.c.lanOps.find), true
	case key.Matches(msg, k.Loopback) && m.lan.on != "" && !m.lan.serving && m.c.lanOps.stop != nil:
		m.lan.serving = true
		return m, lanStopCmd(m.c.lanOps.stop), true
	}
	return m, nil, false
}

// lanResult takes the LAN Cmds' messages.
func (m *model) lanResult(msg tea.Msg) {
	switch msg := msg.(type) {
	case lanFoundMsg:
		m.lan.finding = false
		if msg.err != nil || len(msg.cands) == 0 {
			err := msg.err
			if err == nil {
				err = errors.New("no LAN address found")
			}
			m.addErr(errEntry{step: stepLAN, err: err})
			return
		}
		m.clearErr(stepLAN, "")
		m.lan.cands, m.lan.sel, m.lan.asking = msg.cands, 0, m.showQR
	case lanServedMsg:
		m.lan.serving = false
		if msg.err != nil {
			m.addErr(errEntry{step: stepLAN, err: msg.err})
			return
		}
		m.clearErr(stepLAN, "")
		m.lan.on = msg.cand.Addr.String()
		m.c.links = lanLinks{on: true, loop: msg.loop, lan: msg.lan}
		m.relinkAll()
		m.status = "The demo is on the LAN at " + hostOf(msg.lan) + ": a phone on that network can scan the code. L takes it off."
		m.c.debugf("lan: on %s", msg.lan)
	case lanStoppedMsg:
		m.lan.serving, m.lan.on = false, ""
		m.c.links.on = false
		m.relinkAll()
		m.status = "The demo is on loopback only again: the network cannot reach it."
		m.c.debugf("lan: off")
	}
}

// relinkAll re-encodes every screen's QR codes for the address the emulator answers on now.
func (m model) relinkAll() {
	for _, scr := range m.runs {
		scr.relink()
	}
}

// lanPrompt is the confirmation l asks for, in a w-wide body: what going on the LAN exposes, to
// whom, and the address to serve it on.
func (m model) lanPrompt(w int) string {
	s := m.c.styles
	lines := []string{
		s.Title.Render(fit("Serve the demo on your local network?", w)),
		para(s.Warn, "Anyone on that network can then open the demo's pages and call its emulator (the Hosted Link pages, the API at this address, the recovery links) until you press L or quit.", w),
	}
	for i, c := range m.lan.cands {
		marker, st := "  ", s.MenuItem
		if i == m.lan.sel {
			marker, st = "› ", s.MenuSelected
		}
		lines = append(lines, st.Render(fit(marker+c.String(), w)))
	}
	hint := "y serves it on " + m.lan.cands[m.lan.sel].Addr.String() + " · esc cancels"
	if len(m.lan.cands) > 1 {
		hint = "y serves it on " + m.lan.cands[m.lan.sel].Addr.String() + " · ↑/↓ choose · esc cancels"
	}
	return strings.Join(append(lines, para(s.Label, hint, w)), "\n")
}

// lanNote is the QR view's line about where the code points: a loopback URL no phone can open
// (and the key that fixes it), or the LAN. "" when there is nothing to say.
func (m model) lanNote(u string) string {
	switch {
	case m.lan.on != "":
		return "On the LAN (" + m.lan.on + "): a phone on the same network can open it; L takes the demo off the network."
	case env.IsLoopbackURL(u) && m.keys.LAN.Enabled():
		return "This code holds " + hostOf(u) + ", which a phone cannot open: l serves the demo on your LAN."
	case env.IsLoopbackURL(u):
		return "This code holds " + hostOf(u) + ", which a phone cannot open; open it here with o."
	}
	return ""
}

// hostOf is u's host ("" when u is not a URL).
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}

// lanOpsFor is the app's lanOps: lanaddr over the real interfaces (or LINKRECOVERY_LAN_ADDRS) and
// the Env's emulator. None when there is no emulator, or --public-host already put it on the LAN.
func lanOpsFor(e *env.Env, getenv func(string) string) lanOps {
	if !e.CanDrive() || e.Config().PublicHost != "" {
		return lanOps{}
	}
	loop := e.PlaidURL
	return lanOps{
		find: func() ([]lanaddr.Candidate, error) { return lanaddr.Find(getenv, lanaddr.System) },
		serve: func(ctx context.Context, a netip.Addr) (string, string, error) {
			lan, err := e.ServeLAN(ctx, a)
			return loop, lan, err
		},
		stop: e.StopLAN,
	}
}
