package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
)

// The end of a run: when a scenario passes or fails, its screen gives way to a summary (the
// checklist with the time of each step, the verdict, the Item, where the transcript and the report
// are), and s saves the run's Markdown report (internal/report). Each scenario's report is built
// from the same events as the transcript and the presenter view (takeEmitted), by
// internal/runreport. esc goes back to the run's screen; a new token (n) starts the run afresh.

// summaryModel holds, per scenario, its report and its summary's state.
type summaryModel struct {
	dir        string // where s saves a report
	reportPath string // --report FILE: written when the TUI ends ("" none)
	transcript string // --transcript FILE ("" none)
	runs       map[string]*summarized
	last       string // the scenario opened last: the one --report writes
}

// summarized is one scenario's report and summary.
type summarized struct {
	b      *runreport.Builder
	open   bool // the run ended and its summary shows (esc hides it)
	passed bool // it passed in this session (the home screen's ✓)
	saving bool
	saved  string // the path s saved to last
	err    error  // why the last save failed
}

func newSummaryModel(o Options) summaryModel {
	dir := "."
	if o.ReportPath != "" {
		dir = filepath.Dir(o.ReportPath)
	}
	return summaryModel{dir: dir, reportPath: o.ReportPath, transcript: o.TranscriptPath, runs: map[string]*summarized{}}
}

// peek is scenario name's entry, or an empty one (not kept: View must not change the model).
func (m summaryModel) peek(name string) *summarized {
	if r := m.runs[name]; r != nil {
		return r
	}
	return &summarized{b: runreport.New(name)}
}

// get is scenario name's entry, made the first time.
func (m summaryModel) get(name string) *summarized {
	r := m.runs[name]
	if r == nil {
		r = &summarized{b: runreport.New(name)}
		m.runs[name] = r
	}
	return r
}

// add takes the events the runs established: every run's own, before receiver facts are
// deduplicated (each builder keeps its scenario's).
func (m summaryModel) add(evs []flows.Event) summaryModel {
	for _, ev := range evs {
		if ev.Scenario == "" {
			continue
		}
		r := m.get(ev.Scenario)
		r.b.Add(ev)
		switch f := ev.Fact.(type) {
		case flows.LinkTokenCreated:
			r.open, r.saved, r.err = false, "", nil
		case flows.Done:
			r.open = true
			r.passed = r.passed || f.Passed
		}
	}
	return m
}

// shown says whether scenario name's summary shows.
func (m summaryModel) shown(name string) bool {
	r := m.runs[name]
	return r != nil && r.open
}

// passed says whether scenario name passed in this session.
func (m summaryModel) passed(name string) bool {
	r := m.runs[name]
	return r != nil && r.passed
}

// hide puts the run's own screen back (esc).
func (m summaryModel) hide(name string) summaryModel {
	if r := m.runs[name]; r != nil {
		r.open = false
	}
	return m
}

// report is scenario name's report so far, with the steps ticked by hand marked (st is its run).
func (m summaryModel) report(name string, st flows.State) report.Run {
	run := m.peek(name).b.Run()
	if ss, ok := flows.SignupOf(st); ok {
		rep := ss.Reported()
		run = runreport.ByHand(run, flows.SignupProgress{
			InstitutionDown: ss.Manual.InstitutionDown && !rep.InstitutionDown,
			OptedIn:         ss.Manual.OptedIn && !rep.OptedIn})
	}
	return run
}

// save begins saving scenario name's report (s); the Cmd does the I/O.
func (m summaryModel) save(ctx context.Context, name string, st flows.State, now time.Time) (summaryModel, tea.Cmd) {
	r := m.get(name)
	if r.saving {
		return m, nil
	}
	r.saving, r.err = true, nil
	return m, saveReportCmd(ctx, name, m.dir, m.report(name, st), now)
}

// savedMsg takes a save's outcome.
func (m summaryModel) savedMsg(msg reportSavedMsg) summaryModel {
	r := m.get(msg.scenario)
	r.saving, r.saved, r.err = false, msg.path, msg.err
	return m
}

// final is the report --report writes as the TUI ends: the scenario opened last (st is its run).
func (m summaryModel) final(st flows.State) (report.Run, bool) {
	r := m.runs[m.last]
	if r == nil || !r.b.Started() {
		return report.Run{}, false
	}
	return m.report(m.last, st), true
}

