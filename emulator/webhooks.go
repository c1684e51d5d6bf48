package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
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
// every webhook from now on. It returns the old key's kid. Key times are on the real clock, not the
// emulator's: receivers compare expired_at with their own clock, as they do iat.
func (e *Emulator) RotateWebhookKey() (oldKID string) {
	key, err := newSigningKey(e.realNow())
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.keys[len(e.keys)-1]
	if err != nil {
		// Without a new key the old one keeps signing; say so rather than fail silently.
		e.logf("emulator: could not rotate the webhook key (%v); the old key keeps signing", err)
		return old.KID
	}
	old.ExpiredAt = e.realNow()
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
// exact body bytes (request_body_sha256) and the sending time (iat, on the real clock, since the
// receiver checks it against its own).
func (e *Emulator) sign(body []byte) (string, error) {
	e.mu.Lock()
	key := e.keys[len(e.keys)-1]
	e.mu.Unlock()
	// One signer for both sides: the receiver verifies exactly what webhook.Sign makes.
	return webhook.Sign(key.Private, key.KID, body, e.realNow())
}

// Delivery is the record of one webhook the emulator sent (or tried to, or was told to drop).
type Delivery struct {
	ID            string
	URL           string
	WebhookType   string
	WebhookCode   string
	LinkSessionID string // "" for Item webhooks
	Body          []byte
	// State is "pending" (not sent yet, or waiting for its next attempt), "delivered", "failed"
	// (every attempt failed and the retry window or WebhookAttempts ran out), "dropped" (webhook
	// fault) or "cancelled" (the emulator closed first).
	State      string
	Attempts   int
	StatusCode int    // of the last attempt, 0 if none got a response
	Err        string // of the last failed attempt
	Duplicated bool   // sent a second time by a webhook fault
	QueuedAt   time.Time
	DoneAt     time.Time
	// AttemptLog is every attempt, oldest first, on the emulator's clock.
	AttemptLog []DeliveryAttempt
	// NextAttemptAt is when the next retry falls due (emulator clock), zero when none is planned.
	NextAttemptAt time.Time
}

// DeliveryAttempt is one try at delivering a webhook.
type DeliveryAttempt struct {
	At         time.Time // when it was sent, on the emulator's clock
	StatusCode int       // 0 if no answer came (refused, timed out)
	Err        string    // "" when the receiver answered 200
}

type delivery struct {
	Delivery
	queueKey  string
	nextDelay time.Duration // the wait before the next retry
	retry     *task
}

// deliveryQueue sends the first attempts of one session's (or one Item's) webhooks in order, one at
// a time, so a receiver that answers never sees SESSION_FINISHED before the EVENTS that led to it.
// Retries run on the emulator's clock apart from the queue: a failing EVENTS does not hold back
// SESSION_FINISHED for a day, and its retry then arrives out of order, as Plaid warns it can.
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
		out[i].AttemptLog = slices.Clone(d.AttemptLog)
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
	d := &delivery{queueKey: key, nextDelay: e.backoff, Delivery: Delivery{
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
		// A long-running `linkrecovery emulator` must not grow without bound; queues and retry tasks
		// keep their own references, so trimming the history never loses a pending delivery.
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

// runQueue sends the first attempts of one delivery queue, then exits; the next enqueue starts a
// new goroutine.
func (e *Emulator) runQueue(key string, q *deliveryQueue) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			delete(e.queues, key)
			e.queuesIdle.Broadcast()
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
		if dup {
			ok := e.attempt(d)
			e.mu.Lock()
			d.Duplicated = true
			e.mu.Unlock()
			if !ok {
				e.afterFailure(d) // the copy is a retry of its own
				continue
			}
		}
		if e.attempt(d) {
			e.finish(d, "delivered", 0, "")
			continue
		}
		e.afterFailure(d)
	}
}

// waitQueuesLocked waits until every queue has sent its first attempts. The caller holds e.mu.
func (e *Emulator) waitQueuesLocked() {
	for len(e.queues) > 0 {
		e.queuesIdle.Wait()
	}
}

// attempt POSTs one try and records it; it reports whether the receiver answered 200.
func (e *Emulator) attempt(d *delivery) bool {
	at := e.now()
	ctx, cancel := context.WithTimeout(e.ctx, e.whTimeout)
	status, err := e.post(ctx, d.URL, d.Body)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	d.Attempts++
	d.StatusCode = status
	rec := DeliveryAttempt{At: at, StatusCode: status}
	if err != nil {
		if timedOut {
			err = fmt.Errorf("no answer within %s (Plaid's limit), so it counts as failed", e.whTimeout)
		}
		d.Err, rec.Err = err.Error(), err.Error()
	}
	d.AttemptLog = append(d.AttemptLog, rec)
	if err == nil {
		e.logf("webhook %s %s delivered to %s (HTTP %d, attempt %d)", d.WebhookType, d.WebhookCode, d.URL, status, d.Attempts)
	}
	return err == nil
}

// afterFailure plans the next retry of a failed delivery on the emulator's clock, or fails it when
// the next one would fall outside the retry window (or past WebhookAttempts).
func (e *Emulator) afterFailure(d *delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if e.closed || e.ctx.Err() != nil {
		d.State, d.Err, d.DoneAt, d.NextAttemptAt = "cancelled", "emulator closed", now, time.Time{}
		return
	}
	first := d.AttemptLog[0].At
	due := now.Add(d.nextDelay)
	if (e.attempts > 0 && d.Attempts >= e.attempts) || due.After(first.Add(e.retryFor)) {
		d.State, d.DoneAt, d.NextAttemptAt = "failed", now, time.Time{}
		e.logf("webhook %s %s to %s failed after %d attempt(s), the last: %s; no more retries", d.WebhookType, d.WebhookCode, d.URL, d.Attempts, d.Err)
		return
	}
	e.logf("webhook %s %s to %s: attempt %d failed (%s); retrying in %s (emulator time)", d.WebhookType, d.WebhookCode, d.URL, d.Attempts, d.Err, d.nextDelay)
	d.NextAttemptAt = due
	d.nextDelay *= WebhookBackoffFactor
	d.retry = e.scheduleLocked(due, func() { e.retryDelivery(d) })
}

// retryDelivery is a retry falling due.
func (e *Emulator) retryDelivery(d *delivery) {
	e.mu.Lock()
	if e.closed || d.State != "pending" {
		e.mu.Unlock()
		return
	}
	d.NextAttemptAt, d.retry = time.Time{}, nil
	e.mu.Unlock()
	if e.attempt(d) {
		e.finish(d, "delivered", 0, "")
		return
	}
	e.afterFailure(d)
}

func (e *Emulator) finish(d *delivery, state string, status int, errText string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d.State, d.DoneAt, d.NextAttemptAt = state, e.now(), time.Time{}
	if status != 0 {
		d.StatusCode = status
	}
	if errText != "" || state == "delivered" {
		d.Err = errText
	}
}

// post sends one attempt. Anything but a 200 is an error so the caller retries: Plaid's docs speak
// of "a non-200 response", so a 204 is retried here as there.
func (e *Emulator) post(ctx context.Context, url string, body []byte) (int, error) {
	sig, err := e.sign(body)
	if err != nil {
		return 0, fmt.Errorf("signing: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
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
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("receiver answered HTTP %d (only 200 counts as delivered)", resp.StatusCode)
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
