package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/spec"
	"github.com/golang-jwt/jwt/v5"
	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// These tests pin the emulator to what Plaid documents (issue 10). Each quotes the doc or spec text
// it follows.

// bodyHashVerifier is a webhook receiver's body check: it compares request_body_sha256 from the
// (already verified) JWT with the SHA-256 of the bytes it hashes.
func bodyHashVerifier(claimed string, hashed []byte) error {
	sum := sha256.Sum256(hashed)
	if hex.EncodeToString(sum[:]) != claimed {
		return fmt.Errorf("request_body_sha256 %s does not match the body's hash %x", claimed, sum)
	}
	return nil
}

// TestWebhookBodyIsIndentedAndHashedRaw: Plaid's webhook-verification docs say request_body_sha256
// "is sensitive to the whitespace in the webhook body and uses a tab-spacing of 2". The emulator sends
// bodies indented with two spaces, so a receiver that hashes a re-serialised body is refused here as
// it would be by Plaid, and one that hashes the raw bytes passes.
func TestWebhookBodyIsIndentedAndHashedRaw(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	ex := sandboxItem(t, v, rc.srv.URL+"/hook")
	if _, _, err := v.client.PlaidApi.SandboxItemFireWebhook(v.ctx).SandboxItemFireWebhookRequest(
		*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, "DEFAULT_UPDATE")).Execute(); err != nil {
		t.Fatalf("fire_webhook: %v %s", err, errBody(err))
	}
	h := rc.waitFor(t, "DEFAULT_UPDATE", 1)[0]
	v.verifyWebhook(t, h) // the signature holds over the raw bytes

	if !bytes.HasPrefix(h.Body, []byte("{\n  \"")) {
		t.Errorf("webhook body is not indented with two spaces: %q", h.Body)
	}
	var anyBody any
	mustDecode(t, h.Body, &anyBody)
	indented, _ := json.MarshalIndent(anyBody, "", "  ")
	if !bytes.Equal(indented, h.Body) {
		t.Errorf("webhook body is not 2-space indented JSON:\n%s", h.Body)
	}

	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(h.Header.Get("Plaid-Verification"), &claims); err != nil {
		t.Fatal(err)
	}
	claimed, _ := claims["request_body_sha256"].(string)
	if err := bodyHashVerifier(claimed, h.Body); err != nil {
		t.Errorf("a receiver hashing the raw body is refused: %v", err)
	}
	compact, _ := json.Marshal(anyBody) // what a receiver gets by re-serialising the parsed body
	if err := bodyHashVerifier(claimed, compact); err == nil {
		t.Errorf("a receiver hashing a re-serialised (compact) body was accepted; it must be refused as Plaid's would be")
	}
}

// sandboxItem makes an Item through /sandbox/public_token/create with webhook and exchanges it.
func sandboxItem(t *testing.T, v *env, webhook string) plaid.ItemPublicTokenExchangeResponse {
	t.Helper()
	req := plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	if webhook != "" {
		opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
		opts.SetWebhook(webhook)
		req.SetOptions(*opts)
	}
	pt, _, err := v.client.PlaidApi.SandboxPublicTokenCreate(v.ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/sandbox/public_token/create: %v %s", err, errBody(err))
	}
	ex, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
	if err != nil {
		t.Fatalf("exchange: %v %s", err, errBody(err))
	}
	return ex
}

