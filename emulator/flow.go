package emulator

import (
	"fmt"
	"net/url"
	"slices"
)

// This file is the Hosted Link state machine. The HTML pages (pages.go) and CompleteSession both go
// through view and act, so a scripted session and a person with a browser produce the same events,
// Items and webhooks.

// Actions a page form (or CompleteSession) can submit. The form's hidden "step" says which page it
// came from; a submission from a page that is no longer current (back button, double submit) is
// ignored and the current page is shown again.
const (
	actionSubmit = "submit" // the page's main form
	actionExit   = "exit"   // leave Link without an Item
)

// pageView is everything a page needs, copied out of the store so templates run without the lock.
type pageView struct {
	Step            step
	HostedID        string
	SessionID       string
	ClientName      string
	InstitutionID   string
	InstitutionName string
	Institutions    []institution
	Accounts        []account
	Email           string
	Error           *formError
	ContinueURL     string
	Recovery        bool
	Reason          string // why a link is expired or unknown
}

// view returns the current page of the Hosted Link session id, starting the session on first open.
func (e *Emulator) view(id string) pageView {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, pv := e.sessionLocked(id)
	if s == nil {
		return pv
	}
	return e.pageLocked(s)
}

// act applies one form submission to the Hosted Link session id and returns the page to show.
func (e *Emulator) act(id string, from step, action string, form url.Values) pageView {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, pv := e.sessionLocked(id)
	if s == nil {
		return pv
	}
	if s.Step.final() || from != s.Step {
		return e.pageLocked(s) // stale or repeated submission: show where the session really is
	}
	s.FormError = nil
	if action == actionExit {
		e.exitLocked(s)
		return e.pageLocked(s)
	}
	switch s.Step {
	case stepSelect:
		e.selectInstitutionLocked(s, form.Get("institution_id"))
	case stepLogin:
		e.submitCredentialsLocked(s, form.Get("username"), form.Get("password"))
	case stepAccounts:
		e.submitAccountsLocked(s, form["account_id"])
	case stepDown:
		e.submitEmailLocked(s, form.Get("email"))
	case stepCode:
		e.submitCodeLocked(s, form.Get("code"))
	}
	return e.pageLocked(s)
}

// sessionLocked finds (or starts) the session behind a Hosted Link id. When there is none to show it
// returns nil and the "expired" page.
func (e *Emulator) sessionLocked(id string) (*session, pageView) {
	h := e.hosted[id]
	if h == nil {
		return nil, pageView{Step: stepExpired, HostedID: id,
			Reason: "This Link session does not exist. Ask the app for a new link."}
	}
	now := e.now()
	if s := h.Session; s != nil && s.Step.final() {
		return s, pageView{} // a finished session keeps showing its outcome
	}
	if expired(now, h.ExpiresAt) {
		return nil, pageView{Step: stepExpired, HostedID: id, ClientName: h.Token.ClientName,
			Reason: "This link has expired (its url_lifetime_seconds has passed; 30 minutes unless the app asked for longer). Ask the app for a new link."}
	}
	// A recovery e-mail's link outlives the original token (it has its own, e-mail lifetime).
	if !h.Recovery && expired(now, h.Token.ExpiresAt) {
		return nil, pageView{Step: stepExpired, HostedID: id, ClientName: h.Token.ClientName,
			Reason: "This link has expired: its link token has expired. Ask the app for a new link."}
	}
	if h.Session == nil {
		e.startSessionLocked(h)
	}
	return h.Session, pageView{}
}

func (e *Emulator) startSessionLocked(h *hostedLink) {
	s := &session{ID: newUUID(), Hosted: h, Token: h.Token, StartedAt: e.now(), Step: stepSelect}
	h.Session = s
	h.Token.Sessions = append(h.Token.Sessions, s)
	e.eventLocked(s, "OPEN", nil)
	if h.Recovery {
		// The recovery e-mail names the bank, so the session starts at its login page.
		s.InstitutionID = h.InstitutionID
		s.Step = stepLogin
		e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "CREDENTIAL"})
	} else {
		e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "SELECT_INSTITUTION"})
	}
	e.logf("link session %s started (link token %s, recovery %v)", s.ID, mask(h.Token.Token), h.Recovery)
}

func (e *Emulator) selectInstitutionLocked(s *session, id string) {
	in, ok := findInstitution(id)
	if !ok {
		s.FormError = &formError{Code: "INVALID_INSTITUTION", Message: "Choose one of the banks listed below."}
		return
	}
	s.InstitutionID = in.ID
	e.eventLocked(s, "SELECT_INSTITUTION", nil)
	e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "CREDENTIAL"})
	s.Step = stepLogin
}

