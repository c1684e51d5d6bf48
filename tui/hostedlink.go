package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
)

// halfModel is one half on screen, whatever its scenario: the root holds one per flows.Scenario
// and talks to them only through this interface. A new scenario's screen is a type that embeds
// *hostedLink (the driver every half shares) and adds its View and its own keys.
type halfModel interface {
	// driver is the half's machine driver (token, QR code, cards, records).
	driver() *hostedLink
	// update takes a message after the driver has fed it to the machine (scenario extras).
	update(msg tea.Msg) tea.Cmd
	// key takes a key the root did not handle; it may return a Cmd.
	key(msg tea.KeyMsg, k keyMap) tea.Cmd
	// enableKeys turns on the scenario's keys that work now (the root has turned them all off).
	enableKeys(k *keyMap)
	// View renders the half in a w×h body.
	View(w, h int, spin string) string
	// keyWhy explains, in a line, a key of this half that does nothing now (ok false: no
	// explanation, the key is ignored as usual).
	keyWhy(msg tea.KeyMsg, k keyMap) (why string, ok bool)
	// url is what o opens and v shows; currentQR its code.
	url() string
	currentQR() qrCode
}

// newHalves builds one half per scenario, in menu order. A new scenario adds a line here.
func newHalves(c *common) []halfModel {
	var out []halfModel
	for _, sc := range flows.Scenarios {
		h := newHostedLink(c, sc)
		switch sc.(type) {
		case flows.SignupScenario:
			out = append(out, &signupModel{hostedLink: h})
		default:
			out = append(out, &sessionModel{hostedLink: h})
		}
	}
	return out
}

// hostedLink drives one half's flows.Machine: it turns the half's messages into the machine's
// inputs, stamped with the injected clock, and the machine's actions into tea.Cmds and ticks. It
// also holds what only a screen needs: the QR code and the credential card in focus.
type hostedLink struct {
	c     *common
	sc    flows.Scenario
	mach  *flows.Machine
	qr    qrCode
	qrFor string // the URL qr encodes
	focus int    // the credential c copies
	since inFlight
}

// inFlight is when each step now in flight began: the machine's state, stamped with the clock of
// the input that started it, so every spinner shows how long it has been going.
type inFlight struct{ creating, auto, restoring, exchanging time.Time }

// track stamps the steps that began with the last input and forgets those that ended.
func (h *hostedLink) track() {
	m, at := h.mach, h.c.now
	stamp := func(t *time.Time, on bool) {
		switch {
		case !on:
			*t = time.Time{}
		case t.IsZero():
			*t = at
		}
	}
	ss := m.Signup()
	stamp(&h.since.creating, m.Creating)
	stamp(&h.since.auto, m.Auto)
	stamp(&h.since.restoring, ss != nil && ss.Restoring)
	stamp(&h.since.exchanging, m.Fin.Exchanging)
}

// elapsed is how long since t, as the spinners show it ("  0:07").
func (h *hostedLink) elapsed(t time.Time) string {
	d := h.c.now.Sub(t)
	if t.IsZero() || d < 0 {
		d = 0
	}
	return "  " + clock(d)
}

// spinLine is a spinner, its text wrapped to width, and how long it has been going.
func (h *hostedLink) spinLine(spin, text string, since time.Time, width int) string {
	s := h.c.styles
	return s.Spinner.Render(spin) + " " + s.Text.Render(wrap(text+h.elapsed(since), width-2))
}

func newHostedLink(c *common, sc flows.Scenario) *hostedLink {
	h := &hostedLink{c: c, sc: sc}
	h.mach = flows.NewMachine(sc, flows.MachineOptions{Mode: c.mode, PlaidURL: c.plaidURL,
		WebhookTimeout: c.cfg.WebhookTimeout, Auto: c.auto, CanRestore: c.demo})
	h.mach.Step(flows.Visible{At: c.now, On: false}) // polling waits until the half is on screen
	return h
}

func (h *hostedLink) driver() *hostedLink { return h }

// half is the scenario's half.
func (h *hostedLink) half() flows.Half { return h.sc.Half() }

// token is the half's link token, or nil.
func (h *hostedLink) token() *flows.LinkToken { return h.mach.Token }

// done says whether the half reached its outcome.
func (h *hostedLink) done() bool { return h.mach.Done }

// owns says whether a message about token is for this half's current token (a new token makes
// answers about the old one stale).
func (h *hostedLink) owns(token string) bool {
	return h.mach.Token != nil && h.mach.Token.Token == token
}

