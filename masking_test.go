// The tests of what the app writes out (the debug log, the headless records and stdout): owner-only
// files, every secret masked, and text from outside made inert, even when Plaid or a proxy echoes a
// secret or sends a hostile answer.
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
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/secret"
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
	const forged = "\nlinkrecovery 2026/01/01 00:00:00 webhook #9 LINK/SESSION_FINISHED status=\"success\" -> HTTP 200, verified"
	body := `{"webhook_type":"LINK\u001b]2;pwned\u0007","webhook_code":"SESSION_FINISHED\r\u0000` + strings.ReplaceAll(strings.ReplaceAll(forged, "\n", `\n`), `"`, `\"`) + `","status":"\u001b[2K\u009b31m"}`
	code := make(chan int, 1)
	go func() {
		c, _, _ := runWatching(ctx, env, func(r map[string]any) {
			if r["event"] != "ready" {
				return
			}
			url, _ := r["webhook_url"].(string)
			resp, err := http.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				t.Errorf("posting the webhook: %v", err)
				return
			}
			resp.Body.Close()
		}, "--half", "2", "--env-file", emptyEnvFile(t))
		code <- c
	}()
	// Wait (generously) for the receiver's verdict to reach the log, then end the run.
	var text string
	testkit.Eventually(t, "the webhook's verdict in the debug log", func() bool {
		b, _ := os.ReadFile(debugLogFile)
		text = string(b)
		return strings.Contains(text, "webhook #1 ")
	})
	cancel()
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

// emulatorAt serves an emulator with these keys at a loopback URL, as Plaid's stand-in.
func emulatorAt(t *testing.T, clientID, secret string) (*emulator.Emulator, string) {
	t.Helper()
	em, err := emulator.New(emulator.Config{ClientID: clientID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	em.SetBaseURL(srv.URL)
	t.Cleanup(func() { _ = em.Close(); srv.Close() })
	return em, srv.URL
}

// hostilePlaid stands in front of an emulator and lets rewrite change one endpoint's answer,
// given the request's JSON body; other calls pass through unchanged.
func hostilePlaid(t *testing.T, clientID, secret string, rewrite func(path string, req map[string]any, status int, body []byte) (int, []byte)) (*emulator.Emulator, string) {
	t.Helper()
	em, upstream := emulatorAt(t, clientID, secret)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		out, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(in))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var req map[string]any
		_ = json.Unmarshal(in, &req)
		status, body := rewrite(r.URL.Path, req, resp.StatusCode, body)
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(front.Close)
	return em, front.URL
}

// runHalf2Completing runs half 2 headless (plus args) with env, finishing the session in em as the
// person would once the run waits for it, and returns the exit code, stdout and stderr.
func runHalf2Completing(t *testing.T, em *emulator.Emulator, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return runWatching(ctx, env, func(r map[string]any) {
		if r["event"] != "waiting" {
			return
		}
		url, _ := r["hosted_link_url"].(string)
		go func() {
			if err := em.CompleteSession(ctx, url, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
				t.Errorf("CompleteSession: %v", err)
			}
		}()
	}, append([]string{"--half", "2"}, args...)...)
}

// runWatching runs the app headless in-process (--no-tui plus args) with env, handing on each JSON
// record as it is printed, so a test can act on the run as a person or Plaid would (finish the
// session, send a webhook); it returns the exit code, stdout and stderr once the run ends.
func runWatching(ctx context.Context, env map[string]string, on func(r map[string]any), args ...string) (int, string, string) {
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"--no-tui"}, args...), func(k string) string { return env[k] }, pw, &stderr)
		pw.Close()
	}()
	var stdout strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			on(r)
		}
	}
	return <-code, stdout.String(), stderr.String()
}

// runHalf2Against is runHalf2Completing in Sandbox mode against plaidURL with a transcript, which
// it returns instead of stderr.
func runHalf2Against(t *testing.T, em *emulator.Emulator, plaidURL, clientID, secret string) (int, string, string) {
	t.Helper()
	env := map[string]string{"PLAID_CLIENT_ID": clientID, "PLAID_SECRET": secret, "PLAID_BASE_URL": plaidURL}
	transcript := filepath.Join(t.TempDir(), "run.jsonl")
	code, stdout, stderr := runHalf2Completing(t, em, env, "--env-file", emptyEnvFile(t), "--transcript", transcript)
	if stderr != "" {
		t.Logf("stderr: %s", stderr)
	}
	file, _ := os.ReadFile(transcript)
	return code, stdout, string(file)
}

