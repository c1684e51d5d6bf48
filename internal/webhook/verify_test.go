package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"
)

func TestKeyFromJWKRoundTripAndRejects(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	exp := time.Unix(1700000000, 0)
	k := Key{KID: "k1", Public: &priv.PublicKey, CreatedAt: time.Unix(1600000000, 0), ExpiredAt: &exp}
	j := JWKFromKey(k)
	back, err := KeyFromJWK(j)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Public.Equal(&priv.PublicKey) || back.KID != "k1" || back.ExpiredAt == nil || !back.ExpiredAt.Equal(exp) ||
		!back.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("round trip lost something: %+v", back)
	}
	j.ExpiredAt = *plaid.NewNullableInt32(nil)
	if back, _ := KeyFromJWK(j); back.ExpiredAt != nil {
		t.Fatal("null expired_at must mean not expired")
	}

	// Plaid's documented example key is a valid P-256 point.
	doc := plaid.JWKPublicKey{Alg: "ES256", Crv: "P-256", Kid: "bfbd5111-8e33-4643-8ced-b2e642a72f3c", Kty: "EC", Use: "sig",
		X: "hKXLGIjWvCBv-cP5euCTxl8g9GLG9zHo_3pO5NN1DwQ", Y: "shhexqPB7YffGn6fR6h2UhTSuCtPmfzQJ6ENVIoO4Ys", CreatedAt: 1560466150}
	if _, err := KeyFromJWK(doc); err != nil {
		t.Fatalf("Plaid's documented key: %v", err)
	}

	offCurve := doc
	y, _ := base64.RawURLEncoding.DecodeString(doc.Y)
	y[31] ^= 1
	offCurve.Y = base64.RawURLEncoding.EncodeToString(y)
	short := doc
	short.X = base64.RawURLEncoding.EncodeToString(make([]byte, 31))
	for name, tc := range map[string]struct {
		jwk  plaid.JWKPublicKey
		want string
	}{
		"point off the curve": {offCurve, "not a valid P-256 point"},
		"short coordinate":    {short, "31 bytes, want 32"},
		"not base64":          {func() plaid.JWKPublicKey { j := doc; j.X = "***"; return j }(), "not base64url"},
		"wrong curve":         {func() plaid.JWKPublicKey { j := doc; j.Crv = "P-384"; return j }(), `crv "P-384" is not P-256`},
		"wrong kty":           {func() plaid.JWKPublicKey { j := doc; j.Kty = "RSA"; return j }(), `kty "RSA" is not EC`},
		"wrong alg":           {func() plaid.JWKPublicKey { j := doc; j.Alg = "HS256"; return j }(), `alg "HS256" is not ES256`},
	} {
		if _, err := KeyFromJWK(tc.jwk); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}

// TestVerifierSharesOneFetch: many concurrent first webhooks with the same kid cause one key lookup.
func TestVerifierSharesOneFetch(t *testing.T) {
	kr := newKeyring(t)
	release := make(chan struct{})
	var calls atomic.Int64
	src := KeySourceFunc(func(ctx context.Context, kid string) (Key, error) {
		calls.Add(1)
		<-release
		return kr.WebhookKey(ctx, kid)
	})
	v := NewVerifier(src)
	body := sessionFinished("s")
	h := kr.sign(t, "kid-good", body, time.Now())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- v.Verify(context.Background(), h, body) }()
	}
	// Release the lookup only once the other 19 wait on it (else they could find the key cached).
	for deadline := time.After(testWait); v.waiting("kid-good") < 19; {
		select {
		case <-deadline:
			t.Fatalf("only %d verifications share the lookup", v.waiting("kid-good"))
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 || v.KeyFetches() != 1 {
		t.Fatalf("lookups = %d (fetches %d), want 1", calls.Load(), v.KeyFetches())
	}
}

// TestVerifierUnknownKidFloodAndRefresh: a forged kid is looked up once per backoff window, and a
// key that appears later (Plaid rotated keys) is found after the window.
func TestVerifierUnknownKidFloodAndRefresh(t *testing.T) {
	kr := newKeyring(t)
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	v := NewVerifierWith(kr, WithClock(now))
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	body := sessionFinished("s")
	h, _ := Sign(priv, "kid-new", body, clock)
	for range 100 {
		var ve *VerifyError
		if err := v.Verify(context.Background(), h, body); !errors.As(err, &ve) || ve.Reason != ReasonUnknownKID {
			t.Fatalf("err %v, want %q", err, ReasonUnknownKID)
		}
	}
	if n := kr.lookups.Load(); n != 1 {
		t.Fatalf("100 webhooks with one unknown kid caused %d lookups, want 1", n)
	}
	// Plaid publishes the new key; after the backoff the verifier asks again and accepts.
	kr.keys["kid-new"] = Key{KID: "kid-new", Public: &priv.PublicKey}
	mu.Lock()
	clock = clock.Add(unknownKIDBackoff + time.Second)
	mu.Unlock()
	h, _ = Sign(priv, "kid-new", body, now())
	if err := v.Verify(context.Background(), h, body); err != nil {
		t.Fatalf("after the key appeared: %v", err)
	}
	if n := kr.lookups.Load(); n != 2 {
		t.Fatalf("lookups = %d, want 2", n)
	}
}

// TestVerifierKeyExpiresWhileCached: expired_at is honoured for a key already in the cache.
func TestVerifierKeyExpiresWhileCached(t *testing.T) {
	kr := newKeyring(t)
	exp := time.Now().Add(time.Minute)
	k := kr.keys["kid-good"]
	k.ExpiredAt = &exp
	kr.keys["kid-good"] = k
	clock := time.Now()
	v := NewVerifierWith(kr, WithClock(func() time.Time { return clock }))
	body := sessionFinished("s")
	if err := v.Verify(context.Background(), kr.sign(t, "kid-good", body, clock), body); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Minute)
	err := v.Verify(context.Background(), kr.sign(t, "kid-good", body, clock), body)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Reason != ReasonKeyExpired {
		t.Fatalf("err %v, want %q", err, ReasonKeyExpired)
	}
}

