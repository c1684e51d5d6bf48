package tui

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// The audit screen (issue 17): the person types their handler's URL, points its Plaid client at
// the emulator shown, says go (enter), and the cases fill in as a checklist; the selected case
// shows what was sent, the answer, what was exchanged, why it matters and the fix, and r re-runs
// it. The audit itself is emulator/audit, run in a Cmd (auditStartCmd); this file only keeps its
// results and renders them.

// stateAudit is the audit screen's state (the runs' states are 1…n).
const stateAudit state = -1

// auditRowState is where one case is in the current run.
type auditRowState int

const (
	auditNotRun auditRowState = iota
	auditQueued
	auditRunning
	auditDone
)

// auditRow is one case of the checklist, with its latest result.
type auditRow struct {
	id    string
	state auditRowState
	res   audit.CaseResult
}

// auditModel is the audit screen's state.
type auditModel struct {
	backend audit.Backend // the emulator the handler's Plaid client points at; nil outside demo mode
	target  string
	editing bool // the target line takes the keys
	rows    []auditRow
	cursor  int
	gen     int            // the current run; messages of an older one are dropped
	ch      <-chan tea.Msg // the current run's messages
	err     error          // why the last run stopped, if it did not finish
}

func newAuditModel(b audit.Backend) auditModel {
	m := auditModel{backend: b, editing: b != nil} // without an emulator there is nothing to type for
	for _, id := range audit.CaseIDs() {
		m.rows = append(m.rows, auditRow{id: id})
	}
	return m
}

// auditIntent is what a key on the audit screen asks the root to do.
type auditIntent int

const (
	auditNothing auditIntent = iota
	auditRun                 // run the queued cases (start)
	auditCopy                // copy the emulator's secret
	auditLeave               // back to the home screen
)

// running says whether a run is under way.
func (m auditModel) running() bool {
	return slices.ContainsFunc(m.rows, func(r auditRow) bool { return r.state == auditQueued || r.state == auditRunning })
}

// targetProblem says what is wrong with the target, "" when it can be audited.
func (m auditModel) targetProblem() string {
	if m.target == "" {
		return "type your webhook handler's URL, e.g. http://127.0.0.1:3000/plaid/webhook"
	}
	u, err := url.Parse(m.target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "the target must be an http or https URL with a host"
	}
	return ""
}

// canStart says whether enter starts a run now.
func (m auditModel) canStart() bool {
	return m.backend != nil && !m.running() && m.targetProblem() == ""
}

// update handles a key on the audit screen (the root has already handled quit and the globals,
// except while the target line takes the keys).
func (m auditModel) update(msg tea.KeyMsg, k keyMap) (auditModel, auditIntent) {
	if m.editing {
		switch msg.Type {
		case tea.KeyEnter:
			if m.canStart() {
				m.editing = false
				return m.queue(nil), auditRun
			}
		case tea.KeyEsc:
			m.editing = false
			if m.target == "" {
				return m, auditLeave
			}
		case tea.KeyBackspace:
			if r := []rune(m.target); len(r) > 0 {
				m.target = string(r[:len(r)-1])
			}
		case tea.KeyCtrlU:
			m.target = ""
		case tea.KeyRunes, tea.KeySpace:
			// A pasted URL arrives as one message of many runes; control bytes never get in.
			m.target += strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f || r == ' ' {
					return -1
				}
				return r
			}, string(msg.Runes))
		}
		return m, auditNothing
	}
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = min(len(m.rows)-1, m.cursor+1)
	case key.Matches(msg, k.Select):
		if m.canStart() {
			return m.queue(nil), auditRun
		}
	case key.Matches(msg, k.Rerun):
		if m.canStart() {
			return m.queue([]string{m.rows[m.cursor].id}), auditRun
		}
	case key.Matches(msg, k.Edit):
		m.editing = m.backend != nil
	case key.Matches(msg, k.Copy):
		if m.backend != nil {
			return m, auditCopy
		}
	}
	return m, auditNothing
}