// View renders scenario name's summary in a w×h body.
func (m summaryModel) View(s Styles, name string, st flows.State, w, h int) string {
	r := m.peek(name)
	run := m.report(name, st)
	title := st.Info().Title
	var out []string
	if st.Outcome.Passed {
		out = append(out, para(s.OK, "✓ "+title+": passed", w))
		// The scenario's own reason: not every pass brings a public token (leave passes on none).
		if st.Outcome.Reason != "" {
			out = append(out, para(s.Muted, inert(sentence(st.Outcome.Reason)), w))
		}
	} else {
		out = append(out, para(s.Bad, "✗ "+title+": did not pass", w))
		if st.Outcome.Cause != nil {
			out = append(out, para(s.Bad, inert(st.Outcome.Cause.Error()), w))
		}
		if st.Outcome.Via == "polling" {
			out = append(out, para(s.Muted, "The app learnt how the session ended by polling /link/token/get, not by the webhook.", w))
		}
	}
	out = append(out, "", s.Title.Render("Checklist"))
	var lines []string
	col := 0
	for _, c := range run.Checklist {
		l := checkStep(s, c.Done && !c.ByHand, c.ByHand, c.Text)
		lines = append(lines, l)
		col = max(col, lipgloss.Width(l))
	}
	for i, c := range run.Checklist {
		if !c.Done || c.At.IsZero() {
			continue
		}
		when := s.Muted.Render(fmt.Sprintf("%s  +%s", c.At.Format("15:04:05"), clock(c.At.Sub(run.Started))))
		if col+2+lipgloss.Width(when) <= w {
			lines[i] = padRight(lines[i], col) + "  " + when // a column of times
		} else {
			lines[i] = wrap(lines[i]+"  "+when, w) // too narrow for a column: the time follows the step
		}
	}
	out = append(out, lines...)
	tail := m.files(s, r, w)
	if it := st.Wait.Item; it != nil {
		// Lines, not entries: a wrapped paragraph is one entry of several lines.
		room := h - lipgloss.Height(strings.Join(out, "\n")) - lipgloss.Height(strings.Join(tail, "\n")) - 2
		out = append(out, "", itemView(s, *it, w, room))
	}
	out = append(out, "")
	return clip(strings.Join(append(out, tail...), "\n"), w, h)
}

// files says where the transcript and the report are, and what s did.
func (m summaryModel) files(s Styles, r *summarized, w int) []string {
	var out []string
	row := func(label, text string) {
		out = append(out, s.Label.Render(fmt.Sprintf("%-11s", label))+para(s.Text, inert(text), max(1, w-11)))
	}
	if m.transcript != "" {
		row("Transcript", m.transcript)
	}
	if m.reportPath != "" {
		row("Report", m.reportPath+" when you quit (--report)")
	}
	switch {
	case r.saving:
		out = append(out, s.Muted.Render("Saving the report…"))
	case r.err != nil:
		out = append(out, para(s.Bad, "✗ The report was not saved: "+inert(r.err.Error()), w))
	case r.saved != "":
		row("Saved", r.saved)
	default:
		out = append(out, para(s.Muted, "s saves this run's report (Markdown, with a Mermaid diagram) in "+inert(m.dir)+" as linkrecovery-report-DATE-TIME.md", w))
	}
	return append(out, para(s.Muted, "esc shows the run's screen · n starts again with a new token", w))
}

// summaryView is the run's summary while it shows ("" when not), beside the presenter pane when
// that is on.
func (m model) summaryView(scr screen, w, h int) (string, bool) {
	r := scr.driver()
	if !m.summary.shown(r.name) {
		return "", false
	}
	view := func(w, h int) string { return m.summary.View(m.c.styles, r.name, r.st, w, h) }
	if m.presenter.on {
		return m.presenter.besides(m.c.styles, r.name, r.st, w, h, view), true
	}
	return view(w, h), true
}

// summaryKey handles s on a summary (ok false: not it).
func (m *model) summaryKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	scr := m.current()
	if scr == nil || !key.Matches(msg, m.keys.Save) || !m.summary.shown(scr.driver().name) {
		return nil, false
	}
	var cmd tea.Cmd
	m.summary, cmd = m.summary.save(m.c.ctx, scr.driver().name, scr.driver().st, m.c.now)
	return cmd, true
}

// summaryOn says whether the run on screen shows its summary.
func (m model) summaryOn() bool {
	scr := m.current()
	return scr != nil && !m.showInspector && m.summary.shown(scr.driver().name)
}

// FinalReport is the report of the TUI's last scenario, from the model p.Run returned (ok false:
// no scenario ran), for --report.
func FinalReport(final tea.Model) (report.Run, bool) {
	m, ok := final.(model)
	if !ok {
		return report.Run{}, false
	}
	i, ok := m.runIndex(m.summary.last)
	if !ok {
		return report.Run{}, false
	}
	return m.summary.final(m.runs[i].driver().st)
}
