package tui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/auditfixture"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// fakeBackend is an emulator's face on the audit screen, with fixed keys (goldens run nothing).
type fakeBackend struct{}

func (fakeBackend) BaseURL() string      { return "http://127.0.0.1:41000" }
func (fakeBackend) ClientID() string     { return "5f3c00aa11bb22cc33dd0001" }
func (fakeBackend) Secret() string       { return "fixture-emulator-secret-0123456789" }
func (fakeBackend) WebhookKeyID() string { return "kid-fixed" }
func (fakeBackend) SignWebhook([]byte, emulator.SignOptions) (string, error) {
	return "", nil
}
func (fakeBackend) ExchangeAttempts(string) []emulator.ExchangeAttempt { return nil }

func withAuditBackend(b audit.Backend) fixtureOption { return func(o *Options) { o.auditBackend = b } }

const auditTarget = "http://127.0.0.1:3000/plaid/webhook"

// auditResult is a fixed result of case id with verdict v.
func auditResult(id string, v audit.Verdict) audit.CaseResult {
	c := audit.CaseResult{ID: id, Verdict: v, Status: 200, Latency: 3 * time.Millisecond,
		Reason: "answered 200 and exchanged the public token",
		Sent: audit.Message{Header: http.Header{"Plaid-Verification": {"eyJhbGciOiJFUzI1NiIsImtpZCI6ImtpZC1maXhlZCJ9.e30.sig"}},
			Body: []byte("{\n  \"public_tokens\": [\n    \"public-sandbox-00000000-0000-4000-8000-000000000009\"\n  ],\n  \"status\": \"SUCCESS\",\n  \"webhook_code\": \"SESSION_FINISHED\",\n  \"webhook_type\": \"LINK\"\n}")},
		Answer: audit.Message{Body: []byte("ok")}}
	c.Why, c.Fix = "Anyone can POST to a webhook URL; without a signature check a stranger can make the handler act.",
		"Refuse a webhook without a Plaid-Verification header before acting on it. See "+audit.DocsURL
	if v == audit.Fail {
		c.Reason, c.Exchanged = "acted on a forged webhook: exchanged its public token", []string{"public-sandbox-x"}
		delete(c.Sent.Header, "Plaid-Verification")
	}
	return c
}

// openAudit opens the audit screen and types the target.
func (f *fixture) openAudit() {
	f.t.Helper()
	f.tunnelUp()
	f.key("4")
	f.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(auditTarget), Paste: true})
}

func init() {
	goldenScenarios = append(goldenScenarios,
		goldenScenario{"audit_typing", true, func(f *fixture) { f.openAudit() }},
		goldenScenario{"audit_sandbox", false, func(f *fixture) { f.tunnelUp(); f.key("4") }},
		goldenScenario{"audit_running", true, func(f *fixture) {
			f.openAudit()
			f.key("enter")
			f.send(auditCaseMsg{gen: 1, res: auditResult(audit.Genuine, audit.Pass)})
			f.send(auditCaseMsg{gen: 1, res: auditResult(audit.MultipleTokens, audit.Pass)})
		}},
		goldenScenario{"audit_done", true, func(f *fixture) {
			f.openAudit()
			f.key("enter")
			for _, id := range audit.CaseIDs() {
				v := audit.Pass
				if id == audit.NoSignature {
					v = audit.Fail
				}
				f.send(auditCaseMsg{gen: 1, res: auditResult(id, v)})
			}
			f.send(auditDoneMsg{gen: 1})
			for range 5 {
				f.key("down") // to no_signature, the failing case
			}
		}},
	)
	for _, name := range []string{"audit_typing", "audit_running", "audit_done"} {
		goldenOptions[name] = []fixtureOption{withAuditBackend(fakeBackend{})}
	}
}

// TestAuditScreenKeys: the target line takes every key (q is a letter of a URL), esc ends the
// typing, enter runs, r re-runs the selected case only, and results of an older run are dropped.
func TestAuditScreenKeys(t *testing.T) {
	f := newFixture(t, true, 100, 30, withAuditBackend(fakeBackend{}))
	f.openAudit()
	if f.m.state != stateAudit || !f.m.audit.editing || f.m.audit.target != auditTarget {
		t.Fatalf("state %s, editing %v, target %q", f.m.state, f.m.audit.editing, f.m.audit.target)
	}
	f.key("q") // typed, not quit
	f.send(tea.KeyMsg{Type: tea.KeyBackspace})
	if f.m.audit.target != auditTarget {
		t.Fatalf("target %q after q and backspace", f.m.audit.target)
	}
	if cmd := f.key("enter"); cmd == nil || !f.m.audit.running() || f.m.audit.editing {
		t.Fatalf("enter did not start a run (cmd %v, running %v)", cmd, f.m.audit.running())
	}
	for _, id := range audit.CaseIDs() {
		f.send(auditCaseMsg{gen: 1, res: auditResult(id, audit.Pass)})
	}
	f.send(auditDoneMsg{gen: 1})
	if pass, _, _, done := f.m.audit.counts(); pass != 14 || done != 14 || f.m.audit.running() {
		t.Fatalf("after the run: %d passed of %d, running %v", pass, done, f.m.audit.running())
	}
	f.key("down")
	if f.key("r") == nil || f.m.audit.only() == nil || f.m.audit.only()[0] != audit.MultipleTokens || len(f.m.audit.only()) != 1 {
		t.Fatalf("r re-runs %v, want only multiple_tokens", f.m.audit.only())
	}
	f.send(auditCaseMsg{gen: 1, res: auditResult(audit.MultipleTokens, audit.Fail)}) // an older run's
	if _, fail, _, _ := f.m.audit.counts(); fail != 0 {
		t.Error("a result of an older run was kept")
	}
	f.send(auditCaseMsg{gen: 2, res: auditResult(audit.MultipleTokens, audit.Fail)})
	f.send(auditDoneMsg{gen: 2})
	if pass, fail, _, _ := f.m.audit.counts(); pass != 13 || fail != 1 {
		t.Errorf("after the re-run: %d passed, %d failed; want 13 and 1", pass, fail)
	}
	f.key("esc")
	if f.m.state != stateHome {
		t.Errorf("esc left the audit for %s, want home", f.m.state)
	}
}