// TestHostedLinkLifetimes follows the spec. HostedLinkURLLifetimeSeconds: "How many seconds the link
// will be valid for. Must be positive. Cannot be longer than 21 days. The default lifetime is 7 days
// for links delivered by email, 1 day for links delivered via SMS, and 30 minutes for links not sent
// via Plaid Link delivery." LinkTokenCreateResponse.expiration: "If using Hosted Link, the link_token
// will expire at the same time as the Hosted Link URL".
func TestHostedLinkLifetimes(t *testing.T) {
	clk := &clock{}
	v := newEnv(t, Config{Now: clk.now})
	create := func(lifetime int32) (plaid.LinkTokenCreateResponse, error) {
		req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		hl := plaid.NewLinkTokenCreateHostedLink()
		if lifetime != 0 {
			hl.SetUrlLifetimeSeconds(lifetime)
		}
		req.SetHostedLink(*hl)
		resp, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
		return resp, err
	}
	for _, c := range []struct {
		seconds int32
		want    time.Duration
	}{
		{0, 30 * time.Minute},
		{86400, 24 * time.Hour},
		{21 * 86400, 21 * 24 * time.Hour},
		{60, time.Minute},
	} {
		start := clk.now()
		resp, err := create(c.seconds)
		if err != nil {
			t.Fatalf("url_lifetime_seconds %d refused: %v %s", c.seconds, err, errBody(err))
		}
		if d := resp.GetExpiration().Sub(start); d < c.want-2*time.Second || d > c.want+2*time.Second {
			t.Errorf("url_lifetime_seconds %d: link_token expires %s after creation, want %s (the URL's lifetime)", c.seconds, d, c.want)
		}
		// /link/token/get reports the same expiration.
		got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(resp.LinkToken)).Execute()
		if err != nil || !got.GetExpiration().Equal(resp.GetExpiration()) {
			t.Errorf("/link/token/get expiration %v, want %v (%v)", got.GetExpiration(), resp.GetExpiration(), err)
		}
	}
	for _, bad := range []int32{-1, 21*86400 + 1} {
		_, err := create(bad)
		if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_FIELD" || !strings.Contains(pe.ErrorMessage, "url_lifetime_seconds") {
			t.Errorf("url_lifetime_seconds %d: %s %s, want INVALID_FIELD naming the field", bad, pe.ErrorCode, pe.ErrorMessage)
		}
	}

	// The recovery e-mail's link is delivered by e-mail: 7 days, whatever the token's own expiry.
	resp, err := create(60)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.emu.CompleteSession(v.ctx, resp.GetHostedLinkUrl(), bankDown); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Hour) // the token (60 s) is long gone
	emails, err := v.emu.RestoreInstitution("")
	if err != nil || len(emails) != 1 {
		t.Fatalf("restore: %v %v", emails, err)
	}
	clk.advance(6 * 24 * time.Hour)
	if _, page := getPage(t, v, emails[0].URL); stepOf(page) != "login" {
		t.Errorf("the recovery link 6 days after sending shows %q, want the login page", stepOf(page))
	}
	clk.advance(2 * 24 * time.Hour)
	if _, page := getPage(t, v, emails[0].URL); stepOf(page) != "expired" {
		t.Errorf("the recovery link 8 days after sending shows %q, want expired (7 days)", stepOf(page))
	}
}

