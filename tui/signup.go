package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/flows"
)

// credential is one copyable value on a credential card.
type credential struct {
	label, value string
}

// credentialCards are the Sandbox credentials of the sign-up half, one card per row: the outage
// login, its fallback, and the recovery opt-in. Each value is copyable on its own.
var credentialCards = []struct {
	title string
	items []credential
}{
	{"log in", []credential{{"username", emulator.UserGood}, {"password", emulator.PassInstitutionDown}}},
	{"or", []credential{{"fallback username", emulator.UserLinkRecovery}, {"fallback password", emulator.PassLinkRecovery}}},
	{"opt in", []credential{{"e-mail", emulator.RecoveryEmail}, {"code", emulator.RecoveryCode}}},
}

// allCredentials is credentialCards flattened, in tab order.
func allCredentials() []credential {
	var out []credential
	for _, c := range credentialCards {
		out = append(out, c.items...)
	}
	return out
}

// signupModel is half 1: log in to a bank that is down and opt in to the recovery e-mail; in demo
// mode, then bring the bank back and finish the session the e-mail opens.
type signupModel struct {
	c          *common
	hostedLink // its fin follows the recovery session, once the e-mail is out

	hookProgress flows.SignupProgress // from verified EVENTS webhooks
	pollProgress flows.SignupProgress // from /link/token/get
	manual       flows.SignupProgress // marked by hand (m): the real Sandbox may not report the opt-in
	focus        int                  // the credential c copies

	restoring bool
	restored  bool
	note      string // a non-error remark, e.g. no e-mail was sent
	inbox     inboxModel
}

func newSignupModel(c *common) signupModel {
	return signupModel{c: c, hostedLink: hostedLink{half: flows.HalfSignup}}
}

// create starts (or restarts) the half with a new token.
func (m signupModel) create() (signupModel, tea.Cmd) {
	m = signupModel{c: m.c, hostedLink: hostedLink{half: flows.HalfSignup, creating: true}, focus: m.focus}
	return m, createTokenCmd(m.c.ctx, m.c.env, flows.HalfSignup, m.c.tunnelFailed)
}

// progress is the checklist from every source.
func (m signupModel) progress() flows.SignupProgress {
	return m.hookProgress.Merge(m.pollProgress).Merge(m.manual)
}

// done says the half reached its end: the Item in demo mode; the opt-in against the Sandbox, which
// cannot bring a bank back on demand.
func (m signupModel) done() bool {
	if m.c.em == nil {
		return m.progress().Done()
	}
	return m.fin.item != nil
}

func (m signupModel) needsSpinner() bool {
	return m.creating || m.restoring || m.auto || (m.restored && m.fin.needsSpinner())
}

// canRestore says whether r makes sense now.
func (m signupModel) canRestore() bool {
	return m.c.em != nil && m.token != nil && m.progress().OptedIn && !m.restored && !m.restoring
}

