package emulator

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// TestSuccessSessionThroughPlaidGo links an account with user_good/pass_good and follows the result
// through every endpoint the app uses, as plaid-go decodes it.
func TestSuccessSessionThroughPlaidGo(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	start := time.Now()
	lt := v.linkToken(t, rc.srv.URL+"/hook", "https://app.example/done")

	if !strings.HasPrefix(lt.GetLinkToken(), "link-sandbox-") || len(lt.GetLinkToken()) != len("link-sandbox-")+36 {
		t.Errorf("link_token %q is not link-sandbox-<uuid>", lt.GetLinkToken())
	}
	if !strings.HasPrefix(lt.GetHostedLinkUrl(), v.srv.URL+"/hosted-link/") {
		t.Errorf("hosted_link_url %q is not under %s/hosted-link/", lt.GetHostedLinkUrl(), v.srv.URL)
	}
	// The spec: "If using Hosted Link, the link_token will expire at the same time as the Hosted Link
	// URL" (30 minutes by default for links not sent by Link delivery).
	if d := lt.GetExpiration().Sub(start); d < 30*time.Minute-time.Minute || d > 30*time.Minute+time.Minute {
		t.Errorf("expiration is %s after creation, want 30 min (the Hosted Link URL's default lifetime)", d)
	}

	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), goodLogin); err != nil {
		t.Fatalf("CompleteSession: %v", err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	if got := codes(hooks); got != "[EVENTS ITEM_ADD_RESULT SESSION_FINISHED]" {
		t.Fatalf("webhooks arrived as %s, want EVENTS, ITEM_ADD_RESULT, SESSION_FINISHED in order", got)
	}
	for _, h := range hooks {
		v.verifyWebhook(t, h)
	}
	var events plaid.LinkEventsWebhook
	var added plaid.ItemAddResultWebhook
	var finished plaid.LinkSessionFinishedWebhook
	mustDecode(t, hooks[0].Body, &events)
	mustDecode(t, hooks[1].Body, &added)
	mustDecode(t, hooks[2].Body, &finished)
	names := eventNames(events.Events)
	for _, want := range []string{"OPEN", "TRANSITION_VIEW", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"} {
		if !slices.Contains(names, want) {
			t.Errorf("EVENTS webhook lacks %s: %v", want, names)
		}
	}
	if slices.Contains(names, "EXIT") || slices.Contains(names, "ERROR") {
		t.Errorf("a successful session reported EXIT or ERROR: %v", names)
	}
	if finished.Status != "SUCCESS" || finished.LinkToken != lt.GetLinkToken() || finished.Environment != plaid.WEBHOOKENVIRONMENTVALUES_SANDBOX {
		t.Errorf("SESSION_FINISHED = %+v", finished)
	}
	if finished.PublicTokens == nil || len(*finished.PublicTokens) != 1 || (*finished.PublicTokens)[0] != added.PublicToken {
		t.Fatalf("SESSION_FINISHED public_tokens %v do not match ITEM_ADD_RESULT %s", finished.PublicTokens, added.PublicToken)
	}
	if added.LinkSessionId != finished.LinkSessionId || events.LinkSessionId != finished.LinkSessionId {
		t.Errorf("link_session_id differs across the session's webhooks")
	}

	// /link/token/get reports the session with its Item.
	got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute()
	if err != nil {
		t.Fatalf("/link/token/get: %v %s", err, errBody(err))
	}
	sessions := got.GetLinkSessions()
	if len(sessions) != 1 || sessions[0].LinkSessionId != finished.LinkSessionId {
		t.Fatalf("link_sessions = %+v, want the one finished session", sessions)
	}
	res := sessions[0].GetResults()
	if adds := res.GetItemAddResults(); len(adds) != 1 || adds[0].PublicToken != added.PublicToken || len(adds[0].Accounts) != len(sandboxAccounts) {
		t.Errorf("results.item_add_results = %+v", adds)
	}
	if !sessions[0].FinishedAt.IsSet() || sessions[0].FinishedAt.Get() == nil {
		t.Errorf("finished_at not set on a finished session")
	}
	if got.Metadata.GetWebhook() != rc.srv.URL+"/hook" || got.Metadata.GetClientName() != "Emulator Test" {
		t.Errorf("metadata = %+v", got.Metadata)
	}

	// Exchange, then read the Item and its accounts.
	ex, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(added.PublicToken)).Execute()
	if err != nil {
		t.Fatalf("exchange: %v %s", err, errBody(err))
	}
	if !strings.HasPrefix(ex.AccessToken, "access-sandbox-") || ex.ItemId == "" {
		t.Errorf("exchange gave %q / %q", ex.AccessToken, ex.ItemId)
	}
	accts, _, err := v.client.PlaidApi.AccountsGet(v.ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(ex.AccessToken)).Execute()
	if err != nil {
		t.Fatalf("/accounts/get: %v %s", err, errBody(err))
	}
	if len(accts.Accounts) != len(sandboxAccounts) || accts.Item.ItemId != ex.ItemId {
		t.Fatalf("/accounts/get: %d accounts for item %s", len(accts.Accounts), accts.Item.ItemId)
	}
	checking := accts.Accounts[0]
	if checking.Name != "Plaid Checking" || checking.GetMask() != "0000" || checking.Balances.GetAvailable() != 100 || checking.Balances.GetCurrent() != 110 {
		t.Errorf("first account = %+v", checking)
	}
	item, _, err := v.client.PlaidApi.ItemGet(v.ctx).ItemGetRequest(*plaid.NewItemGetRequest(ex.AccessToken)).Execute()
	if err != nil {
		t.Fatalf("/item/get: %v %s", err, errBody(err))
	}
	if item.Item.ItemId != ex.ItemId || item.Item.GetInstitutionId() != DefaultInstitutionID || item.Item.GetWebhook() != rc.srv.URL+"/hook" {
		t.Errorf("/item/get item = %+v", item.Item)
	}

	// Public tokens are single-use.
	_, _, err = v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(added.PublicToken)).Execute()
	if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_PUBLIC_TOKEN" || !strings.Contains(pe.ErrorMessage, "already") {
		t.Errorf("second exchange: %+v", pe)
	}

	// The access token never appears in full in the log.
	if strings.Contains(v.logs.text(), ex.AccessToken) {
		t.Errorf("the access token appears in full in the log")
	}
}