// TestRequestErrorsAsPlaidNamesThem sends requests Plaid refuses and checks the error type and code
// against Plaid's error docs, and each body against the spec's PlaidError.
func TestRequestErrorsAsPlaidNamesThem(t *testing.T) {
	v := newEnv(t, Config{})
	doc := specOrNil(t)
	ex := sandboxItem(t, v, "")
	cases := []struct {
		name, path, body, contentType string
		status                        int
		errType, errCode, msgHas      string
	}{
		// Invalid-request docs, MISSING_FIELDS: a required field is missing; the message names them.
		{"missing fields", "/link/token/create", `{"user":{"client_user_id":"u"}}`, "application/json",
			400, "INVALID_REQUEST", "MISSING_FIELDS", "client_name, country_codes, language"},
		{"missing nested field", "/link/token/create", `{"client_name":"a","language":"en","country_codes":["US"],"user":{}}`, "application/json",
			400, "INVALID_REQUEST", "MISSING_FIELDS", "user.client_user_id"},
		{"missing access_token", "/accounts/balance/get", `{}`, "application/json",
			400, "INVALID_REQUEST", "MISSING_FIELDS", "access_token"},
		// UNKNOWN_FIELDS: a field the endpoint does not take.
		{"unknown field", "/item/get", `{"access_token":"` + ex.AccessToken + `","acess_token":"x"}`, "application/json",
			400, "INVALID_REQUEST", "UNKNOWN_FIELDS", "acess_token"},
		{"unknown nested field", "/link/token/create", `{"client_name":"a","language":"en","country_codes":["US"],"user":{"client_user_id":"u"},"hosted_link":{"lifetime":5}}`, "application/json",
			400, "INVALID_REQUEST", "UNKNOWN_FIELDS", "hosted_link.lifetime"},
		// INVALID_BODY: "The request content-type was not of type application/json. The Plaid API only
		// accepts JSON text as the MIME media type, with UTF-8 encoding".
		{"form body", "/item/get", `{"access_token":"` + ex.AccessToken + `"}`, "application/x-www-form-urlencoded",
			400, "INVALID_REQUEST", "INVALID_BODY", "Content-Type"},
		{"no content type", "/item/get", `{"access_token":"` + ex.AccessToken + `"}`, "",
			400, "INVALID_REQUEST", "INVALID_BODY", "Content-Type"},
		{"latin-1", "/item/get", `{"access_token":"` + ex.AccessToken + `"}`, "application/json; charset=iso-8859-1",
			400, "INVALID_REQUEST", "INVALID_BODY", "UTF-8"},
		// The spec on products: "`balance` is *not* a valid value"; Plaid answers INVALID_PRODUCT.
		{"balance product", "/link/token/create", `{"client_name":"a","language":"en","country_codes":["US"],"user":{"client_user_id":"u"},"products":["balance"]}`, "application/json",
			400, "INVALID_INPUT", "INVALID_PRODUCT", "balance"},
		{"nonexistent product", "/link/token/create", `{"client_name":"a","language":"en","country_codes":["US"],"user":{"client_user_id":"u"},"products":["telepathy"]}`, "application/json",
			400, "INVALID_INPUT", "INVALID_PRODUCT", "telepathy"},
		// Sandbox errors page: SANDBOX_WEBHOOK_INVALID has error_type SANDBOX_ERROR, "Webhook for this
		// item is either not set up, or invalid."
		{"fire_webhook without webhook", "/sandbox/item/fire_webhook", `{"access_token":"` + ex.AccessToken + `","webhook_code":"DEFAULT_UPDATE"}`, "application/json",
			400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID", "Webhook for this item is either not set up, or invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, v.srv.URL+c.path, strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			for k, val := range keys(v) {
				req.Header.Set(k, val)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var pe plaid.PlaidError
			var raw bytes.Buffer
			_, _ = raw.ReadFrom(resp.Body)
			mustDecode(t, raw.Bytes(), &pe)
			if resp.StatusCode != c.status || string(pe.ErrorType) != c.errType || pe.ErrorCode != c.errCode || !strings.Contains(pe.ErrorMessage, c.msgHas) {
				t.Errorf("HTTP %d %s/%s %q, want %d %s/%s mentioning %q", resp.StatusCode, pe.ErrorType, pe.ErrorCode, pe.ErrorMessage, c.status, c.errType, c.errCode, c.msgHas)
			}
			if want := liveDocURL[c.errType]; pe.GetDocumentationUrl() != want {
				t.Errorf("documentation_url %q, want Plaid's live form %q", pe.GetDocumentationUrl(), want)
			}
			if doc != nil {
				doc.ValidateSchema(t, "PlaidError", raw.Bytes())
			}
		})
	}
	// A GET on an API path: Plaid's API defines POST operations only (every path in the spec), so a
	// GET names no endpoint and gets Plaid's NOT_FOUND (HTTP 404), like any unknown path.
	for _, m := range []string{http.MethodGet, http.MethodPut} {
		req, _ := http.NewRequest(m, v.srv.URL+"/accounts/balance/get", nil)
		st, pe := sendForPlaidError(t, req)
		if st != 404 || pe.ErrorType != "INVALID_REQUEST" || pe.ErrorCode != "NOT_FOUND" {
			t.Errorf("%s /accounts/balance/get: HTTP %d %s/%s, want 404 INVALID_REQUEST/NOT_FOUND", m, st, pe.ErrorType, pe.ErrorCode)
		}
	}
}

