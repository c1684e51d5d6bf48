package env_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// A proxy that echoes the request headers puts PLAID-SECRET in a non-Plaid error body, which the
// error quotes: the secret must be masked on stdout (JSON lines) and in the transcript, wherever
// it sits in a record; and the JSON lines carry no raw control character.
func TestEchoedSecretIsMaskedInRecords(t *testing.T) {
	const plaidSecret = "echoed-plaid-secret-0123456789abcdef"
	srv := testkit.EchoingProxy(t)
	e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-echo-test", Secret: plaidSecret, PlaidURL: srv.URL})
	path := filepath.Join(t.TempDir(), "transcript.jsonl")
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, flows.Tee(flows.JSONLines(&stdout), tr.Emit)) {
		t.Fatal("a run against a failing proxy passed")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"stdout": stdout.String(), "transcript": string(file)} {
		if strings.Contains(out, plaidSecret) {
			t.Errorf("%s holds PLAID_SECRET:\n%s", name, out)
		}
		if !strings.Contains(out, "PLAID-SECRET: "+secret.Mask(plaidSecret)) {
			t.Errorf("%s lacks the masked secret %q where the proxy quoted it:\n%s", name, secret.Mask(plaidSecret), out)
		}
		if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `\u001b]2;PWNED\u0007`) {
			t.Errorf("%s: control characters are not JSON-escaped:\n%q", name, out)
		}
	}
	// The error itself, as the TUI gets it, is masked too.
	_, err = e.CreatePollingLinkToken(ctx)
	var ce *flows.CallError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), plaidSecret) || !strings.Contains(ce.Cause, secret.Mask(plaidSecret)) {
		t.Errorf("error = %v", err)
	}
}

// A 2xx answer whose body does not decode is not quoted: it may be the very token the call made.
func TestUndecodable2xxBodyIsNeverQuoted(t *testing.T) {
	const access = "access-sandbox-11111111-2222-4333-8444-555555555555"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// item_id is a number where Plaid sends a string, so plaid-go cannot decode it.
		fmt.Fprintf(w, `{"access_token":%q,"item_id":42,"request_id":"req-2xx"}`, access)
	}))
	defer srv.Close()
	e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-2xx-test", Secret: "secret-2xx-0123456789abcdef", PlaidURL: srv.URL})
	_, err := e.Exchange(context.Background(), "public-sandbox-00000000-0000-4000-8000-000000000000")
	var ce *flows.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("want a CallError, got %T %v", err, err)
	}
	rec := fmt.Sprint(flows.ErrorRecord("exchange", err))
	for _, s := range []string{err.Error(), ce.Cause, rec} {
		if strings.Contains(s, access) || strings.Contains(s, "11111111") {
			t.Errorf("the undecodable body was quoted: %s", s)
		}
	}
	if !strings.Contains(ce.Cause, "HTTP 200") || !strings.Contains(ce.Cause, "not shown") {
		t.Errorf("cause does not say what happened: %s", ce.Cause)
	}
}

// Plaid returns hosted_link_url whenever the request has a hosted_link object; there is nothing
// to ask Plaid support to enable, so the hint must not send the user there.
func TestMissingHostedLinkURLHint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"link_token":"link-sandbox-00000000-0000-4000-8000-00000000abcd","expiration":"2026-01-02T15:04:05Z","request_id":"req-nohl"}`)
	}))
	defer srv.Close()
	e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-hl-test", Secret: "secret-hl-0123456789abcdef", PlaidURL: srv.URL})
	_, err := e.CreatePollingLinkToken(context.Background())
	var ce *flows.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("want a CallError, got %T %v", err, err)
	}
	if strings.Contains(ce.Next, "enable it") || !strings.Contains(ce.Next, "PLAID_BASE_URL") ||
		!strings.Contains(ce.Next, "hosted_link") || !strings.Contains(ce.Next, "req-nohl") {
		t.Errorf("hint = %q", ce.Next)
	}
}

// The transcript never writes through a symlink someone left at its path.
func TestOpenTranscriptRefusesSymlink(t *testing.T) {
	link, kept := testkit.SymlinkTrap(t, "transcript.jsonl")
	tr, err := flows.OpenTranscript(link)
	if err == nil {
		tr.Close()
		t.Fatal("OpenTranscript followed a symlink")
	}
	if !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
		t.Errorf("error does not name the cause: %v", err)
	}
	if !kept() {
		t.Error("the link's target changed")
	}
}

// A hand-picked secret shorter than 8 characters (as an emulator may be given) is masked where a
// proxy echoes it, like a long one.
func TestShortEchoedSecretIsMasked(t *testing.T) {
	const plaidSecret = "s3cr3t7"
	srv := testkit.EchoingProxy(t)
	e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-short-echo", Secret: plaidSecret, PlaidURL: srv.URL})
	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, flows.JSONLines(&stdout)) {
		t.Fatal("a run against a failing proxy passed")
	}
	if strings.Contains(stdout.String(), plaidSecret) || !strings.Contains(stdout.String(), "PLAID-SECRET: ****") {
		t.Errorf("stdout does not mask the short secret where the proxy quoted it:\n%s", stdout.String())
	}
}
