package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
)

func init() {
	registerScreen(flows.SignupScenario{}.Info().Name, func(r *run) screen { return &signupModel{run: r} })
}

// signupModel is the screen of flows.SignupScenario: log in to a bank that is down and opt in to
// the recovery e-mail; in demo mode, then bring the bank back and finish the session the e-mail
// opens. Its state is the run's (flows.SignupOf); the screen adds only the inbox's selection.
type signupModel struct {
	*run
	inbox inboxModel
}

// relink re-encodes the token's code and the recovery e-mail's.
func (m *signupModel) relink() {
	m.run.relink()
	m.inbox = m.inbox.relink()
}

// own is the sign-up's own state.
func (m *signupModel) own() flows.SignupState {
	ss, _ := flows.SignupOf(m.st)
	return ss
}

// events follows the run's inbox once the bank is back, and forgets it with a new token.
func (m *signupModel) events(evs []flows.Event) {
	ss := m.own()
	for _, ev := range evs {
		if _, ok := ev.Fact.(flows.LinkTokenCreated); ok {
			m.inbox = inboxModel{}
		}
	}
	if len(ss.Inbox) != len(m.inbox.emails) {
		m.inbox = newInboxModel(ss.Inbox, func(u string) string { return m.c.links.reachable(u) })
		if ss.Restored {
			m.inbox = m.inbox.selectEmail(ss.Mail.ID)
			m.focus = 0 // the recovery session's cards replace the sign-up's
		}
	}
}

// key handles the sign-up's own keys: the cards, r, m and a.
func (m *signupModel) key(msg tea.KeyMsg, k keyMap) tea.Cmd {
	if m.cardKeys(msg, k, m.cards()) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Restore):
		return m.feed(m, flows.Intent{Kind: flows.IntentRestore})
	case key.Matches(msg, k.Mark):
		return m.feed(m, flows.Intent{Kind: flows.IntentMark})
	case key.Matches(msg, k.Auto):
		return m.feed(m, flows.Intent{Kind: flows.IntentWalk})
	}
	return nil
}

// keyWhy explains an r that does nothing (before the opt-in, in Sandbox mode...).
func (m *signupModel) keyWhy(msg tea.KeyMsg, k keyMap) (string, bool) {
	r := k.Restore
	if r.Enabled() {
		return "", false
	}
	r.SetEnabled(true)
	if !key.Matches(msg, r) {
		return "", false
	}
	why := restoreWhyNot(m.st)
	return why, why != ""
}

// restoreWhyNot says in a line (at most 80 cells) why r does nothing now, or "" when it works.
func restoreWhyNot(s flows.State) string {
	ss, _ := flows.SignupOf(s)
	switch {
	case !s.Opts.CanRestore:
		return "r needs the local emulator: the Sandbox cannot bring a bank back on demand."
	case !s.HasToken():
		return "r brings the bank back after the opt-in; create a token first (n)."
	case !s.Busy.Restoring.IsZero():
		return "r: the institution is already coming back."
	case ss.Restored:
		return "r: the institution is back and the recovery e-mail is out."
	case s.Done():
		return "r: this half is over; press n to start again."
	case !ss.Progress().OptedIn:
		return "r needs the recovery opt-in first: opt in in Link (a does it for you)."
	}
	return ""
}

func (m *signupModel) enableKeys(k *keyMap) {
	m.enableCommonKeys(k, m.cards())
	k.Restore.SetEnabled(flows.CanRestore(m.st))
	k.Mark.SetEnabled(m.st.HasToken() && !m.own().Progress().Done())
}

// cards are the sign-up's until the recovery e-mail, then its session's (user_good / pass_good).
func (m *signupModel) cards() []flows.CredentialCard {
	cards := m.run.cards()
	if cards != nil && m.own().Restored {
		return m.info().RecoveryCards
	}
	return cards
}

// url is what o opens and v shows: the recovery e-mail's link once it is out.
func (m *signupModel) url() string {
	if m.own().Restored {
		if mail, ok := m.inbox.selected(); ok {
			return mail.URL
		}
	}
	return m.st.Token.HostedLinkURL
}

// currentQR is the code for url().
func (m *signupModel) currentQR() qrCode {
	if m.own().Restored {
		return m.inbox.qr
	}
	return m.qr
}