// TestRequestFieldsMatchSpec keeps requestFields in step with the spec: every endpoint the emulator
// serves is listed, with exactly the properties and required fields the spec declares.
func TestRequestFieldsMatchSpec(t *testing.T) {
	doc := spec.Load(t)
	for _, p := range APIPaths() {
		want, ok := requestFields[p]
		if !ok {
			t.Errorf("%s has no entry in requestFields", p)
			continue
		}
		props, required := doc.RequestFields(t, p, "")
		if !slices.Equal(props, want[""].props) || !slices.Equal(sorted(required), sorted(want[""].required)) {
			t.Errorf("%s: requestFields has %v required %v; the spec has %v required %v", p, want[""].props, want[""].required, props, required)
		}
		for name, of := range want {
			if name == "" {
				continue
			}
			props, required := doc.RequestFields(t, p, name)
			if !slices.Equal(props, of.props) || !slices.Equal(sorted(required), sorted(of.required)) {
				t.Errorf("%s %s: requestFields has %v required %v; the spec has %v required %v", p, name, of.props, of.required, props, required)
			}
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestPlaidGoSendsNoUnknownFields: the app's own client must keep working now that unknown fields are
// refused. plaid-go v29 sends only the fields a caller set, and the keys in headers; this sets every
// field the app's flows set (internal/env/link.go) and checks the call goes through.
func TestPlaidGoSendsNoUnknownFields(t *testing.T) {
	v := newEnv(t, Config{})
	req := plaid.NewLinkTokenCreateRequest("linkrecovery", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("linkrecovery-1"))
	req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetWebhook("https://example.test/hook")
	hl := plaid.NewLinkTokenCreateHostedLink()
	hl.SetCompletionRedirectUri("https://example.test/done")
	hl.SetUrlLifetimeSeconds(1800)
	req.SetHostedLink(*hl)
	if _, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute(); err != nil {
		t.Fatalf("the app's /link/token/create request is refused: %v %s", err, errBody(err))
	}
}

// TestCallsAfterLinking drives the calls Plaid's samples make after linking with the real plaid-go
// client: balances (with options.account_ids checked: the spec says "An error will be returned if a
// provided account_id is not associated with the Item"), the institution, moving the Item's webhook
// (WEBHOOK_UPDATE_ACKNOWLEDGED is "sent to the newly specified webhook") and removing the Item (after
// which the access token is INVALID_ACCESS_TOKEN: the docs list a token "removed ... via an
// /item/remove request" as a cause).
func TestCallsAfterLinking(t *testing.T) {
	v := newEnv(t, Config{})
	old, moved := newReceiver(t), newReceiver(t)
	api := v.client.PlaidApi
	ex := sandboxItem(t, v, old.srv.URL+"/hook")

	bal, _, err := api.AccountsBalanceGet(v.ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(ex.AccessToken)).Execute()
	if err != nil {
		t.Fatalf("/accounts/balance/get: %v %s", err, errBody(err))
	}
	if len(bal.Accounts) != len(sandboxAccounts) || bal.Accounts[0].Balances.GetCurrent() != 110 || bal.Item.ItemId != ex.ItemId {
		t.Errorf("balances: %d accounts, first current %v, item %s", len(bal.Accounts), bal.Accounts[0].Balances.GetCurrent(), bal.Item.ItemId)
	}
	breq := plaid.NewAccountsBalanceGetRequest(ex.AccessToken)
	bopts := plaid.NewAccountsBalanceGetRequestOptions()
	bopts.SetAccountIds([]string{bal.Accounts[1].AccountId})
	breq.SetOptions(*bopts)
	one, _, err := api.AccountsBalanceGet(v.ctx).AccountsBalanceGetRequest(*breq).Execute()
	if err != nil || len(one.Accounts) != 1 || one.Accounts[0].AccountId != bal.Accounts[1].AccountId {
		t.Errorf("balances for one account: %v %v", one.Accounts, err)
	}
	bopts.SetAccountIds([]string{"not-an-account"})
	breq.SetOptions(*bopts)
	_, _, err = api.AccountsBalanceGet(v.ctx).AccountsBalanceGetRequest(*breq).Execute()
	if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_ACCOUNT_ID" {
		t.Errorf("unknown account id: %s, want INVALID_ACCOUNT_ID", pe.ErrorCode)
	}

	inst, _, err := api.InstitutionsGetById(v.ctx).InstitutionsGetByIdRequest(*plaid.NewInstitutionsGetByIdRequest(DefaultInstitutionID, []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
	if err != nil || inst.Institution.Name != "First Platypus Bank" || inst.Institution.Oauth {
		t.Errorf("/institutions/get_by_id: %+v %v", inst.Institution, err)
	}
	_, _, err = api.InstitutionsGetById(v.ctx).InstitutionsGetByIdRequest(*plaid.NewInstitutionsGetByIdRequest("ins_nope", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
	if pe := plaidErr(t, err); pe.ErrorType != "INSTITUTION_ERROR" || pe.ErrorCode != "INSTITUTION_NOT_FOUND" || !strings.Contains(pe.ErrorMessage, "this institution was not found") {
		t.Errorf("unknown institution: %s/%s %q", pe.ErrorType, pe.ErrorCode, pe.ErrorMessage)
	}

	wreq := plaid.NewItemWebhookUpdateRequest(ex.AccessToken)
	wreq.SetWebhook(moved.srv.URL + "/new")
	wresp, _, err := api.ItemWebhookUpdate(v.ctx).ItemWebhookUpdateRequest(*wreq).Execute()
	if err != nil || wresp.Item.GetWebhook() != moved.srv.URL+"/new" {
		t.Fatalf("/item/webhook/update: %v %s", err, errBody(err))
	}
	ack := moved.waitFor(t, "WEBHOOK_UPDATE_ACKNOWLEDGED", 1)[0]
	v.verifyWebhook(t, ack)
	if !strings.Contains(string(ack.Body), `"new_webhook_url": "`+moved.srv.URL+`/new"`) {
		t.Errorf("acknowledgement body: %s", ack.Body)
	}
	if _, _, err := api.SandboxItemFireWebhook(v.ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, "DEFAULT_UPDATE")).Execute(); err != nil {
		t.Fatal(err)
	}
	moved.waitFor(t, "DEFAULT_UPDATE", 1)
	if n := len(old.all()); n != 0 {
		t.Errorf("the old webhook URL got %d webhooks after the update", n)
	}

	if _, _, err := api.ItemRemove(v.ctx).ItemRemoveRequest(*plaid.NewItemRemoveRequest(ex.AccessToken)).Execute(); err != nil {
		t.Fatalf("/item/remove: %v %s", err, errBody(err))
	}
	_, _, err = api.AccountsGet(v.ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(ex.AccessToken)).Execute()
	if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_ACCESS_TOKEN" {
		t.Errorf("a removed Item's token: %s, want INVALID_ACCESS_TOKEN", pe.ErrorCode)
	}
}

// TestSandboxTestCredentials: Plaid's test-credential docs say to use special test credentials with
// "the /sandbox/public_token/create flow or a non-OAuth test institution", and the spec gives
// override_username/override_password the defaults user_good/pass_good. user_good with
// error_INSTITUTION_DOWN fails Item creation with INSTITUTION_DOWN, whose texts are those of Plaid's
// institution-errors page: "this institution is not currently responding to this request. please try
// again soon" / "This financial institution is not currently responding to requests. We apologize for
// the inconvenience."
func TestSandboxTestCredentials(t *testing.T) {
	v := newEnv(t, Config{})
	doc := specOrNil(t)
	create := func(user, pass string) error {
		req := plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
		opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
		if user != "" {
			opts.SetOverrideUsername(user)
		}
		if pass != "" {
			opts.SetOverridePassword(pass)
		}
		req.SetOptions(*opts)
		_, _, err := v.client.PlaidApi.SandboxPublicTokenCreate(v.ctx).SandboxPublicTokenCreateRequest(*req).Execute()
		return err
	}
	if err := create("", ""); err != nil {
		t.Errorf("default credentials: %v %s", err, errBody(err))
	}
	if err := create(UserGood, PassGood); err != nil {
		t.Errorf("user_good/pass_good: %v %s", err, errBody(err))
	}
	for _, c := range []struct{ user, pass, errType, code string }{
		{UserGood, PassInstitutionDown, "INSTITUTION_ERROR", "INSTITUTION_DOWN"},
		{UserLinkRecovery, PassLinkRecovery, "INSTITUTION_ERROR", "INSTITUTION_DOWN"},
		{UserGood, "error_INVALID_CREDENTIALS", "ITEM_ERROR", "INVALID_CREDENTIALS"},
		{UserGood, "wrong", "ITEM_ERROR", "INVALID_CREDENTIALS"},
		{UserGood, "error_ITEM_LOCKED", "INVALID_REQUEST", "INVALID_FIELD"}, // not simulated: said, not faked
	} {
		err := create(c.user, c.pass)
		pe := plaidErr(t, err)
		if string(pe.ErrorType) != c.errType || pe.ErrorCode != c.code {
			t.Errorf("%s/%s: %s/%s %q, want %s/%s", c.user, c.pass, pe.ErrorType, pe.ErrorCode, pe.ErrorMessage, c.errType, c.code)
		}
		if c.code == "INSTITUTION_DOWN" {
			if pe.ErrorMessage != "this institution is not currently responding to this request. please try again soon" ||
				pe.GetDisplayMessage() != "This financial institution is not currently responding to requests. We apologize for the inconvenience." {
				t.Errorf("INSTITUTION_DOWN texts differ from Plaid's docs: %q / %q", pe.ErrorMessage, pe.GetDisplayMessage())
			}
		}
		if doc != nil {
			doc.ValidateSchema(t, "PlaidError", err.(plaid.GenericOpenAPIError).Body())
		}
	}
}

// hostedID is the Hosted Link id at the end of a hosted_link_url.
func hostedID(t *testing.T, u string) string {
	t.Helper()
	i := strings.LastIndex(u, "/hosted-link/")
	if i < 0 {
		t.Fatalf("%q is not a hosted_link_url", u)
	}
	return u[i+len("/hosted-link/"):]
}

// eventsOf decodes an EVENTS webhook.
func eventsOf(t *testing.T, h hook) plaid.LinkEventsWebhook {
	t.Helper()
	var w plaid.LinkEventsWebhook
	mustDecode(t, h.Body, &w)
	return w
}

// TestEventsWebhookOnceLinkIsDone: the spec's LinkEventsWebhook "will be fired after the user finishes
// going through Link", so the outage and opt-in of half 1 produce one EVENTS, after the EXIT, with
// environment (the spec's example carries environment: sandbox). /link/token/get lists events as the
// spec's example does, newest first, with fractional-second started_at/finished_at, and echoes
// metadata.redirect_uri.
func TestEventsWebhookOnceLinkIsDone(t *testing.T) {
	v := newEnv(t, Config{})
	doc := specOrNil(t)
	rc := newReceiver(t)
	req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
	req.SetWebhook(rc.srv.URL + "/hook")
	req.SetRedirectUri("https://app.example/oauth-return")
	req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	lt, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("create: %v %s", err, errBody(err))
	}
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), bankDown); err != nil {
		t.Fatal(err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	if got := codes(hooks); got != "[EVENTS SESSION_FINISHED]" {
		t.Fatalf("half 1 sent %s, want one EVENTS (once Link is done) then SESSION_FINISHED", got)
	}
	ev := eventsOf(t, hooks[0])
	names := eventNames(ev.Events)
	if !slices.Contains(names, "ERROR") || !slices.Contains(names, "ISSUE_FOLLOWED") || names[len(names)-1] != "EXIT" {
		t.Errorf("the EVENTS webhook carries %v, want the whole session ending with EXIT", names)
	}
	if env, _ := ev.AdditionalProperties["environment"].(string); env != "sandbox" && !strings.Contains(string(hooks[0].Body), `"environment": "sandbox"`) {
		t.Errorf("EVENTS has no environment: %s", hooks[0].Body)
	}
	if doc != nil {
		doc.ValidateSchema(t, "LinkEventsWebhook", hooks[0].Body)
	}

	got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.LinkToken)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.GetRedirectUri() != "https://app.example/oauth-return" {
		t.Errorf("metadata.redirect_uri = %q, want the one sent", got.Metadata.GetRedirectUri())
	}
	s := got.GetLinkSessions()[0]
	evs := s.GetEvents()
	if evs[0].EventName != "EXIT" || evs[len(evs)-1].EventName != "OPEN" {
		t.Errorf("/link/token/get events %v, want newest first (EXIT ... OPEN)", eventNames(evs))
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Timestamp > evs[i-1].Timestamp {
			t.Errorf("event %d (%s) is newer than the one before it", i, evs[i].Timestamp)
		}
	}
	raw := string(v.rec.last(t, "/link/token/get").Body)
	for _, field := range []string{"started_at", "finished_at"} {
		re := regexp.MustCompile(`"` + field + `":"[0-9T:-]+\.[0-9]+Z"`)
		if !re.MatchString(raw) {
			t.Errorf("%s has no fractional seconds: %s", field, raw)
		}
	}
}

// TestAbandonedSessionGetsEvents: "If the user abandons the Link flow (i.e., closes the hosted link
// webpage or leaves Link open for too long without taking any action), the webhook will be fired 5-15
// minutes after the last user interaction. ... the new webhook will contain all previous events for
// the session, as well as new events that occurred since the previous EVENTS webhook was sent."
// The delay is Config.AbandonedSessionDelay, short here.
func TestAbandonedSessionGetsEvents(t *testing.T) {
	v := newEnv(t, Config{AbandonedSessionDelay: 50 * time.Millisecond})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	getPage(t, v, lt.GetHostedLinkUrl()) // OPEN, then the user walks away
	first := eventsOf(t, rc.waitFor(t, "EVENTS", 1)[0])
	if names := eventNames(first.Events); !slices.Equal(names, []string{"OPEN", "TRANSITION_VIEW"}) {
		t.Errorf("the abandoned session's EVENTS carries %v, want OPEN, TRANSITION_VIEW", names)
	}
	if slices.Contains(strings.Fields(codes(rc.all())), "SESSION_FINISHED") {
		t.Errorf("an abandoned (not finished) session got SESSION_FINISHED")
	}

	// The user comes back and finishes: the last EVENTS repeats the earlier events.
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), goodLogin); err != nil {
		t.Fatal(err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	var last plaid.LinkEventsWebhook
	for _, h := range hooks {
		if h.code() == "EVENTS" {
			last = eventsOf(t, h)
		}
	}
	ids := map[string]bool{}
	for _, e := range last.Events {
		ids[e.EventId] = true
	}
	for _, e := range first.Events {
		if !ids[e.EventId] {
			t.Errorf("the final EVENTS does not repeat earlier event %s (%s)", e.EventName, e.EventId)
		}
	}
	if n := eventNames(last.Events); n[len(n)-1] != "HANDOFF" {
		t.Errorf("the final EVENTS ends with %v, want HANDOFF", n)
	}
}

// TestExitBeforeChoosingABank: the spec's exit status requires_credentials is "User prompted to
// provide credentials for the selected financial institution or has not yet selected a financial
// institution".
func TestExitBeforeChoosingABank(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	id := hostedID(t, lt.GetHostedLinkUrl())
	if pv := v.emu.view(id); pv.Step != stepSelect {
		t.Fatalf("first page %q, want select", pv.Step)
	}
	if pv := v.emu.act(id, stepSelect, actionExit, nil); pv.Step != stepExited {
		t.Fatalf("after exit the page is %q", pv.Step)
	}
	got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.LinkToken)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	s := got.GetLinkSessions()[0]
	exit := s.GetExit()
	md := exit.GetMetadata()
	if st := md.GetStatus(); st != "requires_credentials" {
		t.Errorf("exit status %q, want requires_credentials", st)
	}
	if e := s.GetEvents()[0]; e.EventName != "EXIT" || e.EventMetadata.GetExitStatus() != "requires_credentials" {
		t.Errorf("last event %s exit_status %q", e.EventName, e.EventMetadata.GetExitStatus())
	}
	fin := finishedWith(t, rc.waitFor(t, "SESSION_FINISHED", 1), "EXITED")
	if fin.LinkSessionId != s.LinkSessionId {
		t.Errorf("SESSION_FINISHED for %s, want %s", fin.LinkSessionId, s.LinkSessionId)
	}
}

// liveDocURL is the documentation_url Plaid's live API sends per error_type. The first three are
// copied from live responses quoted in public code; the rest follow the same #<type>-errors anchor
// rule of Plaid's docs (e.g. its old "#institution-errors" and "#rate-limit-exceeded-errors").
var liveDocURL = map[string]string{
	"INVALID_INPUT":       "https://plaid.com/docs/?ref=error#invalid-input-errors",
	"INVALID_REQUEST":     "https://plaid.com/docs/?ref=error#invalid-request-errors",
	"ITEM_ERROR":          "https://plaid.com/docs/?ref=error#item-errors",
	"INSTITUTION_ERROR":   "https://plaid.com/docs/?ref=error#institution-errors",
	"API_ERROR":           "https://plaid.com/docs/?ref=error#api-errors",
	"RATE_LIMIT_EXCEEDED": "https://plaid.com/docs/?ref=error#rate-limit-exceeded-errors",
	"SANDBOX_ERROR":       "https://plaid.com/docs/?ref=error#sandbox-errors",
}

// TestErrorsLinkPlaidsLiveDocs (issue 20): every error_type the emulator answers with carries
// documentation_url in the form Plaid's live responses have, including the error in a Link
// session's exit and the ones a fault makes, and each body still matches the spec's PlaidError.
func TestErrorsLinkPlaidsLiveDocs(t *testing.T) {
	v := newEnv(t, Config{})
	doc := specOrNil(t)
	for typ, want := range liveDocURL {
		v.emu.InjectFault(Fault{Path: "/item/get", ErrorType: typ, ErrorCode: "SOME_" + typ})
		st, body := rawPost(t, v, "/item/get", `{"access_token":"access-sandbox-x"}`, keys(v))
		var pe plaid.PlaidError
		mustDecode(t, body, &pe)
		if st < 400 || string(pe.ErrorType) != typ || pe.GetDocumentationUrl() != want {
			t.Errorf("%s fault: HTTP %d %s documentation_url %q, want %q", typ, st, pe.ErrorType, pe.GetDocumentationUrl(), want)
		}
		if doc != nil {
			doc.ValidateSchema(t, "PlaidError", body)
		}
	}
	// The INSTITUTION_DOWN error a Link session exits with, as /link/token/get shows it.
	lt := v.session(t, "", bankDown)
	_, body := rawPost(t, v, "/link/token/get", `{"link_token":"`+lt.GetLinkToken()+`"}`, keys(v))
	if !strings.Contains(string(body), `"documentation_url":"`+liveDocURL["INSTITUTION_ERROR"]+`"`) {
		t.Errorf("/link/token/get's exit error has no live documentation_url: %s", body)
	}
}

// TestLinkSessionsCarryOnSuccess (issue 20): a successful session in /link/token/get carries the
// legacy on_success as the spec's Hosted Link example shows it: the first Item's public token, and
// metadata with its accounts, its institution, the session id and a null transfer_status.
func TestLinkSessionsCarryOnSuccess(t *testing.T) {
	v := newEnv(t, Config{})
	doc := specOrNil(t)
	lt := v.session(t, "", goodLogin)
	got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute()
	if err != nil {
		t.Fatal(err)
	}
	s := got.GetLinkSessions()[0]
	results := s.GetResults()
	res := results.GetItemAddResults()[0]
	ok := s.OnSuccess.Get()
	if ok == nil {
		t.Fatalf("link_sessions[0] has no on_success")
	}
	md := ok.Metadata.Get()
	if ok.PublicToken != res.PublicToken || md == nil || md.GetLinkSessionId() != s.LinkSessionId ||
		md.GetInstitution().InstitutionId == nil || *md.GetInstitution().InstitutionId != DefaultInstitutionID ||
		len(md.GetAccounts()) != len(res.Accounts) {
		t.Errorf("on_success %+v does not match the session's first Item add %+v", ok, res)
	}
	raw := v.rec.last(t, "/link/token/get").Body
	if !strings.Contains(string(raw), `"transfer_status":null`) {
		t.Errorf("on_success.metadata has no null transfer_status: %s", raw)
	}
	if doc != nil {
		doc.ValidateResponse(t, http.MethodPost, "/link/token/get", 200, raw)
	}
}
