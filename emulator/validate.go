package emulator

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// This file checks a request body's fields the way Plaid does before an endpoint looks at them:
// a body that is not application/json is INVALID_BODY, a field the endpoint does not know is
// UNKNOWN_FIELDS, and a required field that is absent (or empty) is MISSING_FIELDS, naming the fields.

// objectFields are the properties Plaid's spec declares for one JSON object of a request, and which
// of them are required.
type objectFields struct {
	props    []string
	required []string
}

// requestFields lists, per endpoint, the request properties of Plaid's OpenAPI spec (2020-09-14.yml):
// "" is the body itself, a name is the object under that top-level property. Deeper objects are not
// checked. The emulator accepts (and ignores) a field it does not use if Plaid's spec declares it, so a
// client written against the spec is never refused here for a field Plaid would take.
// TestRequestFieldsMatchSpec keeps this table in step with the spec.
var requestFields = map[string]map[string]objectFields{
	"/link/token/create": {
		"":                        {props: []string{"access_token", "access_tokens", "account_filters", "additional_consented_products", "android_package_name", "appearance_mode", "auth", "base_report", "card_switch", "cashflow_report", "client_id", "client_name", "consumer_report_permissible_purpose", "country_codes", "cra_enabled", "cra_options", "credit_partner_insights", "employment", "enable_multi_item_link", "eu_config", "financekit_supported", "hosted_link", "identity", "identity_verification", "income_verification", "institution_data", "institution_id", "investments", "investments_auth", "language", "link_customization_name", "optional_products", "payment_configuration", "payment_initiation", "products", "redirect_uri", "required_if_supported_products", "secret", "statements", "third_party_user_token", "transactions", "transfer", "update", "user", "user_id", "user_token", "webhook"}, required: []string{"client_name", "language", "country_codes"}},
		"account_filters":         {props: []string{"credit", "depository", "investment", "loan", "other"}},
		"auth":                    {props: []string{"auth_type_select_enabled", "automated_microdeposits_enabled", "database_insights_enabled", "database_match_enabled", "flow_type", "instant_match_enabled", "instant_microdeposits_enabled", "reroute_to_credentials", "same_day_microdeposits_enabled", "sms_microdeposits_verification_enabled"}},
		"base_report":             {props: []string{"client_report_id", "days_requested"}, required: []string{"days_requested"}},
		"card_switch":             {props: []string{"card_bin"}, required: []string{"card_bin"}},
		"cashflow_report":         {props: []string{"days_requested"}},
		"cra_options":             {props: []string{"base_report", "cashflow_insights", "client_report_id", "days_requested", "days_required", "include_investments", "income_insights", "lend_score", "network_insights", "partner_insights"}, required: []string{"days_requested"}},
		"credit_partner_insights": {props: []string{"days_requested"}},
		"employment":              {props: []string{"bank_employment", "employment_source_types"}},
		"eu_config":               {props: []string{"headless"}},
		"hosted_link":             {props: []string{"completion_redirect_uri", "delivery_method", "is_mobile_app", "url_lifetime_seconds"}},
		"identity":                {props: []string{"account_ids", "is_document_upload", "parsing_configs"}},
		"identity_verification":   {props: []string{"consent", "gave_consent", "template_id"}, required: []string{"template_id"}},
		"income_verification":     {props: []string{"access_tokens", "asset_report_id", "bank_income", "income_source_types", "income_verification_id", "payroll_income", "stated_income_sources"}},
		"institution_data":        {props: []string{"routing_number"}},
		"investments":             {props: []string{"allow_manual_entry", "allow_unverified_crypto_wallets"}},
		"investments_auth":        {props: []string{"manual_entry_enabled", "masked_number_match_enabled", "rollover_401k_enabled", "stated_account_number_enabled"}},
		"payment_configuration":   {props: []string{"amount", "description"}, required: []string{"amount"}},
		"payment_initiation":      {props: []string{"consent_id", "payment_id"}},
		"statements":              {props: []string{"end_date", "start_date"}, required: []string{"start_date", "end_date"}},
		"transactions":            {props: []string{"days_requested"}},
		"transfer":                {props: []string{"authorization_id", "intent_id", "payment_profile_token"}},
		"update":                  {props: []string{"account_selection_enabled", "item_ids", "reauthorization_enabled", "user"}},
		"user":                    {props: []string{"address", "client_user_id", "date_of_birth", "email_address", "email_address_verified_time", "id_number", "legal_name", "name", "phone_number", "phone_number_verified_time", "ssn"}, required: []string{"client_user_id"}},
	},
	"/link/token/get": {
		"": {props: []string{"client_id", "link_token", "secret"}, required: []string{"link_token"}},
	},
	"/item/public_token/exchange": {
		"": {props: []string{"client_id", "public_token", "secret"}, required: []string{"public_token"}},
	},
	"/accounts/get": {
		"":        {props: []string{"access_token", "client_id", "options", "secret"}, required: []string{"access_token"}},
		"options": {props: []string{"account_ids"}},
	},
	"/accounts/balance/get": {
		"":        {props: []string{"access_token", "client_id", "options", "secret"}, required: []string{"access_token"}},
		"options": {props: []string{"account_ids", "min_last_updated_datetime"}},
	},
	"/item/get": {
		"": {props: []string{"access_token", "client_id", "secret"}, required: []string{"access_token"}},
	},
	"/item/remove": {
		"": {props: []string{"access_token", "client_id", "reason_code", "reason_note", "secret"}, required: []string{"access_token"}},
	},
	"/item/webhook/update": {
		"": {props: []string{"access_token", "client_id", "secret", "webhook"}, required: []string{"access_token"}},
	},
	"/institutions/get_by_id": {
		"":        {props: []string{"client_id", "country_codes", "institution_id", "options", "secret"}, required: []string{"institution_id", "country_codes"}},
		"options": {props: []string{"include_auth_metadata", "include_optional_metadata", "include_payment_initiation_metadata", "include_status"}},
	},
	"/webhook_verification_key/get": {
		"": {props: []string{"client_id", "key_id", "secret"}, required: []string{"key_id"}},
	},
	"/sandbox/public_token/create": {
		"":        {props: []string{"client_id", "initial_products", "institution_id", "options", "secret", "user_id", "user_token"}, required: []string{"institution_id", "initial_products"}},
		"options": {props: []string{"income_verification", "override_password", "override_username", "statements", "transactions", "webhook"}},
	},
	"/sandbox/item/fire_webhook": {
		"": {props: []string{"access_token", "client_id", "secret", "webhook_code", "webhook_type"}, required: []string{"access_token", "webhook_code"}},
	},
}

