package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

func newSigningKey(now time.Time) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: generating the webhook signing key: %w", err)
	}
	return &signingKey{KID: newUUID(), Private: priv, CreatedAt: now}, nil
}

// public is the key as the receiver side sees it; webhook.JWKFromKey renders it the way
// /webhook_verification_key/get returns it, the same function the receiver's tests serve keys with.
func (k *signingKey) public() webhook.Key {
	pk := webhook.Key{KID: k.KID, Public: &k.Private.PublicKey, CreatedAt: k.CreatedAt}
	if !k.ExpiredAt.IsZero() {
		exp := k.ExpiredAt
		pk.ExpiredAt = &exp
	}
	return pk
}

// RotateWebhookKey replaces the webhook signing key: the old key gets expired_at = now (it stays
// retrievable through /webhook_verification_key/get, as Plaid keeps old keys) and a new key signs
// every webhook from now on. It returns the old key's kid.
func (e *Emulator) RotateWebhookKey() (oldKID string) {
	key, err := newSigningKey(e.now())
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.keys[len(e.keys)-1]
	if err != nil {
		// Without a new key the old one keeps signing; say so rather than fail silently.
		e.logf("emulator: could not rotate the webhook key (%v); the old key keeps signing", err)
		return old.KID
	}
	old.ExpiredAt = e.now()
	e.keys = append(e.keys, key)
	e.logf("emulator: webhook key rotated: %s expired, %s now signs", old.KID, key.KID)
	return old.KID
}

// WebhookKeyID returns the kid of the key that currently signs webhooks.
func (e *Emulator) WebhookKeyID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keys[len(e.keys)-1].KID
}

// sign makes the Plaid-Verification header value for body: an ES256 JWT whose claims bind the
// exact body bytes (request_body_sha256) and the sending time (iat).
func (e *Emulator) sign(body []byte) (string, error) {
	e.mu.Lock()
	key := e.keys[len(e.keys)-1]
	e.mu.Unlock()
	// One signer for both sides: the receiver verifies exactly what webhook.Sign makes.
	return webhook.Sign(key.Private, key.KID, body, e.now())
}

// Delivery is the record of one webhook the emulator sent (or tried to, or was told to drop).
type Delivery struct {
	ID            string
	URL           string
	WebhookType   string
	WebhookCode   string
	LinkSessionID string // "" for Item webhooks
	Body          []byte
	// State is "pending", "delivered", "failed" (every attempt failed), "dropped" (webhook fault)
	// or "cancelled" (the emulator closed first).
	State      string
	Attempts   int
	StatusCode int    // of the last attempt, 0 if none got a response
	Err        string // of the last failed attempt
	Duplicated bool   // sent a second time by a webhook fault
	QueuedAt   time.Time
	DoneAt     time.Time
}

type delivery struct {
	Delivery
	queueKey string
}

// deliveryQueue sends the webhooks of one session (or one Item) in order, one at a time, so a
// receiver never sees SESSION_FINISHED before the EVENTS that led to it.
type deliveryQueue struct {
	pending []*delivery
	running bool
}

// maxDeliveries is how many delivery records Deliveries keeps.
const maxDeliveries = 1000

// Deliveries returns the webhook deliveries so far (the latest 1000), oldest first.
func (e *Emulator) Deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, len(e.deliveries))
	for i, d := range e.deliveries {
		out[i] = d.Delivery
		out[i].Body = append([]byte(nil), d.Body...)
	}
	return out
}

// SetWebhookFault sets the webhook fault (replacing any earlier one).
func (e *Emulator) SetWebhookFault(f WebhookFault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f.Drop < 0 {
		f.Drop = 0
	}
	if f.Duplicate < 0 {
		f.Duplicate = 0
	}
	if f.Delay < 0 {
		f.Delay = 0
	}
	e.whFault = f
}

// enqueueWebhookLocked queues payload for url on the queue named key. The caller holds e.mu; the
// sending itself happens on a goroutine without the lock.
func (e *Emulator) enqueueWebhookLocked(key, url, linkSessionID string, payload map[string]any) {
	if url == "" {
		return // no webhook configured: Plaid sends nothing either
	}
	body, err := webhookBody(payload)
	if err != nil {
		e.logf("emulator: cannot encode webhook %v/%v: %v", payload["webhook_type"], payload["webhook_code"], err)
		return
	}
	d := &delivery{queueKey: key, Delivery: Delivery{
		ID:            randomID(12),
		URL:           url,
		WebhookType:   fmt.Sprint(payload["webhook_type"]),
		WebhookCode:   fmt.Sprint(payload["webhook_code"]),
		LinkSessionID: linkSessionID,
		Body:          body,
		State:         "pending",
		QueuedAt:      e.now(),
	}}
	e.deliveries = append(e.deliveries, d)
	if len(e.deliveries) > maxDeliveries {
		// A long-running `linkrecovery emulator` must not grow without bound; queues keep their own
		// references, so trimming the history never loses a pending delivery.
		e.deliveries = slices.Clone(e.deliveries[len(e.deliveries)-maxDeliveries:])
	}
	if e.closed {
		d.State, d.Err, d.DoneAt = "cancelled", "emulator closed", e.now()
		return
	}
	q := e.queues[key]
	if q == nil {
		q = &deliveryQueue{}
		e.queues[key] = q
	}
	q.pending = append(q.pending, d)
	if !q.running {
		q.running = true
		e.wg.Add(1)
		go e.runQueue(key, q)
	}
}