// TestAuditScreenRuns drives the screen's Cmds for real: a correct handler on loopback, its Plaid
// client at a served emulator, every case ticked off live and passed.
func TestAuditScreenRuns(t *testing.T) {
	emu := emulatortest.New(t)
	target := httptest.NewServer(auditfixture.Correct.Handler(t, emu.Client))
	t.Cleanup(target.Close)
	f := newFixture(t, true, 100, 30, withAuditBackend(emu.Emulator))
	f.tunnelUp()
	f.key("4")
	f.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(target.URL), Paste: true})
	if f.key("enter") == nil {
		t.Fatal("enter did not start the audit")
	}
	// The Cmd the root started, then the waits it re-arms, run here one by one.
	cmd := auditStartCmd(context.Background(), f.m.audit.backend, f.m.audit.target, f.m.audit.only(), f.m.audit.gen)
	ticked := 0
	for {
		msg := testkit.Returns(t, "the audit's next message", func() tea.Msg { return cmd() })
		if msg == nil {
			t.Fatal("the audit's channel closed before its done message")
		}
		f.send(msg)
		if _, ok := msg.(auditCaseMsg); ok {
			ticked++
		}
		if _, done := msg.(auditDoneMsg); done {
			break
		}
		cmd = waitAuditCmd(f.m.audit.ch)
	}
	pass, _, _, done := f.m.audit.counts()
	if ticked != 14 || pass != 14 || done != 14 || f.m.audit.err != nil {
		t.Fatalf("ticked %d, %d of %d passed, err %v", ticked, pass, done, f.m.audit.err)
	}
	if v := f.m.View(); !strings.Contains(v, "14 passed, 0 failed, 0 warned.") || strings.Contains(v, emu.Emulator.Secret()) {
		t.Errorf("the screen after the run:\n%s", v)
	}
}

// TestAuditTargetProblem: a target that is not an http URL is named as such, enter does not run
// it, and esc still ends the typing.
func TestAuditTargetProblem(t *testing.T) {
	f := newFixture(t, true, 100, 30, withAuditBackend(fakeBackend{}))
	f.tunnelUp()
	f.key("4")
	f.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("localhost:3000"), Paste: true})
	f.key("enter")
	if f.m.audit.running() || !f.m.audit.editing {
		t.Fatal("enter ran an audit of a target that is not a URL")
	}
	f.key("esc")
	if f.m.audit.editing || f.m.state != stateAudit || !strings.Contains(f.m.View(), "the target must be an http or https URL") {
		t.Errorf("after esc: editing %v, state %s, view:\n%s", f.m.audit.editing, f.m.state, f.m.View())
	}
}

// TestAuditDeadTarget: when nothing listens at the target, the run sends no case and says so,
// naming the target and the next step; the cases stay not run.
func TestAuditDeadTarget(t *testing.T) {
	emu := emulatortest.New(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // its port now refuses connections
	defer func(w time.Duration) { auditTargetWait = w }(auditTargetWait)
	auditTargetWait = 200 * time.Millisecond
	f := newFixture(t, true, 100, 30, withAuditBackend(emu.Emulator))
	f.tunnelUp()
	f.key("4")
	f.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(dead.URL + "/hook"), Paste: true})
	if f.key("enter") == nil {
		t.Fatal("enter did not start the audit")
	}
	cmd := auditStartCmd(context.Background(), f.m.audit.backend, f.m.audit.target, f.m.audit.only(), f.m.audit.gen)
	for {
		msg := testkit.Returns(t, "the audit's next message", func() tea.Msg { return cmd() })
		if _, ok := msg.(auditCaseMsg); ok {
			t.Fatal("a case ran against a target that is down")
		}
		if msg == nil {
			t.Fatal("the audit's channel closed before its done message")
		}
		f.send(msg)
		if _, done := msg.(auditDoneMsg); done {
			break
		}
		cmd = waitAuditCmd(f.m.audit.ch)
	}
	v := f.m.View()
	if _, _, _, done := f.m.audit.counts(); done != 0 || f.m.audit.running() {
		t.Errorf("%d cases done, running %v; want none", done, f.m.audit.running())
	}
	for _, want := range []string{"Nothing was sent", dead.URL, "did not answer", "Start your app"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("the screen lacks %q:\n%s", want, v)
		}
	}
}
