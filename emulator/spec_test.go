package emulator

import (
	"testing"

	"github.com/bankdown/linkrecovery/internal/spec"
	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// webhookSchemas maps each webhook the emulator sends to its schema in Plaid's spec.
var webhookSchemas = map[string]string{
	"EVENTS":                 "LinkEventsWebhook",
	"ITEM_ADD_RESULT":        "ItemAddResultWebhook",
	"SESSION_FINISHED":       "LinkSessionFinishedWebhook",
	"DEFAULT_UPDATE":         "DefaultUpdateWebhook",
	"NEW_ACCOUNTS_AVAILABLE": "NewAccountsAvailableWebhook",
	"SYNC_UPDATES_AVAILABLE": "SyncUpdatesAvailableWebhook",
	"LOGIN_REPAIRED":         "ItemLoginRepairedWebhook",

	"WEBHOOK_UPDATE_ACKNOWLEDGED": "WebhookUpdateAcknowledgedWebhook",
}

// TestEveryBodyMatchesTheSpec drives every endpoint (success and error answers) and every webhook
// kind, then checks each raw body on the wire against Plaid's OpenAPI spec.
func TestEveryBodyMatchesTheSpec(t *testing.T) {
	doc := spec.Load(t)
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	ctx, api := v.ctx, v.client.PlaidApi

	// Half 1 with the opt-in, then a restore and the recovery session; plus a plain success session
	// and an exited one, so /link/token/get shows every kind of session.
	lt := v.linkToken(t, rc.srv.URL+"/hook", "https://app.example/done")
	if err := v.emu.CompleteSession(ctx, lt.GetHostedLinkUrl(), bankDown); err != nil {
		t.Fatal(err)
	}
	// A token's sessions as they stand mid-way (one unfinished) must match too.
	lt2 := v.linkToken(t, rc.srv.URL+"/hook", "")
	getPage(t, v, lt2.GetHostedLinkUrl())
	if _, _, err := api.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt2.GetLinkToken())).Execute(); err != nil {
		t.Fatal(err)
	}
	emails, err := v.emu.RestoreInstitution("")
	if err != nil || len(emails) != 1 {
		t.Fatalf("restore: %v %v", emails, err)
	}
	if err := v.emu.CompleteSession(ctx, emails[0].URL, goodLogin); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute(); err != nil {
		t.Fatal(err)
	}
	// The two sessions' webhooks travel on separate queues, so pick the SUCCESS one by content.
	fin := finishedWith(t, rc.waitFor(t, "SESSION_FINISHED", 2), "SUCCESS")

	ex, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest((*fin.PublicTokens)[0])).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(ex.AccessToken)).Execute(); err != nil {
		t.Fatal(err)
	}
	// /item/get before any webhook (last_webhook null) and after (below).
	if _, _, err := api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(ex.AccessToken)).Execute(); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"DEFAULT_UPDATE", "NEW_ACCOUNTS_AVAILABLE", "SYNC_UPDATES_AVAILABLE", "LOGIN_REPAIRED"} {
		if _, _, err := api.SandboxItemFireWebhook(ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, code)).Execute(); err != nil {
			t.Fatalf("fire %s: %v %s", code, err, errBody(err))
		}
	}
	if _, _, err := api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(ex.AccessToken)).Execute(); err != nil {
		t.Fatal(err)
	}
	// The calls Plaid's samples make after linking.
	if _, _, err := api.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(ex.AccessToken)).Execute(); err != nil {
		t.Fatalf("/accounts/balance/get: %v %s", err, errBody(err))
	}
	ireq := plaid.NewInstitutionsGetByIdRequest(DefaultInstitutionID, []plaid.CountryCode{plaid.COUNTRYCODE_US})
	if _, _, err := api.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*ireq).Execute(); err != nil {
		t.Fatalf("/institutions/get_by_id: %v %s", err, errBody(err))
	}
	iopts := plaid.NewInstitutionsGetByIdRequestOptions()
	iopts.SetIncludeOptionalMetadata(true)
	ireq.SetOptions(*iopts)
	if _, _, err := api.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*ireq).Execute(); err != nil {
		t.Fatalf("/institutions/get_by_id with optional metadata: %v %s", err, errBody(err))
	}
	wreq := plaid.NewItemWebhookUpdateRequest(ex.AccessToken)
	wreq.SetWebhook(rc.srv.URL + "/moved")
	if _, _, err := api.ItemWebhookUpdate(ctx).ItemWebhookUpdateRequest(*wreq).Execute(); err != nil {
		t.Fatalf("/item/webhook/update: %v %s", err, errBody(err))
	}
	rc.waitFor(t, "WEBHOOK_UPDATE_ACKNOWLEDGED", 1)
	opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
	opts.SetWebhook(rc.srv.URL + "/sandbox")
	sreq := plaid.NewSandboxPublicTokenCreateRequest("ins_109509", []plaid.Products{plaid.PRODUCTS_AUTH, plaid.PRODUCTS_IDENTITY})
	sreq.SetOptions(*opts)
	if _, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*sreq).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.WebhookVerificationKeyGet(ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(v.emu.WebhookKeyID())).Execute(); err != nil {
		t.Fatal(err)
	}
	old := v.emu.RotateWebhookKey()
	if _, _, err := api.WebhookVerificationKeyGet(ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(old)).Execute(); err != nil {
		t.Fatal(err)
	}
	// A second Item to remove.
	spt, _, err := api.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_AUTH})).Execute()
	if err != nil {
		t.Fatal(err)
	}
	sex, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(spt.PublicToken)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.ItemRemove(ctx).ItemRemoveRequest(*plaid.NewItemRemoveRequest(sex.AccessToken)).Execute(); err != nil {
		t.Fatalf("/item/remove: %v %s", err, errBody(err))
	}
	// Error answers are part of each operation's responses too.
	_, _, _ = api.ItemRemove(ctx).ItemRemoveRequest(*plaid.NewItemRemoveRequest(sex.AccessToken)).Execute()
	_, _, _ = api.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*plaid.NewInstitutionsGetByIdRequest("ins_nope", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
	_, _, _ = api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest("access-sandbox-nope")).Execute()
	_, _, _ = api.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest("nope")).Execute()

	seen := map[string]bool{}
	for _, x := range v.rec.all() {
		seen[x.Path] = true
		doc.ValidateResponse(t, x.Method, x.Path, x.Status, x.Body)
	}
	for _, p := range APIPaths() {
		if !seen[p] {
			t.Errorf("%s was not exercised", p)
		}
	}

	rc.waitFor(t, "LOGIN_REPAIRED", 1)
	kinds := map[string]bool{}
	for _, h := range rc.all() {
		name, ok := webhookSchemas[h.code()]
		if !ok {
			t.Errorf("webhook %s has no schema to check against", h.code())
			continue
		}
		kinds[h.code()] = true
		doc.ValidateSchema(t, name, h.Body)
	}
	for code := range webhookSchemas {
		if !kinds[code] {
			t.Errorf("no %s webhook was checked", code)
		}
	}
	if n := len(v.rec.all()); n < 15 {
		t.Errorf("only %d API calls recorded", n)
	}
}
