package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds the calls Plaid's samples make after linking: balances, the institution's details,
// removing an Item and pointing its webhooks somewhere else.

// ---- /accounts/balance/get ----

// accountsBalanceGet answers as /accounts/get does: the spec gives both the same response schema
// (AccountsGetResponse) and the same options.account_ids rule ("An error will be returned if a
// provided account_id is not associated with the Item"). options.min_last_updated_datetime is
// accepted and ignored: it matters only for Capital One (ins_128026), which the emulator does not have.
func (e *Emulator) accountsBalanceGet(body []byte, base string) (map[string]any, *plaidError) {
	return e.accountsGet(body, base)
}

// ---- /institutions/get_by_id ----

// institutionProducts are the products the emulator's Sandbox institutions list.
var institutionProducts = allProducts

func (e *Emulator) institutionsGetByID(body []byte, _ string) (map[string]any, *plaidError) {
	var req struct {
		InstitutionID string   `json:"institution_id"`
		CountryCodes  []string `json:"country_codes"`
		Options       *struct {
			IncludeOptionalMetadata bool `json:"include_optional_metadata"`
		} `json:"options"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	for _, c := range req.CountryCodes {
		if !slices.Contains(countryCodes, c) {
			return nil, errInvalidField(fmt.Sprintf("country_codes contains %q, which is not a supported country code; use e.g. US", c))
		}
	}
	in, ok := findInstitution(req.InstitutionID)
	if !ok || !slices.Contains(req.CountryCodes, "US") {
		// Plaid's institution-errors page: INSTITUTION_NOT_FOUND, "this institution was not found.
		// Please check the ID supplied". The Sandbox institutions are all US ones.
		return nil, &plaidError{Status: 400, ErrorType: "INSTITUTION_ERROR", ErrorCode: "INSTITUTION_NOT_FOUND",
			ErrorMessage: fmt.Sprintf("this institution was not found. Please check the ID supplied (the emulator knows %s, all in country US)", institutionList())}
	}
	m := map[string]any{
		"institution_id":  in.ID,
		"name":            in.Name,
		"products":        slices.Clone(institutionProducts),
		"country_codes":   []string{"US"},
		"routing_numbers": []string{},
		"oauth":           false, // the emulator's institutions are Plaid's non-OAuth Sandbox banks
		"dtc_numbers":     []string{},
	}
	if req.Options != nil && req.Options.IncludeOptionalMetadata {
		// Plaid returns logo, primary_color and url only when asked; the emulator has no logos.
		m["logo"] = nil
		m["primary_color"] = nil
		m["url"] = nil
	}
	return map[string]any{"institution": m}, nil
}

// ---- /item/remove ----

func (e *Emulator) itemRemove(body []byte, _ string) (map[string]any, *plaidError) {
	return e.withItem(body, func(it *item) (map[string]any, *plaidError) {
		// Plaid's INVALID_ACCESS_TOKEN docs: the error happens when the token "has been removed,
		// either via an /item/remove request or by the end user", so the token and the Item both go.
		delete(e.accessTokens, it.AccessToken)
		delete(e.items, it.ID)
		e.logf("item %s removed (access token %s)", it.ID, mask(it.AccessToken))
		return map[string]any{}, nil
	})
}

// withItem serves an endpoint whose request names an Item by access_token alone: it decodes body,
// finds the Item and runs f with it while holding e.mu.
func (e *Emulator) withItem(body []byte, f func(it *item) (map[string]any, *plaidError)) (map[string]any, *plaidError) {
	var req struct {
		AccessToken string `json:"access_token"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, pe := e.itemByAccessTokenLocked(req.AccessToken)
	if pe != nil {
		return nil, pe
	}
	return f(it)
}

// ---- /item/webhook/update ----

func (e *Emulator) itemWebhookUpdate(body []byte, _ string) (map[string]any, *plaidError) {
	var req struct {
		AccessToken string  `json:"access_token"`
		Webhook     *string `json:"webhook"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	webhook := ""
	if req.Webhook != nil && *req.Webhook != "" {
		if err := e.checkWebhookTarget(*req.Webhook); err != nil {
			return nil, errInvalidField("webhook " + err.Error())
		}
		webhook = *req.Webhook
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, pe := e.itemByAccessTokenLocked(req.AccessToken)
	if pe != nil {
		return nil, pe
	}
	it.Webhook = webhook // the spec: "To remove a webhook from an Item, set to null."
	e.logf("item %s webhook set to %q", it.ID, webhook)
	// Plaid's WEBHOOK_UPDATE_ACKNOWLEDGED: "Fired when an Item's webhook is updated. This will be sent
	// to the newly specified webhook."
	e.enqueueWebhookLocked("item:"+it.ID, webhook, "", map[string]any{
		"webhook_type":    "ITEM",
		"webhook_code":    "WEBHOOK_UPDATE_ACKNOWLEDGED",
		"item_id":         it.ID,
		"new_webhook_url": webhook,
		"error":           nil,
		"environment":     "sandbox",
	})
	return map[string]any{"item": itemJSON(it, false)}, nil
}

// ---- test credentials in /sandbox/public_token/create ----

// sandboxCredentialsError says what Plaid's Sandbox does with options.override_username and
// override_password (defaults user_good / pass_good, per the spec). Plaid's test-credential docs:
// "When using special Sandbox test credentials ... use the /sandbox/public_token/create flow or a
// non-OAuth test institution", and user_good with password error_[ERROR_CODE] makes Item creation
// fail with that error. It returns nil when the credentials create an Item.
func sandboxCredentialsError(user, pass string) *plaidError {
	if user == "" {
		user = UserGood
	}
	if pass == "" {
		pass = PassGood
	}
	switch {
	case user == UserGood && pass == PassGood:
		return nil
	case user == UserGood && pass == PassInstitutionDown, user == UserLinkRecovery && pass == PassLinkRecovery:
		return errInstitutionDown()
	case user == UserGood && pass == "error_INVALID_CREDENTIALS":
		return errInvalidCredentials()
	case user == UserGood && strings.HasPrefix(pass, "error_"):
		// Plaid would answer with that error; the emulator knows only the two above, and says so
		// rather than create an Item Plaid would not.
		return errInvalidField(fmt.Sprintf("options.override_password %q asks for an error the emulator does not simulate; it simulates %s and error_INVALID_CREDENTIALS (see docs/emulator.md)", pass, PassInstitutionDown))
	case user == UserGood:
		return errInvalidCredentials()
	}
	return errInvalidField(fmt.Sprintf("options.override_username %q is a Sandbox test user the emulator does not simulate; use %s (or %s with password %s)", user, UserGood, UserLinkRecovery, PassLinkRecovery))
}