// fakePlaid serves /webhook_verification_key/get as Plaid does, for PlaidKeySource.
func fakePlaid(t *testing.T, kr *keyring, fail *atomic.Int32) *plaid.APIClient {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/webhook_verification_key/get" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("PLAID-CLIENT-ID") != "cid" || r.Header.Get("PLAID-SECRET") != "sec" {
			t.Errorf("credentials not sent")
		}
		var req struct {
			KeyID string `json:"key_id"`
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &req)
		w.Header().Set("Content-Type", "application/json")
		if fail.Load() > 0 {
			fail.Add(-1)
			w.WriteHeader(500)
			io.WriteString(w, `{"error_type":"API_ERROR","error_code":"INTERNAL_SERVER_ERROR","error_message":"boom","request_id":"r"}`)
			return
		}
		k, ok := kr.keys[req.KeyID]
		if !ok {
			w.WriteHeader(400)
			io.WriteString(w, `{"error_type":"INVALID_INPUT","error_code":"INVALID_WEBHOOK_VERIFICATION_KEY_ID","error_message":"invalid key_id provided","request_id":"r"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"key": JWKFromKey(k), "request_id": "r"})
	}))
	t.Cleanup(srv.Close)
	cfg := plaid.NewConfiguration()
	cfg.UseEnvironment(plaid.Environment(srv.URL))
	cfg.AddDefaultHeader("PLAID-CLIENT-ID", "cid")
	cfg.AddDefaultHeader("PLAID-SECRET", "sec")
	return plaid.NewAPIClient(cfg)
}

// TestPlaidKeySource: through plaid-go against a fake Plaid: good key, unknown kid, and a 500 that
// makes the receiver answer 503 (so Plaid retries) and then recovers.
func TestPlaidKeySource(t *testing.T) {
	kr := newKeyring(t)
	var fail atomic.Int32
	src := PlaidKeySource(fakePlaid(t, kr, &fail))
	k, err := src.WebhookKey(context.Background(), "kid-good")
	if err != nil || !k.Public.Equal(kr.keys["kid-good"].Public) {
		t.Fatalf("good kid: %v", err)
	}
	if _, err := src.WebhookKey(context.Background(), "nope"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: %v, want ErrUnknownKey", err)
	}

	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(src)})
	base := serve(t, r)
	body := sessionFinished("s503")
	fail.Store(1)
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body); st != 503 {
		t.Fatalf("key service down: status %d, want 503", st)
	}
	ev := nextEvent(t, r)
	if ev.Verified || !strings.HasPrefix(ev.Reason, "cannot fetch verification key") || ev.Status != 503 {
		t.Fatalf("key service down: %+v", ev)
	}
	// Plaid retries; the key service is back.
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body); st != 200 {
		t.Fatalf("retry: status %d", st)
	}
	if ev := nextEvent(t, r); !ev.Verified || ev.Duplicate {
		t.Fatalf("retry after 503 must be the first accepted delivery, not a duplicate: %+v", ev)
	}
}

func TestSignRejectsNonP256(t *testing.T) {
	if _, err := Sign(nil, "k", nil, time.Now()); err == nil {
		t.Fatal("nil key accepted")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := Sign(p384, "k", nil, time.Now()); err == nil {
		t.Fatal("P-384 key accepted")
	}
}

// TestVerifierRefreshesCachedKeys: a cached key is fetched again when a new kid appears (Plaid
// rotated, and the old key now has expired_at) and after keyRefreshAfter; if that refresh fails,
// the cached key keeps working.
func TestVerifierRefreshesCachedKeys(t *testing.T) {
	kr := newKeyring(t)
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	var down atomic.Bool
	src := KeySourceFunc(func(ctx context.Context, kid string) (Key, error) {
		if down.Load() {
			kr.lookups.Add(1)
			return Key{}, errors.New("connection refused")
		}
		return kr.WebhookKey(ctx, kid)
	})
	v := NewVerifierWith(src, WithClock(now))
	body := sessionFinished("r")
	verify := func(kid string) error {
		t.Helper()
		return v.Verify(context.Background(), kr.sign(t, kid, body, now()), body)
	}
	if err := verify("kid-good"); err != nil {
		t.Fatal(err)
	}
	// Refresh after keyRefreshAfter; with Plaid unreachable the cached key still verifies.
	advance(keyRefreshAfter + time.Second)
	down.Store(true)
	if err := verify("kid-good"); err != nil {
		t.Fatalf("refresh failed and the cached key was not used: %v", err)
	}
	if n := kr.lookups.Load(); n != 2 {
		t.Fatalf("lookups = %d, want 2 (one refresh attempt)", n)
	}
	if err := verify("kid-good"); err != nil || kr.lookups.Load() != 2 {
		t.Fatalf("a failed refresh must not be retried on every webhook: %v, %d lookups", err, kr.lookups.Load())
	}
	down.Store(false)

	// Plaid rotates: kid-2 appears and kid-good gets expired_at.
	kr.add(t, "kid-2", nil)
	k := kr.keys["kid-good"]
	past := now().Add(-time.Second)
	k.ExpiredAt = &past
	kr.keys["kid-good"] = k
	if err := verify("kid-2"); err != nil {
		t.Fatal(err)
	}
	var ve *VerifyError
	if err := verify("kid-good"); !errors.As(err, &ve) || ve.Reason != ReasonKeyExpired {
		t.Fatalf("old key after rotation: %v, want %q", err, ReasonKeyExpired)
	}
}

func TestVerifierMaxAge(t *testing.T) {
	kr := newKeyring(t)
	now := time.Now() // one fixed clock for signing and checking: the ages below are exact
	v := NewVerifierWith(kr, WithMaxAge(time.Minute), WithClock(func() time.Time { return now }))
	body := sessionFinished("age")
	err := v.Verify(context.Background(), kr.sign(t, "kid-good", body, now.Add(-2*time.Minute)), body)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Reason != "iat too old (2m0s > 1m)" {
		t.Fatalf("err %v", err)
	}
	if err := v.Verify(context.Background(), kr.sign(t, "kid-good", body, now.Add(-50*time.Second)), body); err != nil {
		t.Fatal(err)
	}
}

// TestVerifierForgedKidBudget: a burst of 300 distinct forged kids costs at most the lookup budget
// (10 calls with the developer's keys), the rest are answered 503 with a reason; once the budget
// refills on the verifier's clock, a genuine webhook signed by a newly rotated key verifies.
func TestVerifierForgedKidBudget(t *testing.T) {
	kr := newKeyring(t)
	var mu sync.Mutex
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	var keysMu sync.RWMutex // the fake key service is read concurrently below
	src := KeySourceFunc(func(ctx context.Context, kid string) (Key, error) {
		keysMu.RLock()
		defer keysMu.RUnlock()
		return kr.WebhookKey(ctx, kid)
	})
	v := NewVerifierWith(src, WithClock(now))
	r := NewReceiver(ReceiverConfig{Verifier: v, Buffer: 1024})
	base := serve(t, r)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	body := sessionFinished("forged")

	var wg sync.WaitGroup
	statuses := make(chan int, 300)
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, _ := Sign(attacker, fmt.Sprintf("forged-%03d", i), body, now())
			statuses <- post(t, base+"/webhook", "application/json", h, body)
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if n := kr.lookups.Load(); n > DefaultKeyLookupBurst {
		t.Fatalf("300 forged kids made %d key lookups, want at most %d", n, DefaultKeyLookupBurst)
	}
	if count[401] != int(kr.lookups.Load()) || count[503] != 300-count[401] || count[200] != 0 {
		t.Fatalf("statuses %v for %d lookups: looked-up kids are 401, the deferred rest 503", count, kr.lookups.Load())
	}
	if d := v.KeyLookupsDeferred(); d != int64(count[503]) {
		t.Fatalf("deferred %d, want %d", d, count[503])
	}
	var deferred int
	for _, ev := range r.Recent() {
		if ev.Kind == EventWebhook && ev.Reason == ReasonKeyBudget && ev.Status == 503 && !ev.Verified {
			deferred++
		}
	}
	if deferred == 0 {
		t.Fatalf("no deferred webhook is listed with its reason")
	}

	// Plaid rotates keys now; its first delivery meets the spent budget (503, so Plaid retries)...
	keysMu.Lock()
	kr.add(t, "kid-rotated", nil)
	keysMu.Unlock()
	genuine := sessionFinished("genuine")
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-rotated", genuine, now()), genuine); st != 503 {
		t.Fatalf("genuine delivery with the budget spent: %d, want 503 (retry later)", st)
	}
	// ...and its retry, a little later on the verifier's clock, verifies.
	advance(DefaultKeyLookupEvery)
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-rotated", genuine, now()), genuine); st != 200 {
		t.Fatalf("genuine retry after the budget refilled: %d, want 200", st)
	}
	// A cached key costs nothing: verifying with it works whatever the budget.
	for range 3 {
		if err := v.Verify(context.Background(), kr.sign(t, "kid-rotated", genuine, now()), genuine); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifierOneUnknownAnswerIsNotSticky: right after a rotation the key endpoint may answer 4xx
// once for the new kid; that kid must verify again well within 30 s, not be refused for 30 s.
func TestVerifierOneUnknownAnswerIsNotSticky(t *testing.T) {
	kr := newKeyring(t)
	priv := kr.add(t, "kid-new", nil)
	pub := kr.keys["kid-new"]
	delete(kr.keys, "kid-new") // not yet published when the first webhook comes
	var fail atomic.Int32
	var mu sync.Mutex
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	v := NewVerifierWith(PlaidKeySource(fakePlaid(t, kr, &fail)), WithClock(now))
	body := sessionFinished("rot")
	h, _ := Sign(priv, "kid-new", body, now())
	var ve *VerifyError
	if err := v.Verify(context.Background(), h, body); !errors.As(err, &ve) || ve.Reason != ReasonUnknownKID {
		t.Fatalf("first answer 400: %v, want %q", err, ReasonUnknownKID)
	}
	kr.keys["kid-new"] = pub // Plaid has it now
	mu.Lock()
	clock = clock.Add(10 * time.Second)
	mu.Unlock()
	h, _ = Sign(priv, "kid-new", body, now())
	if err := v.Verify(context.Background(), h, body); err != nil {
		t.Fatalf("10 s after one 4xx the real kid is still refused: %v", err)
	}
}

// TestPlaidKeySourceInvalidAPIKeys: Plaid's documented answer to bad keys (400, INVALID_INPUT /
// INVALID_API_KEYS) is our keys' fault, not the webhook's kid: a fetch error (503, Plaid retries)
// naming the keys, not "unknown key id", and never remembered as an unknown kid.
func TestPlaidKeySourceInvalidAPIKeys(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, `{"display_message":null,"error_code":"INVALID_API_KEYS","error_message":"invalid client_id or secret provided","error_type":"INVALID_INPUT","request_id":"HNTDNrA8F1shFEW"}`)
	}))
	defer srv.Close()
	cfg := plaid.NewConfiguration()
	cfg.UseEnvironment(plaid.Environment(srv.URL))
	src := PlaidKeySource(plaid.NewAPIClient(cfg))
	_, err := src.WebhookKey(context.Background(), "kid-good")
	if err == nil || errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "INVALID_API_KEYS") ||
		!strings.Contains(err.Error(), "PLAID_SECRET") {
		t.Fatalf("bad keys: %v; want a fetch error naming INVALID_API_KEYS and the keys, not ErrUnknownKey", err)
	}

	kr := newKeyring(t)
	body := sessionFinished("badkeys")
	v := NewVerifier(src)
	err = v.Verify(context.Background(), kr.sign(t, "kid-good", body, time.Now()), body)
	var fe *KeyFetchError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "INVALID_INPUT/INVALID_API_KEYS") || !strings.Contains(fe.Reason, "PLAID_CLIENT_ID") {
		t.Fatalf("verify with bad keys: %v, want a KeyFetchError naming the keys", err)
	}
}
