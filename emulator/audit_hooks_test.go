package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	plaid "github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// fixedClock is a Config.Now that only the test moves.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFixedClock() *fixedClock {
	return &fixedClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fixedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// sandboxPublicToken makes a fresh public token through plaid-go's /sandbox/public_token/create, as
// the audit does for each forged case.
func sandboxPublicToken(t *testing.T, v *env) string {
	t.Helper()
	req := plaid.NewSandboxPublicTokenCreateRequest(DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	resp, _, err := v.client.PlaidApi.SandboxPublicTokenCreate(v.ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/sandbox/public_token/create: %v %s", err, errBody(err))
	}
	return resp.GetPublicToken()
}

func exchangeToken(v *env, tok string) (plaid.ItemPublicTokenExchangeResponse, error) {
	resp, _, err := v.client.PlaidApi.ItemPublicTokenExchange(v.ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(tok)).Execute()
	return resp, err
}

// TestExchangeAttempts (issue 17): every keyed /item/public_token/exchange is recorded per public
// token, successful or refused, at the emulator's time, whatever refused it (a repeat, an unknown
// token, an injected fault); a keyless call is not; the HTTP view masks the tokens and refuses a
// keyless caller; no full public token reaches the log.
func TestExchangeAttempts(t *testing.T) {
	clk := newFixedClock()
	v := newEnv(t, Config{Now: clk.now})
	t0 := clk.now()

	tok := sandboxPublicToken(t, v) // the audit's fresh token for a forged case
	if got := v.emu.ExchangeAttempts(tok); got != nil {
		t.Fatalf("attempts before any exchange: %+v", got)
	}
	first, err := exchangeToken(v, tok)
	if err != nil {
		t.Fatalf("first exchange of a /sandbox/public_token/create token: %v %s", err, errBody(err))
	}
	clk.set(t0.Add(90 * time.Second))
	if pe := plaidErr(t, func() error { _, err := exchangeToken(v, tok); return err }()); pe.ErrorCode != "INVALID_PUBLIC_TOKEN" {
		t.Errorf("second exchange: %+v, want INVALID_PUBLIC_TOKEN (single use)", pe)
	}
	// A keyless call is refused before it counts.
	if st, _ := rawPost(t, v, exchangePath, `{"public_token":"`+tok+`"}`, nil); st != 400 {
		t.Errorf("keyless exchange: HTTP %d, want 400", st)
	}
	// A fault on the endpoint is still an attempt, refused with the fault's code.
	v.emu.InjectFault(Fault{Path: exchangePath, ErrorType: "API_ERROR", ErrorCode: "INTERNAL_SERVER_ERROR"})
	clk.set(t0.Add(2 * time.Minute))
	tok2 := sandboxPublicToken(t, v)
	if pe := plaidErr(t, func() error { _, err := exchangeToken(v, tok2); return err }()); pe.ErrorCode != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("faulted exchange: %+v", pe)
	}
	if _, err := exchangeToken(v, "public-sandbox-never-issued"); err == nil {
		t.Fatal("an unknown public token was exchanged")
	}

	want := []ExchangeAttempt{
		{PublicToken: tok, At: t0, OK: true, Status: 200, ItemID: first.GetItemId()},
		{PublicToken: tok, At: t0.Add(90 * time.Second), Status: 400, ErrorCode: "INVALID_PUBLIC_TOKEN"},
	}
	if got := v.emu.ExchangeAttempts(tok); !equalAttempts(got, want) {
		t.Errorf("ExchangeAttempts(tok) =\n%+v\nwant\n%+v", got, want)
	}
	want2 := []ExchangeAttempt{{PublicToken: tok2, At: t0.Add(2 * time.Minute), Status: 500, ErrorCode: "INTERNAL_SERVER_ERROR"}}
	if got := v.emu.ExchangeAttempts(tok2); !equalAttempts(got, want2) {
		t.Errorf("ExchangeAttempts(tok2) = %+v, want %+v", got, want2)
	}
	all := v.emu.AllExchangeAttempts()
	if len(all) != 4 || all[0].PublicToken != tok || all[2].PublicToken != tok2 || all[3].PublicToken != "public-sandbox-never-issued" || all[3].ErrorCode != "INVALID_PUBLIC_TOKEN" {
		t.Errorf("AllExchangeAttempts = %+v, want the 4 keyed attempts in order", all)
	}

	// Over HTTP, keyed like every machine endpoint.
	if st, body := rawPost(t, v, "/emulator/exchanges", `{"public_token":"`+tok+`"}`, nil); st != 400 || !strings.Contains(string(body), "INVALID_API_KEYS") {
		t.Errorf("keyless POST /emulator/exchanges: HTTP %d %s", st, body)
	}
	st, body := rawPost(t, v, "/emulator/exchanges", `{"public_token":"`+tok+`"}`, keys(v))
	var got struct {
		Attempts []struct {
			PublicToken string  `json:"public_token"`
			At          string  `json:"at"`
			OK          bool    `json:"ok"`
			Status      int     `json:"status"`
			ErrorCode   *string `json:"error_code"`
			ItemID      *string `json:"item_id"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal(body, &got); st != 200 || err != nil || len(got.Attempts) != 2 {
		t.Fatalf("POST /emulator/exchanges: HTTP %d %s (%v)", st, body, err)
	}
	a, b := got.Attempts[0], got.Attempts[1]
	if !a.OK || a.Status != 200 || a.ErrorCode != nil || a.ItemID == nil || *a.ItemID != first.GetItemId() || a.At != t0.Format(time.RFC3339Nano) {
		t.Errorf("first attempt over HTTP: %+v", a)
	}
	if b.OK || b.ErrorCode == nil || *b.ErrorCode != "INVALID_PUBLIC_TOKEN" || b.ItemID != nil {
		t.Errorf("second attempt over HTTP: %+v", b)
	}
	if strings.Contains(string(body), tok) || a.PublicToken != mask(tok) {
		t.Errorf("the HTTP view shows the full public token: %s", body)
	}
	st, body = rawPost(t, v, "/emulator/exchanges", `{}`, keys(v))
	if err := json.Unmarshal(body, &got); st != 200 || err != nil || len(got.Attempts) != 4 {
		t.Errorf("POST /emulator/exchanges {}: HTTP %d %s, want all 4 attempts", st, body)
	}
	if st, body := rawPost(t, v, "/emulator/exchanges", `{"token":"x"}`, keys(v)); st != 400 || !strings.Contains(string(body), "INVALID_BODY") {
		t.Errorf("a misspelt field: HTTP %d %s, want INVALID_BODY", st, body)
	}
	if st, body := rawPost(t, v, "/emulator/exchanges", `{"public_token":"public-sandbox-nothing"}`, keys(v)); st != 200 || string(body) != `{"attempts":[]}` {
		t.Errorf("a token never tried: HTTP %d %s, want an empty list", st, body)
	}
	for _, tk := range []string{tok, tok2} {
		if strings.Contains(v.logs.text(), tk) {
			t.Errorf("the log holds a full public token:\n%s", v.logs.text())
		}
	}

	// Attempts are timed on the emulator's clock: past a token's 30 minutes, by Advance, the
	// exchange is refused as expired and recorded at the advanced time.
	tok3 := sandboxPublicToken(t, v)
	at := v.emu.Advance(PublicTokenLifetime + time.Minute)
	if pe := plaidErr(t, func() error { _, err := exchangeToken(v, tok3); return err }()); pe.ErrorCode != "INVALID_PUBLIC_TOKEN" {
		t.Errorf("exchange after Advance past 30 minutes: %+v, want INVALID_PUBLIC_TOKEN", pe)
	}
	want3 := []ExchangeAttempt{{PublicToken: tok3, At: at, Status: 400, ErrorCode: "INVALID_PUBLIC_TOKEN"}}
	if got := v.emu.ExchangeAttempts(tok3); !equalAttempts(got, want3) || !at.Equal(clk.now().Add(PublicTokenLifetime+time.Minute)) {
		t.Errorf("attempt after Advance = %+v, want %+v (the emulator's clock, %v past the real one)", got, want3, PublicTokenLifetime+time.Minute)
	}
}

func equalAttempts(a, b []ExchangeAttempt) bool {
	return slices.EqualFunc(a, b, func(x, y ExchangeAttempt) bool {
		same := x.At.Equal(y.At)
		x.At, y.At = time.Time{}, time.Time{}
		return same && x == y
	})
}

// TestExchangeAttemptsBounded: the record keeps the latest maxExchangeAttempts attempts and at most
// maxAttemptTokenLen bytes of each token, however many a keyed caller sends.
func TestExchangeAttemptsBounded(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	long := "public-sandbox-" + strings.Repeat("x", 10000)
	for i := range maxExchangeAttempts + 5 {
		tok := "public-sandbox-" + strings.Repeat("y", i%7)
		if i == 3 {
			tok = long
		}
		e.recordExchange([]byte(`{"public_token":"`+tok+`"}`), 400, "INVALID_PUBLIC_TOKEN", nil)
	}
	all := e.AllExchangeAttempts()
	if len(all) != maxExchangeAttempts {
		t.Errorf("%d attempts kept, want %d", len(all), maxExchangeAttempts)
	}
	e.recordExchange([]byte(`{"public_token":"`+long+`"}`), 400, "INVALID_PUBLIC_TOKEN", nil)
	got := e.ExchangeAttempts(long)
	if len(got) != 1 || len(got[0].PublicToken) != maxAttemptTokenLen {
		t.Errorf("a 10 KB token: %d attempts, kept %d bytes; want 1 attempt of %d bytes (the first was dropped as oldest)", len(got), len(got[0].PublicToken), maxAttemptTokenLen)
	}
	e.recordExchange([]byte(`{"public_token":7}`), 400, "INVALID_FIELD", nil)
	e.recordExchange([]byte(`{}`), 400, "MISSING_FIELDS", nil)
	if n := len(e.AllExchangeAttempts()); n != maxExchangeAttempts {
		t.Errorf("calls that name no token were recorded: %d attempts", n)
	}
}

// TestSignWebhook (issue 17): SignWebhook signs a body byte for byte as the emulator's own
// webhooks are signed, so Plaid's verification accepts it; iat can be set back (and is then refused
// as stale); the expired key is a rotated key that /webhook_verification_key/get returns with
// expired_at in the past (refused as expired), made once and reused, while the current key keeps
// signing. The HTTP endpoint does the same, keyed.
func TestSignWebhook(t *testing.T) {
	clk := newFixedClock()
	v := newEnv(t, Config{Now: clk.now})
	now := clk.now()
	verifier := webhook.NewVerifierWith(webhook.PlaidKeySource(v.client), webhook.WithClock(clk.now))
	verify := func(tok string, body []byte) error { return verifier.Verify(context.Background(), tok, body) }
	reason := func(err error) string {
		var ve *webhook.VerifyError
		if errors.As(err, &ve) {
			return ve.Reason
		}
		return ""
	}
	body := []byte("{\n  \"webhook_type\": \"LINK\",\n  \"webhook_code\": \"SESSION_FINISHED\",\n  \"note\": \"café ☕\"\n}")
	current := v.emu.WebhookKeyID()

	signedNow, err := v.emu.SignWebhook(body, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(signedNow, body); err != nil {
		t.Errorf("a body signed with the current key does not verify: %v", err)
	}
	if kid := jwtKID(t, signedNow); kid != current {
		t.Errorf("signed with kid %s, want the current %s", kid, current)
	}
	if iat := jwtIAT(t, signedNow); !iat.Equal(now) {
		t.Errorf("iat = %v, want now %v", iat, now)
	}
	compact := []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","note":"café ☕"}`)
	if reason(verify(signedNow, compact)) != webhook.ReasonBodyMismatch {
		t.Errorf("the JWT also verifies a re-serialised body: it must bind the bytes")
	}

	stale, err := v.emu.SignWebhook(body, SignOptions{IssuedAt: now.Add(-6 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if iat := jwtIAT(t, stale); !iat.Equal(now.Add(-6 * time.Minute)) {
		t.Errorf("stale iat = %v", iat)
	}
	if err := verify(stale, body); err == nil || !strings.Contains(reason(err), "iat too old") {
		t.Errorf("a JWT signed 6 minutes ago: %v, want iat too old", err)
	}

	expiredJWT, err := v.emu.SignWebhook(body, SignOptions{Key: KeyExpired})
	if err != nil {
		t.Fatal(err)
	}
	old := jwtKID(t, expiredJWT)
	if old == current {
		t.Fatalf("the expired key is the current one")
	}
	if v.emu.WebhookKeyID() != current {
		t.Errorf("making an expired key rotated the current one: %s, was %s", v.emu.WebhookKeyID(), current)
	}
	kr, _, err := v.client.PlaidApi.WebhookVerificationKeyGet(v.ctx).
		WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(old)).Execute()
	if err != nil {
		t.Fatalf("/webhook_verification_key/get for the expired key: %v", err)
	}
	if exp := kr.Key.ExpiredAt.Get(); exp == nil || !time.Unix(int64(*exp), 0).Before(now) {
		t.Errorf("expired key's expired_at = %v, want a time before now %v", exp, now.Unix())
	}
	if kr.Key.CreatedAt >= int32(now.Unix()) {
		t.Errorf("expired key's created_at %d is not in the past", kr.Key.CreatedAt)
	}
	if reason(verify(expiredJWT, body)) != webhook.ReasonKeyExpired {
		t.Errorf("a JWT of the expired key: %v, want %q", verify(expiredJWT, body), webhook.ReasonKeyExpired)
	}
	again, _ := v.emu.SignWebhook(body, SignOptions{Key: KeyExpired})
	if jwtKID(t, again) != old {
		t.Errorf("a second expired-key signature used a new key %s, want %s again", jwtKID(t, again), old)
	}
	if _, err := v.emu.SignWebhook(body, SignOptions{Key: "previous"}); err == nil {
		t.Errorf("an unknown key choice was accepted")
	}

	// A key rotated by RotateWebhookKey whose expired_at has passed is the expired key from then on.
	clk.set(now.Add(time.Hour))
	rotated := v.emu.RotateWebhookKey()
	clk.set(now.Add(time.Hour + time.Second))
	if j, _ := v.emu.SignWebhook(body, SignOptions{Key: KeyExpired}); jwtKID(t, j) != old && jwtKID(t, j) != rotated {
		t.Errorf("expired-key signature with kid %s, want a rotated key (%s or %s)", jwtKID(t, j), old, rotated)
	}

	// Advance moves the emulator's clock, not iat or expired_at: receivers check those against
	// their own clock.
	v.emu.Advance(3 * time.Hour)
	if j, _ := v.emu.SignWebhook(body, SignOptions{}); !jwtIAT(t, j).Equal(clk.now()) || verify(j, body) != nil {
		t.Errorf("after Advance: iat %v, want the real now %v; verify: %v", jwtIAT(t, j), clk.now(), verify(j, body))
	}
	if j, _ := v.emu.SignWebhook(body, SignOptions{Key: KeyExpired}); reason(verify(j, body)) != webhook.ReasonKeyExpired {
		t.Errorf("after Advance, the expired key: %v, want %q", verify(j, body), webhook.ReasonKeyExpired)
	}

	// Over HTTP.
	if st, b := rawPost(t, v, "/emulator/webhook/sign", `{"body":"{}"}`, nil); st != 400 || !strings.Contains(string(b), "INVALID_API_KEYS") {
		t.Errorf("keyless POST /emulator/webhook/sign: HTTP %d %s", st, b)
	}
	req, _ := json.Marshal(map[string]any{"body": string(body), "issued_at": now.Add(-6 * time.Minute).Unix(), "key": "current"})
	st, b := rawPost(t, v, "/emulator/webhook/sign", string(req), keys(v))
	var signed struct {
		JWT   string `json:"jwt"`
		KeyID string `json:"key_id"`
	}
	if err := json.Unmarshal(b, &signed); st != 200 || err != nil || signed.KeyID != v.emu.WebhookKeyID() || jwtKID(t, signed.JWT) != signed.KeyID {
		t.Fatalf("POST /emulator/webhook/sign: HTTP %d %s", st, b)
	}
	if iat := jwtIAT(t, signed.JWT); !iat.Equal(now.Add(-6 * time.Minute)) {
		t.Errorf("HTTP issued_at: iat %v", iat)
	}
	clk.set(now.Add(-6*time.Minute + time.Second)) // the verifier's clock just after that iat
	if err := verify(signed.JWT, body); err != nil {
		t.Errorf("the HTTP endpoint did not sign the body byte for byte: %v", err)
	}
	clk.set(now.Add(2 * time.Hour))
	st, b = rawPost(t, v, "/emulator/webhook/sign", `{"body":"{\n  \"a\": 1\n}","key":"expired"}`, keys(v))
	if err := json.Unmarshal(b, &signed); st != 200 || err != nil || signed.KeyID == v.emu.WebhookKeyID() {
		t.Errorf("HTTP expired key: HTTP %d %s", st, b)
	} else if reason(verify(signed.JWT, []byte("{\n  \"a\": 1\n}"))) != webhook.ReasonKeyExpired {
		t.Errorf("HTTP expired key: %v", verify(signed.JWT, []byte("{\n  \"a\": 1\n}")))
	}
	for bad, code := range map[string]string{
		`{"issued_at":1}`:                   "MISSING_FIELDS",
		`{"body":"{}","key":"old"}`:         "INVALID_FIELD",
		`{"body":"{}","issued_at":"soon"}`:  "INVALID_FIELD",
		`{"body":"{}","issued_at":-5}`:      "INVALID_FIELD",
		`{"body":{"a":1}}`:                  "INVALID_BODY",
		`{"body":"{}","signature":"mine"}`:  "INVALID_BODY",
		`{"body":"{}","issued_at":1.5e300}`: "INVALID_FIELD",
	} {
		if st, b := rawPost(t, v, "/emulator/webhook/sign", bad, keys(v)); st != 400 || !strings.Contains(string(b), code) {
			t.Errorf("POST /emulator/webhook/sign %s: HTTP %d %s, want %s", bad, st, b, code)
		}
	}
}

// jwtKID and jwtIAT read a JWT's kid and iat without verifying it.
func jwtKID(t *testing.T, tok string) string {
	t.Helper()
	kid, _ := unverified(t, tok).Header["kid"].(string)
	return kid
}

func jwtIAT(t *testing.T, tok string) time.Time {
	t.Helper()
	iat, err := unverified(t, tok).Claims.GetIssuedAt()
	if err != nil || iat == nil {
		t.Fatalf("JWT without iat: %v", err)
	}
	return iat.Time
}

func unverified(t *testing.T, tok string) *jwt.Token {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	return parsed
}

// TestSignWebhookForged (issue 17): a body signed by another key under the current kid, or by the
// current key under a kid the emulator never issued, is refused by the verifier: the audit's
// wrong_key and unknown_key cases are forgeries, not mistakes of the emulator.
func TestSignWebhookForged(t *testing.T) {
	clk := newFixedClock()
	v := newEnv(t, Config{Now: clk.now})
	verifier := webhook.NewVerifierWith(webhook.PlaidKeySource(v.client), webhook.WithClock(clk.now))
	body := []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED"}`)
	reason := func(j string) string {
		var ve *webhook.VerifyError
		if err := verifier.Verify(context.Background(), j, body); errors.As(err, &ve) {
			return ve.Reason
		} else if err != nil {
			return "not a VerifyError: " + err.Error()
		}
		return ""
	}
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := v.emu.SignWebhook(body, SignOptions{Forger: forger})
	if err != nil {
		t.Fatal(err)
	}
	if kid := jwtKID(t, wrong); kid != v.emu.WebhookKeyID() {
		t.Errorf("a forged signature names kid %s, want the current %s", kid, v.emu.WebhookKeyID())
	}
	if r := reason(wrong); r != webhook.ReasonBadSignature {
		t.Errorf("signed by another key: %q, want %q", r, webhook.ReasonBadSignature)
	}
	unknown, err := v.emu.SignWebhook(body, SignOptions{KID: "kid-never-issued"})
	if err != nil {
		t.Fatal(err)
	}
	if kid := jwtKID(t, unknown); kid != "kid-never-issued" {
		t.Errorf("KID override: header kid %s", kid)
	}
	if r := reason(unknown); r != webhook.ReasonUnknownKID {
		t.Errorf("an unknown kid: %q, want %q", r, webhook.ReasonUnknownKID)
	}
	if genuine, _ := v.emu.SignWebhook(body, SignOptions{}); reason(genuine) != "" {
		t.Errorf("the genuine signature no longer verifies: %q", reason(genuine))
	}
}
