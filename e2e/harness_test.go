// Package e2e tests linkrecovery end to end: the emulator's Hosted Link pages in real headless
// Chromium, webhooks verified as Plaid documents it, and (tui_tmux_test.go) the TUI in a real terminal.
package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/spec"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// waitTimeout bounds every wait on a condition in this package (a webhook, a transcript record, text
// or a QR code on the screen, the app's exit). Generous: the machine is shared, -race is slow, and
// the whole suite runs beside these tests; a wait ends as soon as its condition holds, so it costs
// nothing when things are fast.
const waitTimeout = 3 * time.Minute

// harness is one emulator behind a loopback HTTP server, a plaid-go client pointed at it, and a
// webhook receiver that verifies every delivery.
type harness struct {
	t      *testing.T
	em     *emulator.Emulator
	srv    *emulatortest.Server
	client *plaid.APIClient
	spec   *spec.Doc // nil when Plaid's OpenAPI file is absent: bodies are then not schema-checked
	hooks  *receiver
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t}
	if d, err := spec.LoadDefault(); err == nil {
		h.spec = d
	} else if errors.Is(err, spec.ErrNotFound) {
		t.Logf("not checking bodies against Plaid's OpenAPI spec: %v", err)
	} else {
		t.Fatalf("Plaid's OpenAPI spec: %v", err)
	}

	// The receiver starts first so it is closed last: the emulator may still be delivering when the
	// test ends, and it must be stopped (em.Close) before its target goes away.
	h.hooks = newReceiver(t, h)

	srv := emulatortest.New(t,
		emulatortest.WithConfig(emulator.Config{
			WebhookBackoff: 50 * time.Millisecond,
			Logf:           func(format string, args ...any) { t.Logf("emulator: "+format, args...) },
		}),
		emulatortest.WithTransport(func(base http.RoundTripper) http.RoundTripper { return &specTransport{h: h, base: base} }))
	h.em, h.srv, h.client = srv.Emulator, srv, srv.Client
	return h
}

// specTransport checks every Plaid API response the tests get against Plaid's OpenAPI spec, so the
// emulator cannot pass these tests with shapes the real API would never send.
type specTransport struct {
	h    *harness
	base http.RoundTripper
}

func (s *specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil || s.h.spec == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := s.h.spec.ValidateResponseErr(req.Method, req.URL.Path, resp.StatusCode, body); err != nil {
		s.h.t.Errorf("emulator response breaks Plaid's spec: %v", err)
	}
	return resp, nil
}

// createToken makes a Hosted Link token whose webhook is the receiver at hookPath.
func (h *harness) createToken(hookPath, redirect string) plaid.LinkTokenCreateResponse {
	h.t.Helper()
	req := plaid.NewLinkTokenCreateRequest("linkrecovery e2e", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US},
		*plaid.NewLinkTokenCreateRequestUser("e2e-user-" + strings.ReplaceAll(h.t.Name(), "/", "-")))
	req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetWebhook(h.hooks.URL(hookPath))
	hl := plaid.NewLinkTokenCreateHostedLink()
	if redirect != "" {
		hl.SetCompletionRedirectUri(redirect)
	}
	req.SetHostedLink(*hl)
	resp, _, err := h.client.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		h.t.Fatalf("/link/token/create: %v", plaidErr(err))
	}
	if resp.LinkToken == "" || resp.HostedLinkUrl == nil || *resp.HostedLinkUrl == "" {
		h.t.Fatalf("/link/token/create gave link_token %q and hosted_link_url %v; want both", short(resp.LinkToken), resp.HostedLinkUrl)
	}
	if !strings.HasPrefix(*resp.HostedLinkUrl, h.srv.URL+"/hosted-link/") {
		h.t.Fatalf("hosted_link_url %q is not under the emulator's base URL %s/hosted-link/", *resp.HostedLinkUrl, h.srv.URL)
	}
	return resp
}

// exchange swaps a public token for an access token and returns the Item id. The access token is a
// secret: it is checked, never logged.
func (h *harness) exchange(publicToken string) string {
	h.t.Helper()
	resp, _, err := h.client.PlaidApi.ItemPublicTokenExchange(context.Background()).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(publicToken)).Execute()
	if err != nil {
		h.t.Fatalf("/item/public_token/exchange: %v", plaidErr(err))
	}
	if !strings.HasPrefix(resp.AccessToken, "access-sandbox-") || resp.ItemId == "" {
		h.t.Fatalf("/item/public_token/exchange gave access token %q and item %q; want access-sandbox-… and an id", short(resp.AccessToken), resp.ItemId)
	}
	// A public token is single-use, as in Plaid.
	if _, _, err := h.client.PlaidApi.ItemPublicTokenExchange(context.Background()).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(publicToken)).Execute(); err == nil {
		h.t.Errorf("exchanging public token %s twice succeeded; Plaid rejects the second exchange", short(publicToken))
	}
	return resp.ItemId
}

