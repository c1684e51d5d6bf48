package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/browser"
	"github.com/plaid/plaid-go/v29/plaid"
)

// shots saves a screenshot of the page for a person to look at when E2E_SCREENSHOTS names a directory.
// They are not part of the assertions.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	p := filepath.Join(dir, name+".png")
	if err := browser.Screenshot(ctx, p); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// step waits for a Hosted Link step and checks it is usable on a phone.
func step(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	must(t, browser.WaitStep(ctx, name))
	if err := browser.CheckPhoneLayout(ctx); err != nil {
		t.Errorf("step %s: %v", name, err)
	}
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// login fills the login step and submits it.
func login(t *testing.T, ctx context.Context, user, pass string) {
	t.Helper()
	step(t, ctx, "login")
	must(t, browser.Fill(ctx, map[string]string{"username": user, "password": pass}))
	must(t, browser.Click(ctx, "#submit"))
}

// selectInstitution picks an institution on the select step.
// newBrowserHarness is a harness and a browser tab that saves a screenshot if the test fails.
func newBrowserHarness(t *testing.T) (*harness, context.Context) {
	h := newHarness(t)
	ctx := browser.New(t)
	browser.ScreenshotOnFailure(t, ctx)
	return h, ctx
}

// openAtLogin creates a token whose webhook is hookPath, opens its Hosted Link in ctx and picks the
// default bank, leaving the person at the login page.
func (h *harness) openAtLogin(ctx context.Context, hookPath string) plaid.LinkTokenCreateResponse {
	h.t.Helper()
	tok := h.createToken(hookPath, "")
	must(h.t, browser.Navigate(ctx, *tok.HostedLinkUrl))
	selectInstitution(h.t, ctx, emulator.DefaultInstitutionID)
	return tok
}

func selectInstitution(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	step(t, ctx, "select")
	must(t, browser.Click(ctx, fmt.Sprintf(`button[name="institution_id"][value=%q]`, id)))
}

// finishAccounts checks the accounts step has every account ticked and submits it.
func finishAccounts(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "accounts")
	n, err := browser.Count(ctx, `input[type="checkbox"][name="account_id"]`)
	must(t, err)
	checked, err := browser.Count(ctx, `input[type="checkbox"][name="account_id"]:checked`)
	must(t, err)
	if n == 0 || checked != n {
		t.Fatalf("accounts step has %d account checkboxes, %d checked; want at least one, all checked", n, checked)
	}
	must(t, browser.Click(ctx, "#submit"))
	step(t, ctx, "success")
	status, err := browser.Text(ctx, "#status")
	must(t, err)
	if !strings.Contains(status, "Success") {
		t.Fatalf("success step #status = %q, want it to say Success", status)
	}
}

func errorCode(t *testing.T, ctx context.Context) string {
	t.Helper()
	code, ok, err := browser.Attr(ctx, "#error", "data-code")
	must(t, err)
	if !ok {
		t.Fatalf("#error has no data-code; %s", browser.Describe(ctx))
	}
	return code
}