func (e *Emulator) submitCredentialsLocked(s *session, user, pass string) {
	e.eventLocked(s, "SUBMIT_CREDENTIALS", nil)
	in, _ := findInstitution(s.InstitutionID)
	switch {
	case user == UserGood && pass == PassGood:
		s.Offered = newAccounts()
		s.Step = stepAccounts
		e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "SELECT_ACCOUNT"})
	case user == UserGood && pass == PassInstitutionDown, user == UserLinkRecovery && pass == PassLinkRecovery:
		// The outage: the institution is marked down until RestoreInstitution, and the user is
		// offered the Link Recovery opt-in.
		pe := errInstitutionDown()
		e.down[in.ID] = true
		s.ExitError = pe
		s.Step = stepDown
		e.eventLocked(s, "ERROR", errorMeta(pe))
		e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "ERROR"})
		// No EVENTS webhook yet: Plaid sends it "after the user finishes going through Link" (or,
		// if the user walks away, after a delay: see sessions.go).
	default:
		pe := errInvalidCredentials()
		e.eventLocked(s, "ERROR", errorMeta(pe))
		s.FormError = &formError{Code: pe.ErrorCode, Message: "The username or password is incorrect. In the Sandbox, use " +
			UserGood + " / " + PassGood + " (or " + PassInstitutionDown + " as the password to see the outage)."}
	}
}

func (e *Emulator) submitAccountsLocked(s *session, ids []string) {
	if len(ids) == 0 {
		s.FormError = &formError{Code: "NO_ACCOUNTS", Message: "Choose at least one account to share."}
		return
	}
	var chosen []account
	for _, a := range s.Offered {
		if slices.Contains(ids, a.ID) {
			chosen = append(chosen, a)
		}
	}
	if len(chosen) != len(dedupe(ids)) {
		s.FormError = &formError{Code: "INVALID_ACCOUNT", Message: "One of the chosen accounts is not offered in this session; choose again."}
		return
	}
	it := e.newItemLocked(s.InstitutionID, s.Token.Webhook, s.Token.Products, chosen)
	pt := e.newPublicTokenLocked(it)
	s.Results = append(s.Results, itemAddResult{PublicToken: pt.Token, Item: it})
	e.eventLocked(s, "TRANSITION_VIEW", map[string]any{"view_name": "CONNECTED"})
	e.eventLocked(s, "HANDOFF", nil)
	s.ExitError = nil
	s.Step = stepSuccess
	e.finishLocked(s, "SUCCESS")
}

func (e *Emulator) submitEmailLocked(s *session, email string) {
	switch {
	case email == "":
		s.FormError = &formError{Code: "INVALID_EMAIL", Message: "Enter your e-mail address to be told when the bank is back."}
	case email != RecoveryEmail:
		s.FormError = &formError{Code: "INVALID_EMAIL", Message: fmt.Sprintf(
			"%q cannot opt in: in the Sandbox only %s is accepted.", email, RecoveryEmail)}
	default:
		s.Email = email
		s.Step = stepCode
	}
}

func (e *Emulator) submitCodeLocked(s *session, code string) {
	if code != RecoveryCode {
		s.FormError = &formError{Code: "INVALID_CODE", Message: "That code is wrong. In the Sandbox the code is " + RecoveryCode + "."}
		return
	}
	e.optIns = append(e.optIns, &optIn{Token: s.Token, Session: s, InstitutionID: s.InstitutionID, Email: s.Email, CreatedAt: e.now()})
	e.eventLocked(s, "ISSUE_FOLLOWED", nil)
	s.Step = stepFollowed
	e.logf("link session %s: %s opted in to Link Recovery for %s", s.ID, s.Email, s.InstitutionID)
	// Plaid ends the session once the user has opted in; the Item comes from the recovery session.
	s.ExitStatus = "requires_credentials"
	e.eventLocked(s, "EXIT", map[string]any{"exit_status": s.ExitStatus})
	e.finishLocked(s, "EXITED")
}

// exitStatuses are Link's onExit statuses: where the user was when the session ended without an Item.
var exitStatuses = map[step]string{
	// The spec: requires_credentials is "User prompted to provide credentials for the selected
	// financial institution or has not yet selected a financial institution"; institution_not_found
	// needs a search with no results, which the emulator's list of banks cannot produce.
	stepSelect:   "requires_credentials",
	stepLogin:    "requires_credentials",
	stepDown:     "requires_credentials",
	stepAccounts: "requires_account_selection",
	stepCode:     "requires_code",
}

