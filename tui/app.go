package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// state is the screen the body shows: home, or run i's screen (i+1).
type state int

const stateHome state = 0

// runState is the screen of run i (flows.Scenarios' order).
func runState(i int) state { return state(i + 1) }

func (s state) String() string {
	if s == stateHome {
		return "home"
	}
	if s == stateAudit {
		return "audit"
	}
	if i := int(s) - 1; i >= 0 && i < len(flows.Scenarios) {
		return flows.Scenarios[i].Info().Name
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Smallest terminal with a real layout; below it a "make the window bigger" screen names this size.
const tinyW, tinyH = 40, 12

// model is the root: it routes messages to the parts, owns the layout, and records the transcript.
type model struct {
	c      *common
	cancel context.CancelFunc

	state         state
	showInspector bool
	showQR        bool

	header    headerModel
	home      homeModel
	audit     auditModel
	runs      []screen // one per flows.Scenarios entry, in menu order
	inspector inspectorModel
	presenter presenterModel
	summary   summaryModel
	lan       lanModel

	spinner  spinner.Model
	spinning bool
	help     help.Model
	keys     keyMap

	errs   []errEntry
	status string // a short confirmation (copied, opened) until the next key

	events <-chan webhook.Event

	transcript     *flows.Transcript
	records        []flows.Record // not yet written
	transcriptBusy bool

	clipboard io.Writer
	tmux      bool

	loggedState state // the screen the debug log last heard of
}

// spinnerFrames are bubbles' Dot frames without their trailing space, so a spinner takes exactly
// the cell a ✓ or ○ takes in the checklist.
var spinnerFrames = spinner.Spinner{
	Frames: []string{"⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"},
	FPS:    time.Second / 10,
}

func newSpinner(s Styles) spinner.Model {
	return spinner.New(spinner.WithSpinner(spinnerFrames), spinner.WithStyle(s.Spinner))
}

// Init opens the tunnel; everything else waits for it (or for a key).
func (m model) Init() tea.Cmd {
	cmds := []tea.Cmd{openTunnelCmd(m.c.ctx, m.c.env)}
	if m.spinning {
		cmds = append(cmds, m.spinner.Tick)
	}
	return tea.Batch(cmds...)
}

// Update routes each message to its owner, then settles the shared state (finalize).
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.c.now = m.c.nowFn()
	m.debugMsg(msg)
	var cmds []tea.Cmd
	add := func(c tea.Cmd) { cmds = append(cmds, c) }
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.help.Width = msg.Width
	case tea.KeyMsg:
		// A burst (jjj typed fast, or sent at once) arrives as one message of several runes; each is a key.
		for _, k := range splitBurst(msg) {
			var cmd tea.Cmd
			m, cmd = m.handleKey(k)
			add(cmd)
		}
	case spinner.TickMsg:
		if !m.needsSpinner() {
			m.spinning = false // let the tick chain end
			return m.finalize(cmds)
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		add(cmd)
	case tunnelMsg:
		switch in := msg.in.(type) {
		case flows.TunnelUp:
			m.header.state, m.header.provider, m.header.webhookURL = tunnelUp, tunnel.Provider(in.Provider), in.WebhookURL
			m.header.freePlan = in.FreePlan
			m.events = msg.events
			add(waitForEventCmd(msg.events))
		case flows.TunnelDown:
			// The header shows the cause and the next step; the error box would only repeat it.
			// The runs record it when a token waits for the tunnel, and fall back to polling.
			m.header.state, m.header.err = tunnelFailed, in.Err
		}
		add(m.routeAll(msg.in))
	case webhookReceivedMsg:
		m.inspector = m.inspector.add(msg.ev)
		if msg.ev.Kind == webhook.EventWebhook { // not /complete visits nor refused requests
			m.header.webhooks++
		}
		switch {
		case msg.ev.Kind == webhook.EventRejected:
			m.addErr(errEntry{step: "receiver", err: fmt.Errorf("refused a request (HTTP %d): %s; only Plaid should POST JSON to the webhook URL (w shows it)", msg.ev.Status, msg.ev.Reason)})
		case msg.ev.Kind == webhook.EventWebhook && msg.ev.Verified:
			m.clearErr("receiver", "")
		}
		add(m.routeAll(flows.Received{Event: msg.ev}))
		add(waitForEventCmd(m.events))
	case receiverClosedMsg:
		m.header.receiverStopped = true
		m.events = nil
		m.addErr(errEntry{step: "receiver", err: errors.New("the webhook receiver stopped; following sessions by polling /link/token/get (restart to receive webhooks again)")})
		add(m.routeAll(flows.ReceiverStopped{}))
	case resultMsg:
		add(m.result(msg))
	case auditStartedMsg:
		m.audit = m.audit.started(msg)
		add(waitAuditCmd(m.audit.ch))
	case auditCaseMsg:
		m.audit = m.audit.caseDone(msg)
		add(waitAuditCmd(m.audit.ch))
	case auditDoneMsg:
		m.audit = m.audit.finished(msg)
	case lanFoundMsg, lanServedMsg, lanStoppedMsg:
		m.lanResult(msg)
	case stepErrMsg:
		if m.addErr(errEntry{step: msg.step, err: msg.err}) == 1 {
			// A run's failed calls are its own events; the TUI's own failures are recorded here, once.
			m.record(flows.ErrorRecord(msg.step, msg.err))
		}
	case browserOpenedMsg:
		m.clearErr(stepOpen, "")
		m.status = "Opened in the browser."
	case copiedMsg:
		m.clearErr("copy "+msg.label, "")
		m.status = copiedStatus(msg)
	case reportSavedMsg:
		m.summary = m.summary.savedMsg(msg)
		if msg.err == nil {
			m.status = "Report saved: " + msg.path
		}
	case transcriptWrittenMsg:
		m.transcriptBusy = false
		if msg.err != nil {
			// One failure is enough to know: stop writing rather than fail on every step.
			m.addErr(errEntry{step: "write the transcript", err: fmt.Errorf("%w; the run goes on without it", msg.err)})
			m.transcript, m.records = nil, nil
		}
	}
	return m.finalize(cmds)
}

// result routes an effect's result to its run, after the error box learned what it says: a
// failure shows, a success clears its call's old failure.
func (m *model) result(msg resultMsg) tea.Cmd {
	i, ok := m.runIndex(msg.scenario)
	if !ok {
		m.addErr(errEntry{step: "route a result", err: fmt.Errorf("a result (%T) came for scenario %q, which has no run: this is a bug in linkrecovery", unwrap(msg.in), msg.scenario)})
		return nil
	}
	r := m.runs[i].driver()
	switch in := unwrap(msg.in).(type) {
	case flows.CallFailed:
		m.addErr(errEntry{step: callSteps[in.Call], scenario: r.name, err: in.Err})
	case flows.TokenCreated:
		if r.st.Phase == flows.PhaseCreating {
			m.clearRunErrs(r.name) // a new token: the old one's errors are moot
		}
	case flows.Restored:
		m.clearErr(callSteps[flows.CallRestore], r.name)
		m.clearErr(callSteps[flows.CallWalk], r.name) // a failed walk was about the session before the restore
	default:
		if c := callOf(in); c != 0 {
			m.clearErr(callSteps[c], r.name)
		}
	}
	return r.feed(m.runs[i], msg.in)
}

// runIndex is the index of the run of scenario name.
func (m model) runIndex(name string) (int, bool) {
	for i, scr := range m.runs {
		if scr.driver().name == name {
			return i, true
		}
	}
	return 0, false
}

// current is the run on screen, or nil on the home screen.
func (m model) current() screen {
	if i := int(m.state) - 1; i >= 0 && i < len(m.runs) {
		return m.runs[i]
	}
	return nil
}

// currentName is the scenario on screen ("" on the home screen).
func (m model) currentName() string {
	if scr := m.current(); scr != nil {
		return scr.driver().name
	}
	return ""
}

// routeAll hands in to every run (the tunnel, the receiver's events). Each run records a receiver
// event; only one of those records is kept (takeEmitted).
func (m *model) routeAll(in flows.Input) tea.Cmd {
	from := len(m.c.emitted)
	var cmds []tea.Cmd
	for _, scr := range m.runs {
		cmds = append(cmds, scr.driver().feed(scr, in))
	}
	m.takeEmitted(from)
	return tea.Batch(cmds...)
}

// show switches the screen and tells each run whether it is on screen (it polls only then).
func (m *model) show(s state) tea.Cmd {
	if s != m.state {
		m.clearErr(stepOpen, "") // it was about the URL on the screen being left
	}
	m.state = s
	var cmds []tea.Cmd
	for i, scr := range m.runs {
		cmds = append(cmds, scr.driver().feed(scr, flows.Visible{On: runState(i) == s}))
	}
	return tea.Batch(cmds...)
}

// openRun shows run i, creating its token the first time (or after a failure).
func (m model) openRun(i int) (model, tea.Cmd) {
	if i < 0 || i >= len(m.runs) {
		return m, nil
	}
	scr := m.runs[i]
	m.showQR = false
	m.summary.last = scr.driver().name
	cmd := m.show(runState(i))
	if r := scr.driver(); !r.st.HasToken() && !r.starting() {
		m.clearRunErrs(r.name)          // this retries the token: its old failure goes while it runs
		if m.header.webhooksHalf != i { // the header counts each half's webhooks
			m.header.webhooks, m.header.webhooksHalf = 0, i
		}
		return m, tea.Batch(cmd, r.start(scr))
	}
	return m, cmd
}

// newToken starts the run on screen over with a new token (its state holds it back until the
// tunnel has settled, so the token carries the webhook URL).
func (m model) newToken(scr screen) (model, tea.Cmd) {
	m.showQR = false
	return m, scr.driver().start(scr)
}

// currentURL is what o opens and v shows, at the address the emulator answers on now.
func (m model) currentURL() string {
	if scr := m.current(); scr != nil {
		return m.c.links.reachable(scr.url())
	}
	return ""
}

func (m model) currentQR() qrCode {
	if scr := m.current(); scr != nil {
		return scr.currentQR()
	}
	return qrCode{}
}

func (m model) handleKey(msg tea.KeyMsg) (model, tea.Cmd) {
	k := m.keys
	m.status = ""
	if m.state == stateAudit && m.audit.editing && !m.showInspector && !m.tiny() && msg.Type != tea.KeyCtrlC {
		return m.auditKey(msg) // the target line takes every key but ctrl+c
	}
	if why, ok := m.tunnelKeyWhy(msg); ok {
		m.status = why
		return m, nil
	}
	if scr := m.current(); scr != nil && !m.showInspector && !m.tiny() {
		if why, ok := scr.keyWhy(msg, k); ok {
			m.status = why
			return m, nil
		}
	}
	m.clearRetried(msg)
	switch {
	case key.Matches(msg, k.Quit):
		m.cancel()
		if m.transcript != nil && len(m.records) > 0 {
			// Write what is left before the program ends (main closes the file after Run).
			recs := m.records
			m.records = nil
			return m, tea.Sequence(writeRecordsCmd(m.transcript, recs), tea.Quit)
		}
		return m, tea.Quit
	case m.tiny():
		return m, nil // only q works on the "make the window bigger" screen
	case key.Matches(msg, k.Dismiss):
		m.dismissErr()
		return m, nil
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.Inspector):
		m.showInspector = !m.showInspector
		if m.showInspector {
			m.inspector = m.inspector.opened()
		}
		return m, nil
	case key.Matches(msg, k.Presenter):
		return m.togglePresenter()
	case key.Matches(msg, k.Tunnel):
		// Try again (the network is back, a firewall was opened); tokens made meanwhile have no
		// webhook, so n makes a new one once the tunnel is up.
		m.header.state, m.header.err, m.header.openingSince = tunnelOpening, nil, m.c.now
		return m, openTunnelCmd(m.c.ctx, m.c.env)
	case key.Matches(msg, k.Back):
		switch {
		case m.help.ShowAll:
			m.help.ShowAll = false
		case m.showInspector:
			m.showInspector = false
		case m.lan.asking:
			m.lan.asking = false // not on the LAN after all
		case m.showQR:
			m.showQR = false
		case m.summaryOn():
			m.summary = m.summary.hide(m.currentName())
		default:
			return m, m.show(stateHome)
		}
		return m, nil
	}
	if m.state == stateAudit && !m.showInspector {
		return m.auditKey(msg)
	}
	if m.showInspector {
		var cmd tea.Cmd
		m.inspector, cmd = m.inspector.update(msg, k)
		if cmd != nil && key.Matches(msg, k.Resend) {
			m.status = "Resending to --forward-to; its answer shows here."
		}
		return m, cmd
	}
	if cmd, ok := m.presenterKey(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.summaryKey(msg); ok {
		return m, cmd
	}
	if nm, cmd, ok := m.lanKey(msg); ok {
		return nm, cmd
	}
	if key.Matches(msg, k.QR) {
		m.showQR = !m.showQR
		return m, nil
	}
	var cmd tea.Cmd
	scr := m.current()
	if scr == nil {
		var chosen int
		m.home, chosen = m.home.update(msg, k)
		if chosen == homeAudit {
			m.help.ShowAll = false
			return m, m.show(stateAudit)
		}
		if chosen >= 0 {
			m.help.ShowAll = false // the help was about home, not the half it opens
			return m.openRun(chosen)
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Open):
		cmd = openBrowserCmd(m.c.ctx, m.currentURL())
	case key.Matches(msg, k.NewToken):
		return m.newToken(scr)
	case key.Matches(msg, k.Copy):
		if c, ok := scr.driver().focused(scr.cards()); ok {
			cmd = copyCmd(m.c.ctx, m.clipboard, m.tmux, c.Label, c.Value)
		}
	default:
		cmd = scr.key(msg, k)
	}
	return m, cmd
}

// auditKey hands a key to the audit screen and does what it asks.
func (m model) auditKey(msg tea.KeyMsg) (model, tea.Cmd) {
	var intent auditIntent
	m.audit, intent = m.audit.update(msg, m.keys)
	switch intent {
	case auditRun:
		return m, auditStartCmd(m.c.ctx, m.audit.backend, m.audit.target, m.audit.only(), m.audit.gen)
	case auditCopy:
		return m, copyCmd(m.c.ctx, m.clipboard, m.tmux, "emulator's secret", m.audit.backend.Secret())
	case auditLeave:
		return m, m.show(stateHome)
	}
	return m, nil
}

// needsSpinner says whether anything on screen is in flight.
func (m model) needsSpinner() bool {
	if m.audit.running() {
		return true
	}
	for _, scr := range m.runs {
		if scr.driver().needsSpinner() {
			return true
		}
	}
	return m.header.state == tunnelOpening
}

// finalize runs after every Update: queue what the machines recorded, keep the spinner going
// while something is in flight, write the transcript, size the inspector, and keep the keys honest.
func (m model) finalize(cmds []tea.Cmd) (tea.Model, tea.Cmd) {
	if m.header.clock == "" && m.c.env != nil {
		// Known once Plaid has answered; a locked read, no I/O.
		m.header.clock = m.c.env.ClockWarning()
	}
	m.takeEmitted(-1)
	if !m.showQR {
		m.lan.asking = false // the question was about the code on screen
	}
	m.header.lan = m.lan.on
	if !m.spinning && m.needsSpinner() {
		m.spinning = true
		cmds = append(cmds, m.spinner.Tick)
	}
	if m.transcript != nil && !m.transcriptBusy && len(m.records) > 0 {
		m.transcriptBusy = true
		cmds = append(cmds, writeRecordsCmd(m.transcript, m.records))
		m.records = nil
	}
	bw, bh := m.bodySize()
	m.c.bodyW, m.c.bodyH = bw, bh
	if bw != m.inspector.w || bh != m.inspector.h {
		m.inspector.setSize(bw, bh)
	}
	m.updateKeys()
	m.debugState()
	return m, tea.Batch(cmds...)
}

// tiny says whether the terminal is below the smallest real layout.
func (m model) tiny() bool { return m.c.width < tinyW || m.c.height < tinyH }

// chrome renders the header, the error box and the footer for the current size.
func (m model) chrome() (header, errs, footer string) {
	w := m.c.width
	header = m.header.View(m.c.styles, w)
	errs = m.errorView(w)
	footer = m.footerHelp(w)
	if m.status != "" {
		footer = m.c.styles.OK.Render(wrapAtMost(inert(m.status), w, 2)) + "\n" + footer
	}
	return fitChrome(header, errs, footer, w, m.c.height)
}

// bodySize is what is left for the body between the header and the error box and footer.
func (m model) bodySize() (int, int) {
	header, errs, footer := m.chrome()
	return m.bodySizeFor(header, errs, footer)
}

func (m model) bodySizeFor(header, errs, footer string) (int, int) {
	if m.c.width == 0 || m.tiny() {
		return 0, 0
	}
	h := m.c.height - lipgloss.Height(header) - lipgloss.Height(footer)
	if errs != "" {
		h -= lipgloss.Height(errs)
	}
	return m.c.width, max(1, h)
}

// View lays out header, body, error box and help.
func (m model) View() string {
	w, h := m.c.width, m.c.height
	if w == 0 {
		return "linkrecovery: starting…"
	}
	if m.tiny() {
		return m.tinyView()
	}
	header, errs, footer := m.chrome()
	bw, bh := m.bodySizeFor(header, errs, footer)
	spin := m.spinner.View()
	if m.header.state == tunnelOpening {
		m.header.elapsed = m.c.now.Sub(m.header.openingSince)
		header = clip(m.header.ViewSpinning(m.c.styles, w, spin), w, lipgloss.Height(header))
	}
	var body string
	switch {
	case m.help.ShowAll:
		body = m.fullHelpView(bw, bh)
	case m.showInspector:
		body = m.inspector.View()
	case m.showQR && m.state != stateHome:
		body = m.qrOnlyView(bw, bh)
	default:
		switch scr := m.current(); {
		case m.state == stateHome:
			body = m.home.View(bw, bh, m.summary.passed)
		case m.state == stateAudit:
			body = m.audit.View(m.c.styles, bw, bh, spin)
		case scr != nil:
			body = m.runView(scr, bw, bh, spin)
		default:
			body = m.c.styles.Bad.Render("Unknown state " + m.state.String() + " :/ this is a bug")
		}
	}
	body = lipgloss.NewStyle().Height(bh).MaxHeight(bh).Render(clip(body, bw, bh))
	parts := []string{header, body} // no blank line between: at 80×24 that row is what the QR code needs
	if errs != "" {
		parts = append(parts, errs)
	}
	parts = append(parts, footer)
	return clip(strings.Join(parts, "\n"), w, h)
}

// splitBurst splits a multi-rune key message (not a paste) into one message per rune.
func splitBurst(msg tea.KeyMsg) []tea.KeyMsg {
	if msg.Type != tea.KeyRunes || msg.Paste || len(msg.Runes) < 2 {
		return []tea.KeyMsg{msg}
	}
	out := make([]tea.KeyMsg, 0, len(msg.Runes))
	for _, r := range msg.Runes {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
	}
	return out
}
