package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/spec"
	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// specOrNil returns Plaid's spec when it is on disk, so error tests still run (unvalidated) without it.
func specOrNil(t *testing.T) *spec.Doc {
	d, err := spec.LoadDefault()
	if err != nil {
		t.Logf("not validating against the OpenAPI spec: %v", err)
		return nil
	}
	return d
}

// rawPost sends body to path with the given keys in the headers, outside plaid-go, for inputs
// plaid-go would never produce.
func rawPost(t *testing.T, v *env, path, body string, headers map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, v.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func keys(v *env) map[string]string {
	return map[string]string{"PLAID-CLIENT-ID": v.emu.ClientID(), "PLAID-SECRET": v.emu.Secret()}
}

// TestBadInputGetsPlaidErrors sends every kind of bad input the issue lists and checks each answer is
// Plaid's error shape with Plaid's status, type and code, and that the emulator keeps serving.
func TestBadInputGetsPlaidErrors(t *testing.T) {
	clk := &clock{}
	v := newEnv(t, Config{Now: clk.now})
	doc := specOrNil(t)
	ctx := v.ctx
	api := v.client.PlaidApi

	// A valid Item and public token to misuse later.
	pt, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
		*plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})).Execute()
	if err != nil {
		t.Fatalf("/sandbox/public_token/create: %v %s", err, errBody(err))
	}
	stale, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
		*plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_AUTH})).Execute()
	if err != nil {
		t.Fatalf("/sandbox/public_token/create: %v", err)
	}
	if _, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute(); err != nil {
		t.Fatalf("first exchange: %v", err)
	}

	wrongKeys := plaid.NewConfiguration()
	wrongKeys.AddDefaultHeader("PLAID-CLIENT-ID", v.emu.ClientID())
	wrongKeys.AddDefaultHeader("PLAID-SECRET", strings.Repeat("0", 30))
	wrongKeys.UseEnvironment(plaid.Environment(v.srv.URL))
	wrong := plaid.NewAPIClient(wrongKeys).PlaidApi

	ltReq := func(mod func(*plaid.LinkTokenCreateRequest)) plaid.LinkTokenCreateRequest {
		r := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u1"))
		mod(r)
		return *r
	}
	ltCreate := func(mod func(*plaid.LinkTokenCreateRequest)) error {
		_, _, err := api.LinkTokenCreate(ctx).LinkTokenCreateRequest(ltReq(mod)).Execute()
		return err
	}

	cases := []struct {
		name             string
		call             func() error
		status           int
		errType, errCode string
		msgHas           string
	}{
		{"wrong secret", func() error {
			_, _, err := wrong.LinkTokenCreate(ctx).LinkTokenCreateRequest(ltReq(func(*plaid.LinkTokenCreateRequest) {})).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_API_KEYS", "client_id or secret"},
		{"missing client_name", func() error { return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.ClientName = "" }) },
			400, "INVALID_REQUEST", "MISSING_FIELDS", "client_name"},
		{"missing language", func() error { return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.Language = "" }) },
			400, "INVALID_REQUEST", "MISSING_FIELDS", "language"},
		{"missing country_codes", func() error { return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.CountryCodes = nil }) },
			400, "INVALID_REQUEST", "MISSING_FIELDS", "country_codes"},
		{"missing client_user_id", func() error {
			return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.SetUser(*plaid.NewLinkTokenCreateRequestUser("")) })
		}, 400, "INVALID_REQUEST", "MISSING_FIELDS", "user.client_user_id"},
		{"unknown product", func() error {
			return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.SetProducts([]plaid.Products{"nonsense"}) })
		}, 400, "INVALID_INPUT", "INVALID_PRODUCT", "nonsense"},
		{"bad webhook URL", func() error { return ltCreate(func(r *plaid.LinkTokenCreateRequest) { r.SetWebhook("not a url") }) },
			400, "INVALID_REQUEST", "INVALID_FIELD", "webhook"},
		{"bad url_lifetime_seconds", func() error {
			return ltCreate(func(r *plaid.LinkTokenCreateRequest) {
				hl := plaid.NewLinkTokenCreateHostedLink()
				hl.SetUrlLifetimeSeconds(-5)
				r.SetHostedLink(*hl)
			})
		}, 400, "INVALID_REQUEST", "INVALID_FIELD", "url_lifetime_seconds"},
		{"unknown link token", func() error {
			_, _, err := api.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest("link-sandbox-" + newUUID())).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_LINK_TOKEN", "link token"},
		{"unknown public token", func() error {
			_, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest("public-sandbox-" + newUUID())).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN", "does not exist"},
		{"reused public token", func() error {
			_, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN", "already been exchanged"},
		{"expired public token", func() error {
			clk.advance(PublicTokenLifetime + time.Minute)
			_, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(stale.PublicToken)).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN", "expired"},
		{"unknown access token (accounts)", func() error {
			_, _, err := api.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest("access-sandbox-" + newUUID())).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "access token"},
		{"unknown access token (item)", func() error {
			_, _, err := api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest("access-sandbox-nope")).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "access token"},
		{"unknown access token (fire_webhook)", func() error {
			_, _, err := api.SandboxItemFireWebhook(ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest("access-sandbox-nope", "DEFAULT_UPDATE")).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "access token"},
		{"unknown key id", func() error {
			_, _, err := api.WebhookVerificationKeyGet(ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest("nope")).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID", "key_id"},
		{"unknown institution", func() error {
			_, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
				*plaid.NewSandboxPublicTokenCreateRequest("ins_nope", []plaid.Products{plaid.PRODUCTS_AUTH})).Execute()
			return err
		}, 400, "INVALID_INPUT", "INVALID_INSTITUTION", "ins_109508"},
		{"missing initial_products", func() error {
			_, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
				*plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, nil)).Execute()
			return err
		}, 400, "INVALID_REQUEST", "MISSING_FIELDS", "initial_products"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			pe := plaidErr(t, err)
			if pe.ErrorType != plaid.PlaidErrorType(c.errType) || pe.ErrorCode != c.errCode {
				t.Errorf("got %s/%s, want %s/%s (%s)", pe.ErrorType, pe.ErrorCode, c.errType, c.errCode, pe.ErrorMessage)
			}
			if !strings.Contains(pe.ErrorMessage, c.msgHas) {
				t.Errorf("error_message %q does not mention %q", pe.ErrorMessage, c.msgHas)
			}
			if pe.GetRequestId() == "" {
				t.Errorf("no request_id in the error")
			}
			ge := err.(plaid.GenericOpenAPIError)
			var raw map[string]any
			mustDecode(t, ge.Body(), &raw)
			if v, ok := raw["display_message"]; !ok || (v != nil && c.errCode != "INSTITUTION_DOWN") {
				t.Errorf("display_message should be present and null, got %v (present %v)", v, ok)
			}
			if !strings.Contains(ge.Error(), http.StatusText(c.status)) {
				t.Errorf("HTTP status %q, want %d", ge.Error(), c.status)
			}
			if doc != nil {
				doc.ValidateSchema(t, "PlaidError", ge.Body())
			}
		})
	}

	// Inputs plaid-go cannot send.
	rawCases := []struct {
		name, path, body string
		headers          map[string]string
		status           int
		errCode          string
	}{
		{"malformed JSON", "/link/token/create", `{"client_name": `, keys(v), 400, "INVALID_BODY"},
		{"empty body", "/item/get", ``, keys(v), 400, "INVALID_BODY"},
		{"array body", "/item/get", `[1,2]`, keys(v), 400, "INVALID_BODY"},
		{"wrong field type", "/link/token/create", `{"client_name":"a","language":"en","country_codes":"US","user":{"client_user_id":"u"}}`, keys(v), 400, "INVALID_FIELD"},
		{"no keys at all", "/item/get", `{"access_token":"x"}`, nil, 400, "INVALID_API_KEYS"},
		{"keys in the body", "/link/token/get", `{"client_id":"` + v.emu.ClientID() + `","secret":"wrong","link_token":"x"}`, nil, 400, "INVALID_API_KEYS"},
		{"unknown path", "/transactions/sync", `{}`, keys(v), 404, "NOT_FOUND"},
	}
	for _, c := range rawCases {
		t.Run(c.name, func(t *testing.T) {
			status, body := rawPost(t, v, c.path, c.body, c.headers)
			var pe plaid.PlaidError
			mustDecode(t, body, &pe)
			if status != c.status || pe.ErrorCode != c.errCode || pe.ErrorMessage == "" || pe.GetRequestId() == "" {
				t.Errorf("HTTP %d %s, want %d %s: %s", status, pe.ErrorCode, c.status, c.errCode, body)
			}
			if doc != nil {
				doc.ValidateSchema(t, "PlaidError", body)
			}
		})
	}

	// Keys in the body work as well as in headers.
	status, body := rawPost(t, v, "/link/token/create", `{"client_id":"`+v.emu.ClientID()+`","secret":"`+v.emu.Secret()+
		`","client_name":"a","language":"en","country_codes":["US"],"user":{"client_user_id":"u"}}`, nil)
	if status != 200 || !strings.Contains(string(body), "link-sandbox-") {
		t.Errorf("keys in the body: HTTP %d %s", status, body)
	}
	// GET on an API path is refused in Plaid's shape too: NOT_FOUND, as Plaid has no GET operation.
	resp, err := http.Get(v.srv.URL + "/item/get")
	if err != nil {
		t.Fatal(err)
	}
	var pe plaid.PlaidError
	if err := json.NewDecoder(resp.Body).Decode(&pe); err != nil || resp.StatusCode != 404 || pe.ErrorType != "INVALID_REQUEST" || pe.ErrorCode != "NOT_FOUND" {
		t.Errorf("GET /item/get: HTTP %d %+v %v", resp.StatusCode, pe, err)
	}
	resp.Body.Close()

	// After all that, the emulator still serves.
	if _, _, err := api.LinkTokenCreate(ctx).LinkTokenCreateRequest(ltReq(func(*plaid.LinkTokenCreateRequest) {})).Execute(); err != nil {
		t.Fatalf("emulator stopped serving after bad input: %v %s", err, errBody(err))
	}
}

// TestHostedLinkExpiry: the URL dies after url_lifetime_seconds (30 min by default) and the token
// with it; both show the expired page and CompleteSession says why.
func TestHostedLinkExpiry(t *testing.T) {
	clk := &clock{}
	v := newEnv(t, Config{Now: clk.now})
	mk := func(lifetime int32) plaid.LinkTokenCreateResponse {
		return v.linkTokenWith(t, func(_ *plaid.LinkTokenCreateRequest, hl *plaid.LinkTokenCreateHostedLink) {
			if lifetime > 0 {
				hl.SetUrlLifetimeSeconds(lifetime)
			}
		})
	}
	short := mk(60)
	long := mk(0) // default 30 min
	clk.advance(2 * time.Minute)
	if st, page := getPage(t, v, short.GetHostedLinkUrl()); st != http.StatusGone || stepOf(page) != "expired" || !strings.Contains(page, "url_lifetime_seconds") {
		t.Errorf("after 2 min a 60 s URL shows HTTP %d step %q", st, stepOf(page))
	}
	if err := v.emu.CompleteSession(v.ctx, short.GetHostedLinkUrl(), goodLogin); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("CompleteSession on an expired URL: %v", err)
	}
	if _, page := getPage(t, v, long.GetHostedLinkUrl()); stepOf(page) != "select" {
		t.Errorf("a 30 min URL after 2 min shows %q, want select", stepOf(page))
	}
	clk.advance(DefaultHostedURLLife)
	if _, page := getPage(t, v, long.GetHostedLinkUrl()); stepOf(page) != "expired" || !strings.Contains(page, "url_lifetime_seconds") {
		t.Errorf("after 32 min the default (30 min) URL shows %q", stepOf(page))
	}
	if err := v.emu.CompleteSession(v.ctx, v.srv.URL+"/hosted-link/nope", Credentials{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("CompleteSession on an unknown link: %v", err)
	}
	if err := v.emu.CompleteSession(v.ctx, "https://elsewhere.example/x", Credentials{}); err == nil || !strings.Contains(err.Error(), "hosted_link_url") {
		t.Errorf("CompleteSession on a foreign URL: %v", err)
	}
}