func (e *Emulator) exitLocked(s *session) {
	s.ExitStatus = exitStatuses[s.Step]
	e.eventLocked(s, "EXIT", map[string]any{"exit_status": s.ExitStatus})
	s.Step = stepExited
	e.finishLocked(s, "EXITED")
}

// finishLocked ends a session and queues its last webhooks, in Plaid's order: the cumulative EVENTS,
// one ITEM_ADD_RESULT per Item, then SESSION_FINISHED.
func (e *Emulator) finishLocked(s *session, status string) {
	s.Status = status
	s.FinishedAt = e.now()
	e.disarmAbandonLocked(s)
	e.eventsWebhookLocked(s)
	tokens := []string{}
	for _, r := range s.Results {
		tokens = append(tokens, r.PublicToken)
		e.enqueueWebhookLocked("session:"+s.ID, s.Token.Webhook, s.ID, map[string]any{
			"webhook_type":    "LINK",
			"webhook_code":    "ITEM_ADD_RESULT",
			"link_session_id": s.ID,
			"link_token":      s.Token.Token,
			"public_token":    r.PublicToken,
			"environment":     "sandbox",
		})
	}
	e.enqueueWebhookLocked("session:"+s.ID, s.Token.Webhook, s.ID, map[string]any{
		"webhook_type":    "LINK",
		"webhook_code":    "SESSION_FINISHED",
		"status":          status,
		"link_session_id": s.ID,
		"link_token":      s.Token.Token,
		"public_tokens":   tokens,
		"environment":     "sandbox",
	})
	e.logf("link session %s finished: %s (%d item(s))", s.ID, status, len(s.Results))
}

// eventsWebhookLocked queues an EVENTS webhook carrying every event of the session so far.
func (e *Emulator) eventsWebhookLocked(s *session) {
	events := slices.Clone(s.Events)
	e.enqueueWebhookLocked("session:"+s.ID, s.Token.Webhook, s.ID, map[string]any{
		"webhook_type":    "LINK",
		"webhook_code":    "EVENTS",
		"link_session_id": s.ID,
		"link_token":      s.Token.Token,
		"events":          events,
		"environment":     "sandbox",
	})
}

// eventLocked records a Link event with Plaid's metadata: the request id always, the institution once
// chosen, and whatever the caller adds (view_name, error fields).
func (e *Emulator) eventLocked(s *session, name string, meta map[string]any) {
	m := map[string]any{"request_id": randomID(15)}
	if in, ok := findInstitution(s.InstitutionID); ok {
		m["institution_id"] = in.ID
		m["institution_name"] = in.Name
	}
	for k, v := range meta {
		m[k] = v
	}
	s.Events = append(s.Events, linkEvent{EventName: name, Timestamp: timestamp(e.now()), EventID: newUUID(), Metadata: m})
	e.armAbandonLocked(s) // every event is an interaction: the abandonment clock starts again
}

func errorMeta(pe *plaidError) map[string]any {
	return map[string]any{"error_code": pe.ErrorCode, "error_type": pe.ErrorType, "error_message": pe.ErrorMessage}
}

// pageLocked copies what the current page of s shows.
func (e *Emulator) pageLocked(s *session) pageView {
	pv := pageView{
		Step:       s.Step,
		HostedID:   s.Hosted.ID,
		SessionID:  s.ID,
		ClientName: s.Token.ClientName,
		Email:      s.Email,
		Recovery:   s.Hosted.Recovery,
	}
	if in, ok := findInstitution(s.InstitutionID); ok {
		pv.InstitutionID, pv.InstitutionName = in.ID, in.Name
	}
	if s.FormError != nil {
		fe := *s.FormError
		pv.Error = &fe
	}
	switch s.Step {
	case stepSelect:
		pv.Institutions = slices.Clone(institutions)
	case stepAccounts:
		pv.Accounts = slices.Clone(s.Offered)
	case stepSuccess, stepFollowed, stepExited:
		// Hosted Link sends the user back to the app however the session ended.
		pv.ContinueURL = s.Token.CompletionURI
	}
	return pv
}

func (e *Emulator) newItemLocked(institutionID, webhook string, products []string, accounts []account) *item {
	if len(products) == 0 {
		products = []string{"transactions"}
	}
	it := &item{ID: randomID(37), InstitutionID: institutionID, Webhook: webhook,
		Products: slices.Clone(products), Accounts: accounts, CreatedAt: e.now()}
	e.items[it.ID] = it
	return it
}

func (e *Emulator) newPublicTokenLocked(it *item) *publicToken {
	pt := &publicToken{Token: "public-sandbox-" + newUUID(), Item: it, ExpiresAt: e.now().Add(PublicTokenLifetime)}
	e.publicTokens[pt.Token] = pt
	return pt
}

func dedupe(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
