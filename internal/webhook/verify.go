package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"
)

// Key is a webhook verification key as /webhook_verification_key/get returns it.
type Key struct {
	KID       string
	Public    *ecdsa.PublicKey
	CreatedAt time.Time
	ExpiredAt *time.Time // nil: not expired
}

// KeySource looks a key up by kid (PlaidKeySource does it through plaid-go).
// A source returns an error wrapping ErrUnknownKey when the kid does not exist, so the verifier can
// tell "forged or stale kid" from "Plaid is unreachable".
type KeySource interface {
	WebhookKey(ctx context.Context, kid string) (Key, error)
}

// KeySourceFunc adapts a function to KeySource (tests, the emulator).
type KeySourceFunc func(ctx context.Context, kid string) (Key, error)

// WebhookKey calls f.
func (f KeySourceFunc) WebhookKey(ctx context.Context, kid string) (Key, error) { return f(ctx, kid) }

// ErrUnknownKey is what a KeySource wraps when the kid does not exist.
var ErrUnknownKey = errors.New("unknown webhook verification key id")

// errKeyBudget is the KeyFetchError cause when the lookup budget for new kids is spent.
var errKeyBudget = errors.New("key lookup budget spent")

// VerifyError says why a webhook was not verified.
type VerifyError struct{ Reason string }

func (e *VerifyError) Error() string { return "webhook not verified: " + e.Reason }

// KeyFetchError is a VerifyError caused by failing to reach the key source (not by the webhook):
// the receiver answers 503 so that Plaid retries later.
type KeyFetchError struct {
	VerifyError
	Err error
}

func (e *KeyFetchError) Unwrap() error { return e.Err }

// Reasons the verifier gives. They are stable: tests, the TUI and users' notes rely on them.
const (
	ReasonNoHeader       = "no Plaid-Verification header"
	ReasonHeaderTooLong  = "Plaid-Verification header too long"
	ReasonMalformed      = "malformed JWT"
	ReasonNoKID          = "no kid in JWT header"
	ReasonUnknownKID     = "unknown key id"
	ReasonKeyExpired     = "key expired"
	ReasonBadSignature   = "signature does not verify"
	ReasonNoIAT          = "no iat claim"
	ReasonNoBodyHash     = "no request_body_sha256 claim"
	ReasonBodyMismatch   = "body does not match request_body_sha256"
	ReasonNoVerifier     = "verification is off (no verifier configured)"
	ReasonKeyBudget      = "too many unknown key ids lately: key lookup deferred (Plaid retries; a forged-kid flood?)"
	reasonAlgNotAllowedF = "alg %s is not allowed (only ES256)"
)

// Verification limits Plaid documents (MaxAge) and a little tolerance for clocks (MaxSkew).
const (
	DefaultMaxAge  = 5 * time.Minute
	DefaultMaxSkew = 1 * time.Minute
	maxHeaderLen   = 8 << 10 // a Plaid JWT is ~400 bytes; anything huge is an attack or an accident
)

// unknownKIDBackoff is how long a kid the key endpoint said it does not know is remembered as
// unknown, so a flood of webhooks repeating one forged kid costs one lookup per window. It is short
// on purpose: right after Plaid rotates keys, one 4xx for the new kid (say, before the key has
// reached every Plaid server) must not refuse that kid's webhooks for long.
const unknownKIDBackoff = 5 * time.Second

// The lookup budget: uncached kids are looked up at most DefaultKeyLookupBurst at once, then one per
// DefaultKeyLookupEvery. Every forged kid is new, so without a budget each forged webhook would
// cost one /webhook_verification_key/get call made with the developer's keys. A genuine new kid
// that arrives while the budget is spent is answered 503 and verifies on Plaid's retry (minutes
// later, when the budget has refilled).
const (
	DefaultKeyLookupBurst = 10
	DefaultKeyLookupEvery = 6 * time.Second
)

// keyRefreshAfter is how long a cached key without expired_at is trusted before it is fetched
// again, so a key Plaid expires is refused within this time even if no new kid shows up.
const keyRefreshAfter = time.Hour

