package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/testkit/hookcheck"
)

// webhook is one delivery the receiver got.
type webhook struct {
	Path      string // receiver path it was sent to, which tells the link tokens' webhooks apart
	Body      []byte
	Signature string // the Plaid-Verification header
	Fields    map[string]any
	Verified  error // nil when the Plaid-Verification JWT checked out
	At        time.Time
}

func (w webhook) str(k string) string { s, _ := w.Fields[k].(string); return s }

func (w webhook) code() string { return w.str("webhook_code") }

func (w webhook) strings(k string) []string {
	raw, _ := w.Fields[k].([]any)
	var out []string
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// eventNames returns event_name of each event of an EVENTS webhook, in order.
func (w webhook) eventNames() []string {
	var out []string
	raw, _ := w.Fields["events"].([]any)
	for _, e := range raw {
		m, _ := e.(map[string]any)
		n, _ := m["event_name"].(string)
		out = append(out, n)
	}
	return out
}

// event returns the first event named name of an EVENTS webhook.
func (w webhook) event(name string) map[string]any {
	raw, _ := w.Fields["events"].([]any)
	for _, e := range raw {
		if m, _ := e.(map[string]any); m["event_name"] == name {
			return m
		}
	}
	return nil
}

// receiver is the test's webhook endpoint. It verifies each delivery the way Plaid tells integrators
// to (hookcheck: an ES256 JWT whose key comes from /webhook_verification_key/get, whose iat is at most
// 5 minutes old and whose request_body_sha256 is the body's SHA-256) and keeps it for the test.
type receiver struct {
	t   *testing.T
	h   *harness
	srv *httptest.Server

	// verifier is set by newHarness once the client exists, before any token names this receiver.
	verifier *hookcheck.Verifier

	mu  sync.Mutex
	got []webhook
}

func newReceiver(t *testing.T, h *harness) *receiver {
	r := &receiver{t: t, h: h}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook/", r.serveHook)
	// The completion_redirect_uri lands here: a page in the Hosted Link contract's shape, so the browser
	// can wait for it like any other step.
	mux.HandleFunc("GET /done/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>done</title><main id="step" data-step="redirected">Back in the app</main>`)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// URL returns the receiver URL for path (e.g. "/hook/half2").
func (r *receiver) URL(path string) string { return r.srv.URL + path }

func (r *receiver) serveHook(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	wh := webhook{Path: req.URL.Path, Body: body, Signature: req.Header.Get("Plaid-Verification"), At: time.Now()}
	if err := json.Unmarshal(body, &wh.Fields); err != nil {
		wh.Verified = fmt.Errorf("body is not JSON: %v", err)
	} else {
		wh.Verified = r.verifier.Verify(req.Context(), wh.Signature, body)
	}
	r.mu.Lock()
	r.got = append(r.got, wh)
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// all returns every webhook received so far.
func (r *receiver) all() []webhook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor waits for a webhook matching match, checks that it is verified and matches Plaid's schema,
// and returns it. what describes it in the failure message.
func (r *receiver) waitFor(what string, match func(webhook) bool) webhook {
	r.t.Helper()
	var found *webhook
	testkit.Within(waitTimeout, func() bool {
		for _, w := range r.all() {
			if match(w) {
				found = &w
				return true
			}
		}
		return false
	})
	if found == nil {
		var seen []string
		for _, w := range r.all() {
			seen = append(seen, fmt.Sprintf("%s %s status=%s session=%s events=%v", w.Path, w.code(), w.str("status"), w.str("link_session_id"), w.eventNames()))
		}
		r.t.Fatalf("no %s webhook within %s; received %d: %s", what, waitTimeout, len(seen), strings.Join(seen, "; "))
	}
	r.check(*found)
	return *found
}

var webhookSchemas = map[string]string{
	"SESSION_FINISHED": "LinkSessionFinishedWebhook",
	"ITEM_ADD_RESULT":  "ItemAddResultWebhook",
	"EVENTS":           "LinkEventsWebhook",
}

// check fails the test if w is unverified or breaks Plaid's schema for its code.
func (r *receiver) check(w webhook) {
	r.t.Helper()
	if w.Verified != nil {
		r.t.Errorf("%s webhook to %s failed verification: %v", w.code(), w.Path, w.Verified)
	}
	if w.str("webhook_type") != "LINK" {
		r.t.Errorf("%s webhook has webhook_type %q, want LINK", w.code(), w.str("webhook_type"))
	}
	if r.h.spec == nil {
		return
	}
	name, ok := webhookSchemas[w.code()]
	if !ok {
		r.t.Errorf("unexpected webhook_code %q", w.code())
		return
	}
	r.h.spec.ValidateSchema(r.t, name, w.Body)
}

// checkAll checks every webhook received so far; tests call it at the end so no stray delivery slips by.
func (r *receiver) checkAll() {
	r.t.Helper()
	for _, w := range r.all() {
		r.check(w)
	}
}
