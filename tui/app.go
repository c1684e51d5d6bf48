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
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// state is the screen the body shows: home, or a half's screen (its half number).
type state int

const stateHome state = 0

// halfState is the screen of half h.
func halfState(h flows.Half) state { return state(h) }

func (s state) String() string {
	if s == stateHome {
		return "home"
	}
	if _, ok := flows.ScenarioFor(flows.Half(s)); ok {
		return flows.Half(s).String()
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Smallest terminal with a real layout; below it a "make the window bigger" screen shows.
const (
	tinyW, tinyH = 40, 12
	wantW, wantH = 60, 20
)

// model is the root: it routes messages to the parts, owns the layout, and records the transcript.
type model struct {
	c      *common
	cancel context.CancelFunc

	state         state
	showInspector bool
	showQR        bool

	header    headerModel
	home      homeModel
	halves    []halfModel // one per flows.Scenario, in menu order
	inspector inspectorModel

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
		var cmd tea.Cmd
		m, cmd = m.handleKey(msg)
		add(cmd)
	case spinner.TickMsg:
		if !m.needsSpinner() {
			m.spinning = false // let the tick chain end
			return m.finalize(cmds)
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		add(cmd)
	case tunnelOpenedMsg:
		m.header.state, m.header.provider, m.header.webhookURL = tunnelUp, msg.provider, msg.webhookURL
		m.header.freePlan = msg.freePlan
		m.events = msg.events
		add(waitForEventCmd(msg.events))
		add(m.routeAll(msg))
	case tunnelFailedMsg:
		// The header shows the cause and the next step; the error box would only repeat it. The
		// halves' machines record it when a token waits for the tunnel, and fall back to polling.
		m.header.state, m.header.err = tunnelFailed, msg.err
		add(m.routeAll(msg))
	case webhookReceivedMsg:
		m.inspector = m.inspector.add(msg.ev)
		m.header.webhooks = m.inspector.count()
		switch {
		case msg.ev.Kind == webhook.EventRejected:
			m.addErr(stepErrMsg{step: "receiver", err: fmt.Errorf("refused a request (HTTP %d): %s; only Plaid should POST JSON to the webhook URL (w shows it)", msg.ev.Status, msg.ev.Reason)})
		case msg.ev.Kind == webhook.EventWebhook && msg.ev.Verified:
			m.clearErr("receiver", 0)
		}
		add(m.routeAll(msg))
		add(waitForEventCmd(m.events))
	case receiverClosedMsg:
		m.header.receiverStopped = true
		m.events = nil
		m.addErr(stepErrMsg{step: "receiver", err: errors.New("the webhook receiver stopped; following sessions by polling /link/token/get (restart to receive webhooks again)")})
		add(m.routeAll(msg))
	case linkTokenCreatedMsg:
		if hm := m.half(msg.half); hm != nil && hm.driver().mach.Creating {
			m.clearHalfErrs(msg.half) // a new token: the old one's errors are moot
		}
		add(m.routeHalf(msg.half, msg))
	case tokenPolledMsg:
		m.clearErr(stepPoll, msg.half)
		add(m.routeHalf(msg.half, msg))
	case pollTickMsg:
		add(m.routeHalf(msg.half, msg))
	case webhookTimeoutMsg:
		add(m.routeHalf(msg.half, msg))
	case deadlineMsg:
		add(m.routeHalf(msg.half, msg))
	case autoCompletedMsg:
		m.clearErr(stepAuto, msg.half)
		add(m.routeHalf(msg.half, msg))
	case institutionRestoredMsg:
		m.clearErr(stepRestore, msg.half)
		add(m.routeHalf(msg.half, msg))
		if hm := m.half(msg.half); hm != nil && hm.driver().mach.Signup() != nil && hm.driver().mach.Signup().Restored {
			m.clearErr(stepAuto, msg.half) // a failed a was about the sign-up session, now over
		}
	case exchangedMsg:
		m.clearErr(stepExchange, msg.half)
		add(m.routeHalf(msg.half, msg))
	case stepErrMsg:
		if m.addErr(msg) == 1 && msg.half == 0 {
			// A half's failed calls are its machine's records; the rest are recorded here, once.
			m.record(flows.ErrorRecord(msg.step, msg.err))
		}
		add(m.routeHalf(msg.half, msg))
	case browserOpenedMsg:
		m.clearErr(stepOpen, 0)
		m.status = "Opened in the browser."
	case copiedMsg:
		m.clearErr("copy "+msg.label, 0)
		m.status = copiedStatus(msg)
	case transcriptWrittenMsg:
		m.transcriptBusy = false
		if msg.err != nil {
			// One failure is enough to know: stop writing rather than fail on every step.
			m.addErr(stepErrMsg{step: "write the transcript", err: fmt.Errorf("%w; the run goes on without it", msg.err)})
			m.transcript, m.records = nil, nil
		}
	}
	return m.finalize(cmds)
}

// half returns the half h's model, or nil.
func (m model) half(h flows.Half) halfModel {
	for _, hm := range m.halves {
		if hm.driver().half() == h {
			return hm
		}
	}
	return nil
}

// current is the half on screen, or nil on the home screen.
func (m model) current() halfModel {
	if m.state == stateHome {
		return nil
	}
	return m.half(flows.Half(m.state))
}

// currentHalf is the half on screen (0 on the home screen).
func (m model) currentHalf() flows.Half {
	if hm := m.current(); hm != nil {
		return hm.driver().half()
	}
	return 0
}

// routeHalf hands msg to the half it belongs to: its machine first, then its screen.
func (m *model) routeHalf(h flows.Half, msg tea.Msg) tea.Cmd {
	hm := m.half(h)
	if hm == nil {
		return nil
	}
	return tea.Batch(hm.driver().handle(msg), hm.update(msg))
}

// routeAll hands msg to every half. Each machine records a receiver event; only one of those
// records is kept (takeEmitted).
func (m *model) routeAll(msg tea.Msg) tea.Cmd {
	from := len(m.c.emitted)
	var cmds []tea.Cmd
	for _, hm := range m.halves {
		cmds = append(cmds, hm.driver().handle(msg), hm.update(msg))
	}
	m.takeEmitted(from)
	return tea.Batch(cmds...)
}

// show switches the screen and tells each half whether it is on screen (it polls only then).
func (m *model) show(s state) tea.Cmd {
	if s != m.state {
		m.clearErr(stepOpen, 0) // it was about the URL on the screen being left
	}
	m.state = s
	var cmds []tea.Cmd
	for _, hm := range m.halves {
		cmds = append(cmds, hm.driver().setVisible(halfState(hm.driver().half()) == s))
	}
	return tea.Batch(cmds...)
}

// openHalf shows a half, creating its token the first time (or after a failure).
func (m model) openHalf(h flows.Half) (model, tea.Cmd) {
	hm := m.half(h)
	if hm == nil {
		return m, nil
	}
	m.showQR = false
	cmd := m.show(halfState(h))
	if d := hm.driver(); d.token() == nil && !d.mach.Creating {
		m.clearHalfErrs(h) // this retries the token: its old failure goes while it runs
		return m, tea.Batch(cmd, d.start())
	}
	return m, cmd
}

// newToken starts a half over with a new token (its machine holds it back until the tunnel has
// settled, so the token carries the webhook URL).
func (m model) newToken(h flows.Half) (model, tea.Cmd) {
	hm := m.half(h)
	if hm == nil {
		return m, nil
	}
	m.showQR = false
	return m, hm.driver().start()
}

// currentURL is what o opens and v shows.
func (m model) currentURL() string {
	if hm := m.current(); hm != nil {
		return hm.url()
	}
	return ""
}

func (m model) currentQR() qrCode {
	if hm := m.current(); hm != nil {
		return hm.currentQR()
	}
	return qrCode{}
}

func (m model) handleKey(msg tea.KeyMsg) (model, tea.Cmd) {
	k := m.keys
	m.status = ""
	if why, ok := m.tunnelKeyWhy(msg); ok {
		m.status = why
		return m, nil
	}
	if hm := m.current(); hm != nil && !m.showInspector && !m.tiny() {
		if why, ok := hm.keyWhy(msg, k); ok {
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
		case m.showQR:
			m.showQR = false
		default:
			return m, m.show(stateHome)
		}
		return m, nil
	}
	if m.showInspector {
		var cmd tea.Cmd
		m.inspector, cmd = m.inspector.update(msg, k)
		if cmd != nil && key.Matches(msg, k.Resend) {
			m.status = "Resending to --forward-to; its answer shows here."
		}
		return m, cmd
	}
	if key.Matches(msg, k.QR) {
		m.showQR = !m.showQR
		return m, nil
	}
	var cmd tea.Cmd
	hm := m.current()
	if hm == nil {
		var h flows.Half
		m.home, h = m.home.update(msg, k)
		if h != 0 {
			return m.openHalf(h)
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Open):
		cmd = openBrowserCmd(m.c.ctx, m.currentURL())
	case key.Matches(msg, k.NewToken):
		return m.newToken(hm.driver().half())
	case key.Matches(msg, k.Copy):
		if c, ok := hm.driver().focused(); ok && hm.driver().hasCards() {
			cmd = copyCmd(m.c.ctx, m.clipboard, m.tmux, c.Label, c.Value)
		}
	default:
		cmd = hm.key(msg, k)
	}
	return m, cmd
}

// needsSpinner says whether anything on screen is in flight.
func (m model) needsSpinner() bool {
	for _, hm := range m.halves {
		if hm.driver().needsSpinner() {
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
		footer = m.c.styles.OK.Render(ansi.Truncate(inert(m.status), w, "…")) + "\n" + footer
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
		switch hm := m.current(); {
		case m.state == stateHome:
			body = m.home.View(bw, bh)
		case hm != nil:
			body = hm.View(bw, bh, spin)
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