// Verifier checks Plaid-Verification headers as Plaid documents it: ES256 only, key by kid from
// /webhook_verification_key/get (cached), iat no older than 5 minutes, body SHA-256 equal to the
// request_body_sha256 claim. It is safe for concurrent use.
type Verifier struct {
	src     KeySource
	now     func() time.Time
	maxAge  time.Duration
	maxSkew time.Duration
	parser  *jwt.Parser

	mu       sync.Mutex
	keys     map[string]cachedKey
	unknown  map[string]time.Time // kid -> when it was found unknown
	inflight map[string]*keyCall
	fetches  int64
	budget   tokenBucket // lookups of kids not in the cache
	deferred int64       // lookups refused because the budget was spent
}

// tokenBucket is a small token bucket on the verifier's clock (injected in tests): burst tokens,
// one more every every. Guarded by Verifier.mu.
type tokenBucket struct {
	burst  int
	every  time.Duration
	tokens float64
	last   time.Time
}

// take spends a token if there is one at now.
func (b *tokenBucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens, b.last = float64(b.burst), now
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(b.burst), b.tokens+float64(d)/float64(b.every))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// keyCall is one in-flight key lookup that concurrent verifications of the same kid share.
type keyCall struct {
	done    chan struct{}
	key     Key
	err     error
	waiters int // callers sharing it besides the one fetching (guarded by Verifier.mu)
}

// VerifierOption tunes a Verifier.
type VerifierOption func(*Verifier)

// WithClock sets the verifier's clock (tests; the emulator's clock).
func WithClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// WithMaxAge sets how old iat may be (default 5 minutes, as Plaid documents).
func WithMaxAge(d time.Duration) VerifierOption { return func(v *Verifier) { v.maxAge = d } }

// WithKeyLookupBudget sets how many lookups of kids not in the cache may run at once (burst) and how
// fast that allowance comes back (one per every). Defaults: DefaultKeyLookupBurst, DefaultKeyLookupEvery.
func WithKeyLookupBudget(burst int, every time.Duration) VerifierOption {
	return func(v *Verifier) {
		if burst > 0 && every > 0 {
			v.budget.burst, v.budget.every = burst, every
		}
	}
}

// NewVerifier returns a verifier that caches keys from src.
func NewVerifier(src KeySource) *Verifier { return NewVerifierWith(src) }

// NewVerifierWith is NewVerifier with options (a clock for tests and the emulator, another max age).
func NewVerifierWith(src KeySource, opts ...VerifierOption) *Verifier {
	v := &Verifier{
		src:     src,
		now:     time.Now,
		maxAge:  DefaultMaxAge,
		maxSkew: DefaultMaxSkew,
		// The alg is checked by hand before this runs; WithValidMethods is the second lock on the door.
		// Claims are checked by hand too, to give the reasons above.
		parser:   jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation()),
		keys:     map[string]cachedKey{},
		unknown:  map[string]time.Time{},
		inflight: map[string]*keyCall{},
		budget:   tokenBucket{burst: DefaultKeyLookupBurst, every: DefaultKeyLookupEvery},
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// KeyFetches says how many times the key source was asked (cache misses that reached it).
func (v *Verifier) KeyFetches() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fetches
}

// KeyLookupsDeferred says how many webhooks were answered 503 because the lookup budget for new
// kids was spent (a flood of forged kids, most likely).
func (v *Verifier) KeyLookupsDeferred() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.deferred
}

// jwtHeader is the part of the JOSE header we read before trusting anything.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// plaidClaims are the claims Plaid puts in the Plaid-Verification JWT.
type plaidClaims struct {
	jwt.RegisteredClaims
	RequestBodySHA256 string `json:"request_body_sha256"`
}

func fail(reason string) error { return &VerifyError{Reason: reason} }

// Verify checks the JWT in header against body. A *VerifyError names the reason.
func (v *Verifier) Verify(ctx context.Context, header string, body []byte) error {
	_, err := v.verify(ctx, header, body)
	return err
}

