package emulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/internal/jsonkind"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// apiHandler answers one Plaid endpoint. body is the raw (already syntax-checked) JSON request; base
// is the public base URL for links it makes. It returns the response object or a Plaid error.
type apiHandler func(e *Emulator, body []byte, base string) (map[string]any, *plaidError)

// apiRoutes are the Plaid endpoints the emulator serves.
var apiRoutes = map[string]apiHandler{
	"/link/token/create":            (*Emulator).linkTokenCreate,
	"/link/token/get":               (*Emulator).linkTokenGet,
	"/item/public_token/exchange":   (*Emulator).publicTokenExchange,
	"/accounts/get":                 (*Emulator).accountsGet,
	"/item/get":                     (*Emulator).itemGet,
	"/webhook_verification_key/get": (*Emulator).webhookKeyGet,
	"/sandbox/public_token/create":  (*Emulator).sandboxPublicTokenCreate,
	"/sandbox/item/fire_webhook":    (*Emulator).sandboxFireWebhook,
	"/accounts/balance/get":         (*Emulator).accountsBalanceGet,
	"/institutions/get_by_id":       (*Emulator).institutionsGetByID,
	"/item/remove":                  (*Emulator).itemRemove,
	"/item/webhook/update":          (*Emulator).itemWebhookUpdate,
}

// APIPaths returns the Plaid endpoints the emulator serves, sorted.
func APIPaths() []string {
	var out []string
	for p := range apiRoutes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

const maxBody = 1 << 20

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	rid := randomID(15)
	path := r.URL.Path
	status, code := http.StatusOK, ""
	defer func() { e.logf("%s %s → %d (request_id %s)", r.Method, path, status, rid) }()
	fail := func(pe *plaidError) {
		status, code = pe.Status, pe.ErrorCode
		if status == 0 {
			status = statusForType(pe.ErrorType)
		}
		writeError(w, pe, rid)
	}

	h, ok := apiRoutes[path]
	if !ok {
		fail(errNotFound(path))
		return
	}
	if r.Method != http.MethodPost {
		// Plaid's API has POST operations only, so a GET (or any other method) names no endpoint:
		// the answer is Plaid's NOT_FOUND (HTTP 404), not a made-up code.
		fail(errMethodNotFound(path, r.Method))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		fail(errInvalidBody("could not read the request body: " + err.Error()))
		return
	}
	if len(body) > maxBody {
		fail(errInvalidBody("the request body is larger than 1 MiB"))
		return
	}
	if pe := checkContentType(r); pe != nil {
		fail(pe)
		return
	}
	if pe := checkJSON(body); pe != nil {
		fail(pe)
		return
	}
	if pe := e.authenticate(r, body); pe != nil {
		fail(pe)
		return
	}
	var resp map[string]any // the answer, once there is one
	if path == exchangePath {
		// Every keyed exchange is evidence of what a handler acted on (exchanges.go), whatever the
		// answer: an injected fault, a refusal or an Item.
		defer func() { e.recordExchange(body, status, code, resp) }()
	}
	// Faults stand for Plaid itself misbehaving, whatever the request asks; they are matched only
	// after authentication, so a keyless request (a cross-site form, a LAN stranger) cannot use one up.
	if f, ok := e.takeFault(path); ok {
		if f.Delay > 0 && !e.sleep(r.Context(), f.Delay) {
			status = 499 // the client gave up during the injected delay; nothing to answer
			return
		}
		if pe := f.plaidError(); pe != nil {
			fail(pe)
			return
		}
	}
	if pe := checkFields(path, body); pe != nil {
		fail(pe)
		return
	}
	base := e.BaseURL()
	if base == "" {
		base = "http://" + r.Host // before SetBaseURL, links point where the request came in
	}
	resp, pe := h(e, body, base) // the resp declared above, which recordExchange reads
	if pe != nil {
		fail(pe)
		return
	}
	resp["request_id"] = rid
	writeJSON(w, http.StatusOK, resp)
}

