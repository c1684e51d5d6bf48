package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/flows"
)

// hostedLinkLifetime is how long the Hosted Link URL stays usable (Plaid's url_lifetime_seconds):
// long enough to read the recovery e-mail and come back to it.
const hostedLinkLifetime = 1800

// ErrNoWebhook means a link token was asked for before the tunnel was open: Link Recovery reports
// its result by webhook, so a token is made without one only on purpose, by CreatePollingLinkToken
// once the tunnel has failed.
var ErrNoWebhook = errors.New("no webhook URL yet: the tunnel is not open; open it first (see the tunnel's error for what to do)")

// CreateHostedLinkToken calls /link/token/create with webhook and hosted_link (completion_redirect_uri
// included). The token is the same for every scenario: a scenario changes what the person does in
// Link, not the token.
func (e *Env) CreateHostedLinkToken(ctx context.Context) (flows.LinkToken, error) {
	t := e.CurrentTunnel()
	if t == nil {
		return flows.LinkToken{}, ErrNoWebhook
	}
	redirect := e.cfg.RedirectURI
	if redirect == "" {
		// The receiver's /complete page counts a visit only with this run's nonce, so nobody who
		// merely knows the URL can tick "completion page reached".
		redirect = t.CompleteURL()
		if r := e.CurrentReceiver(); r != nil {
			redirect = r.CompleteURL(redirect)
		}
	}
	return e.createLinkToken(ctx, t.WebhookURL(), redirect)
}

// CreatePollingLinkToken creates a Hosted Link token without a webhook, the fallback for when the
// tunnel could not open: Plaid then sends no webhooks, but /link/token/get still follows the
// session, so a scenario can be walked through while the tunnel is being fixed. Its
// completion_redirect_uri is --redirect-uri, if any (the receiver's /complete page has no public URL).
func (e *Env) CreatePollingLinkToken(ctx context.Context) (flows.LinkToken, error) {
	return e.createLinkToken(ctx, "", e.cfg.RedirectURI)
}

// createLinkToken calls /link/token/create for a Hosted Link session; webhook and redirect are left
// out of the request when empty.
func (e *Env) createLinkToken(ctx context.Context, webhook, redirect string) (flows.LinkToken, error) {
	const endpoint = "/link/token/create"
	user := plaid.NewLinkTokenCreateRequestUser("linkrecovery-" + randomHex(8))
	req := plaid.NewLinkTokenCreateRequest("linkrecovery", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *user)
	products := e.cfg.Products
	if len(products) == 0 {
		products = DefaultProducts
	}
	ps := make([]plaid.Products, 0, len(products))
	for _, p := range products {
		ps = append(ps, plaid.Products(p))
	}
	req.SetProducts(ps)
	if webhook != "" {
		req.SetWebhook(webhook)
	}
	hl := plaid.NewLinkTokenCreateHostedLink()
	if redirect != "" {
		hl.SetCompletionRedirectUri(redirect)
	}
	hl.SetUrlLifetimeSeconds(hostedLinkLifetime)
	req.SetHostedLink(*hl)

	resp, httpResp, err := e.Plaid.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		return flows.LinkToken{}, asPlaidError(err, httpResp, endpoint, e.PlaidURL)
	}
	lt := flows.LinkToken{
		Token:         resp.LinkToken,
		HostedLinkURL: resp.GetHostedLinkUrl(),
		Expiration:    resp.Expiration,
		RequestID:     resp.RequestId,
		Webhook:       webhook,
		RedirectURI:   redirect,
	}
	if lt.HostedLinkURL == "" {
		return lt, &flows.CallError{Endpoint: endpoint, URL: e.PlaidURL,
			Cause: "Plaid created the token but returned no hosted_link_url",
			// Plaid returns hosted_link_url whenever the request carries a hosted_link object (this
			// one does); there is nothing to enable. So the answer did not come from Plaid's API as
			// documented: most often PLAID_BASE_URL points at something else.
			Next: "the request asked for Hosted Link (a hosted_link object), which needs no enabling, so check that PLAID_BASE_URL " +
				"is Plaid's Sandbox (unset it to use https://sandbox.plaid.com) or an emulator with Hosted Link; if it is, quote request_id " +
				resp.RequestId + " to Plaid support"}
	}
	return lt, nil
}

// GetLinkToken calls /link/token/get.
func (e *Env) GetLinkToken(ctx context.Context, token string) (flows.TokenStatus, error) {
	const endpoint = "/link/token/get"
	resp, httpResp, err := e.Plaid.PlaidApi.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(token)).Execute()
	if err != nil {
		return flows.TokenStatus{}, asPlaidError(err, httpResp, endpoint, e.PlaidURL)
	}
	var st flows.TokenStatus
	for _, s := range resp.GetLinkSessions() {
		st.Sessions = append(st.Sessions, sessionFrom(s))
	}
	return st, nil
}

// sessionFrom maps one link_sessions entry. Plaid reports the result in several places across API
// versions (results.item_add_results, on_success, exit, on_exit); read them all.
func sessionFrom(s plaid.LinkTokenGetSessionsResponse) flows.Session {
	out := flows.Session{ID: s.LinkSessionId}
	if fin := s.FinishedAt.Get(); s.FinishedAt.IsSet() && fin != nil {
		out.Finished = true
	}
	seen := map[string]bool{}
	addToken := func(tok string) {
		if tok != "" && !seen[tok] {
			seen[tok] = true
			out.PublicTokens = append(out.PublicTokens, tok)
		}
	}
	if r := s.Results.Get(); r != nil {
		for _, res := range r.GetItemAddResults() {
			addToken(res.PublicToken)
		}
	}
	if ok := s.OnSuccess.Get(); ok != nil {
		addToken(ok.PublicToken)
	}
	for _, ex := range []*plaid.LinkSessionExit{s.Exit.Get(), exitFromDeprecated(s.OnExit.Get())} {
		if ex == nil {
			continue
		}
		if pe := ex.Error.Get(); pe != nil && out.ExitCode == "" {
			out.ExitCode = pe.ErrorCode
		}
		if md := ex.Metadata.Get(); md != nil && out.ExitStatus == "" {
			out.ExitStatus = md.GetStatus()
		}
		out.Status = "EXITED"
		out.Finished = true
	}
	if len(out.PublicTokens) > 0 {
		out.Status = "SUCCESS"
		out.Finished = true
	}
	for _, ev := range s.GetEvents() {
		out.Events = append(out.Events, eventFrom(ev))
	}
	return out
}

func exitFromDeprecated(d *plaid.LinkSessionExitDeprecated) *plaid.LinkSessionExit {
	if d == nil {
		return nil
	}
	return &plaid.LinkSessionExit{Error: d.Error, Metadata: d.Metadata}
}

func eventFrom(ev plaid.LinkEvent) flows.LinkEvent {
	out := flows.LinkEvent{
		Name:      ev.EventName,
		ErrorCode: ev.EventMetadata.GetErrorCode(),
		ViewName:  ev.EventMetadata.GetViewName(),
	}
	if t, err := time.Parse(time.RFC3339Nano, ev.Timestamp); err == nil {
		out.At = t
	}
	return out
}

// randomHex is n random bytes in hex (client_user_id must be unique per user, not secret).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