// verify also returns the kid and iat so the receiver can key duplicates on the token.
func (v *Verifier) verify(ctx context.Context, header string, body []byte) (time.Time, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return time.Time{}, fail(ReasonNoHeader)
	}
	if len(header) > maxHeaderLen {
		return time.Time{}, fail(ReasonHeaderTooLong)
	}
	// Read the JOSE header ourselves: alg is refused before any key lookup, so alg:none and HS256
	// (signed with the public key as an HMAC secret) never reach a key or a library default.
	dot := strings.IndexByte(header, '.')
	if dot < 0 || strings.Count(header, ".") != 2 {
		return time.Time{}, fail(ReasonMalformed + " (want three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(header[:dot])
	if err != nil {
		return time.Time{}, fail(ReasonMalformed + " (header is not base64url)")
	}
	var h jwtHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return time.Time{}, fail(ReasonMalformed + " (header is not JSON)")
	}
	if h.Alg != "ES256" {
		alg := h.Alg
		if strings.EqualFold(alg, "none") || alg == "" {
			alg = "none"
		}
		return time.Time{}, fail(fmt.Sprintf(reasonAlgNotAllowedF, printable(alg)))
	}
	if h.Kid == "" {
		return time.Time{}, fail(ReasonNoKID)
	}
	key, err := v.key(ctx, h.Kid)
	if err != nil {
		return time.Time{}, err
	}
	if key.ExpiredAt != nil && !v.now().Before(*key.ExpiredAt) {
		return time.Time{}, fail(ReasonKeyExpired)
	}

	var claims plaidClaims
	_, err = v.parser.ParseWithClaims(header, &claims, func(*jwt.Token) (any, error) { return key.Public, nil })
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return time.Time{}, fail(ReasonBadSignature)
		case errors.Is(err, jwt.ErrTokenMalformed):
			return time.Time{}, fail(ReasonMalformed)
		default:
			return time.Time{}, fail(ReasonBadSignature)
		}
	}
	if claims.IssuedAt == nil {
		return time.Time{}, fail(ReasonNoIAT)
	}
	iat := claims.IssuedAt.Time
	// iat has whole seconds, so compare whole seconds: a token signed 6 minutes ago is "6m0s" old.
	age := time.Duration(v.now().Unix()-iat.Unix()) * time.Second
	if age > v.maxAge {
		return iat, fail(fmt.Sprintf("iat too old (%s > %s)", age, shortDur(v.maxAge)))
	}
	if -age > v.maxSkew {
		return iat, fail(fmt.Sprintf("iat in the future (%s ahead)", -age))
	}
	if claims.RequestBodySHA256 == "" {
		return iat, fail(ReasonNoBodyHash)
	}
	sum := sha256.Sum256(body)
	var hexSum [sha256.Size * 2]byte
	hex.Encode(hexSum[:], sum[:])
	// Plaid sends lowercase hex; compare in constant time so the hash cannot be guessed byte by byte.
	if subtle.ConstantTimeCompare(hexSum[:], []byte(strings.ToLower(claims.RequestBodySHA256))) != 1 {
		return iat, fail(ReasonBodyMismatch)
	}
	return iat, nil
}