// checkJSON reports a malformed body the way Plaid does: INVALID_BODY, naming what is wrong.
func checkJSON(body []byte) *plaidError {
	if len(bytes.TrimSpace(body)) == 0 {
		return errInvalidBody("the request body is empty; send a JSON object with client_id, secret and the endpoint's fields")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return errInvalidBody("the request body is not valid JSON (" + err.Error() + "); send a JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return errInvalidBody("the request body must be a JSON object, not " + jsonkind.Of(v))
	}
	return nil
}

// authenticate checks client_id and secret, taken from the body or, as plaid-go sends them, from the
// PLAID-CLIENT-ID and PLAID-SECRET headers.
func (e *Emulator) authenticate(r *http.Request, body []byte) *plaidError {
	var keys struct {
		ClientID any `json:"client_id"`
		Secret   any `json:"secret"`
	}
	_ = json.Unmarshal(body, &keys) // syntax already checked; wrong types are caught below
	id, sec := r.Header.Get("PLAID-CLIENT-ID"), r.Header.Get("PLAID-SECRET")
	if keys.ClientID != nil {
		s, ok := keys.ClientID.(string)
		if !ok {
			return errInvalidField("client_id must be a string")
		}
		id = s
	}
	if keys.Secret != nil {
		s, ok := keys.Secret.(string)
		if !ok {
			return errInvalidField("secret must be a string")
		}
		sec = s
	}
	if id == "" || sec == "" {
		return errInvalidAPIKeys("client_id and secret are required: send them in the body or in the PLAID-CLIENT-ID and PLAID-SECRET headers (the emulator prints its client_id when it starts)")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(e.clientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(sec), []byte(e.secret)) != 1 {
		return errInvalidAPIKeys("invalid client_id or secret provided: use the keys this emulator was started with")
	}
	return nil
}

// decode unmarshals body into v, turning type mismatches into INVALID_FIELD naming the field.
func decode(body []byte, v any) *plaidError {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errInvalidField(fmt.Sprintf("%s must be %s, not a JSON %s", te.Field, goKind(te.Type.Kind().String()), te.Value))
		}
		return errInvalidBody("the request body does not match this endpoint: " + err.Error())
	}
	return nil
}

// decodeRequired decodes a body whose one field that matters is the string field, which must be
// there and not empty.
func decodeRequired(body []byte, field string) (string, *plaidError) {
	var req map[string]json.RawMessage
	if pe := decode(body, &req); pe != nil {
		return "", pe
	}
	var v string
	if raw, ok := req[field]; ok {
		if err := json.Unmarshal(raw, &v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return "", errInvalidField(fmt.Sprintf("%s must be a string, not a JSON %s", field, te.Value))
			}
			return "", errInvalidBody("the request body does not match this endpoint: " + err.Error())
		}
	}
	if v == "" {
		return "", errMissingField(field)
	}
	return v, nil
}

func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

// ---- /link/token/create ----

type linkTokenCreateReq struct {
	ClientName   string   `json:"client_name"`
	Language     string   `json:"language"`
	CountryCodes []string `json:"country_codes"`
	User         *struct {
		ClientUserID string `json:"client_user_id"`
	} `json:"user"`
	Products    []string `json:"products"`
	Webhook     string   `json:"webhook"`
	RedirectURI string   `json:"redirect_uri"`
	HostedLink  *struct {
		CompletionRedirectURI string `json:"completion_redirect_uri"`
		URLLifetimeSeconds    *int64 `json:"url_lifetime_seconds"`
		DeliveryMethod        string `json:"delivery_method"`
	} `json:"hosted_link"`
}

var countryCodes = []string{"US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT", "FI"}
var languages = []string{"da", "nl", "en", "et", "fr", "de", "hi", "it", "lv", "lt", "no", "pl", "pt", "ro", "es", "sv", "vi", "ja"}

