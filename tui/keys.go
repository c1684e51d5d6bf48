package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/bankdown/linkrecovery/flows"
)

// keyMap is every key the TUI answers to, declared once. Bindings that make no sense in the
// current state are disabled (updateKeys), so bubbles/help leaves them out and Update ignores them.
type keyMap struct {
	// Scenarios are 1…n on the home screen, one per flows.Scenarios entry.
	Scenarios []key.Binding
	Audit     key.Binding // the audit screen (audit.go), the home screen's entry after the scenarios
	Rerun     key.Binding // the audit: run the selected case again
	Edit      key.Binding // the audit: edit the target URL
	Up        key.Binding
	Down      key.Binding
	PageUp    key.Binding
	PageDown  key.Binding
	Select    key.Binding
	Open      key.Binding
	Copy      key.Binding
	NextCard  key.Binding
	PrevCard  key.Binding
	Restore   key.Binding
	Mark      key.Binding
	Auto      key.Binding
	QR        key.Binding
	NewToken  key.Binding
	Inspector key.Binding
	Tunnel    key.Binding
	Dismiss   key.Binding
	Resend    key.Binding
	Back      key.Binding
	Save      key.Binding // the summary's: save the run's report
	Presenter key.Binding // the presenter view (presenter.go) and its step by step
	LAN       key.Binding // serve the demo on the LAN (lan.go), after Confirm
	Loopback  key.Binding // back to loopback only
	Confirm   key.Binding
	Next      key.Binding
	Earlier   key.Binding
	Later     key.Binding
	Help      key.Binding
	Quit      key.Binding
}

func defaultKeyMap() keyMap {
	return keyMap{
		Scenarios: scenarioKeys(),
		Audit:     auditKey(),
		Rerun:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run this case")),
		Edit:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit the target")),
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll JSON up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll JSON down")),
		Select:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Open:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser")),
		Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		NextCard:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next credential")),
		PrevCard:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev credential")),
		Restore:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "bring the institution back")),
		Mark:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mark step done")),
		Auto:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "auto-complete")),
		QR:        key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "QR only")),
		NewToken:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new token")),
		Inspector: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "webhooks")),
		Tunnel:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "retry the tunnel")),
		Dismiss:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "dismiss error")),
		Resend:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resend to --forward-to")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Save:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save the report")),
		Presenter: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "presenter view")),
		LAN:       key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "serve on the LAN (for a phone)")),
		Loopback:  key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "off the LAN")),
		Confirm:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, serve it on the LAN")),
		Next:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "next step")),
		Earlier:   key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "earlier step")),
		Later:     key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "later step")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// scenarioKeys are 1…n, one per scenario, helped by its title ("half 1: sign-up").
func scenarioKeys() []key.Binding {
	out := make([]key.Binding, 0, len(flows.Scenarios))
	for i, sc := range flows.Scenarios {
		n := strconv.Itoa(i + 1)
		out = append(out, key.NewBinding(key.WithKeys(n), key.WithHelp(n, strings.ToLower(strings.ReplaceAll(sc.Info().Title, " · ", ": ")))))
	}
	return out
}

// auditKey is the number after the scenarios' (4 with three scenarios).
func auditKey() key.Binding {
	n := strconv.Itoa(len(flows.Scenarios) + 1)
	return key.NewBinding(key.WithKeys(n), key.WithHelp(n, "audit your webhook handler"))
}

// ShortHelp puts the current screen's keys first, then the global ones (help skips disabled keys).
func (k keyMap) ShortHelp() []key.Binding {
	return append(k.screenKeys(), k.globalKeys()...)
}

// screenKeys are the keys of what is on screen, most useful first (the footer may cut the tail).
func (k keyMap) screenKeys() []key.Binding {
	return append(append([]key.Binding{k.Dismiss, k.Confirm}, k.Scenarios...),
		k.Audit, k.Select, k.Rerun, k.Edit, k.Resend, k.Save, k.Next, k.Auto, k.Restore, k.Open, k.Copy, k.Mark, k.QR, k.LAN, k.Loopback, k.NewToken,
		k.Tunnel, k.Up, k.Down, k.PageDown, k.Inspector, k.Back)
}

