package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/termbg"
)

// messagesOf runs a Cmd (and a tea.Batch's Cmds in turn) and returns the
// messages of type T.
func messagesOf[T any](cmd tea.Cmd) []T {
	if cmd == nil {
		return nil
	}
	var out []T
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			out = append(out, messagesOf[T](c)...)
		}
	case T:
		out = append(out, msg)
	}
	return out
}

// sessionPassed is the session half passed by its verified SESSION_FINISHED, in a fixture whose
// --report file is in dir.
func sessionPassed(t *testing.T, dir string) *fixture {
	f := newFixture(t, true, 120, 40, func(o *Options) {
		o.ReportPath = filepath.Join(dir, "run.md")
		o.TranscriptPath = "run.jsonl"
	})
	f.open(nSession)
	f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
	f.send(exchanged(nSession, fixedItem()))
	return f
}

// s on the summary writes the run's report, 0600, in --report's directory, under a name that says
// when; the summary and the status line show the path.
func TestSummarySavesTheReport(t *testing.T) {
	dir := t.TempDir()
	f := sessionPassed(t, dir)
	v := f.m.View()
	for _, want := range []string{"✓ Half 2 · Session: passed", "SESSION_FINISHED received: verified", "item-fixed-0001",
		"run.jsonl", filepath.Join(dir, "run.md") + " when you quit", "s saves this run's report"} {
		if !strings.Contains(v, want) {
			t.Errorf("summary lacks %q:\n%s", want, v)
		}
	}
	if !f.m.keys.Save.Enabled() || f.m.keys.Copy.Enabled() {
		t.Error("on the summary s works and c does not")
	}
	saved := messagesOf[reportSavedMsg](f.key("s"))
	if len(saved) != 1 || saved[0].err != nil {
		t.Fatalf("s: %+v", saved)
	}
	want := filepath.Join(dir, report.FileName(t0))
	if saved[0].path != want {
		t.Errorf("saved to %s, want %s", saved[0].path, want)
	}
	fi, err := os.Stat(want)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report: %v, mode %v", err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(want)
	if !strings.Contains(string(b), "✅ passed") || strings.Contains(string(b), fixedToken2) {
		t.Errorf("report:\n%s", b)
	}
	f.send(saved[0])
	if v := f.m.View(); !strings.Contains(v, "Saved") || !strings.Contains(v, "Report saved: "+want) {
		t.Errorf("the summary does not say where:\n%s", v)
	}
	run, ok := FinalReport(f.m)
	if !ok || run.Scenario != nSession || run.Verdict == nil || !run.Verdict.Passed {
		t.Errorf("FinalReport = %+v, %v", run, ok)
	}
}

// A save that fails says why on the summary, and esc goes back to the run's own screen.
func TestSummarySaveErrorAndBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	f := sessionPassed(t, dir)
	saved := messagesOf[reportSavedMsg](f.key("s"))
	if len(saved) != 1 || saved[0].err == nil {
		t.Fatalf("s into a missing directory: %+v", saved)
	}
	f.send(saved[0])
	if v := f.m.View(); !strings.Contains(v, "✗ The report was not saved: cannot write the report") {
		t.Errorf("no error on the summary:\n%s", v)
	}
	f.key("esc")
	if v := f.m.View(); !strings.Contains(v, "Public token exchanged (from webhook)") || f.m.keys.Save.Enabled() {
		t.Errorf("esc did not go back to the run:\n%s", v)
	}
	f.key("esc")
	if v := f.m.View(); !strings.Contains(v, "Half 2 · Session  ✓ passed") {
		t.Errorf("home does not mark the half:\n%s", v)
	}
	if _, ok := FinalReport(newFixture(t, true, 80, 24).m); ok {
		t.Error("a report with no scenario run")
	}
}

// The presenter names the bank wherever it showed its id.
func TestPresenterNamesTheBank(t *testing.T) {
	ps := newStyles(nil, termbg.DarkBackground).Presenter
	for _, f := range []flows.Fact{flows.RecoveryEmailSent{Email: fixedEmail()}, flows.ItemExchanged{Item: fixedItem(), Via: "webhook"}} {
		x := explain(ps, flows.Event{At: t0, Scenario: nSignup, Fact: f}, 60)
		if got := ansi.Strip(strings.Join(x.what, "\n")); !strings.Contains(got, "First Platypus Bank (ins_109508)") {
			t.Errorf("%T: %s", f, got)
		}
	}
}

// A summary never loses its last lines to a short window: the Item gives way first (down to one
// line that counts its accounts), so the hint on esc and n always shows whole.
func TestSummaryKeepsItsTail(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range goldenScenarios {
			f := newFixture(t, sc.demo, size[0], size[1])
			sc.build(f)
			scr := f.m.current()
			if scr == nil || !f.m.summary.shown(scr.driver().name) || f.m.presenter.on {
				continue
			}
			v := ansi.Strip(f.m.View())
			if !strings.Contains(v, "esc shows the run's screen · n starts again with a new token") {
				t.Errorf("%s at %dx%d: the summary's tail is cut:\n%s", sc.name, size[0], size[1], v)
			}
			if st := scr.driver().st; st.Wait.Item != nil && !strings.Contains(v, "Item") {
				t.Errorf("%s at %dx%d: the Item is gone:\n%s", sc.name, size[0], size[1], v)
			}
		}
	}
}
