package hookcheck_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/testkit/hookcheck"
)

// t0 is when the tests' own JWTs are issued; each verifier's clock is set relative to it.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func at(now time.Time) hookcheck.Option {
	return hookcheck.WithClock(func() time.Time { return now })
}

// delivery is one webhook a receiver got.
type delivery struct {
	sig  string
	body []byte
}

// TestEmulatorsOwnWebhookPasses: a webhook the emulator really sent verifies on the default clock
// (the emulator signs with the real one too), and the same delivery with one byte changed does not.
func TestEmulatorsOwnWebhookPasses(t *testing.T) {
	got := make(chan delivery, 16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Get("Plaid-Verification"), body}
	}))
	t.Cleanup(rc.Close) // registered first, so it closes after the emulator stops delivering
	s := emulatortest.New(t)
	ctx := testkit.Context(t)

	opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
	opts.SetWebhook(rc.URL + "/hook")
	req := plaid.NewSandboxPublicTokenCreateRequest(emulator.DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetOptions(*opts)
	pt, _, err := s.Client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/sandbox/public_token/create: %v", err)
	}
	ex, _, err := s.Client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
	if err != nil {
		t.Fatalf("/item/public_token/exchange: %v", err)
	}
	if _, _, err := s.Client.PlaidApi.SandboxItemFireWebhook(ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, "DEFAULT_UPDATE")).Execute(); err != nil {
		t.Fatalf("/sandbox/item/fire_webhook: %v", err)
	}
	var d delivery
	select {
	case d = <-got:
	case <-testkit.Deadline():
		t.Fatalf("no webhook within %s", testkit.Wait)
	}

	v := hookcheck.New(s.Client)
	if err := v.Verify(ctx, d.sig, d.body); err != nil {
		t.Fatalf("the emulator's own webhook: %v", err)
	}
	changed := []byte(strings.Replace(string(d.body), "DEFAULT_UPDATE", "DEFAULT_UPDATF", 1))
	if string(changed) == string(d.body) {
		t.Fatalf("body %s has no DEFAULT_UPDATE to change", d.body)
	}
	if err := v.Verify(ctx, d.sig, changed); !errors.Is(err, hookcheck.ErrBodyHash) {
		t.Errorf("the webhook with its body changed: %v, want %v", err, hookcheck.ErrBodyHash)
	}
}