var fullToken = regexp.MustCompile(`(access|public)-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// An access token that an answer puts in an account name (inside the accounts array) is masked
// on stdout and in the transcript, as in every other field.
func TestAccessTokenInAnAccountNameIsMasked(t *testing.T) {
	const clientID, secret = "maskclient000001", "masksecret0123456789abcdef"
	em, url := hostilePlaid(t, clientID, secret, func(path string, req map[string]any, status int, body []byte) (int, []byte) {
		if path != "/accounts/get" || status != http.StatusOK {
			return status, body
		}
		var answer map[string]any
		if err := json.Unmarshal(body, &answer); err != nil {
			return status, body
		}
		for _, a := range answer["accounts"].([]any) {
			a.(map[string]any)["name"] = "Checking " + req["access_token"].(string)
		}
		b, _ := json.Marshal(answer)
		return status, b
	})
	code, stdout, transcript := runHalf2Against(t, em, url, clientID, secret)
	if code != 0 || !strings.Contains(stdout, `"public_token_exchanged"`) || !strings.Contains(stdout, "Checking access-sandbox-") {
		t.Fatalf("exit %d; the run did not reach the rewritten accounts:\n%s", code, stdout)
	}
	for name, out := range map[string]string{"stdout": stdout, "transcript": transcript} {
		if m := fullToken.FindString(out); m != "" {
			t.Errorf("%s holds the token %s in full:\n%s", name, m, out)
		}
	}
}

// A public token that Plaid's exchange error echoes is masked in the error record and in done.
func TestPublicTokenEchoedInAnExchangeErrorIsMasked(t *testing.T) {
	const clientID, secret = "maskclient000002", "masksecret0123456789abcdeg"
	em, url := hostilePlaid(t, clientID, secret, func(path string, req map[string]any, status int, body []byte) (int, []byte) {
		if path != "/item/public_token/exchange" {
			return status, body
		}
		return http.StatusBadRequest, []byte(fmt.Sprintf(`{"error_type":"INVALID_INPUT","error_code":"INVALID_PUBLIC_TOKEN","error_message":"provided public token %s is in an invalid format","display_message":null,"request_id":"req-echo"}`, req["public_token"]))
	})
	code, stdout, transcript := runHalf2Against(t, em, url, clientID, secret)
	if code != 1 || !strings.Contains(stdout, "INVALID_PUBLIC_TOKEN") || !strings.Contains(stdout, `"done"`) {
		t.Fatalf("exit %d; the run did not end on the exchange error:\n%s", code, stdout)
	}
	for name, out := range map[string]string{"stdout": stdout, "transcript": transcript} {
		if m := fullToken.FindString(out); m != "" {
			t.Errorf("%s holds the token %s in full:\n%s", name, m, out)
		}
		if !strings.Contains(out, "provided public token public-sandbox-") {
			t.Errorf("%s lost the error's text around the masked token:\n%s", name, out)
		}
	}
}

func TestDebugLogIsPrivateAndMasked(t *testing.T) {
	defer log.SetOutput(os.Stderr)
	defer log.SetPrefix(log.Prefix())

	link, target := symlinkTo(t, debugLogFile)
	if f, err := openDebugLog(link); err == nil {
		f.Close()
		t.Fatal("the debug log followed a symlink")
	} else if !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "LINKRECOVERY_DEBUG") {
		t.Errorf("error does not name the cause: %v", err)
	}
	assertUntouched(t, target)

	path := filepath.Join(t.TempDir(), debugLogFile)
	if err := os.WriteFile(path, []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openDebugLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const tok = "debug-log-secret-0123456789abcdef"
	secret.Register(tok)
	log.Printf("request failed: PLAID-SECRET=%s", tok)
	f.Close()
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("debug log mode %v, want 0600", fi.Mode().Perm())
	}
	if strings.Contains(string(b), tok) || !strings.Contains(string(b), secret.Mask(tok)) || !strings.HasPrefix(string(b), "earlier run\n") {
		t.Errorf("debug log = %q", b)
	}
}

// The headless run's stdout (and transcript) mask a PLAID_SECRET that a proxy echoed into an error
// body, and hold no raw control character (encoding/json escapes them).
func TestHeadlessStdoutMasksEchoedSecret(t *testing.T) {
	const plaidSecret = "headless-echoed-secret-0123456789ab"
	proxy := testkit.EchoingProxy(t)
	env := map[string]string{"PLAID_CLIENT_ID": "headless-client-id", "PLAID_SECRET": plaidSecret, "PLAID_BASE_URL": proxy.URL}
	transcript := filepath.Join(t.TempDir(), "run.jsonl")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t),
		"--webhook-url", "http://127.0.0.1:9/webhook", "--listen", "127.0.0.1:0", "--transcript", transcript},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %s stderr %s", code, stdout.String(), stderr.String())
	}
	file, _ := os.ReadFile(transcript)
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "transcript": string(file)} {
		if strings.Contains(out, plaidSecret) {
			t.Errorf("%s holds PLAID_SECRET: %s", name, out)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s holds a raw control character: %q", name, out)
		}
	}
	if !strings.Contains(stdout.String(), secret.Mask(plaidSecret)) || !strings.Contains(stdout.String(), `\u001b]2;PWNED\u0007`) {
		t.Errorf("stdout lacks the masked secret or the escaped sequence:\n%s", stdout.String())
	}
}
