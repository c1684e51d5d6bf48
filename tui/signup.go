package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
)

// signupModel is the screen of flows.SignupScenario: log in to a bank that is down and opt in to
// the recovery e-mail; in demo mode, then bring the bank back and finish the session the e-mail
// opens. Its state is the machine's (Machine.Signup); the screen adds only the inbox's selection.
type signupModel struct {
	*hostedLink
	inbox inboxModel
}

// update follows the machine's inbox once the bank is back.
func (m *signupModel) update(msg tea.Msg) tea.Cmd {
	if _, ok := msg.(institutionRestoredMsg); ok {
		ss := m.mach.Signup()
		m.inbox = newInboxModel(ss.Inbox)
		if ss.Mail != nil {
			m.inbox = m.inbox.selectEmail(ss.Mail.ID)
		}
	}
	if _, ok := msg.(linkTokenCreatedMsg); ok {
		m.inbox = inboxModel{}
	}
	return nil
}

// key handles the sign-up's own keys: the cards, r, m and a.
func (m *signupModel) key(msg tea.KeyMsg, k keyMap) tea.Cmd {
	if m.cardKeys(msg, k) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Restore):
		return m.intent(flows.IntentRestore)
	case key.Matches(msg, k.Mark):
		return m.intent(flows.IntentMark)
	case key.Matches(msg, k.Auto):
		return m.intent(flows.IntentAutoComplete)
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
	why := flows.RestoreWhyNot(m.mach)
	return why, why != ""
}

func (m *signupModel) enableKeys(k *keyMap) {
	m.enableCommonKeys(k)
	k.Restore.SetEnabled(flows.CanRestoreNow(m.mach))
	k.Mark.SetEnabled(m.mach.Token != nil && !m.mach.Signup().Progress().Done())
}

// url is what o opens and v shows: the recovery e-mail's link once it is out.
func (m *signupModel) url() string {
	if m.mach.Signup().Restored {
		if mail, ok := m.inbox.selected(); ok {
			return mail.URL
		}
	}
	if t := m.mach.Token; t != nil {
		return t.HostedLinkURL
	}
	return ""
}

// currentQR is the code for url().
func (m *signupModel) currentQR() qrCode {
	if m.mach.Signup().Restored {
		return m.inbox.qr
	}
	return m.qr
}

func padRight(s string, n int) string {
	if w := ansi.StringWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// View renders the half in a w×h body.
func (m *signupModel) View(w, h int, spin string) string {
	if m.mach.Token == nil || m.mach.Fin.Item != nil {
		return clip(strings.Join(m.lines(w, false, h, spin), "\n"), w, h)
	}
	return layoutQR(m.currentQR(), w, h, func(colW int, qrShown bool, needH int) []string {
		return m.lines(colW, qrShown, needH, spin)
	})
}

// lines is the checklist column at width colW.
func (m *signupModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s, mach := m.c.styles, m.mach
	ss := mach.Signup()
	left := []string{s.Title.Render(wrap(m.sc.Goal(), colW)), ""}
	left = append(left, m.tokenLines(colW, spin)...)
	for _, it := range m.sc.Checklist(mach) {
		left = append(left, checkStep(s, it.Reported, it.ByHand, it.Text))
	}
	if mach.Auto {
		what := "Logging in with " + loginOf(m.sc.AutoCredentials()) + ", opting in…"
		if ss.Restored {
			what = "Finishing the recovery session with " + loginOf(flows.AutoSessionCredentials) + "…"
		}
		left = append(left, m.spinLine(spin, what, m.since.auto, colW))
	}
	if m.c.demo {
		switch {
		case ss.Restoring:
			left = append(left, m.spinLine(spin, "Bringing the institution back…", m.since.restoring, colW))
		case ss.Restored:
			left = append(left, check(s, true, "Institution back: recovery e-mail sent"))
			left = append(left, m.finishLines(spin, colW)...)
		default:
			hint := "Institution back: recovery e-mail sent"
			if flows.CanRestoreNow(mach) {
				hint += " (press r)"
			}
			left = append(left, check(s, false, hint))
		}
	} else if ss.Progress().Done() {
		left = append(left, "", s.OK.Render(wrap("Sign-up half done. The Sandbox cannot bring the bank back on demand, so no e-mail comes: test the session half next (esc, then 2).", colW)))
	}
	if mach.Note != "" {
		left = append(left, s.Warn.Render(wrap(inert(mach.Note), colW)))
	}
	switch {
	case mach.Fin.Item != nil:
		// needH is the body height here: the Item gets what the checklist leaves.
		left = append(left, "", itemView(s, *mach.Fin.Item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	case mach.Token != nil && !ss.Restored:
		left = append(left, "")
		left = append(left, m.cardsView(colW)...)
		left = append(left, urlBlock(m.c, "Hosted Link URL", m.currentQR(), qrShown, colW, needH)...)
	case mach.Token != nil:
		left = append(left, "")
		left = append(left, m.inbox.View(s, colW)...)
		left = append(left, urlBlock(m.c, "Its link", m.currentQR(), qrShown, colW, needH)...)
	}
	return left
}