func (e *Emulator) linkTokenCreate(body []byte, base string) (map[string]any, *plaidError) {
	var req linkTokenCreateReq
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	switch {
	case strings.TrimSpace(req.ClientName) == "":
		return nil, errMissingField("client_name")
	case req.Language == "":
		return nil, errMissingField("language")
	case !slices.Contains(languages, req.Language):
		return nil, errInvalidField(fmt.Sprintf("language %q is not supported; use one of %s", req.Language, strings.Join(languages, ", ")))
	case len(req.CountryCodes) == 0:
		return nil, errMissingField("country_codes")
	case req.User == nil || req.User.ClientUserID == "":
		return nil, errMissingField("user.client_user_id")
	}
	for _, c := range req.CountryCodes {
		if !slices.Contains(countryCodes, c) {
			return nil, errInvalidField(fmt.Sprintf("country_codes contains %q, which is not a supported country code; use e.g. US", c))
		}
	}
	if pe := checkLinkProducts(req.Products); pe != nil {
		return nil, pe
	}
	if req.Webhook != "" {
		if err := e.checkWebhookTarget(req.Webhook); err != nil {
			return nil, errInvalidField("webhook " + err.Error())
		}
	}
	if req.RedirectURI != "" {
		if err := checkURL(req.RedirectURI); err != nil {
			return nil, errInvalidField("redirect_uri " + err.Error())
		}
	}
	now := e.now()
	lt := &linkToken{
		Token:        "link-sandbox-" + newUUID(),
		CreatedAt:    now,
		ExpiresAt:    now.Add(LinkTokenLifetime),
		ClientName:   req.ClientName,
		Language:     req.Language,
		CountryCodes: req.CountryCodes,
		Products:     req.Products,
		Webhook:      req.Webhook,
		ClientUserID: req.User.ClientUserID,
		RedirectURI:  req.RedirectURI,
		URLLifetime:  DefaultHostedURLLife,
		BaseURL:      base,
	}
	if hl := req.HostedLink; hl != nil {
		lt.HostedLink = true
		if hl.CompletionRedirectURI != "" {
			if err := checkURL(hl.CompletionRedirectURI); err != nil {
				return nil, errInvalidField("hosted_link.completion_redirect_uri " + err.Error())
			}
			lt.CompletionURI = hl.CompletionRedirectURI
		}
		if s := hl.URLLifetimeSeconds; s != nil {
			// The spec: "Must be positive. Cannot be longer than 21 days."
			if *s <= 0 || *s > int64(MaxHostedURLLife/time.Second) {
				return nil, errInvalidField(fmt.Sprintf("hosted_link.url_lifetime_seconds must be positive and at most %d (21 days), got %d",
					int64(MaxHostedURLLife/time.Second), *s))
			}
			lt.URLLifetime = time.Duration(*s) * time.Second
		}
		// "If using Hosted Link, the link_token will expire at the same time as the Hosted Link URL."
		lt.ExpiresAt = now.Add(lt.URLLifetime)
	}
	resp := map[string]any{"link_token": lt.Token, "expiration": timestamp(lt.ExpiresAt)}
	e.mu.Lock()
	e.linkTokens[lt.Token] = lt
	if lt.HostedLink {
		h := &hostedLink{ID: newUUID(), Token: lt, ExpiresAt: now.Add(lt.URLLifetime)}
		e.hosted[h.ID] = h
		lt.HostedID = h.ID
		resp["hosted_link_url"] = base + "/hosted-link/" + h.ID
	}
	e.mu.Unlock()
	return resp, nil
}

// checkURL accepts absolute http(s) URLs, the only kind Plaid can call or redirect to.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http:// or https:// URL, got %q", s)
	}
	return nil
}

// ---- /link/token/get ----

