package tui

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// TestTeaHalf2SandboxMode drives the real-Sandbox screens with keys set, against an emulator standing
// in for Plaid at PLAID_BASE_URL (the real one is unreachable here). The test plays the person with
// the phone: it finishes the Hosted Link session the TUI created, as a browser would.
func TestTeaHalf2SandboxMode(t *testing.T) {
	emu, srv := standInPlaid(t)

	e, tm, path, hosted := sandboxSession(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	if e.Mode != flows.ModeSandbox || e.Emulator != nil {
		t.Fatalf("env mode %q (in-process emulator %v), want sandbox with none", e.Mode, e.Emulator != nil)
	}
	if !strings.HasPrefix(hosted, srv.URL+"/hosted-link/") {
		t.Fatalf("no hosted_link_url from the stand-in Plaid at %s in the transcript (got %q)", srv.URL, hosted)
	}
	ctx := testkit.Context(t)
	if err := emu.CompleteSession(ctx, hosted, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatalf("finishing the Hosted Link session: %v", err)
	}

	waitForText(t, tm, testWait, "SANDBOX", "SESSION_FINISHED received: verified", "item_id")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(testWait)).(model)
	fin := fm.byName(nSession).driver().st.Wait
	if fin.Item == nil || fin.Via != "webhook" {
		t.Fatalf("final session: %+v", fin)
	}
	if v := fm.View(); strings.Contains(v, "DEMO") || strings.Contains(v, emu.Secret()) || strings.Contains(v, fin.Item.AccessToken) {
		t.Fatalf("the sandbox view shows DEMO or a secret:\n%s", v)
	}
	checkTranscript(t, readRecords(t, path), nSession, *fin.Item)
}

// TestTeaHalf2TunnelFailedFallsBackToPolling: when the tunnel cannot open, the half still runs: the
// token is made without a webhook, the screen says why, and /link/token/get brings the public token.
func TestTeaHalf2TunnelFailedFallsBackToPolling(t *testing.T) {
	emu, srv := standInPlaid(t)
	// The receiver's address is taken, so the (local) tunnel fails to open.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })

	_, tm, _, hosted := sandboxSession(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL, Listen: busy.Addr().String()})
	if hosted == "" {
		t.Fatal("no token was created after the tunnel failed")
	}
	ctx := testkit.Context(t)
	if err := emu.CompleteSession(ctx, hosted, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	waitForText(t, tm, testWait, "tunnel: failed", "the session by polling", "Public token exchanged", "did not pass")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(testWait)).(model)
	if fin := fm.byName(nSession).driver().st.Wait; fin.Item == nil || fin.Via != "polling" || fin.WebhookSeq != 0 {
		t.Fatalf("final session: %+v", fin)
	}
	if ds := emu.Deliveries(); len(ds) != 0 {
		t.Errorf("the token had a webhook after all: %d deliveries", len(ds))
	}
}

// sandboxSession starts the TUI on the session half with cfg (Sandbox keys, a stand-in Plaid)
// and a transcript, and waits for its token, as the person with the phone would read the URL off the
// screen. It returns the Env, the program, the transcript's path and the hosted_link_url.
func sandboxSession(t *testing.T, cfg env.Config) (*env.Env, *teatest.TestModel, string, string) {
	t.Helper()
	e := testkit.DemoEnv(t, cfg)
	path := filepath.Join(t.TempDir(), "transcript.jsonl")
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	tm := teatest.NewTestModel(t, New(Options{Config: cfg, Env: e, Scenario: nSession, Transcript: tr}),
		teatest.WithInitialTermSize(120, 40))
	return e, tm, path, waitForHostedURL(t, path)
}

// standInPlaid serves an emulator on loopback to stand in for the real Sandbox at PLAID_BASE_URL.
func standInPlaid(t *testing.T) (*emulator.Emulator, *emulatortest.Server) {
	t.Helper()
	s := emulatortest.New(t)
	return s.Emulator, s
}

// waitForHostedURL reads the transcript at path until the TUI has created a token, as the person
// with the phone would read the URL off the screen; "" if none came within testWait.
func waitForHostedURL(t *testing.T, path string) string {
	t.Helper()
	var url string
	testkit.Within(testWait, func() bool {
		for _, r := range testkit.Find(readRecords(t, path), "link_token_created") {
			url, _ = r["hosted_link_url"].(string)
		}
		return url != ""
	})
	return url
}