func padRight(s string, n int) string {
	if w := lipgloss.Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// View renders the half in a w×h body.
func (m *signupModel) View(w, h int, spin string) string {
	return view(w, h, spin, m.currentQR(), m.st.HasToken() && m.st.Wait.Item == nil, m.lines)
}

// note is what the screen says of the sign-up's state beyond its checklist, or "".
func (m *signupModel) note() string {
	ss, s := m.own(), m.st
	switch {
	case ss.NoMail:
		return "The bank is back, but no recovery e-mail was sent: no opt-in was waiting. Log in with " +
			loginOf(flows.SignupLogin) + " and opt in first (a does it for you)."
	case ss.EndedShort:
		return (&flows.SignupShortError{Missing: ss.Progress()}).Error()
	case !ss.EndedSince.IsZero():
		return fmt.Sprintf("Every session ended without %s so far. Plaid may send its EVENTS up to 15 minutes after a session is abandoned: waiting up to %s. Or press n and %s.",
			flows.MissingSteps(ss.Progress()), s.Opts.EventsWait, flows.SignupSteps())
	}
	return ""
}

// lines is the checklist column at width colW.
func (m *signupModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s, st := m.c.styles, m.st
	ss := m.own()
	left := []string{para(s.Title, m.info().Goal, colW), ""}
	left = append(left, m.tokenLines(colW, spin)...)
	p, seen := ss.Progress(), ss.Reported()
	left = append(left,
		checkStep(s, seen.InstitutionDown, ss.Manual.InstitutionDown, "Institution-down error seen"),
		checkStep(s, seen.OptedIn, ss.Manual.OptedIn, "Recovery opt-in done"))
	if !st.Busy.Walking.IsZero() {
		what := "Logging in with " + loginOf(m.info().Login) + ", opting in…"
		if ss.Restored {
			what = "Finishing the recovery session with " + loginOf(flows.SessionLogin) + "…"
		}
		left = append(left, m.spinLine(spin, what, st.Busy.Walking, colW))
	}
	cardsAt := -1 // where the recovery login goes when it would be cut under the e-mail
	if m.c.demo {
		switch {
		case !st.Busy.Restoring.IsZero():
			left = append(left, m.spinLine(spin, "Bringing the institution back…", st.Busy.Restoring, colW))
		case ss.Restored:
			left = append(left, check(s, true, "Institution back: recovery e-mail sent"))
			cardsAt = len(left)
			left = append(left, m.finishLines(spin, colW)...)
			left = append(left, m.exchangeLines(spin, colW)...)
		default:
			hint := "Institution back: recovery e-mail sent"
			if flows.CanRestore(st) {
				hint += " (press r)"
			}
			left = append(left, check(s, false, hint))
		}
	} else if p.Done() {
		left = append(left, "", para(s.OK, "Sign-up half done. The Sandbox cannot bring the bank back on demand, so no e-mail comes: test the session half next (esc, then 2).", colW))
	}
	if note := m.note(); note != "" {
		left = append(left, para(s.Warn, inert(note), colW))
	}
	switch {
	case st.Wait.Item != nil:
		// needH is the body height here: the Item gets what the checklist leaves.
		left = append(left, "", itemView(s, *st.Wait.Item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	case st.HasToken() && !ss.Restored:
		tail := urlBlock(m.c, "Hosted Link URL", m.currentQR(), qrShown, colW, needH)
		room := m.cardRoom(left, m.currentQR().url, colW, qrShown)
		left = append(left, "")
		left = append(left, m.cardsView(m.info().Cards, colW, room)...)
		left = append(left, tail...)
	case st.HasToken():
		var rows []string
		if cards := m.cards(); cards != nil {
			// Under the e-mail, as the rows its session takes (the footer names tab and c).
			rows = m.cardsView(cards, colW, math.MaxInt)[1:]
		}
		mail := append([]string{""}, m.inbox.View(s, colW)...)
		tail := urlBlock(m.c, "Its link", m.currentQR(), qrShown, colW, needH)
		if cardsAt >= 0 && len(rows) > 0 && !qrShown &&
			lipgloss.Height(strings.Join(slices.Concat(left, mail, rows, tail), "\n")) > m.roomAboveLink(colW) {
			// A short terminal would cut them off under the e-mail: the login to type comes first.
			left = slices.Concat(left[:cardsAt], rows, left[cardsAt:])
			rows = nil
		}
		left = append(append(append(left, mail...), rows...), tail...)
	}
	return left
}

// roomAboveLink is how many lines the column has above the URL line in a body as wide as colW.
func (m *signupModel) roomAboveLink(colW int) int {
	return m.c.bodyH - lipgloss.Height(urlLine(m.currentQR().url, colW))
}