func (e *Emulator) linkTokenGet(body []byte, _ string) (map[string]any, *plaidError) {
	tok, pe := decodeRequired(body, "link_token")
	if pe != nil {
		return nil, pe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	lt := e.linkTokens[tok]
	if lt == nil {
		return nil, errInvalidInput("INVALID_LINK_TOKEN", "provided link token is in an invalid format or does not exist; create one with /link/token/create")
	}
	if now := e.now(); expired(now, lt.ExpiresAt) && !e.recoveryLiveLocked(lt, now) {
		return nil, errInvalidInput("INVALID_LINK_TOKEN", "provided link token is expired (a Hosted Link token lives as long as its URL: 30 minutes unless url_lifetime_seconds says otherwise); create a new one with /link/token/create")
	}
	sessions := []any{}
	for _, s := range lt.Sessions {
		sessions = append(sessions, e.sessionJSONLocked(s))
	}
	var webhook any
	if lt.Webhook != "" {
		webhook = lt.Webhook
	}
	products := lt.Products
	if products == nil {
		products = []string{}
	}
	var redirect any
	if lt.RedirectURI != "" {
		redirect = lt.RedirectURI
	}
	return map[string]any{
		"link_token":    lt.Token,
		"created_at":    timestamp(lt.CreatedAt),
		"expiration":    timestamp(lt.ExpiresAt),
		"link_sessions": sessions,
		"metadata": map[string]any{
			"initial_products": products,
			"webhook":          webhook,
			"country_codes":    lt.CountryCodes,
			"language":         lt.Language,
			"redirect_uri":     redirect,
			"client_name":      lt.ClientName,
		},
	}, nil
}

func (e *Emulator) sessionJSONLocked(s *session) map[string]any {
	// As in the spec's /link/token/get example: events newest first, and the session's started_at
	// and finished_at with fractional seconds ("2024-07-29T20:24:05.330312653Z").
	events := slices.Clone(s.Events)
	slices.Reverse(events)
	m := map[string]any{
		"link_session_id": s.ID,
		"started_at":      preciseTimestamp(s.StartedAt),
		"finished_at":     nil,
		"events":          events,
	}
	if !s.FinishedAt.IsZero() {
		m["finished_at"] = preciseTimestamp(s.FinishedAt)
	}
	in, hasIn := findInstitution(s.InstitutionID)
	if s.Status == "SUCCESS" {
		var adds []any
		for _, r := range s.Results {
			var accts []any
			for _, a := range r.Item.Accounts {
				accts = append(accts, map[string]any{"id": a.ID, "name": a.Name, "mask": a.Mask, "type": a.Type,
					"subtype": a.Subtype, "verification_status": nil, "class_type": nil})
			}
			adds = append(adds, map[string]any{
				"public_token": r.PublicToken,
				"accounts":     accts,
				"institution":  map[string]any{"name": in.Name, "institution_id": in.ID},
			})
		}
		// on_success is the legacy form of the first Item add, as the spec's /link/token/get example
		// (a Hosted Link session) shows it: the public token and onSuccess's metadata.
		if len(adds) > 0 {
			first := adds[0].(map[string]any)
			m["on_success"] = map[string]any{
				"public_token": first["public_token"],
				"metadata": map[string]any{
					"accounts":        first["accounts"],
					"institution":     first["institution"],
					"link_session_id": s.ID,
					"transfer_status": nil,
				},
			}
		}
		m["results"] = map[string]any{
			"item_add_results":        adds,
			"cra_item_add_results":    []any{},
			"cra_update_results":      []any{},
			"bank_income_results":     []any{},
			"payroll_income_results":  []any{},
			"document_income_results": nil,
		}
	}
	if s.Status == "EXITED" {
		var exitErr any
		if s.ExitError != nil {
			b := s.ExitError.body("")
			b["status"] = s.ExitError.Status
			exitErr = b
		}
		meta := map[string]any{"link_session_id": s.ID, "request_id": randomID(15), "institution": nil}
		if hasIn {
			meta["institution"] = map[string]any{"name": in.Name, "institution_id": in.ID}
		}
		if s.ExitStatus != "" {
			meta["status"] = s.ExitStatus
		}
		m["exit"] = map[string]any{"error": exitErr, "metadata": meta}
	}
	return m
}

// ---- /item/public_token/exchange ----

func (e *Emulator) publicTokenExchange(body []byte, _ string) (map[string]any, *plaidError) {
	publicToken, pe := decodeRequired(body, "public_token")
	if pe != nil {
		return nil, pe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pt := e.publicTokens[publicToken]
	switch {
	case pt == nil:
		return nil, errInvalidInput("INVALID_PUBLIC_TOKEN", "provided public token is in an invalid format or does not exist; public tokens come from Link's onSuccess or a SESSION_FINISHED webhook")
	case pt.Used:
		return nil, errInvalidInput("INVALID_PUBLIC_TOKEN", "provided public token has already been exchanged; public tokens are single-use, so keep the access_token from the first exchange")
	case expired(e.now(), pt.ExpiresAt):
		return nil, errInvalidInput("INVALID_PUBLIC_TOKEN", "provided public token is expired: public tokens expire 30 minutes after creation; link the account again")
	}
	pt.Used = true
	it := pt.Item
	if it.AccessToken == "" {
		it.AccessToken = "access-sandbox-" + newUUID()
		e.accessTokens[it.AccessToken] = it
	}
	e.logf("public token exchanged for item %s (access token %s)", it.ID, mask(it.AccessToken))
	return map[string]any{"access_token": it.AccessToken, "item_id": it.ID}, nil
}

// itemByAccessToken finds the Item of an access token in a request body. The caller holds e.mu.
func (e *Emulator) itemByAccessTokenLocked(tok string) (*item, *plaidError) {
	if tok == "" {
		return nil, errMissingField("access_token")
	}
	it := e.accessTokens[tok]
	if it == nil {
		return nil, errInvalidInput("INVALID_ACCESS_TOKEN", "provided access token is in an invalid format or does not exist; get one from /item/public_token/exchange")
	}
	return it, nil
}

// ---- /accounts/get and /item/get ----

func (e *Emulator) accountsGet(body []byte, _ string) (map[string]any, *plaidError) {
	var req struct {
		Options *struct {
			AccountIDs []string `json:"account_ids"`
		} `json:"options"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	return e.withItem(body, func(it *item) (map[string]any, *plaidError) {
		accts := []any{}
		for _, a := range it.Accounts {
			if req.Options != nil && len(req.Options.AccountIDs) > 0 && !slices.Contains(req.Options.AccountIDs, a.ID) {
				continue
			}
			accts = append(accts, accountJSON(a))
		}
		if req.Options != nil && len(req.Options.AccountIDs) > len(accts) {
			return nil, errInvalidInput("INVALID_ACCOUNT_ID", "options.account_ids names an account this Item does not have")
		}
		return map[string]any{"accounts": accts, "item": itemJSON(it, false)}, nil
	})
}

func accountJSON(a account) map[string]any {
	num := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	var official any
	if a.OfficialName != "" {
		official = a.OfficialName
	}
	return map[string]any{
		"account_id": a.ID,
		"balances": map[string]any{
			"available":                num(a.Available),
			"current":                  num(a.Current),
			"limit":                    num(a.Limit),
			"iso_currency_code":        "USD",
			"unofficial_currency_code": nil,
		},
		"mask":            a.Mask,
		"name":            a.Name,
		"official_name":   official,
		"type":            a.Type,
		"subtype":         a.Subtype,
		"holder_category": "personal",
	}
}

// allProducts are the products a Sandbox Item can have; those not billed are "available".
var allProducts = []string{"assets", "auth", "balance", "identity", "investments", "liabilities", "transactions"}

func itemJSON(it *item, withConsent bool) map[string]any {
	in, _ := findInstitution(it.InstitutionID)
	var avail []string
	for _, p := range allProducts {
		if !slices.Contains(it.Products, p) {
			avail = append(avail, p)
		}
	}
	var webhook any
	if it.Webhook != "" {
		webhook = it.Webhook
	}
	m := map[string]any{
		"item_id":                 it.ID,
		"institution_id":          in.ID,
		"institution_name":        in.Name,
		"webhook":                 webhook,
		"auth_method":             nil,
		"error":                   nil,
		"available_products":      avail,
		"billed_products":         slices.Clone(it.Products),
		"products":                slices.Clone(it.Products),
		"consented_products":      slices.Clone(it.Products),
		"consent_expiration_time": nil,
		"update_type":             "background",
	}
	if withConsent {
		m["created_at"] = timestamp(it.CreatedAt)
	}
	return m
}

func (e *Emulator) itemGet(body []byte, _ string) (map[string]any, *plaidError) {
	return e.withItem(body, func(it *item) (map[string]any, *plaidError) {
		status := map[string]any{"last_webhook": nil}
		if slices.Contains(it.Products, "transactions") {
			status["transactions"] = map[string]any{"last_successful_update": timestamp(it.CreatedAt), "last_failed_update": nil}
		}
		if it.LastWebhook != "" {
			status["last_webhook"] = map[string]any{"sent_at": timestamp(it.LastWebhookAt), "code_sent": it.LastWebhook}
		}
		return map[string]any{"item": itemJSON(it, true), "status": status}, nil
	})
}

// ---- /webhook_verification_key/get ----

func (e *Emulator) webhookKeyGet(body []byte, _ string) (map[string]any, *plaidError) {
	keyID, pe := decodeRequired(body, "key_id")
	if pe != nil {
		return nil, pe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range e.keys {
		if k.KID == keyID {
			return map[string]any{"key": webhook.JWKFromKey(k.public())}, nil
		}
	}
	return nil, errInvalidInput("INVALID_WEBHOOK_VERIFICATION_KEY_ID", "key_id does not name a webhook verification key; use the kid from the Plaid-Verification JWT header")
}

// ---- /sandbox/public_token/create ----

func (e *Emulator) sandboxPublicTokenCreate(body []byte, _ string) (map[string]any, *plaidError) {
	var req struct {
		InstitutionID   string   `json:"institution_id"`
		InitialProducts []string `json:"initial_products"`
		Options         *struct {
			Webhook          string `json:"webhook"`
			OverrideUsername string `json:"override_username"`
			OverridePassword string `json:"override_password"`
		} `json:"options"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	switch {
	case req.InstitutionID == "":
		return nil, errMissingField("institution_id")
	case len(req.InitialProducts) == 0:
		return nil, errMissingField("initial_products")
	}
	if _, ok := findInstitution(req.InstitutionID); !ok {
		return nil, errInvalidInput("INVALID_INSTITUTION", fmt.Sprintf("institution_id %q is not a Sandbox institution the emulator knows; use one of %s", req.InstitutionID, institutionList()))
	}
	for _, p := range req.InitialProducts {
		if !slices.Contains(allProducts, p) {
			return nil, errInvalidProduct(fmt.Sprintf("initial_products contains %q, which is not a Plaid product the emulator knows; use one of %s", p, strings.Join(allProducts, ", ")))
		}
	}
	webhook := ""
	if req.Options != nil && req.Options.Webhook != "" {
		if err := e.checkWebhookTarget(req.Options.Webhook); err != nil {
			return nil, errInvalidField("options.webhook " + err.Error())
		}
		webhook = req.Options.Webhook
	}
	if req.Options != nil {
		if pe := sandboxCredentialsError(req.Options.OverrideUsername, req.Options.OverridePassword); pe != nil {
			return nil, pe
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.newItemLocked(req.InstitutionID, webhook, req.InitialProducts, newAccounts())
	pt := e.newPublicTokenLocked(it)
	return map[string]any{"public_token": pt.Token}, nil
}

// ---- /sandbox/item/fire_webhook ----

func (e *Emulator) sandboxFireWebhook(body []byte, _ string) (map[string]any, *plaidError) {
	var req struct {
		AccessToken string `json:"access_token"`
		WebhookCode string `json:"webhook_code"`
	}
	if pe := decode(body, &req); pe != nil {
		return nil, pe
	}
	if req.WebhookCode == "" {
		return nil, errMissingField("webhook_code")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, pe := e.itemByAccessTokenLocked(req.AccessToken)
	if pe != nil {
		return nil, pe
	}
	payload := map[string]any{"item_id": it.ID, "error": nil, "environment": "sandbox", "webhook_code": req.WebhookCode}
	switch req.WebhookCode {
	case "DEFAULT_UPDATE":
		payload["webhook_type"] = "TRANSACTIONS"
		payload["new_transactions"] = 3
	case "SYNC_UPDATES_AVAILABLE":
		payload["webhook_type"] = "TRANSACTIONS"
		payload["initial_update_complete"] = true
		payload["historical_update_complete"] = true
		delete(payload, "error")
	case "NEW_ACCOUNTS_AVAILABLE", "LOGIN_REPAIRED":
		payload["webhook_type"] = "ITEM"
	default:
		return nil, errInvalidField(fmt.Sprintf("webhook_code %q is not supported by the emulator; use DEFAULT_UPDATE, NEW_ACCOUNTS_AVAILABLE, SYNC_UPDATES_AVAILABLE or LOGIN_REPAIRED", req.WebhookCode))
	}
	if it.Webhook == "" {
		// Plaid's Sandbox errors page: error_type SANDBOX_ERROR, "Webhook for this item is either not
		// set up, or invalid. Please update the item's webhook and try again."
		return nil, errSandbox("SANDBOX_WEBHOOK_INVALID", "Webhook for this item is either not set up, or invalid. Please update the item's webhook and try again. (Set one with /item/webhook/update, webhook in /link/token/create or options.webhook in /sandbox/public_token/create.)")
	}
	it.LastWebhook, it.LastWebhookAt = req.WebhookCode, e.now()
	e.enqueueWebhookLocked("item:"+it.ID, it.Webhook, "", payload)
	return map[string]any{"webhook_fired": true}, nil
}