// queue marks the cases of a new run (only, or every case when nil) and starts a generation.
func (m auditModel) queue(only []string) auditModel {
	m.gen++
	m.ch, m.err = nil, nil
	rows := slices.Clone(m.rows)
	first := true
	for i := range rows {
		if only != nil && !slices.Contains(only, rows[i].id) {
			continue
		}
		rows[i].state = auditQueued
		if first {
			rows[i].state, first = auditRunning, false
		}
	}
	m.rows = rows
	return m
}

// only is the current run's cases: every one, or the re-run ones.
func (m auditModel) only() []string {
	var ids []string
	for _, r := range m.rows {
		if r.state == auditQueued || r.state == auditRunning {
			ids = append(ids, r.id)
		}
	}
	if len(ids) == len(m.rows) {
		return nil
	}
	return ids
}

// started keeps the run's message channel.
func (m auditModel) started(msg auditStartedMsg) auditModel {
	if msg.gen == m.gen {
		m.ch = msg.ch
	}
	return m
}

// caseDone records one case's result and moves the spinner to the next queued case.
func (m auditModel) caseDone(msg auditCaseMsg) auditModel {
	if msg.gen != m.gen {
		return m
	}
	rows := slices.Clone(m.rows)
	next := false
	for i := range rows {
		switch {
		case rows[i].id == msg.res.ID:
			rows[i].state, rows[i].res, next = auditDone, msg.res, true
		case next && rows[i].state == auditQueued:
			rows[i].state, next = auditRunning, false
		}
	}
	m.rows = rows
	return m
}

// finished ends the run: cases it did not reach go back to not run.
func (m auditModel) finished(msg auditDoneMsg) auditModel {
	if msg.gen != m.gen {
		return m
	}
	m.ch, m.err = nil, msg.err
	rows := slices.Clone(m.rows)
	for i := range rows {
		if rows[i].state == auditQueued || rows[i].state == auditRunning {
			rows[i].state = auditNotRun
		}
	}
	m.rows = rows
	return m
}

// counts are the verdicts of the cases done.
func (m auditModel) counts() (pass, fail, warn, done int) {
	for _, r := range m.rows {
		if r.state != auditDone {
			continue
		}
		done++
		switch r.res.Verdict {
		case audit.Pass:
			pass++
		case audit.Fail:
			fail++
		case audit.Warn:
			warn++
		}
	}
	return
}

// auditListW is the checklist column: the marker, the mark and the longest case id.
func auditListW() int {
	w := 0
	for _, id := range audit.CaseIDs() {
		w = max(w, len(id))
	}
	return w + 5
}

// View renders the audit screen in a w×h body.
func (m auditModel) View(s Styles, w, h int, spin string) string {
	lines := []string{s.Title.Render("Audit your own webhook handler")}
	if m.backend == nil {
		lines = append(lines, para(s.Warn, "The audit signs its webhooks with the emulator's keys, so it runs in demo mode: start linkrecovery without Plaid keys, or run linkrecovery audit --target URL.", w))
		return clip(strings.Join(lines, "\n"), w, h)
	}
	target := s.Text.Render(inert(m.target))
	if m.target == "" {
		target = s.Muted.Render("http://127.0.0.1:3000/plaid/webhook")
	}
	if m.editing {
		target = s.Text.Render(inert(m.target)) + s.Accent.Render("▏")
		if m.target == "" {
			target += s.Muted.Render("type your webhook handler's URL, then enter")
		}
	}
	lines = append(lines, s.Label.Render("Target  ")+target)
	lines = append(lines, para(s.Muted, fmt.Sprintf("Its Plaid client: base URL %s · client id %s · secret %s (c copies it)",
		m.backend.BaseURL(), m.backend.ClientID(), secret.Mask(m.backend.Secret())), w))
	pass, fail, warn, done := m.counts()
	switch {
	case m.running():
		lines = append(lines, s.Text.Render(fmt.Sprintf("Running: %d of %d done.", done, len(m.rows))))
	case errors.Is(m.err, audit.ErrTargetDown):
		lines = append(lines, para(s.Bad, "Nothing was sent: "+inert(m.err.Error())+". Start your app, or fix the URL (e edits it), then press enter.", w))
	case m.err != nil:
		lines = append(lines, para(s.Bad, "The audit stopped: "+inert(m.err.Error()), w))
	case done > 0:
		st := s.OK
		if fail > 0 {
			st = s.Bad
		}
		lines = append(lines, st.Render(fmt.Sprintf("%d passed, %d failed, %d warned.", pass, fail, warn)))
	case m.target != "" && m.targetProblem() != "":
		lines = append(lines, para(s.Warn, m.targetProblem()+" (e edits it).", w))
	default:
		lines = append(lines, para(s.Text, "Point your handler's Plaid client at the base URL with these keys, then press enter.", w))
	}
	lines = append(lines, "")
	head := strings.Join(lines, "\n")
	left := m.listView(s, h-lipgloss.Height(head), spin)
	dw := w - auditListW() - 2
	right := m.detailView(s, dw, h-lipgloss.Height(head))
	body := lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(auditListW()+2).Render(left), right)
	return clip(head+"\n"+body, w, h)
}