// TestEachCauseIsNamed: JWTs the emulator signs at t0 (and hostile ones made here) against
// verifiers whose clocks are set around t0. Each case wants its own cause, so a verifier that
// refuses everything alike fails as surely as one that accepts everything. (These test the tests'
// verifier, not the app's defences, so their names keep them out of docs/security.md's counts.)
func TestEachCauseIsNamed(t *testing.T) {
	var keyFetches atomic.Int32
	s := emulatortest.New(t, emulatortest.WithTransport(func(base http.RoundTripper) http.RoundTripper {
		return countingTransport{base, "/webhook_verification_key/get", &keyFetches}
	}))
	ctx := testkit.Context(t)
	body := []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS"}`)
	sign := func(opts emulator.SignOptions) string {
		t.Helper()
		if opts.IssuedAt.IsZero() {
			opts.IssuedAt = t0
		}
		j, err := s.Emulator.SignWebhook(body, opts)
		if err != nil {
			t.Fatalf("SignWebhook(%+v): %v", opts, err)
		}
		return j
	}
	genuine := sign(emulator.SignOptions{})
	kid := s.Emulator.WebhookKeyID()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	// The expired key: signed before its expired_at it still vouches; signed after, it cannot.
	expKID, expiredAt := expiredKey(t, s, sign(emulator.SignOptions{Key: emulator.KeyExpired}))
	beforeExpiry := sign(emulator.SignOptions{Key: emulator.KeyExpired, IssuedAt: expiredAt.Add(-time.Minute)})
	afterExpiry := sign(emulator.SignOptions{Key: emulator.KeyExpired, IssuedAt: expiredAt.Add(time.Minute)})

	soon := t0.Add(30 * time.Second)
	for _, c := range []struct {
		name  string
		token string
		body  []byte
		now   time.Time
		want  error // nil: verifies
	}{
		{"genuine", genuine, body, soon, nil},
		{"genuine, iat 4m59s old", genuine, body, t0.Add(hookcheck.MaxAge - time.Second), nil},
		{"body changed", genuine, append([]byte(" "), body...), soon, hookcheck.ErrBodyHash},
		{"iat stale", genuine, body, t0.Add(hookcheck.MaxAge + time.Second), hookcheck.ErrIssuedAt},
		{"iat ahead of the clock", genuine, body, t0.Add(-hookcheck.MaxSkew - time.Second), hookcheck.ErrIssuedAt},
		{"no header", "", body, soon, hookcheck.ErrNoHeader},
		{"alg HS256", hostile(t, jwt.SigningMethodHS256, []byte("the public key, as an HMAC secret"), kid, body), body, soon, hookcheck.ErrAlg},
		{"alg ES384", hostile(t, jwt.SigningMethodES384, p384, kid, body), body, soon, hookcheck.ErrAlg},
		{"alg none", hostile(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, body), body, soon, hookcheck.ErrAlg},
		{"no kid", hostile(t, jwt.SigningMethodES256, p256, "", body), body, soon, hookcheck.ErrHeader},
		{"unknown kid", sign(emulator.SignOptions{KID: "no-such-key"}), body, soon, hookcheck.ErrKey},
		{"forged with the current kid", sign(emulator.SignOptions{Forger: p256}), body, soon, hookcheck.ErrSignature},
		{"expired key, signed before expired_at", beforeExpiry, body, expiredAt.Add(time.Minute), nil},
		{"expired key, signed after expired_at", afterExpiry, body, expiredAt.Add(2 * time.Minute), hookcheck.ErrKeyExpired},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := hookcheck.New(s.Client, at(c.now)).Verify(ctx, c.token, c.body)
			if c.want == nil && err != nil {
				t.Errorf("Verify = %v, want it to verify", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	if expKID == kid {
		t.Errorf("the expired key %s is the current one", expKID)
	}

	// One verifier fetches a kid's key once.
	keyFetches.Store(0)
	v := hookcheck.New(s.Client, at(soon))
	for range 3 {
		if err := v.Verify(ctx, genuine, body); err != nil {
			t.Fatalf("genuine: %v", err)
		}
	}
	if n := keyFetches.Load(); n != 1 {
		t.Errorf("3 verifications fetched the key %d times, want 1 (cached)", n)
	}
}

// hostile makes a JWT with the claims of a genuine one for body (iat t0, its hash) and kid, signed
// with method and key: a signature the emulator's key cannot have made.
func hostile(t *testing.T, method jwt.SigningMethod, key any, kid string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	tok := jwt.NewWithClaims(method, jwt.MapClaims{"iat": t0.Unix(), "request_body_sha256": hex.EncodeToString(sum[:])})
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing with %s: %v", method.Alg(), err)
	}
	return s
}

// expiredKey returns the kid of token's key and that key's expired_at, as
// /webhook_verification_key/get gives it.
func expiredKey(t *testing.T, s *emulatortest.Server, token string) (string, time.Time) {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	resp, _, err := s.Client.PlaidApi.WebhookVerificationKeyGet(context.Background()).
		WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
	if err != nil {
		t.Fatalf("/webhook_verification_key/get %s: %v", kid, err)
	}
	exp := resp.Key.ExpiredAt.Get()
	if exp == nil {
		t.Fatalf("key %s has no expired_at", kid)
	}
	return kid, time.Unix(int64(*exp), 0)
}

// countingTransport counts the requests to path.
type countingTransport struct {
	base http.RoundTripper
	path string
	n    *atomic.Int32
}

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == c.path {
		c.n.Add(1)
	}
	return c.base.RoundTrip(req)
}