// TestRecoveryEmailEndToEnd is the flow the real Sandbox cannot run: outage and opt-in, the bank
// comes back, the e-mail's link finishes the Item, and SESSION_FINISHED reaches the original webhook.
func TestRecoveryEmailEndToEnd(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")

	// Half 1: the outage and the opt-in.
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassInstitutionDown,
		Email: RecoveryEmail, Code: RecoveryCode}); err != nil {
		t.Fatalf("CompleteSession (outage): %v", err)
	}
	first := rc.waitFor(t, "SESSION_FINISHED", 1)
	var fin1 plaid.LinkSessionFinishedWebhook
	mustDecode(t, first[len(first)-1].Body, &fin1)
	if fin1.Status != "EXITED" || fin1.PublicTokens == nil || len(*fin1.PublicTokens) != 0 {
		t.Fatalf("first SESSION_FINISHED = %+v, want EXITED with no public tokens", fin1)
	}
	var sawError, sawFollowed bool
	for _, h := range first {
		if h.code() != "EVENTS" {
			continue
		}
		var ev plaid.LinkEventsWebhook
		mustDecode(t, h.Body, &ev)
		for _, e := range ev.Events {
			if e.EventName == "ERROR" && e.EventMetadata.GetErrorCode() == "INSTITUTION_DOWN" && e.EventMetadata.GetErrorType() == "INSTITUTION_ERROR" {
				sawError = true
			}
			if e.EventName == "ISSUE_FOLLOWED" {
				sawFollowed = true
			}
		}
	}
	if !sawError || !sawFollowed {
		t.Errorf("EVENTS webhooks: INSTITUTION_DOWN error seen %v, ISSUE_FOLLOWED seen %v; want both", sawError, sawFollowed)
	}
	if n := v.emu.OptIns(); n != 1 {
		t.Fatalf("OptIns = %d, want 1", n)
	}
	if got := v.emu.DownInstitutions(); !slices.Equal(got, []string{DefaultInstitutionID}) {
		t.Errorf("DownInstitutions = %v", got)
	}
	if len(v.emu.Inbox()) != 0 {
		t.Fatalf("an e-mail was sent before the institution came back")
	}

	// The bank comes back: one e-mail, for the original link token.
	emails, err := v.emu.RestoreInstitution(DefaultInstitutionID)
	if err != nil || len(emails) != 1 {
		t.Fatalf("RestoreInstitution = %v, %v; want one e-mail", emails, err)
	}
	em := emails[0]
	if em.To != RecoveryEmail || em.LinkToken != lt.GetLinkToken() || em.InstitutionID != DefaultInstitutionID ||
		!strings.HasPrefix(em.URL, v.srv.URL+"/hosted-link/") || em.URL == lt.GetHostedLinkUrl() || !strings.Contains(em.Text, em.URL) {
		t.Fatalf("e-mail = %+v", em)
	}
	if inbox := v.emu.Inbox(); len(inbox) != 1 || inbox[0].ID != em.ID {
		t.Errorf("Inbox = %+v", inbox)
	}
	if v.emu.OptIns() != 0 || len(v.emu.DownInstitutions()) != 0 {
		t.Errorf("after restore: %d opt-ins waiting, down %v", v.emu.OptIns(), v.emu.DownInstitutions())
	}
	if again, _ := v.emu.RestoreInstitution(""); len(again) != 0 {
		t.Errorf("a second restore sent %d more e-mails", len(again))
	}

	// Half 2: the recovery session from the e-mail.
	if err := v.emu.CompleteSession(v.ctx, em.URL, goodLogin); err != nil {
		t.Fatalf("CompleteSession (recovery): %v", err)
	}
	all := rc.waitFor(t, "SESSION_FINISHED", 2)
	fin2 := finishedWith(t, all, "SUCCESS")
	if fin2.Status != "SUCCESS" || fin2.LinkToken != lt.GetLinkToken() || fin2.LinkSessionId == fin1.LinkSessionId {
		t.Fatalf("recovery SESSION_FINISHED = %+v (first session %s)", fin2, fin1.LinkSessionId)
	}
	for _, h := range all {
		v.verifyWebhook(t, h)
	}
	if fin2.PublicTokens == nil || len(*fin2.PublicTokens) != 1 {
		t.Fatalf("recovery SESSION_FINISHED has public_tokens %v", fin2.PublicTokens)
	}
	ex, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest((*fin2.PublicTokens)[0])).Execute()
	if err != nil || ex.AccessToken == "" {
		t.Fatalf("exchanging the recovered public token: %v %s", err, errBody(err))
	}

	// The original token lists both sessions: the exit with INSTITUTION_DOWN, then the Item.
	got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute()
	if err != nil {
		t.Fatalf("/link/token/get: %v", err)
	}
	ss := got.GetLinkSessions()
	if len(ss) != 2 || ss[0].LinkSessionId != fin1.LinkSessionId || ss[1].LinkSessionId != fin2.LinkSessionId {
		t.Fatalf("link_sessions = %+v", ss)
	}
	exit := ss[0].GetExit()
	if pe := exit.GetError(); pe.ErrorCode != "INSTITUTION_DOWN" {
		t.Errorf("first session's exit error = %+v", pe)
	}
	md := exit.GetMetadata()
	if md.GetStatus() != "requires_credentials" || md.GetLinkSessionId() != fin1.LinkSessionId {
		t.Errorf("first session's exit metadata = %+v", md)
	}
	if in := md.GetInstitution(); in.GetInstitutionId() != DefaultInstitutionID {
		t.Errorf("exit metadata institution = %+v", in)
	}
	evs := ss[0].GetEvents() // newest first, as in the spec's /link/token/get example
	if last := evs[0]; last.EventName != "EXIT" || last.EventMetadata.GetExitStatus() != "requires_credentials" {
		t.Errorf("first session's last event = %+v, want EXIT with exit_status", last)
	}
	if res := ss[1].GetResults(); len(res.GetItemAddResults()) != 1 {
		t.Errorf("recovery session results = %+v", res)
	}
}

func mustDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s into %T: %v", b, v, err)
	}
}

func eventNames(evs []plaid.LinkEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventName)
	}
	return out
}

// BenchmarkSuccessSession measures one whole half-2 run against the emulator: create a token through
// plaid-go, walk the session with CompleteSession, exchange the public token.
func BenchmarkSuccessSession(b *testing.B) {
	emu, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.SetBaseURL(srv.URL)
	pc := plaid.NewConfiguration()
	pc.AddDefaultHeader("PLAID-CLIENT-ID", emu.ClientID())
	pc.AddDefaultHeader("PLAID-SECRET", emu.Secret())
	pc.UseEnvironment(plaid.Environment(srv.URL))
	api := plaid.NewAPIClient(pc).PlaidApi
	ctx := context.Background()
	for b.Loop() {
		req := plaid.NewLinkTokenCreateRequest("Bench", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
		lt, _, err := api.LinkTokenCreate(ctx).LinkTokenCreateRequest(*req).Execute()
		if err != nil {
			b.Fatal(err)
		}
		if err := emu.CompleteSession(ctx, lt.GetHostedLinkUrl(), goodLogin); err != nil {
			b.Fatal(err)
		}
		got, _, err := api.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute()
		if err != nil {
			b.Fatal(err)
		}
		res := got.GetLinkSessions()[0].GetResults()
		pt := res.GetItemAddResults()[0].PublicToken
		if _, _, err := api.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt)).Execute(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompleteSessionRejections: wrong credentials, e-mail or code stop CompleteSession with the
// page's error code; the session stays where it was, so a second call with the right input finishes it.
func TestCompleteSessionRejections(t *testing.T) {
	v := newEnv(t, Config{})
	lt := v.linkToken(t, "", "")
	u := lt.GetHostedLinkUrl()
	steps := []struct {
		c    Credentials
		want string
	}{
		{Credentials{Username: UserGood, Password: "pass_bad"}, "INVALID_CREDENTIALS"},
		{Credentials{InstitutionID: "ins_nope", Username: UserGood, Password: PassGood}, "INVALID_INSTITUTION"},
		{Credentials{Username: UserGood, Password: PassInstitutionDown, Email: "me@example.com"}, "INVALID_EMAIL"},
		{Credentials{Email: RecoveryEmail, Code: "999999"}, "INVALID_CODE"},
	}
	// The first failure happens on login, so the institution must already be chosen: use a fresh
	// token for the institution case.
	if err := v.emu.CompleteSession(v.ctx, u, steps[0].c); err == nil || !strings.Contains(err.Error(), steps[0].want) {
		t.Errorf("wrong password: %v", err)
	}
	other := v.linkToken(t, "", "")
	if err := v.emu.CompleteSession(v.ctx, other.GetHostedLinkUrl(), steps[1].c); err == nil || !strings.Contains(err.Error(), steps[1].want) {
		t.Errorf("unknown institution: %v", err)
	}
	for _, s := range steps[2:] {
		if err := v.emu.CompleteSession(v.ctx, u, s.c); err == nil || !strings.Contains(err.Error(), s.want) {
			t.Errorf("%+v: %v, want %s", s.c, err, s.want)
		}
	}
	// From the code page, the right code finishes the opt-in.
	if err := v.emu.CompleteSession(v.ctx, u, Credentials{Code: RecoveryCode}); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if v.emu.OptIns() != 1 {
		t.Errorf("OptIns = %d", v.emu.OptIns())
	}
	if err := v.emu.CompleteSession(v.ctx, u, goodLogin); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("a finished session: %v", err)
	}
	ctx, cancel := context.WithCancel(v.ctx)
	cancel()
	fresh := v.linkToken(t, "", "")
	if err := v.emu.CompleteSession(ctx, fresh.GetHostedLinkUrl(), goodLogin); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled context: %v", err)
	}
}

// Exit walks to the first page's exit: the session ends EXITED, with EVENTS (EXIT) and a
// SESSION_FINISHED without public tokens, and the walk reports success.
func TestCompleteSessionExit(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "https://app.example/done")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Exit: true}); err != nil {
		t.Fatalf("walking to Exit: %v", err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	var events plaid.LinkEventsWebhook
	mustDecode(t, hooks[0].Body, &events)
	finished := finishedWith(t, hooks, "EXITED")
	if len(finished.GetPublicTokens()) != 0 || !slices.Contains(eventNames(events.Events), "EXIT") {
		t.Fatalf("SESSION_FINISHED %+v, events %v", finished, eventNames(events.Events))
	}
}