// listView is the checklist, a window around the cursor when it does not fit in h lines.
func (m auditModel) listView(s Styles, h int, spin string) string {
	idW := auditListW() - 5
	var lines []string
	for i, r := range m.rows {
		marker, st := "  ", s.MenuItem
		if i == m.cursor {
			marker, st = "› ", s.MenuSelected
		}
		var mark string
		switch r.state {
		case auditRunning:
			mark = spin
		case auditQueued, auditNotRun:
			mark = s.Muted.Render("○")
		default:
			mark = verdictMark(s, r.res.Verdict)
		}
		lines = append(lines, st.Render(marker)+mark+" "+st.Render(fmt.Sprintf("%-*s", idW, r.id)))
	}
	if h > 0 && len(lines) > h {
		from := min(max(0, m.cursor-h/2), len(lines)-h)
		lines = lines[from : from+h]
	}
	return strings.Join(lines, "\n")
}

// verdictMark is a case's verdict as one cell.
func verdictMark(s Styles, v audit.Verdict) string {
	switch v {
	case audit.Pass:
		return s.OK.Render("✓")
	case audit.Fail:
		return s.Bad.Render("✗")
	}
	return s.Warn.Render("!")
}

// detailView is the selected case: its verdict and evidence, why and the fix.
func (m auditModel) detailView(s Styles, w, h int) string {
	if w < 10 {
		return ""
	}
	r := m.rows[m.cursor]
	// The evidence quotes the target's own answers, so every paragraph here is made inert.
	line := func(st lipgloss.Style, text string) string { return para(st, inert(text), w) }
	switch r.state {
	case auditNotRun:
		return line(s.Muted, r.id+": not run yet.")
	case auditQueued, auditRunning:
		return line(s.Muted, r.id+": running…")
	}
	c := r.res
	verdict := map[audit.Verdict]lipgloss.Style{audit.Pass: s.OK, audit.Fail: s.Bad, audit.Warn: s.Warn}[c.Verdict]
	status := "no answer"
	if c.Status != 0 {
		status = fmt.Sprintf("HTTP %d", c.Status)
	}
	lines := []string{
		verdict.Render(strings.ToUpper(string(c.Verdict))) + s.Text.Render(" "+c.ID) +
			s.Muted.Render(fmt.Sprintf(" · %s · %s · exchanged %d", status, c.Latency.Round(time.Millisecond), len(c.Exchanged))),
		line(s.Text, c.Reason),
	}
	if c.Verdict != audit.Pass {
		lines = append(lines, line(s.Warn, "Fix: "+c.Fix))
	}
	lines = append(lines, line(s.Muted, "Why: "+c.Why))
	answer := status
	if b := strings.TrimSpace(flows.MaskBody(c.Answer.Body).Text); b != "" {
		answer += " " + b
	}
	lines = append(lines, s.Label.Render("Answer  ")+line(s.Text, answer))
	sig := c.Sent.Header.Get("Plaid-Verification")
	if sig == "" {
		sig = "(none)"
	} else if len(sig) > 24 {
		sig = sig[:24] + "…"
	}
	lines = append(lines, s.Label.Render("Sent  ")+line(s.Text, "Plaid-Verification: "+sig))
	lines = append(lines, s.Muted.Render(inertBlock(flows.MaskBody(c.Sent.Body).Text)))
	return clip(strings.Join(lines, "\n"), w, h)
}
