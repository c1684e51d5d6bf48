package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// plaidErrOrNone is err's Plaid error, or the zero value when err is nil.
func plaidErrOrNone(t *testing.T, err error) plaid.PlaidError {
	t.Helper()
	if err == nil {
		return plaid.PlaidError{}
	}
	return plaidErr(t, err)
}

// linkTokenGetErr calls /link/token/get and returns its Plaid error (the zero value on success).
func linkTokenGetErr(t *testing.T, v *env, tok string) plaid.PlaidError {
	t.Helper()
	_, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(tok)).Execute()
	return plaidErrOrNone(t, err)
}

// exchangeErr exchanges pt and returns its Plaid error (the zero value on success).
func exchangeErr(t *testing.T, v *env, pt string) plaid.PlaidError {
	t.Helper()
	_, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt)).Execute()
	return plaidErrOrNone(t, err)
}

// TestAdvanceExpiresByLifetimes (issue 20): moving the emulator's clock expires what Plaid's
// lifetimes say, at exactly their end: a Hosted Link URL and its token after 30 minutes (the page
// says expired, /link/token/get answers INVALID_LINK_TOKEN), a public token after 30 minutes
// (INVALID_PUBLIC_TOKEN on exchange). The webhook key's times stay on the real clock.
func TestAdvanceExpiresByLifetimes(t *testing.T) {
	start := time.Now()
	v := newEnv(t, Config{Now: stoppedClock{start}.now})
	lt := v.linkToken(t, "", "")
	pt := sandboxPublicToken(t, v)
	v.emu.Advance(DefaultHostedURLLife - time.Second)
	if pe := linkTokenGetErr(t, v, lt.GetLinkToken()); pe.ErrorCode != "" {
		t.Errorf("/link/token/get 1 s before the end: %s", pe.ErrorCode)
	}
	if st, _ := headPage(t, lt.GetHostedLinkUrl()); st != http.StatusOK {
		t.Errorf("the URL 1 s before its end answers HTTP %d", st)
	}
	if got := v.emu.Now().Sub(start); got != DefaultHostedURLLife-time.Second {
		t.Errorf("Now is %s after the start, want %s", got, DefaultHostedURLLife-time.Second)
	}
	v.emu.Advance(time.Second)
	if st, page := getPage(t, v, lt.GetHostedLinkUrl()); st != http.StatusGone || stepOf(page) != "expired" {
		t.Errorf("after 30 min the Hosted Link URL shows HTTP %d %q, want the expired page", st, stepOf(page))
	}
	if pe := linkTokenGetErr(t, v, lt.GetLinkToken()); string(pe.ErrorType) != "INVALID_INPUT" || pe.ErrorCode != "INVALID_LINK_TOKEN" || !strings.Contains(pe.ErrorMessage, "expired") {
		t.Errorf("/link/token/get after 30 min: %s/%s %q, want INVALID_INPUT/INVALID_LINK_TOKEN saying expired", pe.ErrorType, pe.ErrorCode, pe.ErrorMessage)
	}
	if pe := exchangeErr(t, v, pt); pe.ErrorCode != "INVALID_PUBLIC_TOKEN" || !strings.Contains(pe.ErrorMessage, "expired") {
		t.Errorf("exchange of a 30-min-old public token: %s %q", pe.ErrorCode, pe.ErrorMessage)
	}
	// Keys live on the real clock: receivers compare expired_at with their own.
	old := v.emu.RotateWebhookKey()
	resp, _, err := v.client.PlaidApi.WebhookVerificationKeyGet(v.ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(old)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if exp := resp.Key.ExpiredAt.Get(); exp == nil || int64(*exp) != start.Unix() {
		t.Errorf("rotated key expired_at %v, want the real time %d, not the advanced one", exp, start.Unix())
	}
	if pe := controlErrPlaid(t, v, "/emulator/clock", `{"advance_seconds":-5}`); pe.ErrorCode != "INVALID_FIELD" {
		t.Errorf("a negative advance_seconds: %+v", pe)
	}
}

// headPage is a HEAD, which does not start a session.
func headPage(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Head(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, ""
}

// controlErrPlaid posts body to a machine endpoint with the keys and decodes the Plaid error.
func controlErrPlaid(t *testing.T, v *env, path, body string) plaid.PlaidError {
	t.Helper()
	st, b := rawPost(t, v, path, body, keys(v))
	var pe plaid.PlaidError
	if st == 200 {
		return pe
	}
	mustDecode(t, b, &pe)
	return pe
}

// TestExpire (issue 20): Expire ends one link token, Hosted Link URL or public token now, and what
// follows is Plaid's answer for an expired one. Over HTTP the same, with the keys only.
func TestExpire(t *testing.T) {
	v := newEnv(t, Config{})
	lt := v.linkToken(t, "", "")
	if kind, err := v.emu.Expire(lt.GetLinkToken()); err != nil || kind != "link_token" {
		t.Fatalf("Expire(link token): %q %v", kind, err)
	}
	if _, page := getPage(t, v, lt.GetHostedLinkUrl()); stepOf(page) != "expired" {
		t.Errorf("the URL of an expired link token shows %q", stepOf(page))
	}
	if pe := linkTokenGetErr(t, v, lt.GetLinkToken()); pe.ErrorCode != "INVALID_LINK_TOKEN" {
		t.Errorf("/link/token/get of an expired token: %+v", pe)
	}

	lt2 := v.linkToken(t, "", "")
	if kind, err := v.emu.Expire(lt2.GetHostedLinkUrl()); err != nil || kind != "hosted_link_url" {
		t.Fatalf("Expire(URL): %q %v", kind, err)
	}
	if err := v.emu.CompleteSession(v.ctx, lt2.GetHostedLinkUrl(), goodLogin); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("CompleteSession on an expired URL: %v", err)
	}
	if pe := linkTokenGetErr(t, v, lt2.GetLinkToken()); pe.ErrorCode != "INVALID_LINK_TOKEN" {
		t.Errorf("the token of an expired Hosted Link URL: %+v (Plaid ties them)", pe)
	}

	// Over HTTP: keyless refused, keyed works, unknown tokens named as such.
	pt := sandboxPublicToken(t, v)
	for _, p := range []string{"/emulator/expire", "/emulator/clock"} {
		if st, body := rawPost(t, v, p, `{"token":"`+pt+`","advance_seconds":1}`, nil); st != 400 || !strings.Contains(string(body), "INVALID_API_KEYS") {
			t.Errorf("keyless POST %s: HTTP %d %s", p, st, body)
		}
	}
	if pe := exchangeErr(t, v, pt); pe.ErrorCode != "" {
		t.Fatalf("a keyless /emulator/expire expired the token: %+v", pe)
	}
	pt2 := sandboxPublicToken(t, v)
	st, body := rawPost(t, v, "/emulator/expire", `{"token":"`+pt2+`"}`, keys(v))
	var out struct {
		Expired string `json:"expired"`
	}
	mustDecode(t, body, &out)
	if st != 200 || out.Expired != "public_token" {
		t.Fatalf("POST /emulator/expire: HTTP %d %s", st, body)
	}
	if pe := exchangeErr(t, v, pt2); pe.ErrorCode != "INVALID_PUBLIC_TOKEN" || !strings.Contains(pe.ErrorMessage, "expired") {
		t.Errorf("exchange after Expire: %+v", pe)
	}
	if strings.Contains(v.logs.text(), pt2) {
		t.Errorf("the log shows a full public token")
	}
	doc := specOrNil(t)
	for _, bad := range []string{`{"token":"public-sandbox-nope"}`, `{}`, `{"tokn":"x"}`} {
		st, body := rawPost(t, v, "/emulator/expire", bad, keys(v))
		if st != 400 || !strings.Contains(string(body), "error_code") {
			t.Errorf("POST /emulator/expire %s: HTTP %d %s", bad, st, body)
		}
		if doc != nil {
			doc.ValidateSchema(t, "PlaidError", body)
		}
	}

	// The clock endpoint moves the clock by as much as it says.
	before := v.emu.Now()
	st, body = rawPost(t, v, "/emulator/clock", `{"advance_seconds":1800}`, keys(v))
	var clk struct {
		Now      time.Time `json:"now"`
		Advanced float64   `json:"advanced_seconds"`
	}
	if err := json.Unmarshal(body, &clk); err != nil || st != 200 || clk.Advanced != 1800 || clk.Now.Sub(before) < 30*time.Minute {
		t.Errorf("POST /emulator/clock: HTTP %d %s (%v)", st, body, err)
	}
}

// TestAbandonedSessionOnTheClock: an abandoned session's EVENTS falls due on the emulator's clock,
// 10 minutes after the last interaction, and not a second earlier.
func TestAbandonedSessionOnTheClock(t *testing.T) {
	v := newEnv(t, Config{Now: stoppedClock{time.Now()}.now})
	rc := newReceiver(t)
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	getPage(t, v, lt.GetHostedLinkUrl())
	v.emu.Advance(DefaultAbandonedSessionDelay - time.Second)
	if n := len(rc.all()); n != 0 {
		t.Fatalf("%d webhook(s) before the abandonment delay", n)
	}
	v.emu.Advance(time.Second)
	if got := codes(rc.all()); got != "[EVENTS]" {
		t.Errorf("10 min after the last interaction the receiver got %s, want [EVENTS]", got)
	}
}