// needsSpinner says whether something is in flight.
func (h *hostedLink) needsSpinner() bool {
	m := h.mach
	return m.Creating || m.Auto || m.Fin.Exchanging || (m.Fin.Waiting() && !m.Done) ||
		(m.Signup() != nil && m.Signup().Restoring)
}

// start begins the half (again) with a new token; it is made once the tunnel has settled.
func (h *hostedLink) start() tea.Cmd {
	h.focus = 0
	h.since = inFlight{} // a new token: nothing of the old one is in flight any more
	return h.feed(flows.Start{At: h.c.now})
}

// setVisible tells the machine whether the half is on screen (it polls only then).
func (h *hostedLink) setVisible(on bool) tea.Cmd { return h.feed(flows.Visible{At: h.c.now, On: on}) }

// handle feeds a message to the machine, if it is one of its inputs.
func (h *hostedLink) handle(msg tea.Msg) tea.Cmd {
	if in := h.input(msg); in != nil {
		return h.feed(in)
	}
	return nil
}

// input turns a message into the machine's input (nil: not one).
func (h *hostedLink) input(msg tea.Msg) flows.Input {
	at := h.c.now
	switch msg := msg.(type) {
	case tunnelOpenedMsg:
		return flows.TunnelUp{At: at, WebhookURL: msg.webhookURL, Provider: msg.provider, TokenSource: msg.tokenSource, FreePlan: msg.freePlan}
	case tunnelFailedMsg:
		return flows.TunnelDown{At: at, Err: msg.err}
	case webhookReceivedMsg:
		return flows.WebhookReceived{At: at, Event: msg.ev}
	case receiverClosedMsg:
		return flows.ReceiverStopped{At: at}
	case linkTokenCreatedMsg:
		return flows.TokenCreated{At: at, Token: msg.token, ClockWarning: msg.clockWarning, ClockSkew: msg.clockSkew}
	case tokenPolledMsg:
		return flows.Polled{At: at, Token: msg.token, Status: msg.status}
	case pollTickMsg:
		return flows.DeadlinePassed{At: at, Timer: flows.TimerPoll, Token: msg.token}
	case webhookTimeoutMsg:
		return flows.DeadlinePassed{At: at, Timer: flows.TimerWebhook, Token: msg.token}
	case deadlineMsg:
		return flows.DeadlinePassed{At: at, Timer: msg.timer, Token: msg.token}
	case exchangedMsg:
		return flows.Exchanged{At: at, Item: msg.item}
	case autoCompletedMsg:
		return flows.AutoCompleted{At: at, Recovery: msg.recovery}
	case institutionRestoredMsg:
		return flows.Restored{At: at, Sent: msg.sent, Inbox: msg.inbox}
	case stepErrMsg:
		if call, ok := stepCalls[msg.step]; ok {
			return flows.CallFailed{At: at, Call: call, Err: msg.err}
		}
	}
	return nil
}

// intent feeds a person's intent (a key) to the machine.
func (h *hostedLink) intent(k flows.IntentKind) tea.Cmd {
	return h.feed(flows.Intent{At: h.c.now, Kind: k})
}

// feed steps the machine and turns its actions into Cmds; records go to the root (c.emitted).
func (h *hostedLink) feed(in flows.Input) tea.Cmd {
	c, half := h.c, h.half()
	var cmds []tea.Cmd
	for _, a := range h.mach.Step(in) {
		switch a := a.(type) {
		case flows.Emit:
			c.emitted = append(c.emitted, halfRecord{half: half, rec: a.Record})
		case flows.CreateToken:
			cmds = append(cmds, createTokenCmd(c.ctx, c.env, half, !a.Webhook))
		case flows.PollToken:
			cmds = append(cmds, getLinkTokenCmd(c.ctx, c.env, half, a.Token, c.nowFn))
		case flows.Schedule:
			var msg tea.Msg
			switch a.Timer {
			case flows.TimerPoll:
				msg = pollTickMsg{half: half, token: a.Token}
			case flows.TimerWebhook:
				msg = webhookTimeoutMsg{half: half, token: a.Token}
			default:
				msg = deadlineMsg{half: half, token: a.Token, timer: a.Timer}
			}
			cmds = append(cmds, c.after(a.After, msg))
		case flows.ExchangeToken:
			cmds = append(cmds, exchangeCmd(c.ctx, c.env, half, a.PublicToken))
		case flows.CompleteSession:
			cmds = append(cmds, autoCompleteCmd(c.ctx, c.env, half, a))
		case flows.RestoreBank:
			cmds = append(cmds, restoreCmd(c.env, half))
		case flows.Finished:
			// The machine's state says so; the root's finalize shows it.
		}
	}
	h.syncQR()
	h.track()
	return tea.Batch(cmds...)
}