func (m signupModel) update(msg tea.Msg, open bool) (signupModel, tea.Cmd) {
	c := m.c
	switch msg := msg.(type) {
	case linkTokenCreatedMsg:
		return m, tea.Batch(m.started(c, msg.token, open, flows.AutoSignupCredentials)...)
	case pollTickMsg:
		return m, m.pollTick(c, msg, open, m.done())
	case tokenPolledMsg:
		if !m.owns(msg.token) {
			return m, nil
		}
		m.pollProgress = m.pollProgress.Merge(flows.Progress(msg.status.AllEvents()))
		var pt string
		if m.restored {
			m.fin, pt = m.fin.onPoll(msg.status)
		}
		return m, tea.Batch(m.exchange(m.c, pt), pollTickCmd(m.half, msg.token))
	case webhookReceivedMsg:
		ev := msg.ev
		if m.token == nil {
			return m, nil
		}
		if ev.Verified && ev.Webhook != nil && (ev.Webhook.LinkToken == "" || ev.Webhook.LinkToken == m.token.Token) {
			m.hookProgress = m.hookProgress.Merge(flows.Progress(flows.WebhookEvents(ev)))
		}
		if !m.restored {
			// The sign-up session's own SESSION_FINISHED (EXITED, no Item) is expected: nothing to do.
			return m, nil
		}
		var pt string
		m.fin, pt = m.fin.onEvent(ev)
		return m, m.exchange(m.c, pt)
	case webhookTimeoutMsg:
		if !m.restored || msg.token != m.fin.token {
			return m, nil
		}
		var pt string
		m.fin, pt = m.fin.onTimeout()
		return m, m.exchange(m.c, pt)
	case institutionRestoredMsg:
		m.restoring = false
		m.inbox = newInboxModel(msg.inbox)
		if m.token == nil {
			return m, nil
		}
		mail, ok := pickEmail(msg.sent, m.token.Token)
		if !ok {
			m.note = "The bank is back, but no recovery e-mail was sent: no opt-in was waiting. Log in with user_good / error_INSTITUTION_DOWN and opt in first (a does it for you)."
			return m, nil
		}
		m.note = ""
		m.restored = true
		m.inbox = m.inbox.selectEmail(mail.ID)
		token := m.token.Token
		if mail.LinkToken != "" {
			token = mail.LinkToken
		}
		m.fin = newFinishTracker(token, c.now, c.webhookTimeout)
		m.fin.quietExits = true
		cmds := []tea.Cmd{webhookTimeoutCmd(m.fin.timeout, flows.HalfSignup, token)}
		if c.auto {
			m.auto = true
			cmds = append(cmds, autoCompleteCmd(c.ctx, c.em, flows.HalfSignup, true, mail.URL, flows.AutoSessionCredentials))
		}
		return m, tea.Batch(cmds...)
	case exchangedMsg:
		m.fin = m.fin.onExchanged(msg.item)
		return m, nil
	case autoCompletedMsg:
		m.auto = false
		if !msg.recovery && c.auto && !m.restored {
			// --auto: the opt-in is recorded once the walk returns, so the bank can come back now.
			m.restoring = true
			return m, restoreCmd(c.em)
		}
		return m, nil
	case stepErrMsg:
		if msg.step == "bring the institution back" {
			m.restoring = false
			return m, nil
		}
		return m, m.failed(msg.step, open, m.done())
	}
	return m, nil
}

func pickEmail(sent []emulator.Email, token string) (emulator.Email, bool) {
	for _, e := range sent {
		if e.LinkToken == token {
			return e, true
		}
	}
	if len(sent) > 0 {
		return sent[0], true
	}
	return emulator.Email{}, false
}

// resume restarts polling when the half is opened again.
func (m signupModel) resume() (signupModel, tea.Cmd) {
	cmd := m.hostedLink.resume(m.done())
	return m, cmd
}

// restore is the r key.
func (m signupModel) restore() (signupModel, tea.Cmd) {
	if !m.canRestore() {
		return m, nil
	}
	m.restoring = true
	return m, restoreCmd(m.c.em)
}

// mark is the m key: tick the next sign-up step by hand.
func (m signupModel) mark() signupModel {
	p := m.progress()
	switch {
	case !p.InstitutionDown:
		m.manual.InstitutionDown = true
	case !p.OptedIn:
		m.manual.OptedIn = true
	}
	return m
}

// autoComplete is the a key: the sign-up session before the bank is back, the recovery session after.
func (m signupModel) autoComplete() (signupModel, tea.Cmd) {
	c := m.c
	if m.token == nil || m.auto || c.em == nil || m.done() {
		return m, nil
	}
	if m.restored {
		mail, ok := m.inbox.selected()
		if !ok {
			return m, nil
		}
		m.auto = true
		return m, autoCompleteCmd(c.ctx, c.em, flows.HalfSignup, true, mail.URL, flows.AutoSessionCredentials)
	}
	m.auto = true
	return m, autoCompleteCmd(c.ctx, c.em, flows.HalfSignup, false, m.token.HostedLinkURL, flows.AutoSignupCredentials)
}

// moveFocus moves the credential focus by d, wrapping around.
func (m signupModel) moveFocus(d int) signupModel {
	n := len(allCredentials())
	m.focus = ((m.focus+d)%n + n) % n
	return m
}

// focused is the credential c copies.
func (m signupModel) focused() credential { return allCredentials()[m.focus] }

// url is what o opens and v shows: the recovery e-mail's link once it is out.
func (m signupModel) url() string {
	if m.restored {
		if mail, ok := m.inbox.selected(); ok {
			return mail.URL
		}
	}
	if m.token == nil {
		return ""
	}
	return m.token.HostedLinkURL
}

