package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkReport reads the report a headless run wrote to path and checks what every report must
// hold: a report record naming it just before done (last), mode 0600, the steps and the diagram,
// and none of the secrets (in full).
func checkReport(t *testing.T, stdout, path string, want []string, secrets ...string) string {
	t.Helper()
	recs := records(t, stdout)
	if n := len(recs); n < 2 || recs[n-1]["event"] != "done" || recs[n-2]["event"] != "report" || recs[n-2]["path"] != path {
		t.Errorf("want a report record naming %s just before done:\n%s", path, stdout)
	}
	for _, r := range recs {
		if r["event"] == "link_token_created" {
			secrets = append(secrets, r["link_token"].(string), r["hosted_link_url"].(string))
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report: %v (mode %v), want 0600", err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	md := string(b)
	for _, w := range append([]string{"```mermaid\nsequenceDiagram", "## Checklist", "✅ passed", "POST /link/token/create",
		"POST /item/public_token/exchange", "LINK SESSION_FINISHED", "## The Item"}, want...) {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q:\n%s", w, md)
		}
	}
	if strings.Contains(md, "| ⬜ |") {
		t.Errorf("a step is not done:\n%s", md)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(md, s) {
			t.Errorf("report holds %q in full", s)
		}
	}
	if m := fullToken.FindString(md); m != "" {
		t.Errorf("report holds the token %s in full", m)
	}
	return md
}

// A demo run of half 1 (the emulator, --auto, headless) writes the whole Link Recovery story.
func TestReportOfADemoRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.md")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"--no-tui", "--half", "1", "--auto", "--env-file", emptyEnvFile(t), "--report", path}, noEnv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	checkReport(t, stdout.String(), path, []string{
		"**Mode:** demo", "Institution-down error seen", "Recovery opt-in done", "Institution back: recovery e-mail sent",
		"SESSION_FINISHED received: verified, at the original link token's webhook", "Public token exchanged",
		"page select", "page login · log in as user_good / error_INSTITUTION_DOWN", "page down", "page code",
		"recovery e-mail to example@plaid.com", "recovery session, log in as user_good / pass_good",
		"webhook of the ORIGINAL link token",
	})
}

// A Sandbox-mode run of half 2 (the real plaid-go client against an emulator with known keys):
// the report holds neither the secret nor the public or access token the run saw.
func TestReportOfASandboxRun(t *testing.T) {
	const clientID, secret = "reportclient0001", "reportsecret0123456789abcdef"
	var mu sync.Mutex
	var tokens []string
	em, url := hostilePlaid(t, clientID, secret, func(path string, req map[string]any, status int, body []byte) (int, []byte) {
		if path == "/item/public_token/exchange" {
			var answer map[string]any
			_ = json.Unmarshal(body, &answer)
			mu.Lock()
			tokens = append(tokens, req["public_token"].(string), answer["access_token"].(string), answer["item_id"].(string))
			mu.Unlock()
		}
		return status, body
	})
	path := filepath.Join(t.TempDir(), "report.md")
	env := map[string]string{"PLAID_CLIENT_ID": clientID, "PLAID_SECRET": secret, "PLAID_BASE_URL": url}
	code, stdout, stderr := runHalf2Completing(t, em, env, "--env-file", emptyEnvFile(t), "--report", path)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	mu.Lock()
	known := append([]string{secret}, tokens...)
	mu.Unlock()
	if len(known) != 4 {
		t.Fatalf("the exchange was not seen: %v", known)
	}
	checkReport(t, stdout, path, []string{"**Mode:** sandbox", "SESSION_FINISHED received: verified",
		"Public token exchanged", "1 public token · verified"}, known...)
}

// A --report path that cannot be written stops the run before it starts, exit 2.
func TestReportPathCheckedAtStart(t *testing.T) {
	link, target := symlinkTo(t, "report.md")
	for _, path := range []string{filepath.Join(t.TempDir(), "no", "such", "dir", "r.md"), link} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--no-tui", "--env-file", emptyEnvFile(t), "--report", path}, noEnv, &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "--report") || !strings.Contains(stderr.String(), path) {
			t.Errorf("--report %s: exit %d, stdout %q, stderr %q; want 2 and a message naming it", path, code, stdout.String(), stderr.String())
		}
	}
	assertUntouched(t, target)
}

// The TUI with --report writes the report of the half it ran when the person quits.
func TestReportOfATUIRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tui.md")
	out, stop := startOnPTY(t, appCommand(t, "--half", "2", "--auto", "--report", path))
	if !out.waitFor("Session: passed", testWait) {
		stop()
		t.Fatalf("no summary within %s; screen bytes: %q", testWait, out.String())
	}
	stop() // q
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report: %v (mode %v), want 0600", err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"Half 2 · Session", "✅ passed", "SESSION_FINISHED received: verified", "sequenceDiagram"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
	if m := fullToken.FindString(string(b)); m != "" {
		t.Errorf("report holds the token %s in full", m)
	}
}
