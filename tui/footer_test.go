package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
)

// footerLine is the last line of the view: the short help.
func footerLine(f *fixture) string {
	lines := strings.Split(f.m.View(), "\n")
	return ansi.Strip(lines[len(lines)-1])
}

// After the opt-in the sign-up session is over: a would only meet "session ended" (and advise a
// new token), so the footer offers r and a is off, in the keys and in the machine.
func TestAutoGivesWayToRestoreAfterOptIn(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSignup)
	if !f.m.keys.Auto.Enabled() || f.m.keys.Restore.Enabled() {
		t.Fatalf("before the opt-in: a=%v r=%v, want a on, r off", f.m.keys.Auto.Enabled(), f.m.keys.Restore.Enabled())
	}
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	if f.m.keys.Auto.Enabled() || !f.m.keys.Restore.Enabled() {
		t.Fatalf("after the opt-in: a=%v r=%v, want a off, r on", f.m.keys.Auto.Enabled(), f.m.keys.Restore.Enabled())
	}
	foot := footerLine(f)
	if strings.Contains(foot, "auto-complete") || !strings.Contains(foot, "r bring the institution back") {
		t.Fatalf("footer after the opt-in: %q", foot)
	}
	if cmd := f.key("a"); cmd != nil || f.signup().walking() {
		t.Fatal("a after the opt-in still walked the finished sign-up session")
	}
	// Once the e-mail is out, a walks its session again.
	mail := fixedEmail()
	f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	if !f.m.keys.Auto.Enabled() || f.m.keys.Restore.Enabled() {
		t.Fatalf("after the e-mail: a=%v r=%v, want a on, r off", f.m.keys.Auto.Enabled(), f.m.keys.Restore.Enabled())
	}
}

// r before the opt-in says, in one line, why it does nothing.
func TestRestoreBeforeOptInSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		demo bool
		want string
	}{
		{true, "needs the recovery opt-in first"},
		{false, "the Sandbox cannot bring a bank back on demand"},
	} {
		f := newFixture(t, tc.demo, 120, 40)
		f.open(nSignup)
		if cmd := f.key("r"); cmd != nil || f.signup().restoring() {
			t.Fatalf("demo=%v: r before the opt-in started a restore", tc.demo)
		}
		if !strings.Contains(f.m.status, tc.want) || strings.Contains(f.m.status, "\n") || ansi.StringWidth(f.m.status) > 80 {
			t.Fatalf("demo=%v: r said %q, want one line (≤ 80 cells) with %q", tc.demo, f.m.status, tc.want)
		}
		if v := ansi.Strip(f.m.View()); !strings.Contains(v, tc.want) {
			t.Fatalf("demo=%v: the reason is not on screen:\n%s", tc.demo, v)
		}
		f.key("j") // any key clears the line
		if f.m.status != "" {
			t.Fatalf("demo=%v: the reason stayed after the next key", tc.demo)
		}
	}
}

// In the inspector, w closes it, and the footer says so.
func TestInspectorLabelsWClose(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	if !strings.Contains(footerLine(f), "w webhooks") {
		t.Fatalf("footer on the half: %q", footerLine(f))
	}
	f.key("w")
	if foot := footerLine(f); !strings.Contains(foot, "w close") || strings.Contains(foot, "w webhooks") {
		t.Fatalf("footer in the inspector: %q", foot)
	}
	f.key("w")
	if f.m.showInspector || !strings.Contains(footerLine(f), "w webhooks") {
		t.Fatal("w did not close the inspector, or its label stayed")
	}
}

// At 80 columns the footer is one line that keeps "? more keys · q quit" whole, on every screen.
func TestFooterFitsAt80(t *testing.T) {
	for _, sc := range goldenScenarios {
		f := newFixture(t, sc.demo, 80, 24)
		sc.build(f)
		if f.m.help.ShowAll {
			continue
		}
		v := f.m.View()
		lines := strings.Split(v, "\n")
		foot := ansi.Strip(lines[len(lines)-1])
		want := "? more keys · q quit"
		if f.m.state == stateAudit && f.m.audit.editing {
			want = "ctrl+c quit" // the audit's target line takes q and ? as letters of the URL
		}
		if len(lines) > 24 || ansi.StringWidth(foot) > 80 || !strings.HasSuffix(foot, want) {
			t.Errorf("%s: footer %q (%d cells, view %d lines)", sc.name, foot, ansi.StringWidth(foot), len(lines))
		}
		// The footer as drawn is one line, and the view's last line is all of it (a body line above
		// it may hold " · " of its own).
		if help := f.m.footerHelp(80); strings.Contains(help, "\n") || ansi.Strip(help) != foot {
			t.Errorf("%s: the footer spills onto a second line: %q, view ends %q", sc.name, ansi.Strip(help), foot)
		}
	}
}
