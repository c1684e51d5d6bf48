// Package hookcheck verifies a Plaid webhook's Plaid-Verification JWT the way Plaid tells receivers
// to, for the tests (e2e and the emulator's own) that check the emulator signs its webhooks right.
//
// It is written apart from internal/webhook, the app's production verifier, on purpose, and shares
// no code with it: the emulator signs with internal/webhook, so a mistake shared by the app's
// verifier and the emulator's signer would pass any test that checked one with the other. It
// imports only the standard library, jwt and plaid-go, never the emulator, so the emulator's
// in-package tests can use it.
package hookcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"
)

// The causes Verify names; its errors wrap exactly one of them, with the details.
var (
	ErrNoHeader   = errors.New("no Plaid-Verification header")
	ErrHeader     = errors.New("JWT header unusable")
	ErrAlg        = errors.New("JWT alg is not ES256")
	ErrKey        = errors.New("verification key unusable")
	ErrKeyExpired = errors.New("verification key had expired when the JWT was issued")
	ErrSignature  = errors.New("JWT does not verify")
	ErrType       = errors.New("JWT typ is not JWT")
	ErrIssuedAt   = errors.New("JWT iat missing or out of range")
	ErrBodyHash   = errors.New("request_body_sha256 does not match the body")
)

// Plaid says to reject a webhook whose iat is more than 5 minutes old; a little clock skew the
// other way is tolerated.
const (
	MaxAge  = 5 * time.Minute
	MaxSkew = time.Minute
)

// Verifier checks Plaid-Verification JWTs with keys fetched through a plaid-go client. It is safe
// for concurrent use.
type Verifier struct {
	client *plaid.APIClient
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]key // by kid
}

// key is a fetched verification key; expiredAt is zero while the key is current.
type key struct {
	pub       *ecdsa.PublicKey
	expiredAt time.Time
}

// Option changes how New builds a Verifier.
type Option func(*Verifier)

// WithClock sets the clock iat is checked against (time.Now otherwise).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// New returns a Verifier that fetches keys from /webhook_verification_key/get with client.
func New(client *plaid.APIClient, opts ...Option) *Verifier {
	v := &Verifier{client: client, now: time.Now, keys: map[string]key{}}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify checks token, a Plaid-Verification header value, against body, the raw request body: an
// ES256 JWT whose header has a kid and typ JWT, signed by that kid's key (EC P-256 ES256, for
// signing, not expired when the JWT was issued), with an iat at most MaxAge old and at most
// MaxSkew ahead, and a request_body_sha256 that is the body's SHA-256.
func (v *Verifier) Verify(ctx context.Context, token string, body []byte) error {
	if token == "" {
		return ErrNoHeader
	}
	claims := jwt.MapClaims{}
	var signer key
	var keyErr error // the keyfunc's own cause, which jwt would bury in its wrapping
	tok, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			keyErr = fmt.Errorf("%w: no kid", ErrHeader)
			return nil, keyErr
		}
		signer, keyErr = v.key(ctx, kid)
		return signer.pub, keyErr
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(v.now))
	switch {
	case err != nil && tok != nil && tok.Header != nil && tok.Header["alg"] != "ES256":
		return fmt.Errorf("%w: alg %v", ErrAlg, tok.Header["alg"])
	case err != nil && keyErr != nil:
		return keyErr
	case err != nil:
		return fmt.Errorf("%w: %w", ErrSignature, err)
	case !tok.Valid:
		return fmt.Errorf("%w: not valid", ErrSignature)
	}
	if typ, _ := tok.Header["typ"].(string); typ != "JWT" {
		return fmt.Errorf("%w: typ %q", ErrType, typ)
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return fmt.Errorf("%w: no usable iat (%v)", ErrIssuedAt, err)
	}
	if age := v.now().Sub(iat.Time); age > MaxAge || age < -MaxSkew {
		return fmt.Errorf("%w: iat is %s old; Plaid says to reject anything older than %s", ErrIssuedAt, age, MaxAge)
	}
	// A key that had expired before it signed cannot have made this JWT; one that expired since
	// (a rotation after the delivery) still vouches for what it signed before.
	if !signer.expiredAt.IsZero() && signer.expiredAt.Before(iat.Time) {
		return fmt.Errorf("%w: expired_at %s, iat %s", ErrKeyExpired, signer.expiredAt.UTC().Format(time.RFC3339), iat.UTC().Format(time.RFC3339))
	}
	want, _ := claims["request_body_sha256"].(string)
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(hex.EncodeToString(sum[:]))) != 1 {
		return ErrBodyHash
	}
	return nil
}

// key returns the verification key kid, fetched once with plaid-go and then cached.
func (v *Verifier) key(ctx context.Context, kid string) (key, error) {
	v.mu.Lock()
	k, ok := v.keys[kid]
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	resp, _, err := v.client.PlaidApi.WebhookVerificationKeyGet(ctx).
		WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
	if err != nil {
		var g *plaid.GenericOpenAPIError
		if errors.As(err, &g) {
			err = fmt.Errorf("%w: %s", err, g.Body())
		}
		return key{}, fmt.Errorf("%w: /webhook_verification_key/get %s: %w", ErrKey, kid, err)
	}
	k, err = parseJWK(kid, resp.Key)
	if err != nil {
		return key{}, err
	}
	v.mu.Lock()
	v.keys[kid] = k
	v.mu.Unlock()
	return k, nil
}

// parseJWK checks that j is the P-256 signing key kid and decodes it.
func parseJWK(kid string, j plaid.JWKPublicKey) (key, error) {
	if j.Kty != "EC" || j.Crv != "P-256" || j.Alg != "ES256" || j.Kid != kid {
		return key{}, fmt.Errorf("%w: %s is kty=%s crv=%s alg=%s kid=%s; want EC P-256 ES256 %s", ErrKey, kid, j.Kty, j.Crv, j.Alg, j.Kid, kid)
	}
	// Plaid's JWKPublicKey requires use, and a webhook key is for signatures.
	if j.Use != "sig" {
		return key{}, fmt.Errorf("%w: %s has use %q, want sig", ErrKey, kid, j.Use)
	}
	x, errX := base64.RawURLEncoding.DecodeString(j.X)
	y, errY := base64.RawURLEncoding.DecodeString(j.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return key{}, fmt.Errorf("%w: %s x/y are not 32-byte base64url values (%v, %v)", ErrKey, kid, errX, errY)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), slices.Concat([]byte{4}, x, y))
	if err != nil {
		return key{}, fmt.Errorf("%w: %s is not a P-256 point: %w", ErrKey, kid, err)
	}
	k := key{pub: pub}
	if exp := j.ExpiredAt.Get(); j.ExpiredAt.IsSet() && exp != nil {
		k.expiredAt = time.Unix(int64(*exp), 0)
	}
	return k, nil
}
