// Package e2e tests linkrecovery end to end: the emulator's Hosted Link pages in real headless
// Chromium, webhooks verified as Plaid documents it, and (tui_tmux_test.go) the TUI in a real terminal.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/spec"
	"github.com/bankdown/linkrecovery/internal/testkit/bodytap"
	"github.com/bankdown/linkrecovery/internal/testkit/hookcheck"
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
		emulatortest.WithTransport(func(base http.RoundTripper) http.RoundTripper {
			return &bodytap.Transport{Next: base, Seen: h.checkSpec}
		}))
	h.em, h.srv, h.client = srv.Emulator, srv, srv.Client
	h.hooks.verifier = hookcheck.New(h.client)
	return h
}

// checkSpec holds every Plaid API response the tests get to Plaid's OpenAPI spec, so the emulator
// cannot pass these tests with shapes the real API would never send.
func (h *harness) checkSpec(req *http.Request, resp *http.Response, body []byte) {
	if h.spec == nil {
		return
	}
	if err := h.spec.ValidateResponseErr(req.Method, req.URL.Path, resp.StatusCode, body); err != nil {
		h.t.Errorf("emulator response breaks Plaid's spec: %v", err)
	}
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

type plaidSession = plaid.LinkTokenGetSessionsResponse