// globalKeys are always in the footer, never cut: how to see every key and how to leave.
func (k keyMap) globalKeys() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp groups the keys into columns: navigation, actions, screens.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		append(append([]key.Binding(nil), k.Scenarios...), k.Audit, k.Select, k.Up, k.Down, k.PageUp, k.PageDown),
		{k.Open, k.Copy, k.NextCard, k.PrevCard, k.Mark, k.Auto},
		{k.Restore, k.NewToken, k.QR, k.LAN, k.Loopback, k.Inspector, k.Tunnel, k.Save},
		{k.Presenter, k.Next, k.Earlier, k.Later},
		{k.Rerun, k.Edit, k.Confirm, k.Resend, k.Dismiss, k.Back, k.Help, k.Quit},
	}
}

// updateKeys enables exactly the keys that do something now, so help shows only those. The
// run on screen turns on its own keys (screen.enableKeys).
func (m *model) updateKeys() {
	k := &m.keys
	home := m.state == stateHome && !m.showInspector
	scr := m.current()
	onRun := scr != nil && !m.showInspector
	url := m.currentURL()
	if scr != nil && scr.driver().done() {
		url = "" // nothing left to open or scan
	}

	for i := range k.Scenarios {
		k.Scenarios[i].SetEnabled(home)
	}
	onAudit := m.state == stateAudit && !m.showInspector
	typing := onAudit && m.audit.editing
	k.Audit.SetEnabled(home)
	k.Select.SetEnabled(home || onAudit && m.audit.canStart())
	k.Select.SetHelp("enter", "open")
	if onAudit {
		k.Select.SetHelp("enter", "run the audit")
	}
	k.Rerun.SetEnabled(onAudit && !typing && m.audit.canStart())
	k.Edit.SetEnabled(onAudit && !typing && !m.audit.running() && m.audit.backend != nil)
	auditList := onAudit && !typing && m.audit.backend != nil
	choosing := m.lan.asking && len(m.lan.cands) > 1 // which LAN address
	k.Up.SetEnabled(home || m.showInspector || choosing || auditList)
	k.Down.SetEnabled(home || m.showInspector || choosing || auditList)
	k.PageUp.SetEnabled(m.showInspector)
	k.PageDown.SetEnabled(m.showInspector)
	k.Open.SetEnabled(onRun && url != "")
	k.QR.SetEnabled(onRun && url != "")
	for _, b := range []*key.Binding{&k.Copy, &k.NextCard, &k.PrevCard, &k.Restore, &k.Mark, &k.Auto, &k.NewToken} {
		b.SetEnabled(false)
	}
	if onRun {
		scr.enableKeys(k)
	}
	if m.summaryOn() {
		// The summary shows no cards and no URL: its keys are s, n and esc.
		for _, b := range []*key.Binding{&k.Copy, &k.NextCard, &k.PrevCard, &k.Restore, &k.Mark, &k.Auto, &k.Open, &k.QR} {
			b.SetEnabled(false)
		}
	}
	k.Copy.SetEnabled(k.Copy.Enabled() || onAudit && !typing && m.audit.backend != nil)
	k.LAN.SetEnabled(onRun && m.showQR && url != "" && !m.lan.asking && m.canLAN())
	k.Loopback.SetEnabled(m.lan.on != "" && !m.lan.serving && !m.showInspector)
	k.Confirm.SetEnabled(m.lan.asking)
	k.Tunnel.SetEnabled(m.header.state == tunnelFailed)
	k.Dismiss.SetEnabled(len(m.errs) > 0)
	k.Resend.SetEnabled(m.showInspector && m.inspector.canResend())
	k.Save.SetEnabled(m.summaryOn())
	k.Back.SetEnabled(m.state != stateHome || m.showInspector || m.showQR || m.help.ShowAll || m.lan.asking)
	m.updatePresenterKeys(onRun)
	// While the target line takes the keys, only ctrl+c and the line's own keys work.
	k.Inspector.SetEnabled(!typing)
	k.Presenter.SetEnabled(k.Presenter.Enabled() && !typing)
	k.Help.SetEnabled(!typing)
	k.Quit.SetHelp("q", "quit")
	if typing {
		k.Quit.SetHelp("ctrl+c", "quit")
		k.Back.SetHelp("esc", "done typing")
	} else {
		k.Back.SetHelp("esc", "back")
	}
	if m.showInspector {
		k.Inspector.SetHelp("w", "close")
	} else {
		k.Inspector.SetHelp("w", "webhooks")
	}
	if m.help.ShowAll {
		k.Help.SetHelp("?", "fewer keys")
	} else {
		k.Help.SetHelp("?", "more keys")
	}
}