// currentQR is the code for url().
func (m signupModel) currentQR() qrCode {
	if m.restored {
		return m.inbox.qr
	}
	return m.qr
}

// cardsView renders the credential cards; the focused value is bracketed (visible without colour).
func (m signupModel) cardsView(width int) []string {
	s := m.c.styles
	labels := width >= 46
	out := []string{s.Label.Render("Credentials (tab moves, c copies):")}
	i := 0
	for _, card := range credentialCards {
		var b strings.Builder
		if labels {
			b.WriteString(s.Label.Render(padRight(card.title, 7)))
		}
		for j, it := range card.items {
			if j > 0 {
				b.WriteString(" ")
			}
			if i == m.focus {
				b.WriteString(s.CardFocused.Render("[" + it.value + "]"))
			} else {
				b.WriteString(s.Card.Render(" " + it.value + " "))
			}
			i++
		}
		out = append(out, b.String())
	}
	return out
}

func padRight(s string, n int) string {
	if w := ansi.StringWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// View renders the half in a w×h body.
func (m signupModel) View(w, h int, spin string) string {
	if m.token == nil || m.fin.item != nil {
		return clip(strings.Join(m.lines(w, false, h, spin), "\n"), w, h)
	}
	return layoutQR(m.currentQR(), w, h, func(colW int, qrShown bool, needH int) []string {
		return m.lines(colW, qrShown, needH, spin)
	})
}

// lines is the checklist column at width colW.
func (m signupModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s := m.c.styles
	demo := m.c.em != nil
	p := m.progress()
	left := []string{s.Title.Render(ansi.Wrap("Half 1 · Sign-up: see the outage, opt in to the recovery e-mail", colW, "")), ""}
	switch {
	case m.creating && !m.c.tunnelSettled:
		left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render(ansi.Wrap("Waiting for the tunnel: the token carries its webhook URL…", colW-2, "")))
	case m.creating:
		left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render("Creating a Hosted Link token…"))
	case m.token == nil:
		left = append(left, check(s, false, "Hosted Link token created"), s.Muted.Render("  press n to create one"))
	case m.token.Webhook == "":
		left = append(left, check(s, true, "Hosted Link token created (no webhook: polling)"))
	default:
		left = append(left, check(s, true, "Hosted Link token created"))
	}
	reported := m.hookProgress.Merge(m.pollProgress)
	left = append(left,
		checkStep(s, reported.InstitutionDown, m.manual.InstitutionDown, "Institution-down error seen"),
		checkStep(s, reported.OptedIn, m.manual.OptedIn, "Recovery opt-in done"))
	if m.auto {
		what := "Logging in with user_good / error_INSTITUTION_DOWN, opting in…"
		if m.restored {
			what = "Finishing the recovery session with user_good / pass_good…"
		}
		left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render(ansi.Wrap(what, colW-2, "")))
	}
	if demo {
		switch {
		case m.restoring:
			left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render("Bringing the institution back…"))
		case m.restored:
			left = append(left, check(s, true, "Institution back: recovery e-mail sent"))
			left = append(left, m.fin.lines(m.c, spin, colW)...)
		default:
			hint := "Institution back: recovery e-mail sent"
			if m.canRestore() {
				hint += " (press r)"
			}
			left = append(left, check(s, false, hint))
		}
	} else if p.Done() {
		left = append(left, "", s.OK.Render(ansi.Wrap("Sign-up half done. The Sandbox cannot bring the bank back on demand, so no e-mail comes: test the session half next (esc, then 2).", colW, "")))
	}
	if m.note != "" {
		left = append(left, s.Warn.Render(ansi.Wrap(m.note, colW, "")))
	}
	switch {
	case m.fin.item != nil:
		// needH is the body height here: the Item gets what the checklist leaves.
		left = append(left, "", itemView(s, *m.fin.item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	case m.token != nil && !m.restored:
		left = append(left, "")
		left = append(left, m.cardsView(colW)...)
		left = append(left, urlBlock(m.c, "Hosted Link URL", m.currentQR(), qrShown, colW, needH)...)
	case m.token != nil:
		left = append(left, "")
		left = append(left, m.inbox.View(s, colW)...)
		left = append(left, urlBlock(m.c, "Its link", m.currentQR(), qrShown, colW, needH)...)
	}
	return left
}
