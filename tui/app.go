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

// state is the screen the body shows.
type state int

const (
	stateHome state = iota
	stateSignup
	stateSession
)

func (s state) String() string {
	switch s {
	case stateHome:
		return "home"
	case stateSignup:
		return "signup"
	case stateSession:
		return "session"
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
	signup    signupModel
	session   sessionModel
	inspector inspectorModel

	spinner  spinner.Model
	spinning bool
	help     help.Model
	keys     keyMap

	errs   []errEntry
	status string // a short confirmation (copied, opened) until the next key

	pending []flows.Half // halves whose token waits for the tunnel to settle
	events  <-chan webhook.Event

	transcript     *flows.Transcript
	records        []flows.Record // not yet written
	transcriptBusy bool
	doneRecorded   map[flows.Half]bool

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
		m.c.tunnelFailed = false
		m.events = msg.events
		add(waitForEventCmd(msg.events))
		add(m.settleTunnel())
	case tunnelFailedMsg:
		// The header shows the cause and the next step; the error box would only repeat it.
		m.header.state, m.header.err = tunnelFailed, msg.err
		m.c.tunnelFailed = true
		m.record(flows.ErrorRecord("tunnel", msg.err))
		add(m.settleTunnel())
	case webhookReceivedMsg:
		m.inspector = m.inspector.add(msg.ev)
		m.header.webhooks = m.inspector.count()
		m.recordEvent(msg.ev)
		switch {
		case msg.ev.Kind == webhook.EventRejected:
			m.addErr(stepErrMsg{step: "receiver", err: fmt.Errorf("refused a request (HTTP %d): %s; only Plaid should POST JSON to the webhook URL (w shows it)", msg.ev.Status, msg.ev.Reason)})
		case msg.ev.Kind == webhook.EventWebhook && msg.ev.Verified:
			m.clearErr("receiver", 0)
		}
		add(m.routeHalf(flows.HalfSignup, msg))
		add(m.routeHalf(flows.HalfSession, msg))
		add(waitForEventCmd(m.events))
	case receiverClosedMsg:
		m.header.receiverStopped = true
		m.events = nil
		m.addErr(stepErrMsg{step: "receiver", err: errors.New("the webhook receiver stopped; following sessions by polling /link/token/get (restart to receive webhooks again)")})
	case linkTokenCreatedMsg:
		m.clearErr("create link token", msg.half)
		m.record(flows.Record{"event": "link_token_created", "half": int(msg.half), "link_token": msg.token.Token,
			"hosted_link_url": msg.token.HostedLinkURL, "webhook": msg.token.Webhook,
			"completion_redirect_uri": msg.token.RedirectURI, "request_id": msg.token.RequestID})
		add(m.routeHalf(msg.half, msg))
	case tokenPolledMsg:
		m.clearErr("poll /link/token/get", msg.half)
		add(m.routeHalf(msg.half, msg))
	case pollTickMsg:
		add(m.routeHalf(msg.half, msg))
	case webhookTimeoutMsg:
		add(m.routeHalf(msg.half, msg))
	case autoCompletedMsg:
		m.clearErr("auto-complete the Hosted Link session", msg.half)
		add(m.routeHalf(msg.half, msg))
	case institutionRestoredMsg:
		m.clearErr("bring the institution back", flows.HalfSignup)
		add(m.routeHalf(flows.HalfSignup, msg))
	case exchangedMsg:
		m.clearErr("exchange public token", msg.half)
		add(m.routeHalf(msg.half, msg))
		m.recordExchange(msg)
	case stepErrMsg:
		if m.addErr(msg) == 1 {
			// A failure that repeats (a poll every 2 s) is recorded once, not every time.
			rec := flows.ErrorRecord(msg.step, msg.err)
			if msg.half != 0 {
				rec["half"] = int(msg.half)
			}
			m.record(rec)
		}
		add(m.routeHalf(msg.half, msg))
	case browserOpenedMsg:
		m.clearErr("open the browser", 0)
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

// routeHalf hands msg to the half it belongs to.
func (m *model) routeHalf(h flows.Half, msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch h {
	case flows.HalfSignup:
		m.signup, cmd = m.signup.update(msg, m.state == stateSignup)
	case flows.HalfSession:
		m.session, cmd = m.session.update(msg, m.state == stateSession)
	}
	return cmd
}

// settleTunnel creates the tokens that waited for the tunnel (up or failed: both are settled, and
// without a tunnel polling still follows the session).
func (m *model) settleTunnel() tea.Cmd {
	m.c.tunnelSettled = true
	var cmds []tea.Cmd
	for _, h := range m.pending {
		cmds = append(cmds, createTokenCmd(m.c.ctx, m.c.env, h, m.c.tunnelFailed))
	}
	m.pending = nil
	return tea.Batch(cmds...)
}

// openHalf shows a half, creating its token the first time (or after a failure).
func (m model) openHalf(h flows.Half) (model, tea.Cmd) {
	m.showQR = false
	var cmd tea.Cmd
	switch h {
	case flows.HalfSignup:
		m.state = stateSignup
		if m.signup.token == nil && !m.signup.creating {
			return m.newToken(h)
		}
		m.signup, cmd = m.signup.resume()
	case flows.HalfSession:
		m.state = stateSession
		if m.session.token == nil && !m.session.creating {
			return m.newToken(h)
		}
		m.session, cmd = m.session.resume()
	}
	return m, cmd
}

// newToken starts a half over with a new token (held back until the tunnel has settled, so the
// token carries the webhook URL).
func (m model) newToken(h flows.Half) (model, tea.Cmd) {
	var cmd tea.Cmd
	switch h {
	case flows.HalfSignup:
		m.signup, cmd = m.signup.create()
	case flows.HalfSession:
		m.session, cmd = m.session.create()
	default:
		return m, nil
	}
	m.showQR = false
	delete(m.doneRecorded, h)
	if !m.c.tunnelSettled {
		m.pending = append(m.pending, h)
		return m, nil
	}
	return m, cmd
}

// currentHalf is the half on screen (0 on the home screen).
func (m model) currentHalf() flows.Half {
	switch m.state {
	case stateSignup:
		return flows.HalfSignup
	case stateSession:
		return flows.HalfSession
	}
	return 0
}

// currentURL is what o opens and v shows.
func (m model) currentURL() string {
	switch m.state {
	case stateSignup:
		return m.signup.url()
	case stateSession:
		return m.session.url()
	}
	return ""
}

func (m model) currentQR() qrCode {
	switch m.state {
	case stateSignup:
		return m.signup.currentQR()
	case stateSession:
		return m.session.qr
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
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.Inspector):
		m.showInspector = !m.showInspector
		return m, nil
	case key.Matches(msg, k.Tunnel):
		// Try again (the network is back, a firewall was opened); tokens made meanwhile have no
		// webhook, so n makes a new one once the tunnel is up.
		m.header.state, m.header.err, m.header.openingSince = tunnelOpening, nil, m.c.now
		return m, openTunnelCmd(m.c.ctx, m.c.env)
	case key.Matches(msg, k.Back):
		switch {
		case m.showInspector:
			m.showInspector = false
		case m.showQR:
			m.showQR = false
		default:
			m.state = stateHome
		}
		return m, nil
	}
	if m.showInspector {
		var cmd tea.Cmd
		m.inspector, cmd = m.inspector.update(msg, k)
		return m, cmd
	}
	if key.Matches(msg, k.QR) {
		m.showQR = !m.showQR
		return m, nil
	}
	var cmd tea.Cmd
	switch m.state {
	case stateHome:
		var h flows.Half
		m.home, h = m.home.update(msg, k)
		if h != 0 {
			return m.openHalf(h)
		}
	case stateSignup, stateSession:
		switch {
		case key.Matches(msg, k.Open):
			cmd = openBrowserCmd(m.c.ctx, m.currentURL())
		case key.Matches(msg, k.NewToken):
			return m.newToken(m.currentHalf())
		case key.Matches(msg, k.Auto) && m.state == stateSignup:
			m.signup, cmd = m.signup.autoComplete()
		case key.Matches(msg, k.Auto):
			m.session, cmd = m.session.autoComplete()
		case key.Matches(msg, k.NextCard):
			m.signup = m.signup.moveFocus(1)
		case key.Matches(msg, k.PrevCard):
			m.signup = m.signup.moveFocus(-1)
		case key.Matches(msg, k.Copy):
			c := m.signup.focused()
			cmd = copyCmd(m.c.ctx, m.clipboard, m.tmux, c.label, c.value)
		case key.Matches(msg, k.Restore):
			m.signup, cmd = m.signup.restore()
		case key.Matches(msg, k.Mark):
			m.signup = m.signup.mark()
		}
	}
	return m, cmd
}

// needsSpinner says whether anything on screen is in flight.
func (m model) needsSpinner() bool {
	return m.signup.needsSpinner() || m.session.needsSpinner() || m.header.state == tunnelOpening
}

// finalize runs after every Update: record the end of a half, keep the spinner going while
// something is in flight, write the transcript, size the inspector, and keep the keys honest.
func (m model) finalize(cmds []tea.Cmd) (tea.Model, tea.Cmd) {
	if m.header.clock == "" && m.c.env != nil {
		// Known once Plaid has answered; a locked read, no I/O.
		m.header.clock = m.c.env.ClockWarning()
	}
	for _, h := range []flows.Half{flows.HalfSignup, flows.HalfSession} {
		if m.halfDone(h) && !m.doneRecorded[h] {
			if m.doneRecorded == nil {
				m.doneRecorded = map[flows.Half]bool{}
			}
			m.doneRecorded[h] = true
			m.record(m.doneRecord(h))
		}
	}
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

func (m model) halfDone(h flows.Half) bool {
	switch h {
	case flows.HalfSignup:
		return m.signup.done()
	case flows.HalfSession:
		return m.session.done()
	}
	return false
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
	return header, errs, footer
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
	h := m.c.height - lipgloss.Height(header) - 1 - lipgloss.Height(footer)
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
		header = m.header.ViewSpinning(m.c.styles, w, spin)
	}
	var body string
	switch {
	case m.showInspector:
		body = m.inspector.View()
	case m.showQR && m.state != stateHome:
		body = m.qrOnlyView(bw, bh)
	default:
		switch m.state {
		case stateHome:
			body = m.home.View(bw, bh)
		case stateSignup:
			body = m.signup.View(bw, bh, spin)
		case stateSession:
			body = m.session.View(bw, bh, spin)
		default:
			body = m.c.styles.Bad.Render("Unknown state " + m.state.String() + " :/ this is a bug")
		}
	}
	body = lipgloss.NewStyle().Height(bh).MaxHeight(bh).Render(clip(body, bw, bh))
	parts := []string{header, "", body}
	if errs != "" {
		parts = append(parts, errs)
	}
	parts = append(parts, footer)
	return clip(strings.Join(parts, "\n"), w, h)
}