// TestHostedLinkSuccess is half 2: a user links First Platypus Bank in Hosted Link and lands back on
// the app's completion_redirect_uri; the app learns of it from verified webhooks and exchanges the token.
func TestHostedLinkSuccess(t *testing.T) {
	h, ctx := newBrowserHarness(t)

	redirect := h.hooks.URL("/done/half2")
	tok := h.createToken("/hook/half2", redirect)

	must(t, browser.Navigate(ctx, *tok.HostedLinkUrl))
	shot(t, ctx, "half2-select")
	selectInstitution(t, ctx, emulator.DefaultInstitutionID)
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	finishAccounts(t, ctx)
	shot(t, ctx, "half2-success")

	href, ok, err := browser.Attr(ctx, "#continue", "href")
	must(t, err)
	if !ok || href != redirect {
		t.Fatalf("#continue goes to %q, want the completion_redirect_uri %q", href, redirect)
	}
	must(t, browser.Click(ctx, "#continue"))
	must(t, browser.WaitStep(ctx, "redirected"))
	if loc, _ := browser.Location(ctx); loc != redirect {
		t.Fatalf("after #continue the browser is at %q, want %q", loc, redirect)
	}

	finished := h.hooks.waitFor("SESSION_FINISHED for "+short(tok.LinkToken), func(w webhook) bool {
		return w.code() == "SESSION_FINISHED" && w.str("link_token") == tok.LinkToken
	})
	if finished.Path != "/hook/half2" {
		t.Errorf("SESSION_FINISHED went to %s, want the token's webhook /hook/half2", finished.Path)
	}
	if s := finished.str("status"); s != "SUCCESS" {
		t.Fatalf("SESSION_FINISHED status %q, want SUCCESS", s)
	}
	if env := finished.str("environment"); env != "sandbox" {
		t.Errorf("SESSION_FINISHED environment %q, want sandbox", env)
	}
	session := finished.str("link_session_id")
	publics := finished.strings("public_tokens")
	if session == "" || len(publics) != 1 || !strings.HasPrefix(publics[0], "public-sandbox-") {
		t.Fatalf("SESSION_FINISHED link_session_id %q public_tokens %d; want a session and one public-sandbox- token", session, len(publics))
	}

	// The verifier itself must be able to say no, or "all verified" above means nothing.
	tampered := append([]byte(nil), finished.Body...)
	tampered = append(tampered, ' ')
	if err := h.hooks.verifier.Verify(context.Background(), finished.Signature, tampered); err == nil {
		t.Errorf("a SESSION_FINISHED body with one byte added still verified")
	}
	if err := h.hooks.verifier.Verify(context.Background(), "", finished.Body); err == nil {
		t.Errorf("a webhook without Plaid-Verification verified")
	}

	added := h.hooks.waitFor("ITEM_ADD_RESULT", func(w webhook) bool {
		return w.code() == "ITEM_ADD_RESULT" && w.str("link_session_id") == session
	})
	if added.str("public_token") != publics[0] || added.str("link_token") != tok.LinkToken {
		t.Errorf("ITEM_ADD_RESULT public_token/link_token do not match SESSION_FINISHED's")
	}

	events := h.hooks.waitFor("EVENTS with HANDOFF", func(w webhook) bool {
		return w.code() == "EVENTS" && w.str("link_session_id") == session && slices.Contains(w.eventNames(), "HANDOFF")
	})
	names := events.eventNames()
	for _, want := range []string{"OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"} {
		if !slices.Contains(names, want) {
			t.Errorf("EVENTS webhook lacks %s; has %v", want, names)
		}
	}
	if slices.Contains(names, "ERROR") || slices.Contains(names, "EXIT") {
		t.Errorf("a successful session reported ERROR or EXIT: %v", names)
	}
	if names[0] != "OPEN" || names[len(names)-1] != "HANDOFF" {
		t.Errorf("events should start with OPEN and end with HANDOFF: %v", names)
	}

	item := h.exchange(publics[0])
	t.Logf("half 2 linked item %s in session %s", item, session)

	got := h.linkTokenGet(tok.LinkToken)
	if got.LinkSessions == nil || !slices.ContainsFunc(*got.LinkSessions, func(s plaidSession) bool { return s.LinkSessionId == session }) {
		t.Errorf("/link/token/get does not list session %s", session)
	}
	h.hooks.checkAll()
}