// runQueue drains one delivery queue, then exits; the next enqueue starts a new goroutine.
func (e *Emulator) runQueue(key string, q *deliveryQueue) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			delete(e.queues, key)
			e.mu.Unlock()
			return
		}
		d := q.pending[0]
		q.pending = q.pending[1:]
		// Webhook faults apply per delivery, in the order deliveries are made.
		drop, dup := false, false
		if e.whFault.Drop > 0 {
			e.whFault.Drop--
			drop = true
		} else if e.whFault.Duplicate > 0 {
			e.whFault.Duplicate--
			dup = true
		}
		delay := e.whFault.Delay
		e.mu.Unlock()

		if drop {
			e.finish(d, "dropped", 0, "dropped by a webhook fault")
			e.logf("webhook %s %s to %s dropped (webhook fault)", d.WebhookType, d.WebhookCode, d.URL)
			continue
		}
		if delay > 0 && !e.sleep(e.ctx, delay) {
			e.finish(d, "cancelled", 0, "emulator closed")
			continue
		}
		e.deliver(d)
		if dup {
			e.mu.Lock()
			d.Duplicated = true
			e.mu.Unlock()
			e.deliver(d)
		}
	}
}

// deliver POSTs one webhook, retrying with exponential backoff on a network error or a non-2xx
// answer, at most e.attempts times.
func (e *Emulator) deliver(d *delivery) {
	wait := e.backoff
	for attempt := 1; ; attempt++ {
		status, err := e.post(d.URL, d.Body)
		e.mu.Lock()
		d.Attempts++
		d.StatusCode = status
		if err != nil {
			d.Err = err.Error()
		}
		e.mu.Unlock()
		if err == nil {
			e.finish(d, "delivered", status, "")
			e.logf("webhook %s %s delivered to %s (HTTP %d, attempt %d)", d.WebhookType, d.WebhookCode, d.URL, status, attempt)
			return
		}
		if e.ctx.Err() != nil {
			e.finish(d, "cancelled", status, "emulator closed")
			return
		}
		if attempt >= e.attempts {
			e.finish(d, "failed", status, err.Error())
			e.logf("webhook %s %s to %s failed after %d attempts: %v", d.WebhookType, d.WebhookCode, d.URL, attempt, err)
			return
		}
		e.logf("webhook %s %s to %s: attempt %d failed (%v); retrying in %s", d.WebhookType, d.WebhookCode, d.URL, attempt, err, wait)
		if !e.sleep(e.ctx, wait) {
			e.finish(d, "cancelled", status, "emulator closed")
			return
		}
		wait *= 2
	}
}

func (e *Emulator) finish(d *delivery, state string, status int, errText string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d.State, d.DoneAt = state, e.now()
	if status != 0 {
		d.StatusCode = status
	}
	if errText != "" || state == "delivered" {
		d.Err = errText
	}
}

// post sends one attempt. A non-2xx status is an error so the caller retries.
func (e *Emulator) post(url string, body []byte) (int, error) {
	sig, err := e.sign(body)
	if err != nil {
		return 0, fmt.Errorf("signing: %w", err)
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Plaid-Verification", sig)
	req.Header.Set("User-Agent", "Plaid Verifier (linkrecovery emulator)")
	resp, err := e.httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// webhookBody encodes a webhook payload as Plaid sends it: indented with two spaces. Plaid's
// verification docs say request_body_sha256 "is sensitive to the whitespace in the webhook body and
// uses a tab-spacing of 2", so a receiver that hashes a re-serialised (e.g. compact) body instead of
// the raw bytes fails against Plaid; sending the same layout makes it fail here too.
func webhookBody(payload map[string]any) ([]byte, error) {
	return json.MarshalIndent(payload, "", "  ")
}

// sleepCtx waits d or until ctx is done; it reports whether the full wait happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