// key returns the cached key for kid, fetching it once if needed. Concurrent misses for the same kid
// share one fetch; a kid found unknown is not asked again for unknownKIDBackoff; lookups of kids not
// in the cache, all kids together, spend the token bucket v.budget. A cached key that
// has no expired_at is fetched again after keyRefreshAfter, or as soon as a new kid appears (Plaid
// rotated keys, so the old one may have expired since): that is how expired_at is respected for
// keys already in the cache, as Plaid's own examples do.
func (v *Verifier) key(ctx context.Context, kid string) (Key, error) {
	if v.src == nil {
		return Key{}, fail(ReasonUnknownKID + " (no key source)")
	}
	v.mu.Lock()
	ck, cached := v.keys[kid]
	if cached && !v.needsRefresh(ck) {
		v.mu.Unlock()
		return ck.Key, nil
	}
	if at, ok := v.unknown[kid]; !cached && ok && v.now().Sub(at) < unknownKIDBackoff {
		v.mu.Unlock()
		return Key{}, fail(ReasonUnknownKID)
	}
	call, ok := v.inflight[kid]
	if !ok && !cached && !v.budget.take(v.now()) {
		// Shared by all kids not in the cache, so forged kids cannot spend the developer's Plaid
		// quota. 503: our limit, not the sender's fault; Plaid retries after the budget refills.
		v.deferred++
		v.mu.Unlock()
		return Key{}, &KeyFetchError{VerifyError{ReasonKeyBudget}, errKeyBudget}
	}
	if !ok {
		call = &keyCall{done: make(chan struct{})}
		v.inflight[kid] = call
		v.fetches++
		// Bound the negative cache: a flood of distinct forged kids must not grow memory forever.
		if len(v.unknown) > 1024 {
			clear(v.unknown)
		}
		v.mu.Unlock()
		// Detached from the caller's ctx: other waiters share this result, and one caller giving up
		// must not fail them all. Bounded by its own timeout instead.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		call.key, call.err = v.src.WebhookKey(fctx, kid)
		cancel()
		if call.err == nil && (call.key.Public == nil || call.key.Public.Curve != elliptic.P256()) {
			call.err = errors.New("key source returned no P-256 public key")
		}
		v.mu.Lock()
		delete(v.inflight, kid)
		now := v.now()
		switch {
		case call.err == nil:
			if !cached {
				for id, other := range v.keys {
					if other.ExpiredAt == nil {
						other.stale = true
						v.keys[id] = other
					}
				}
			}
			v.keys[kid] = cachedKey{Key: call.key, fetched: now}
		case errors.Is(call.err, ErrUnknownKey):
			delete(v.keys, kid) // Plaid no longer knows it: neither do we
			v.unknown[kid] = now
		case cached:
			// A refresh failed (Plaid unreachable): keep believing the key we had rather than refuse
			// every webhook, and try again in a minute.
			call.key, call.err = ck.Key, nil
			v.keys[kid] = cachedKey{Key: ck.Key, fetched: now.Add(-keyRefreshAfter + time.Minute)}
		}
		v.mu.Unlock()
		close(call.done)
	} else {
		call.waiters++
		v.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return Key{}, &KeyFetchError{VerifyError{"key lookup cancelled"}, ctx.Err()}
		}
	}
	if call.err != nil {
		if errors.Is(call.err, ErrUnknownKey) {
			return Key{}, fail(ReasonUnknownKID)
		}
		return Key{}, &KeyFetchError{VerifyError{"cannot fetch verification key: " + printableMax(call.err.Error(), 200)}, call.err}
	}
	return call.key, nil
}

// needsRefresh says whether a cached key should be fetched again before use. An expired key stays
// expired, so only keys without expired_at are refreshed. Called with v.mu held.
func (v *Verifier) needsRefresh(ck cachedKey) bool {
	return ck.ExpiredAt == nil && (ck.stale || v.now().Sub(ck.fetched) >= keyRefreshAfter)
}

// cachedKey is a key and when it was fetched.
type cachedKey struct {
	Key
	fetched time.Time
	stale   bool // a newer kid appeared since: Plaid may have expired this one
}

// shortDur prints 5m0s as 5m: easier to read in a reason.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	return s
}

// printable makes attacker-controlled text safe and short enough to show in a reason.
func printable(s string) string { return printableMax(s, 40) }

// printableMax is printable with another length limit (for our own, longer messages).
func printableMax(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "…"
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			// Control characters would garble a terminal: show them escaped instead.
			q := strconv.QuoteToASCII(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

// KeyFromJWK converts a JWK from /webhook_verification_key/get to a Key, checking that it is an
// EC P-256 signing key and that (x, y) is a point on the curve.
func KeyFromJWK(j plaid.JWKPublicKey) (Key, error) {
	if j.Kty != "" && j.Kty != "EC" {
		return Key{}, fmt.Errorf("key %s: kty %q is not EC", j.Kid, j.Kty)
	}
	if j.Crv != "P-256" {
		return Key{}, fmt.Errorf("key %s: crv %q is not P-256", j.Kid, j.Crv)
	}
	if j.Alg != "" && j.Alg != "ES256" {
		return Key{}, fmt.Errorf("key %s: alg %q is not ES256", j.Kid, j.Alg)
	}
	x, err := decodeCoord(j.X)
	if err != nil {
		return Key{}, fmt.Errorf("key %s: x: %w", j.Kid, err)
	}
	y, err := decodeCoord(j.Y)
	if err != nil {
		return Key{}, fmt.Errorf("key %s: y: %w", j.Kid, err)
	}
	// ParseUncompressedPublicKey rejects points not on P-256 (and the point at infinity).
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return Key{}, fmt.Errorf("key %s: not a valid P-256 point: %w", j.Kid, err)
	}
	k := Key{KID: j.Kid, Public: pub, CreatedAt: time.Unix(int64(j.CreatedAt), 0)}
	if j.ExpiredAt.IsSet() && j.ExpiredAt.Get() != nil {
		t := time.Unix(int64(*j.ExpiredAt.Get()), 0)
		k.ExpiredAt = &t
	}
	return k, nil
}

// decodeCoord decodes a base64url P-256 coordinate: exactly 32 bytes, big endian (RFC 7518 6.2.1.2).
func decodeCoord(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("%d bytes, want 32", len(b))
	}
	return b, nil
}

