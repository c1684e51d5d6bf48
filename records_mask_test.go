package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
)

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
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"--no-tui", "--half", "2"}, args...), func(k string) string { return env[k] }, pw, &stderr)
		pw.Close()
	}()
	var stdout strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) == nil && r["event"] == "waiting" {
			url, _ := r["hosted_link_url"].(string)
			go func() {
				if err := em.CompleteSession(ctx, url, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
					t.Errorf("CompleteSession: %v", err)
				}
			}()
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
