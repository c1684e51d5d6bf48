package env_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/spec"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// plaidPaths are the Plaid endpoints the flows (and the receiver's key source) call.
var plaidPaths = map[string]bool{
	"/link/token/create": true, "/link/token/get": true, "/item/public_token/exchange": true,
	"/item/get": true, "/accounts/get": true, "/webhook_verification_key/get": true,
}

type captured struct {
	path   string
	header http.Header
	body   []byte
}

// Every request the flows send to Plaid is valid against Plaid's OpenAPI description, and the
// link token asks for exactly what Link Recovery needs.
func TestRequestsMatchPlaidSpec(t *testing.T) {
	doc := spec.Load(t) // skips when the spec file is absent
	var mu sync.Mutex
	var calls []captured
	srv := emulatortest.New(t, emulatortest.WithHandler(func(emu http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if plaidPaths[r.URL.Path] {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				mu.Lock()
				calls = append(calls, captured{r.URL.Path, r.Header.Clone(), body})
				mu.Unlock()
			}
			emu.ServeHTTP(w, r)
		})
	}))
	emu := srv.Emulator

	e := testkit.DemoEnv(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL,
		RedirectURI: "https://example.com/linkrecovery/done"})
	rec, ctx := newRecorder(t), testkit.Context(t)
	result := make(chan bool, 1)
	go func() {
		result <- env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", PollInterval: 20 * time.Millisecond}, rec.Emit)
	}()
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	if lt["completion_redirect_uri"] != "https://example.com/linkrecovery/done" {
		t.Errorf("--redirect-uri not used: %v", lt["completion_redirect_uri"])
	}
	if err := emu.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}

	mu.Lock()
	defer mu.Unlock()
	seen := map[string]bool{}
	for _, c := range calls {
		seen[c.path] = true
		doc.ValidateRequest(t, http.MethodPost, c.path, c.body)
		if c.header.Get("Plaid-Client-Id") != emu.ClientID() || c.header.Get("Plaid-Secret") == "" {
			t.Errorf("%s: keys not sent as headers", c.path)
		}
		if strings.Contains(string(c.body), emu.Secret()) {
			t.Errorf("%s: secret in the body", c.path)
		}
		if c.header.Get("Plaid-Version") != "2020-09-14" {
			t.Errorf("%s: Plaid-Version %q", c.path, c.header.Get("Plaid-Version"))
		}
		if c.path != "/link/token/create" {
			continue
		}
		var body struct {
			ClientName   string   `json:"client_name"`
			Language     string   `json:"language"`
			CountryCodes []string `json:"country_codes"`
			Products     []string `json:"products"`
			Webhook      string   `json:"webhook"`
			User         struct {
				ClientUserID string `json:"client_user_id"`
			} `json:"user"`
			HostedLink *struct {
				CompletionRedirectURI string `json:"completion_redirect_uri"`
				URLLifetimeSeconds    int    `json:"url_lifetime_seconds"`
			} `json:"hosted_link"`
		}
		if err := json.Unmarshal(c.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.ClientName != "linkrecovery" || body.Language != "en" || strings.Join(body.CountryCodes, ",") != "US" ||
			strings.Join(body.Products, ",") != "auth" || body.Webhook != e.WebhookURL() ||
			!strings.HasPrefix(body.User.ClientUserID, "linkrecovery-") || len(body.User.ClientUserID) <= len("linkrecovery-") {
			t.Errorf("link token request = %s", c.body)
		}
		if body.HostedLink == nil || body.HostedLink.CompletionRedirectURI != "https://example.com/linkrecovery/done" ||
			body.HostedLink.URLLifetimeSeconds != 1800 {
			t.Errorf("hosted_link = %+v", body.HostedLink)
		}
	}
	for _, p := range []string{"/link/token/create", "/item/public_token/exchange", "/item/get", "/accounts/get"} {
		if !seen[p] {
			t.Errorf("%s was never called", p)
		}
	}
}
