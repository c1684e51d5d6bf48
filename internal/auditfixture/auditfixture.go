// Package auditfixture is a developer's Plaid webhook handler with its faults switched on one by
// one: the fixtures that emulator/audit's tests and the `linkrecovery audit` command's tests grade
// (issue 17's "Done when"). It is for tests only.
package auditfixture

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Fixture says which faults the handler has.
type Fixture struct {
	Verify      bool // check Plaid-Verification with internal/webhook's verifier
	Reserialise bool // hash a compacted re-encoding instead of the raw bytes
	Dedupe      bool // exchange each public token once
	FirstOnly   bool // exchange only public_tokens[0]
	Fail500     bool // answer 500 to EXITED
	Hang        bool // answer only when the sender gives up
}

// Correct verifies and exchanges each public token once: every case passes.
var Correct = Fixture{Verify: true, Dedupe: true}

// Handler is the handler for a Plaid client pointed at the emulator.
func (f Fixture) Handler(t testing.TB, client *plaid.APIClient) http.Handler {
	return f.HandlerFor(t, func() *plaid.APIClient { return client })
}

// HandlerFor is Handler with the client looked up at the first webhook that needs it: for a
// handler started before the emulator it will talk to (the command starts its own), as an app
// that reads its keys at the first request.
func (f Fixture) HandlerFor(t testing.TB, client func() *plaid.APIClient) http.Handler {
	verifier := webhook.NewVerifier(webhook.KeySourceFunc(func(ctx context.Context, kid string) (webhook.Key, error) {
		return webhook.PlaidKeySource(client()).WebhookKey(ctx, kid)
	}))
	var mu sync.Mutex
	seen := map[string]bool{}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the target's Close, which waits for handlers
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body) // read first, so that the server notices the sender giving up
		if f.Hang {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		var hook struct {
			Code         string   `json:"webhook_code"`
			Status       string   `json:"status"`
			PublicTokens []string `json:"public_tokens"`
		}
		if err := json.Unmarshal(raw, &hook); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		if f.Verify {
			hashed := raw
			if f.Reserialise {
				var buf bytes.Buffer
				_ = json.Compact(&buf, raw)
				hashed = buf.Bytes()
			}
			if err := verifier.Verify(r.Context(), r.Header.Get("Plaid-Verification"), hashed); err != nil {
				w.WriteHeader(http.StatusOK) // refused quietly: Plaid must not retry a forgery
				return
			}
		}
		if hook.Code != "SESSION_FINISHED" {
			w.WriteHeader(http.StatusOK)
			return
		}
		if hook.Status == "EXITED" && f.Fail500 {
			http.Error(w, "no tokens", http.StatusInternalServerError)
			return
		}
		toks := hook.PublicTokens
		if f.FirstOnly && len(toks) > 1 {
			toks = toks[:1]
		}
		c := client()
		for _, tok := range toks {
			mu.Lock()
			dup := seen[tok]
			seen[tok] = true
			mu.Unlock()
			if dup && f.Dedupe {
				continue
			}
			_, _, _ = c.PlaidApi.ItemPublicTokenExchange(r.Context()).
				ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(tok)).Execute()
		}
		w.WriteHeader(http.StatusOK)
	})
}