// checkContentType refuses a body that is not declared as JSON. Plaid's invalid-request docs
// (INVALID_BODY): "The request content-type was not of type application/json. The Plaid API only
// accepts JSON text as the MIME media type, with UTF-8 encoding".
func checkContentType(r *http.Request) *plaidError {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		if ct == "" {
			ct = "none"
		}
		return errInvalidBody(fmt.Sprintf("body could not be parsed as JSON: the request's Content-Type is %s; send the body as application/json", ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errInvalidBody(fmt.Sprintf("body could not be parsed as JSON: charset %q; the Plaid API accepts UTF-8 only", cs))
	}
	return nil
}

// checkFields reports the first of UNKNOWN_FIELDS and MISSING_FIELDS that applies to body (already
// known to be a JSON object) on path. client_id and secret may come in headers, so they are never
// "missing" here; authenticate deals with them.
func checkFields(path string, body []byte) *plaidError {
	spec, ok := requestFields[path]
	if !ok {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil // checkJSON has already refused anything that is not an object
	}
	var unknown, missing []string
	check := func(prefix string, obj map[string]json.RawMessage, of objectFields) {
		for k := range obj {
			if !slices.Contains(of.props, k) {
				unknown = append(unknown, prefix+k)
			}
		}
		for _, k := range of.required {
			if isAbsent(obj[k]) {
				missing = append(missing, prefix+k)
			}
		}
	}
	check("", top, spec[""])
	for name, of := range spec {
		if name == "" {
			continue
		}
		var obj map[string]json.RawMessage
		if raw, ok := top[name]; !ok || json.Unmarshal(raw, &obj) != nil || obj == nil {
			continue // absent, null or not an object: the endpoint's own decoding says what is wrong
		}
		check(name+".", obj, of)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return errUnknownFields(unknown...)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return errMissingField(missing...)
	}
	return nil
}

// isAbsent reports whether a field counts as not sent: missing, null, "" or [].
func isAbsent(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null" || s == `""` || s == "[]"
}

// checkLinkProducts checks /link/token/create's products. The spec: "`balance` is *not* a valid value,
// the Balance product does not require explicit initialization and will automatically be initialized
// when any other product is initialized." Plaid answers both that and an unknown product with
// INVALID_INPUT / INVALID_PRODUCT.
func checkLinkProducts(products []string) *plaidError {
	for _, p := range products {
		switch {
		case p == "balance":
			return errInvalidProduct(`products contains "balance", which cannot start Link: Balance needs no initialization and comes with any other product; request e.g. "transactions" or "auth" instead`)
		case !slices.Contains(allProducts, p):
			return errInvalidProduct(fmt.Sprintf("products contains %q, which is not a Plaid product the emulator knows; use one of %s", p, strings.Join(linkProducts(), ", ")))
		}
	}
	return nil
}

// linkProducts are the products that can start Link: every product but balance.
func linkProducts() []string {
	var out []string
	for _, p := range allProducts {
		if p != "balance" {
			out = append(out, p)
		}
	}
	return out
}

// errMethodNotFound answers a request with a method other than POST on an API path.
func errMethodNotFound(path, method string) *plaidError {
	pe := errNotFound(path)
	pe.ErrorMessage = fmt.Sprintf("not found: the Plaid API has no %s %s; every endpoint takes POST with a JSON body", method, path)
	return pe
}