// TestLinkRecovery is half 1 and the recovery e-mail: the bank is down, the user opts in to be told
// when it is back (rejecting a wrong e-mail and a wrong code on the way), the bank comes back, the
// e-mail's link opens a new session of the ORIGINAL token, and its result reaches the ORIGINAL webhook.
func TestLinkRecovery(t *testing.T) {
	h, ctx := newBrowserHarness(t)

	tok := h.openAtLogin(ctx, "/hook/half1")
	login(t, ctx, emulator.UserGood, emulator.PassInstitutionDown)

	step(t, ctx, "down")
	shot(t, ctx, "half1-down")
	if code := errorCode(t, ctx); code != "INSTITUTION_DOWN" {
		t.Fatalf("down step #error data-code %q, want INSTITUTION_DOWN", code)
	}
	if n, _ := browser.Count(ctx, "#exit"); n == 0 {
		t.Errorf("down step has no #exit to leave without opting in")
	}

	// Only example@plaid.com works in the Sandbox; anything else is refused on the same step.
	must(t, browser.Fill(ctx, map[string]string{"email": "someone@example.com"}))
	must(t, browser.Click(ctx, "#submit"))
	// The page already says INSTITUTION_DOWN; the refusal is a second coded message on the same step.
	refusal := `main#step[data-step="down"] [data-code]:not([data-code="INSTITUTION_DOWN"])`
	must(t, browser.WaitFor(ctx, refusal, "the wrong e-mail's refusal"))
	if text, _ := browser.Text(ctx, refusal); !strings.Contains(text, emulator.RecoveryEmail) {
		t.Errorf("refusing a wrong e-mail should name the one the Sandbox accepts (%s); it says %q", emulator.RecoveryEmail, text)
	}

	must(t, browser.Fill(ctx, map[string]string{"email": emulator.RecoveryEmail}))
	must(t, browser.Click(ctx, "#submit"))
	step(t, ctx, "code")
	shot(t, ctx, "half1-code")

	must(t, browser.Fill(ctx, map[string]string{"code": "000000"}))
	must(t, browser.Click(ctx, "#submit"))
	must(t, browser.WaitFor(ctx, `main#step[data-step="code"] #error[data-code="INVALID_CODE"]`, "the wrong-code error"))
	if text, _ := browser.Text(ctx, "#error"); !strings.Contains(text, emulator.RecoveryCode) {
		t.Errorf("wrong-code message should give the Sandbox code %s; says %q", emulator.RecoveryCode, text)
	}

	must(t, browser.Fill(ctx, map[string]string{"code": emulator.RecoveryCode}))
	must(t, browser.Click(ctx, "#submit"))
	step(t, ctx, "followed")
	shot(t, ctx, "half1-followed")
	status, err := browser.Text(ctx, "#status")
	must(t, err)
	if !strings.Contains(status, emulator.RecoveryEmail) || !strings.Contains(status, "First Platypus Bank") {
		t.Errorf("followed #status %q should name the e-mail and the bank", status)
	}

	exited := h.hooks.waitFor("SESSION_FINISHED EXITED", func(w webhook) bool {
		return w.Path == "/hook/half1" && w.code() == "SESSION_FINISHED"
	})
	firstSession := exited.str("link_session_id")
	if s := exited.str("status"); s != "EXITED" {
		t.Fatalf("half 1 SESSION_FINISHED status %q, want EXITED", s)
	}
	if p := exited.strings("public_tokens"); len(p) != 0 {
		t.Errorf("an EXITED session carried %d public tokens", len(p))
	}
	followed := h.hooks.waitFor("EVENTS with ISSUE_FOLLOWED", func(w webhook) bool {
		return w.code() == "EVENTS" && w.str("link_session_id") == firstSession && slices.Contains(w.eventNames(), "ISSUE_FOLLOWED")
	})
	if names := followed.eventNames(); slices.Contains(names, "HANDOFF") {
		t.Errorf("half 1 events include HANDOFF: %v", names)
	}
	// Plaid sends EVENTS once the user is done with Link, so the outage's ERROR event comes in the
	// session's final EVENTS, not while the user is still on the down page.
	if md, _ := followed.event("ERROR")["event_metadata"].(map[string]any); md["error_code"] != "INSTITUTION_DOWN" || md["error_type"] != "INSTITUTION_ERROR" {
		t.Errorf("ERROR event metadata %v, want error_code INSTITUTION_DOWN, error_type INSTITUTION_ERROR", md)
	}
	if n := h.em.OptIns(); n != 1 {
		t.Fatalf("emulator has %d opt-ins waiting, want 1", n)
	}
	if inbox := h.em.Inbox(); len(inbox) != 0 {
		t.Fatalf("an e-mail was sent before the bank came back: %+v", inbox)
	}

	// The bank comes back: the emulator "sends" the recovery e-mail.
	// The control endpoints take the emulator's keys, as the Plaid API does.
	resp, err := h.control(http.MethodPost, "/emulator/institutions/restore",
		fmt.Sprintf(`{"institution_id":%q}`, emulator.DefaultInstitutionID))
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /emulator/institutions/restore: %s: %s", resp.Status, body)
	}
	mails := inboxJSON(t, h)
	if len(mails) != 1 || mails[0].LinkToken != tok.LinkToken || mails[0].To != emulator.RecoveryEmail || mails[0].InstitutionID != emulator.DefaultInstitutionID || mails[0].URL == "" {
		t.Fatalf("inbox.json after restore = %+v; want one e-mail to %s for %s with the original link token", mails, emulator.RecoveryEmail, emulator.DefaultInstitutionID)
	}

	// The user reads the e-mail and follows its link.
	must(t, browser.Navigate(ctx, h.srv.URL+"/emulator/inbox"))
	shot(t, ctx, "inbox")
	if err := browser.CheckPhoneLayout(ctx); err != nil {
		t.Errorf("inbox: %v", err)
	}
	href, ok, err := browser.Attr(ctx, "a.email-link", "href")
	must(t, err)
	if !ok || href != mails[0].URL {
		t.Errorf("inbox link %q differs from inbox.json url %q", href, mails[0].URL)
	}
	must(t, browser.Click(ctx, "a.email-link"))
	// The recovery session knows the institution: it starts at login, not select.
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	finishAccounts(t, ctx)
	shot(t, ctx, "recovery-success")

	recovered := h.hooks.waitFor("SESSION_FINISHED SUCCESS of the recovery session", func(w webhook) bool {
		return w.code() == "SESSION_FINISHED" && w.str("status") == "SUCCESS"
	})
	if recovered.Path != "/hook/half1" || recovered.str("link_token") != tok.LinkToken {
		t.Fatalf("recovery SESSION_FINISHED went to %s with token %s; want the ORIGINAL webhook /hook/half1 and token %s",
			recovered.Path, short(recovered.str("link_token")), short(tok.LinkToken))
	}
	second := recovered.str("link_session_id")
	if second == "" || second == firstSession {
		t.Fatalf("recovery session id %q should be new (first was %q)", second, firstSession)
	}
	publics := recovered.strings("public_tokens")
	if len(publics) != 1 {
		t.Fatalf("recovery SESSION_FINISHED has %d public tokens, want 1", len(publics))
	}
	h.hooks.waitFor("ITEM_ADD_RESULT of the recovery session", func(w webhook) bool {
		return w.code() == "ITEM_ADD_RESULT" && w.str("link_session_id") == second && w.str("public_token") == publics[0]
	})
	item := h.exchange(publics[0])
	t.Logf("recovery linked item %s in session %s", item, second)

	got := h.linkTokenGet(tok.LinkToken)
	var ids []string
	if got.LinkSessions != nil {
		for _, s := range *got.LinkSessions {
			ids = append(ids, s.LinkSessionId)
		}
	}
	if !slices.Contains(ids, firstSession) || !slices.Contains(ids, second) {
		t.Errorf("/link/token/get of the original token lists sessions %v; want both %s and %s", ids, firstSession, second)
	}
	if n := h.em.OptIns(); n != 0 {
		t.Errorf("%d opt-ins still waiting after the bank came back", n)
	}
	h.hooks.checkAll()
}

