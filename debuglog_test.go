package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/testkit"
)

// TestDebugLog runs half 2 headless in Sandbox mode against an emulator standing in for Plaid, with
// LINKRECOVERY_DEBUG set, finishes the session as the person would, and reads the debug log: a line
// per Plaid call (path, status, request id, duration), each webhook with its verdict, the tunnel;
// owner-only; and not one secret (the Plaid secret, an access or a public token).
func TestDebugLog(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })

	const clientID, secret = "debugclient00001", "debugsecret0123456789abcdef"
	em, url := emulatorAt(t, clientID, secret)
	env := map[string]string{"PLAID_CLIENT_ID": clientID, "PLAID_SECRET": secret, "PLAID_BASE_URL": url, "LINKRECOVERY_DEBUG": "1"}
	if c, stdout, stderr := runHalf2Completing(t, em, env); c != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", c, stdout, stderr)
	}

	logText := string(testkit.ReadPrivate(t, debugLogFile))
	t.Logf("debug log:\n%s", logText)
	for _, want := range []string{
		"plaid POST /link/token/create -> 200 request_id=",
		"plaid POST /item/public_token/exchange -> 200 request_id=",
		"SESSION_FINISHED",
		"verified",
		"tunnel: local up",
	} {
		if !strings.Contains(logText, want) {
			t.Errorf("the debug log has no %q:\n%s", want, logText)
		}
	}
	if strings.Contains(logText, "request_id=-") {
		t.Errorf("a Plaid call was logged without its request id:\n%s", logText)
	}
	for _, secretish := range []string{secret, "access-sandbox-", "public-sandbox-"} {
		if strings.Contains(logText, secretish) {
			t.Errorf("the debug log holds %q:\n%s", secretish, logText)
		}
	}
}

// TestDebugLogRefusesSymlink: the debug log is never written through a symlink someone left there.
func TestDebugLogRefusesSymlink(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })
	if err := os.WriteFile("target", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", debugLogFile); err != nil {
		t.Fatal(err)
	}
	if c, err := openDebugLog(debugLogFile); err == nil {
		c.Close()
		t.Fatal("openDebugLog followed a symlink")
	}
	// A file that already exists with loose permissions is tightened.
	if err := os.Remove(debugLogFile); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(debugLogFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := openDebugLog(debugLogFile)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if fi, _ := os.Stat(debugLogFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

// The debug log's start line quotes the arguments: a --forward-to URL's password is masked there
// (and wherever else it turns up), even one shorter than 8 characters.
func TestDebugLogStartLineMasksForwardToPassword(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })
	const password = "hunter2"
	env := map[string]string{"LINKRECOVERY_DEBUG": "1"}
	var stdout, stderr bytes.Buffer
	// --only-plaid-ips is refused in demo mode, after the start line is written.
	code := run(context.Background(), []string{"--no-tui", "--only-plaid-ips", "--forward-to", "https://relay:" + password + "@127.0.0.1:9/hook"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (a refused flag); stderr %q", code, stderr.String())
	}
	b, err := os.ReadFile(debugLogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "start:") || !strings.Contains(string(b), "relay:****@127.0.0.1:9") {
		t.Errorf("the start line does not show the URL with its password masked:\n%s", b)
	}
	for name, out := range map[string]string{"debug log": string(b), "stderr": stderr.String()} {
		if strings.Contains(out, password) {
			t.Errorf("the %s holds the --forward-to password:\n%s", name, out)
		}
	}
}

// assertInertDebugLog fails unless every line of the debug log is a record the logger began (its
// prefix) and no raw control byte reached the file.
func assertInertDebugLog(t *testing.T, text string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(l, "linkrecovery ") {
			t.Errorf("a line of the debug log was not begun by the logger (a field broke its record): %q", l)
		}
		for _, r := range l {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Errorf("the debug log holds the raw control %U: %q", r, l)
			}
		}
	}
}

// An unsigned webhook whose fields hold ESC, BEL, NUL, CR and a newline that starts a line reading
// like a verified webhook: the debug log keeps the record on one line, inert.
func TestDebugLogKeepsHostileWebhookOnOneInertLine(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := map[string]string{"LINKRECOVERY_DEBUG": "1"}
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t)}, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	const forged = "\nlinkrecovery 2026/01/01 00:00:00 webhook #9 LINK/SESSION_FINISHED status=\"success\" -> HTTP 200, verified"
	body := `{"webhook_type":"LINK\u001b]2;pwned\u0007","webhook_code":"SESSION_FINISHED\r\u0000` + strings.ReplaceAll(strings.ReplaceAll(forged, "\n", `\n`), `"`, `\"`) + `","status":"\u001b[2K\u009b31m"}`
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) != nil || r["event"] != "ready" {
			continue
		}
		url, _ := r["webhook_url"].(string)
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		break
	}
	// Wait (generously) for the receiver's verdict to reach the log, then end the run.
	var text string
	testkit.Eventually(t, "the webhook's verdict in the debug log", func() bool {
		b, _ := os.ReadFile(debugLogFile)
		text = string(b)
		return strings.Contains(text, "webhook #1 ")
	})
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	<-code
	if !strings.Contains(text, "webhook #1 ") {
		t.Fatalf("the webhook never reached the debug log:\n%s", text)
	}
	t.Logf("debug log:\n%s", text)
	assertInertDebugLog(t, text)
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "webhook #") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the one webhook made %d webhook lines:\n%s", n, text)
	}
}

// Plaid's request_id and error texts land in the debug log inert too: a hostile (or broken) Plaid
// answer cannot start a line of its own or drive the terminal.
func TestDebugLogKeepsHostilePlaidAnswerInert(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetPrefix(""); log.SetFlags(log.LstdFlags) })
	plaid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error_type":"INVALID_REQUEST","error_code":"INVALID_FIELD\u001b]2;x\u0007","error_message":"bad\nlinkrecovery 2026/01/01 00:00:00 tunnel: ngrok up","display_message":null,"request_id":"req\n\u001b[2Klinkrecovery forged\r"}`)
	}))
	defer plaid.Close()
	env := map[string]string{"PLAID_CLIENT_ID": "debug-hostile-client", "PLAID_SECRET": "debug-hostile-secret-0123456789", "PLAID_BASE_URL": plaid.URL, "LINKRECOVERY_DEBUG": "1"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t),
		"--webhook-url", "http://127.0.0.1:9/webhook", "--listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1; stdout %s stderr %s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(debugLogFile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	t.Logf("debug log:\n%s", text)
	if !strings.Contains(text, `request_id="req\n`) {
		t.Errorf("the request_id is not logged, quoted and escaped:\n%s", text)
	}
	assertInertDebugLog(t, text)
}
