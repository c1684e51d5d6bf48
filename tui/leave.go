package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
)

func init() {
	registerScreen(flows.LeaveScenario{}.Info().Name, func(r *run) screen { return &leaveModel{run: r} })
}

// leaveModel is the screen of flows.LeaveScenario: the person leaves Link before linking an
// account; SESSION_FINISHED says EXITED, nothing is exchanged, and the app should offer Link again.
type leaveModel struct {
	*run
}

func (m *leaveModel) events([]flows.Event) {}

// key handles a: the emulator leaves Link for the person.
func (m *leaveModel) key(msg tea.KeyMsg, k keyMap) tea.Cmd {
	if key.Matches(msg, k.Auto) {
		return m.feed(m, flows.Intent{Kind: flows.IntentWalk})
	}
	return nil
}

func (m *leaveModel) enableKeys(k *keyMap)                     { m.enableCommonKeys(k, nil) }
func (m *leaveModel) keyWhy(tea.KeyMsg, keyMap) (string, bool) { return "", false }
func (m *leaveModel) cards() []flows.CredentialCard            { return nil }
func (m *leaveModel) url() string {
	if m.st.Wait.Left || m.st.Done() {
		return "" // the session is over: its link opens nothing any more
	}
	return m.st.Token.HostedLinkURL
}
func (m *leaveModel) currentQR() qrCode { return m.qr }

// View renders the run in a w×h body.
func (m *leaveModel) View(w, h int, spin string) string {
	return view(w, h, spin, m.qr, m.url() != "", m.lines)
}

// lines is the checklist column at width colW.
func (m *leaveModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s, st := m.c.styles, m.st
	left := m.head(colW, spin, "Leaving Link at its first page…")
	if !st.HasToken() {
		return left
	}
	own, _ := flows.LeaveOf(st)
	f := st.Wait
	left = append(left, m.finishLines(spin, colW)...)
	left = append(left,
		check(s, own.ExitEvent, "EVENTS reported the EXIT"),
		check(s, f.Left && f.Via == "webhook", "Left Link: SESSION_FINISHED EXITED, no public token"),
		check(s, st.Done() && st.Outcome.Passed, "Nothing exchanged"))
	switch {
	case st.Done() && st.Outcome.Passed:
		left = append(left, "", para(s.OK, "Passed: the person left Link and nothing was exchanged. An app should now offer Link again (n makes a new token).", colW))
		return left
	case st.Done():
		left = append(left, para(s.Bad, "✗ "+inert(st.Outcome.Cause.Error())+" (press n for a new token)", colW))
		return left
	}
	left = append(left, "", para(s.Text, "Open the Hosted Link URL and leave Link (Exit) without linking an account.", colW))
	return append(left, m.linkBlock(left, nil, m.qr, qrShown, colW, needH)...)
}