// TestLoginErrors: wrong credentials are refused on the login step with INVALID_CREDENTIALS, and the
// Sandbox's user_link_recovery user sees the outage.
func TestLoginErrors(t *testing.T) {
	h, ctx := newBrowserHarness(t)

	h.openAtLogin(ctx, "/hook/errors")
	login(t, ctx, emulator.UserGood, "wrong_password")
	must(t, browser.WaitFor(ctx, `main#step[data-step="login"] #error[data-code="INVALID_CREDENTIALS"]`, "the INVALID_CREDENTIALS error"))
	shot(t, ctx, "login-invalid")
	if text, _ := browser.Text(ctx, "#error"); len(text) < 10 {
		t.Errorf("INVALID_CREDENTIALS message %q is not a clear explanation", text)
	}
	// The form is still there to try again, and the right password now works.
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	must(t, browser.WaitStep(ctx, "accounts"))

	h.openAtLogin(ctx, "/hook/recovery-user")
	login(t, ctx, emulator.UserLinkRecovery, emulator.PassLinkRecovery)
	step(t, ctx, "down")
	if code := errorCode(t, ctx); code != "INSTITUTION_DOWN" {
		t.Errorf("user_link_recovery: #error data-code %q, want INSTITUTION_DOWN", code)
	}
	// Leaving without opting in ends the session as EXITED, with an EXIT event.
	must(t, browser.Click(ctx, "#exit"))
	step(t, ctx, "exited")
	exited := h.hooks.waitFor("SESSION_FINISHED after #exit", func(w webhook) bool {
		return w.Path == "/hook/recovery-user" && w.code() == "SESSION_FINISHED"
	})
	if st := exited.str("status"); st != "EXITED" || len(exited.strings("public_tokens")) != 0 {
		t.Errorf("after #exit: SESSION_FINISHED status %q with %d public tokens; want EXITED and none", st, len(exited.strings("public_tokens")))
	}
	h.hooks.waitFor("EVENTS with EXIT", func(w webhook) bool {
		return w.code() == "EVENTS" && w.str("link_session_id") == exited.str("link_session_id") && slices.Contains(w.eventNames(), "EXIT")
	})
	if n := h.em.OptIns(); n != 0 {
		t.Errorf("leaving without opting in left %d opt-ins", n)
	}
	h.hooks.checkAll()
}