func (h *harness) linkTokenGet(token string) plaid.LinkTokenGetResponse {
	h.t.Helper()
	resp, _, err := h.client.PlaidApi.LinkTokenGet(context.Background()).
		LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(token)).Execute()
	if err != nil {
		h.t.Fatalf("/link/token/get: %v", plaidErr(err))
	}
	return resp
}

func plaidErr(err error) error {
	var g *plaid.GenericOpenAPIError
	if errors.As(err, &g) {
		return fmt.Errorf("%w: %s", err, g.Body())
	}
	return err
}

// short shows the start of a token only: enough to tell tokens apart, never the whole secret.
func short(s string) string {
	if len(s) <= 24 {
		return s
	}
	return s[:24] + "…"
}

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
// to: the Plaid-Verification header is an ES256 JWT whose key comes from /webhook_verification_key/get,
// whose iat is at most 5 minutes old and whose request_body_sha256 is the body's SHA-256.
type receiver struct {
	t   *testing.T
	h   *harness
	srv *httptest.Server

	mu   sync.Mutex
	got  []webhook
	keys map[string]*ecdsa.PublicKey
}

func newReceiver(t *testing.T, h *harness) *receiver {
	r := &receiver{t: t, h: h, keys: map[string]*ecdsa.PublicKey{}}
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
		wh.Verified = r.verify(req.Context(), body, wh.Signature)
	}
	r.mu.Lock()
	r.got = append(r.got, wh)
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// verify checks a Plaid-Verification JWT against body.
func (r *receiver) verify(ctx context.Context, body []byte, token string) error {
	if token == "" {
		return errors.New("no Plaid-Verification header")
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("JWT header has no kid")
		}
		if typ, _ := tok.Header["typ"].(string); typ != "JWT" {
			return nil, fmt.Errorf("JWT header typ %q, want JWT", typ)
		}
		return r.key(ctx, kid)
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil {
		return fmt.Errorf("JWT: %w", err)
	}
	if !parsed.Valid {
		return errors.New("JWT not valid")
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return fmt.Errorf("JWT has no usable iat: %v", err)
	}
	if age := time.Since(iat.Time); age > 5*time.Minute || age < -time.Minute {
		return fmt.Errorf("JWT iat is %s old; Plaid says to reject anything older than 5 minutes", age)
	}
	want, _ := claims["request_body_sha256"].(string)
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(hex.EncodeToString(sum[:]))) != 1 {
		return errors.New("request_body_sha256 does not match the body")
	}
	return nil
}

// key fetches (and caches) the verification key kid with plaid-go.
func (r *receiver) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	r.mu.Lock()
	k := r.keys[kid]
	r.mu.Unlock()
	if k != nil {
		return k, nil
	}
	resp, _, err := r.h.client.PlaidApi.WebhookVerificationKeyGet(ctx).
		WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
	if err != nil {
		return nil, fmt.Errorf("/webhook_verification_key/get %s: %w", kid, plaidErr(err))
	}
	jwk := resp.Key
	if jwk.Kty != "EC" || jwk.Crv != "P-256" || jwk.Alg != "ES256" || jwk.Kid != kid {
		return nil, fmt.Errorf("key %s is kty=%s crv=%s alg=%s kid=%s; want EC P-256 ES256 %s", kid, jwk.Kty, jwk.Crv, jwk.Alg, jwk.Kid, kid)
	}
	if exp := jwk.ExpiredAt.Get(); jwk.ExpiredAt.IsSet() && exp != nil && time.Unix(int64(*exp), 0).Before(time.Now()) {
		return nil, fmt.Errorf("key %s expired at %d", kid, *exp)
	}
	x, errX := base64.RawURLEncoding.DecodeString(jwk.X)
	y, errY := base64.RawURLEncoding.DecodeString(jwk.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, fmt.Errorf("key %s: x/y are not 32-byte base64url values (%v, %v)", kid, errX, errY)
	}
	k, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), slices.Concat([]byte{4}, x, y))
	if err != nil {
		return nil, fmt.Errorf("key %s is not a P-256 point: %w", kid, err)
	}
	r.mu.Lock()
	r.keys[kid] = k
	r.mu.Unlock()
	return k, nil
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

type plaidSession = plaid.LinkTokenGetSessionsResponse
