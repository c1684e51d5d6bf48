package emulator

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// SignWebhook lets a test send deliveries itself (the audit's genuine, stale and expired-key cases,
// issue 17) and still have them signed exactly as the emulator signs its own.

// KeyChoice picks the key SignWebhook signs with.
type KeyChoice string

const (
	// KeyCurrent is the key that signs the emulator's own webhooks (WebhookKeyID).
	KeyCurrent KeyChoice = "current"
	// KeyExpired is a rotated key whose expired_at has passed. If there is none yet, one is made:
	// /webhook_verification_key/get returns it with that expired_at, as Plaid keeps old keys. The
	// current key keeps signing the emulator's own webhooks either way.
	KeyExpired KeyChoice = "expired"
)

// SignOptions adjust SignWebhook. The zero value signs now with the current key.
type SignOptions struct {
	// IssuedAt is the JWT's iat; zero means now, as the emulator's own webhooks are signed. Set it
	// 6 minutes back for a delivery that Plaid's 5-minute rule makes a receiver refuse.
	IssuedAt time.Time
	// Key is KeyCurrent (also "") or KeyExpired.
	Key KeyChoice
	// Forger, if set, signs instead of the emulator's key, while the header still names the key
	// chosen by Key (or KID): the audit's wrong_key case, a forgery a receiver must refuse.
	Forger *ecdsa.PrivateKey
	// KID, if set, is the header's kid instead of the signing key's: the audit's unknown_key case.
	KID string
}

// SignWebhook returns a Plaid-Verification header value for body, signed byte for byte as the
// emulator signs its webhooks: an ES256 JWT whose header names the key (kid) and whose claims are
// iat and the SHA-256 of body. It sends nothing. HTTP: POST /emulator/webhook/sign.
func (e *Emulator) SignWebhook(body []byte, opts SignOptions) (jwt string, err error) {
	jwt, _, err = e.signWebhook(body, opts)
	return jwt, err
}

// signWebhook is SignWebhook that also says which key signed.
func (e *Emulator) signWebhook(body []byte, opts SignOptions) (jwt, kid string, err error) {
	var key *signingKey
	switch opts.Key {
	case KeyCurrent, "":
		e.mu.Lock()
		key = e.keys[len(e.keys)-1]
		e.mu.Unlock()
	case KeyExpired:
		if key, err = e.expiredKey(); err != nil {
			return "", "", err
		}
	default:
		return "", "", fmt.Errorf("emulator: key %q is neither %q nor %q", opts.Key, KeyCurrent, KeyExpired)
	}
	iat := opts.IssuedAt
	if iat.IsZero() {
		iat = e.realNow() // receivers check iat against their own clock, not the emulator's
	}
	priv, kid := key.Private, key.KID
	if opts.Forger != nil {
		priv = opts.Forger
	}
	if opts.KID != "" {
		kid = opts.KID
	}
	jwt, err = webhook.Sign(priv, kid, body, iat)
	return jwt, kid, err
}

// expiredKey returns a rotated key whose expired_at has passed, making one if there is none. A made
// key has signed nothing else and never becomes the current one, so a receiver's key cache stays
// right for the genuine webhooks.
func (e *Emulator) expiredKey() (*signingKey, error) {
	now := e.realNow()
	e.mu.Lock()
	for _, k := range e.keys[:len(e.keys)-1] {
		if !k.ExpiredAt.IsZero() && !k.ExpiredAt.After(now) {
			e.mu.Unlock()
			return k, nil
		}
	}
	e.mu.Unlock()
	// Whole seconds, since /webhook_verification_key/get gives created_at and expired_at as Unix
	// seconds; a minute in the past, so that no receiver's clock reads it as still valid.
	k, err := newSigningKey(now.Add(-2 * time.Minute).Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	k.ExpiredAt = now.Add(-time.Minute).Truncate(time.Second)
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.keys[len(e.keys)-1]
	e.keys = append(e.keys[:len(e.keys)-1:len(e.keys)-1], k, cur) // the last key is the one that signs
	e.logf("emulator: made rotated webhook key %s (expired_at %s) for SignWebhook", k.KID, timestamp(k.ExpiredAt))
	return k, nil
}

// controlSign is POST /emulator/webhook/sign {"body": "...", "issued_at": N, "key": "current"|"expired"}:
// body is the webhook body as a JSON string, signed byte for byte as decoded; issued_at is Unix
// seconds (default now).
func (e *Emulator) controlSign(w http.ResponseWriter, raw []byte) {
	var req struct {
		Body     *string         `json:"body"`
		IssuedAt json.RawMessage `json:"issued_at"`
		Key      KeyChoice       `json:"key"`
	}
	if pe := decodeControl(raw, &req); pe != nil {
		pe.ErrorMessage = `send {"body": "<the webhook body, as a string>", "issued_at": <Unix seconds, optional>, "key": "current" or "expired"}: ` + pe.ErrorMessage
		writeError(w, pe, "")
		return
	}
	if req.Body == nil {
		writeError(w, errMissingField("body"), "")
		return
	}
	var opts SignOptions
	opts.Key = req.Key
	if s := string(req.IssuedAt); s != "" && s != "null" {
		var secs int64
		if err := json.Unmarshal(req.IssuedAt, &secs); err != nil || secs <= 0 {
			writeError(w, errInvalidField("issued_at must be a positive whole number of Unix seconds, got "+s), "")
			return
		}
		opts.IssuedAt = time.Unix(secs, 0)
	}
	if opts.Key != "" && opts.Key != KeyCurrent && opts.Key != KeyExpired {
		writeError(w, errInvalidField(fmt.Sprintf("key must be %q or %q, got %q", KeyCurrent, KeyExpired, opts.Key)), "")
		return
	}
	jwt, kid, err := e.signWebhook([]byte(*req.Body), opts)
	if err != nil {
		writeError(w, &plaidError{Status: http.StatusInternalServerError, ErrorType: "API_ERROR", ErrorCode: "INTERNAL_SERVER_ERROR",
			ErrorMessage: "the emulator could not sign: " + err.Error()}, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jwt": jwt, "key_id": kid})
}
