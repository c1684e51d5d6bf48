package report_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// TestMermaidDrawsARealRunsDiagram: the diagram of a real demo sign-up (the emulator walking
// Hosted Link page by page, the bank coming back, the recovery session, the exchange), built by
// runreport from the run's own events, draws in Chromium as a sequence diagram with every message
// and note it holds, the recovery's SESSION_FINISHED called out at the original token's webhook.
// The outage session's webhooks come after the e-mail, walked page by page, and may come after the
// run is done; when its EXITED is drawn, it must not be taken for the recovery's.
func TestMermaidDrawsARealRunsDiagram(t *testing.T) {
	world := testkit.DemoEnv(t, env.Config{})
	name := flows.SignupScenario{}.Info().Name
	b := runreport.New(name)
	ro := env.RunOptions{Scenario: name, Auto: true, PageByPage: true, OnEvent: b.Add}
	var last flows.Record
	if !env.RunHeadless(testkit.Context(t), world, ro, func(r flows.Record) { last = r }) {
		t.Fatalf("the demo sign-up did not pass: %v", last)
	}
	md := report.Markdown(b.Run())
	role, msgs, notes, wantMsgs, wantNotes := report.DrawReport(t, md)
	if role != "sequence" {
		t.Fatalf("Mermaid drew %q, not a sequence diagram", role)
	}
	if !slices.Equal(msgs, wantMsgs) || !slices.Equal(notes, wantNotes) {
		t.Errorf("drawn differs from the diagram:\n messages %q\n want %q\n notes %q\n want %q", msgs, wantMsgs, notes, wantNotes)
	}
	has := func(list []string, part string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, part) })
	}
	for _, m := range []string{"POST /link/token/create", "page login", "page down", "page code",
		"recovery e-mail to example@plaid.com",
		"LINK SESSION_FINISHED · SUCCESS · 1 public token · verified", "POST /item/public_token/exchange"} {
		if !has(msgs, m) {
			t.Errorf("no message with %q drawn; drew %q", m, msgs)
		}
	}
	diagram := report.Diagram(b.Run())
	lines := strings.Split(diagram, "\n")
	for i, l := range lines[:len(lines)-1] {
		if strings.Contains(l, "SESSION_FINISHED · EXITED") && strings.Contains(lines[i+1], "recovery session finished") {
			t.Errorf("the outage session's EXITED is drawn as the recovery's:\n%s", diagram)
		}
	}
	if !has(notes, "webhook of the ORIGINAL link token") {
		t.Errorf("the recovery's SESSION_FINISHED is not called out at the original token's webhook; notes %q", notes)
	}
}
