package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	plaid "github.com/plaid/plaid-go/v29/plaid"
)

var (
	stepRE    = regexp.MustCompile(`<main id="step" data-step="([a-z]+)">`)
	errCodeRE = regexp.MustCompile(`id="error"[^>]*data-code="([A-Z_]+)"`)
	formErrRE = regexp.MustCompile(`id="form-error"[^>]*data-code="([A-Z_]+)"`)
	acctRE    = regexp.MustCompile(`name="account_id" value="([A-Za-z0-9]+)" checked`)
	contRE    = regexp.MustCompile(`<a id="continue"[^>]*href="([^"]+)"`)
)

func stepOf(page string) string {
	m := stepRE.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

func match(re *regexp.Regexp, page string) string {
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// send does req without following redirects and returns the answer's status and body.
func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sendForPlaidError does req and decodes its answer as a Plaid error.
func sendForPlaidError(t *testing.T, req *http.Request) (int, plaid.PlaidError) {
	t.Helper()
	st, body := send(t, req)
	var pe plaid.PlaidError
	_ = json.Unmarshal([]byte(body), &pe)
	return st, pe
}

func getPage(t *testing.T, v *env, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return send(t, req)
}

func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

// TestPagesSuccessByForms walks a session the way a phone browser without JavaScript does: plain
// GETs and form posts, following the page contract.
func TestPagesSuccessByForms(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "https://app.example/done?x=1&y=2")
	u := lt.GetHostedLinkUrl()

	st, page := getPage(t, v, u)
	if st != 200 || stepOf(page) != "select" {
		t.Fatalf("first page: HTTP %d step %q", st, stepOf(page))
	}
	if !strings.Contains(page, `name="viewport"`) || strings.Contains(page, "<script") {
		t.Errorf("pages must be phone-readable (viewport meta) and need no JavaScript")
	}
	if !strings.Contains(page, "<title>Select your bank · Plaid Link (Sandbox emulator)</title>") || !strings.Contains(page, `name="robots" content="noindex"`) {
		t.Errorf("the page's head lacks its title or noindex:\n%s", page[:min(len(page), 600)])
	}
	for _, in := range institutions {
		if !strings.Contains(page, `<button type="submit" name="institution_id" value="`+in.ID+`" class="inst">`+in.Name+`</button>`) {
			t.Errorf("select page lacks the button for %s", in.Name)
		}
	}
	// Reloading does not start another session.
	getPage(t, v, u)

	_, page = postForm(t, u, url.Values{"step": {"select"}, "action": {"submit"}, "institution_id": {"ins_nope"}})
	if stepOf(page) != "select" || match(errCodeRE, page) != "INVALID_INSTITUTION" {
		t.Errorf("unknown institution: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	_, page = postForm(t, u, url.Values{"step": {"select"}, "action": {"submit"}, "institution_id": {"ins_109511"}})
	if stepOf(page) != "login" || !strings.Contains(page, "Tartan Bank") || !strings.Contains(page, `name="username"`) ||
		!strings.Contains(page, `name="password"`) || !strings.Contains(page, `<button id="submit"`) {
		t.Fatalf("after select: step %q", stepOf(page))
	}
	_, page = postForm(t, u, url.Values{"step": {"login"}, "username": {UserGood}, "password": {"nope"}})
	if stepOf(page) != "login" || match(errCodeRE, page) != "INVALID_CREDENTIALS" {
		t.Errorf("wrong password: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	// A stale post from the select page (back button) changes nothing.
	_, page = postForm(t, u, url.Values{"step": {"select"}, "institution_id": {"ins_109508"}})
	if stepOf(page) != "login" || !strings.Contains(page, "Tartan Bank") {
		t.Errorf("stale select post moved the session to %q", stepOf(page))
	}
	_, page = postForm(t, u, url.Values{"step": {"login"}, "username": {UserGood}, "password": {PassGood}})
	if stepOf(page) != "accounts" {
		t.Fatalf("good login: step %q", stepOf(page))
	}
	ids := acctRE.FindAllStringSubmatch(page, -1)
	if len(ids) != len(sandboxAccounts) {
		t.Fatalf("accounts page offers %d checked accounts, want %d", len(ids), len(sandboxAccounts))
	}
	_, page = postForm(t, u, url.Values{"step": {"accounts"}})
	if stepOf(page) != "accounts" || match(errCodeRE, page) != "NO_ACCOUNTS" {
		t.Errorf("no accounts chosen: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	_, page = postForm(t, u, url.Values{"step": {"accounts"}, "account_id": {ids[0][1], "forged"}})
	if stepOf(page) != "accounts" || match(errCodeRE, page) != "INVALID_ACCOUNT" {
		t.Errorf("forged account id: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	// Share two of the accounts only.
	_, page = postForm(t, u, url.Values{"step": {"accounts"}, "account_id": {ids[0][1], ids[1][1]}})
	if stepOf(page) != "success" || !strings.Contains(page, `<p id="status" class="ok">Success</p>`) {
		t.Fatalf("after accounts: step %q", stepOf(page))
	}
	if got := match(contRE, page); got != "https://app.example/done?x=1&amp;y=2" {
		t.Errorf("#continue href = %q, want the completion_redirect_uri", got)
	}
	// The finished session keeps showing success, and more posts change nothing.
	if _, again := postForm(t, u, url.Values{"step": {"accounts"}, "account_id": {ids[2][1]}}); stepOf(again) != "success" {
		t.Errorf("post after success shows %q", stepOf(again))
	}

	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	if n := len(rc.all()); n != 3 {
		t.Errorf("got %d webhooks (%s), want 3", n, codes(hooks))
	}
	var fin plaid.LinkSessionFinishedWebhook
	mustDecode(t, hooks[len(hooks)-1].Body, &fin)
	ex, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest((*fin.PublicTokens)[0])).Execute()
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	accts, _, err := v.client.PlaidApi.AccountsGet(v.ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(ex.AccessToken)).Execute()
	if err != nil {
		t.Fatalf("/accounts/get: %v", err)
	}
	var got []string
	for _, a := range accts.Accounts {
		got = append(got, a.AccountId)
	}
	if !slices.Equal(got, []string{ids[0][1], ids[1][1]}) {
		t.Errorf("the Item has accounts %v, want the two chosen %v", got, []string{ids[0][1], ids[1][1]})
	}
	if accts.Item.GetInstitutionId() != "ins_109511" {
		t.Errorf("Item institution %q, want the chosen ins_109511", accts.Item.GetInstitutionId())
	}
}

// TestPagesOutageOptInAndExit covers the down, code, followed and exited pages with their errors.
func TestPagesOutageOptInAndExit(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)

	// Session 1: outage, a rejected e-mail, then the user leaves without opting in.
	lt := v.linkToken(t, rc.srv.URL+"/one", "")
	u := lt.GetHostedLinkUrl()
	getPage(t, v, u)
	postForm(t, u, url.Values{"step": {"select"}, "institution_id": {DefaultInstitutionID}})
	_, page := postForm(t, u, url.Values{"step": {"login"}, "username": {UserLinkRecovery}, "password": {PassLinkRecovery}})
	if stepOf(page) != "down" || match(errCodeRE, page) != "INSTITUTION_DOWN" || !strings.Contains(page, `name="email"`) || !strings.Contains(page, `id="exit"`) {
		t.Fatalf("user_link_recovery: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	_, page = postForm(t, u, url.Values{"step": {"down"}, "email": {"me@example.com"}})
	if stepOf(page) != "down" || match(formErrRE, page) != "INVALID_EMAIL" || !strings.Contains(page, RecoveryEmail) ||
		match(errCodeRE, page) != "INSTITUTION_DOWN" {
		t.Errorf("wrong e-mail: step %q form error %q", stepOf(page), match(formErrRE, page))
	}
	_, page = postForm(t, u, url.Values{"step": {"down"}, "action": {"exit"}})
	if stepOf(page) != "exited" {
		t.Fatalf("exit: step %q", stepOf(page))
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	var fin plaid.LinkSessionFinishedWebhook
	mustDecode(t, hooks[len(hooks)-1].Body, &fin)
	if fin.Status != "EXITED" {
		t.Errorf("exit: SESSION_FINISHED status %q", fin.Status)
	}
	if v.emu.OptIns() != 0 {
		t.Errorf("leaving without opting in registered an opt-in")
	}

	// Session 2: outage, a wrong code, then the opt-in.
	lt2 := v.linkToken(t, rc.srv.URL+"/two", "https://app.example/back")
	u2 := lt2.GetHostedLinkUrl()
	getPage(t, v, u2)
	postForm(t, u2, url.Values{"step": {"select"}, "institution_id": {DefaultInstitutionID}})
	postForm(t, u2, url.Values{"step": {"login"}, "username": {UserGood}, "password": {PassInstitutionDown}})
	_, page = postForm(t, u2, url.Values{"step": {"down"}, "email": {RecoveryEmail}})
	if stepOf(page) != "code" || !strings.Contains(page, `name="code"`) {
		t.Fatalf("after e-mail: step %q", stepOf(page))
	}
	_, page = postForm(t, u2, url.Values{"step": {"code"}, "code": {"000000"}})
	if stepOf(page) != "code" || match(errCodeRE, page) != "INVALID_CODE" || !strings.Contains(page, "That code is wrong. In the Sandbox the code is 123456.") {
		t.Errorf("wrong code: step %q error %q", stepOf(page), match(errCodeRE, page))
	}
	_, page = postForm(t, u2, url.Values{"step": {"code"}, "code": {RecoveryCode}})
	if stepOf(page) != "followed" || !strings.Contains(page, "You're on the list: we'll e-mail example@plaid.com when First Platypus Bank is back.") {
		t.Fatalf("right code: step %q\n%s", stepOf(page), page)
	}
	if match(contRE, page) != "https://app.example/back" {
		t.Errorf("followed page has no #continue to the completion_redirect_uri")
	}
	if v.emu.OptIns() != 1 {
		t.Errorf("OptIns = %d after the opt-in", v.emu.OptIns())
	}
	rc.waitFor(t, "SESSION_FINISHED", 2)

	// The control pages: the index never shows the secret; restoring from its form button shows the
	// inbox with the e-mail link.
	_, index := getPage(t, v, strings.Replace(v.emu.ControlURL(), "/emulator/inbox?", "/emulator?", 1))
	if strings.Contains(index, v.emu.Secret()) || !strings.Contains(index, v.emu.ClientID()) || !strings.Contains(index, `action="/emulator/institutions/restore"`) {
		t.Errorf("/emulator index: secret shown or client id / restore form missing")
	}
	if !strings.Contains(index, " · Plaid Sandbox emulator</title>") || !strings.Contains(index, `name="viewport"`) {
		t.Errorf("/emulator index lacks its title or viewport:\n%s", index[:min(len(index), 600)])
	}
	_, inbox := getPage(t, v, v.srv.URL+"/emulator/inbox")
	if strings.Contains(inbox, "email-link") {
		t.Errorf("inbox shows an e-mail before the restore")
	}
	token := match(regexp.MustCompile(`name="emulator_form_token" value="([^"]+)"`), index)
	if token == "" {
		t.Fatalf("/emulator index has no form token")
	}
	st, _ := postForm(t, v.srv.URL+"/emulator/institutions/restore", url.Values{"institution_id": {""}, "emulator_form_token": {token}})
	if st != http.StatusSeeOther {
		t.Errorf("form restore: HTTP %d, want 303 to the inbox", st)
	}
	_, inbox = getPage(t, v, v.srv.URL+"/emulator/inbox")
	link := match(regexp.MustCompile(`<a class="email-link[^"]*" href="([^"]+)"`), inbox)
	mails := v.emu.Inbox()
	if len(mails) != 1 || link != mails[0].URL {
		t.Fatalf("inbox link %q, e-mails %+v", link, mails)
	}
	// The e-mail's link starts at login, for the bank that was down.
	_, page = getPage(t, v, link)
	if stepOf(page) != "login" || !strings.Contains(page, "First Platypus Bank") {
		t.Errorf("recovery link opens %q", stepOf(page))
	}
}