// TestUnknownHostedLink: a made-up or mangled Hosted Link URL shows the expired step, not a crash.
func TestUnknownHostedLink(t *testing.T) {
	h, ctx := newBrowserHarness(t)
	must(t, browser.Navigate(ctx, h.srv.URL+"/hosted-link/does-not-exist"))
	step(t, ctx, "expired")
}

type email struct {
	ID            string `json:"id"`
	To            string `json:"to"`
	URL           string `json:"url"`
	InstitutionID string `json:"institution_id"`
	LinkToken     string `json:"link_token"`
}

func inboxJSON(t *testing.T, h *harness) []email {
	t.Helper()
	resp, err := h.control(http.MethodGet, "/emulator/inbox.json", "")
	must(t, err)
	defer resp.Body.Close()
	var out []email
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET /emulator/inbox.json: %s: %v", resp.Status, err)
	}
	return out
}

// control calls a machine control endpoint with the emulator's keys, as a script would.
func (h *harness) control(method, path, body string) (*http.Response, error) {
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("PLAID-CLIENT-ID", h.em.ClientID())
	req.Header.Set("PLAID-SECRET", h.em.Secret())
	return http.DefaultClient.Do(req)
}

// TestEmulatorRefusesCrossSiteForms replays issue 8's attack in Chromium: a page on another site
// (localhost on another port, while the emulator is 127.0.0.1) submits fault JSON as a
// <form enctype="text/plain">, and the "bring institutions back" form without the emulator's
// token. Both are refused, and the next /link/token/create still succeeds.
func TestEmulatorRefusesCrossSiteForms(t *testing.T) {
	h, ctx := newBrowserHarness(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>win a prize</title>
<form method="post" enctype="text/plain" action="%[1]s/emulator/faults">
<input type="hidden" name='{"path":"/link/token/create","count":5,"http_status":500,"error_message":"x' value='"}'>
<button id="fault" type="submit">Claim</button></form>
<form method="post" action="%[1]s/emulator/institutions/restore">
<input type="hidden" name="institution_id" value="">
<button id="restore" type="submit">Claim again</button></form>`, h.srv.URL)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site than the emulator's

	must(t, browser.Navigate(ctx, evilURL))
	must(t, browser.Click(ctx, "#fault"))
	if text, _ := browser.Text(ctx, "body"); !strings.Contains(text, "application/json") {
		t.Errorf("the text/plain fault form was not refused for its content type: %s", browser.Describe(ctx))
	}
	h.createToken("/hook/after-csrf", "") // fails the test if the fault was queued

	// An opt-in waits for the bank: a restore would send its e-mail.
	tok := h.createToken("/hook/optin", "")
	must(t, h.em.CompleteSession(context.Background(), *tok.HostedLinkUrl,
		emulator.Credentials{Username: emulator.UserLinkRecovery, Password: emulator.PassLinkRecovery}))
	must(t, browser.Navigate(ctx, evilURL))
	must(t, browser.Click(ctx, "#restore"))
	if text, _ := browser.Text(ctx, "body"); !strings.Contains(text, "another site") && !strings.Contains(text, "token") {
		t.Errorf("the cross-site restore form was not refused: %s", browser.Describe(ctx))
	}
	if inbox, n := h.em.Inbox(), h.em.OptIns(); len(inbox) != 0 || n != 1 {
		t.Errorf("the cross-site restore form sent %d e-mail(s); %d opt-in(s) still waiting, want 1", len(inbox), n)
	}
}