// JWKFromKey is the inverse of KeyFromJWK (the emulator and tests serve keys with it).
func JWKFromKey(k Key) plaid.JWKPublicKey {
	raw, _ := k.Public.Bytes() // 0x04 || X || Y for P-256
	j := plaid.JWKPublicKey{
		Alg: "ES256", Crv: "P-256", Kid: k.KID, Kty: "EC", Use: "sig",
		X:         base64.RawURLEncoding.EncodeToString(raw[1:33]),
		Y:         base64.RawURLEncoding.EncodeToString(raw[33:65]),
		CreatedAt: int32(k.CreatedAt.Unix()),
	}
	if k.ExpiredAt != nil {
		j.ExpiredAt = *plaid.NewNullableInt32(plaid.PtrInt32(int32(k.ExpiredAt.Unix())))
	} else {
		j.ExpiredAt = *plaid.NewNullableInt32(nil)
	}
	return j
}

// PlaidKeySource fetches keys with /webhook_verification_key/get through plaid-go.
func PlaidKeySource(c *plaid.APIClient) KeySource {
	return KeySourceFunc(func(ctx context.Context, kid string) (Key, error) {
		if c == nil {
			return Key{}, errors.New("no Plaid client")
		}
		resp, httpResp, err := c.PlaidApi.WebhookVerificationKeyGet(ctx).
			WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
		if err != nil {
			return Key{}, plaidKeyError(httpResp, err)
		}
		if resp.Key.Kid != "" && resp.Key.Kid != kid {
			return Key{}, fmt.Errorf("asked for key %s, Plaid returned %s", printable(kid), printable(resp.Key.Kid))
		}
		return KeyFromJWK(resp.Key)
	})
}

// plaidKeyError maps a failed key lookup: a 4xx means Plaid does not know the kid (ErrUnknownKey),
// except when it is about our keys or our rate; anything else (5xx, network) is a fetch failure
// worth retrying.
func plaidKeyError(resp *http.Response, err error) error {
	var pe plaid.GenericOpenAPIError
	code, errorCode := "", ""
	if errors.As(err, &pe) {
		var body struct {
			ErrorType string `json:"error_type"`
			ErrorCode string `json:"error_code"`
		}
		if json.Unmarshal(pe.Body(), &body) == nil && body.ErrorCode != "" {
			code = body.ErrorType + "/" + body.ErrorCode
			errorCode = body.ErrorCode
		}
	}
	// Plaid documents bad keys as HTTP 400, error_type INVALID_INPUT, error_code INVALID_API_KEYS
	// (https://plaid.com/docs/errors/invalid-input/): the code is what matters, not the type. That is
	// the developer's keys being wrong, not the webhook's kid: say so instead of "unknown key id".
	if errorCode == "INVALID_API_KEYS" {
		return fmt.Errorf("/webhook_verification_key/get: Plaid refused our keys (%s); check PLAID_CLIENT_ID and PLAID_SECRET (Sandbox keys)", code)
	}
	if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 &&
		resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests &&
		errorCode != "RATE_LIMIT_EXCEEDED" {
		return fmt.Errorf("%w (Plaid said %d %s)", ErrUnknownKey, resp.StatusCode, code)
	}
	if resp != nil {
		return fmt.Errorf("/webhook_verification_key/get: HTTP %d %s", resp.StatusCode, code)
	}
	return fmt.Errorf("/webhook_verification_key/get: %w", err)
}

// Sign makes a Plaid-Verification header for body as Plaid does: an ES256 JWT whose header names kid
// and whose claims are iat and request_body_sha256. The emulator signs its webhooks with it, and
// tests make hostile variants of it.
func Sign(priv *ecdsa.PrivateKey, kid string, body []byte, iat time.Time) (string, error) {
	if priv == nil || priv.Curve != elliptic.P256() {
		return "", errors.New("sign: need a P-256 private key")
	}
	sum := sha256.Sum256(body)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iat":                 iat.Unix(),
		"request_body_sha256": hex.EncodeToString(sum[:]),
	})
	tok.Header["kid"] = kid
	return tok.SignedString(priv)
}