// syncQR keeps the QR code on the token's URL.
func (h *hostedLink) syncQR() {
	if t := h.mach.Token; t != nil && t.HostedLinkURL != h.qrFor {
		h.qr, h.qrFor = newQRCode(t.HostedLinkURL), t.HostedLinkURL
	}
	if h.mach.Token == nil && h.qrFor != "" {
		h.qr, h.qrFor = qrCode{}, ""
	}
}

// credentials are the scenario's credentials flattened, in tab order.
func (h *hostedLink) credentials() []flows.Credential {
	var out []flows.Credential
	for _, c := range h.sc.Credentials() {
		out = append(out, c.Items...)
	}
	return out
}

// hasCards says whether the credential cards are on screen: from the token until the Item (or,
// in half 1, the recovery e-mail, whose session takes other credentials).
func (h *hostedLink) hasCards() bool {
	ss := h.mach.Signup()
	return len(h.credentials()) > 0 && h.mach.Token != nil && h.mach.Fin.Item == nil && (ss == nil || !ss.Restored)
}

// moveFocus moves the credential focus by d, wrapping around.
func (h *hostedLink) moveFocus(d int) {
	if n := len(h.credentials()); n > 0 {
		h.focus = ((h.focus+d)%n + n) % n
	}
}

// focused is the credential c copies.
func (h *hostedLink) focused() (flows.Credential, bool) {
	creds := h.credentials()
	if h.focus < 0 || h.focus >= len(creds) {
		return flows.Credential{}, false
	}
	return creds[h.focus], true
}

// cardKeys handles tab, shift+tab (the cards); c is the root's (it owns the clipboard).
func (h *hostedLink) cardKeys(msg tea.KeyMsg, k keyMap) bool {
	switch {
	case key.Matches(msg, k.NextCard):
		h.moveFocus(1)
	case key.Matches(msg, k.PrevCard):
		h.moveFocus(-1)
	default:
		return false
	}
	return true
}

// keyWhy: by default a half explains none of its disabled keys.
func (h *hostedLink) keyWhy(tea.KeyMsg, keyMap) (string, bool) { return "", false }

// enableCommonKeys turns on the keys every half has when they work now.
func (h *hostedLink) enableCommonKeys(k *keyMap) {
	m := h.mach
	cards := h.hasCards()
	k.Copy.SetEnabled(cards)
	k.NextCard.SetEnabled(cards)
	k.PrevCard.SetEnabled(cards)
	k.Auto.SetEnabled(h.c.demo && flows.CanAutoNow(m))
	k.NewToken.SetEnabled(!m.Creating)
}

// cardsView renders the credential cards; the focused value is bracketed (visible without colour).
func (h *hostedLink) cardsView(width int) []string {
	s := h.c.styles
	labels := width >= 46
	out := []string{s.Label.Render("Credentials (tab moves, c copies):")}
	i := 0
	for _, card := range h.sc.Credentials() {
		var b strings.Builder
		if labels {
			b.WriteString(s.Label.Render(padRight(card.Title, 7)))
		}
		for j, it := range card.Items {
			if j > 0 {
				b.WriteString(" ")
			}
			if i == h.focus {
				b.WriteString(s.CardFocused.Render("[" + it.Value + "]"))
			} else {
				b.WriteString(s.Card.Render(" " + it.Value + " "))
			}
			i++
		}
		out = append(out, b.String())
	}
	return out
}

// tokenLines are the checklist's first lines: the token being made, or made.
func (h *hostedLink) tokenLines(colW int, spin string) []string {
	s, m := h.c.styles, h.mach
	switch {
	case m.Creating && !m.TunnelSettled():
		return []string{h.spinLine(spin, "Waiting for the tunnel: the token carries its webhook URL…", h.since.creating, colW)}
	case m.Creating:
		return []string{h.spinLine(spin, "Creating a Hosted Link token…", h.since.creating, colW)}
	case m.Token == nil:
		return []string{check(s, false, "Hosted Link token created"), s.Muted.Render("  press n to create one")}
	case m.NoWebhook():
		return []string{check(s, true, "Hosted Link token created (no webhook: polling)")}
	}
	return []string{check(s, true, "Hosted Link token created")}
}
