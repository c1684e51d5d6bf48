package webhook

import (
	"errors"
	"fmt"
)

// ErrNoForwardTarget is Resend's error when the receiver has no --forward-to.
var ErrNoForwardTarget = errors.New("no --forward-to target: start linkrecovery with --forward-to URL to relay webhooks to your app")

// Resend relays the verified webhook seq again to the --forward-to target, body and
// Plaid-Verification header as they came, the way `stripe events resend` replays an event: to test
// that a handler is idempotent. It goes through the verified lane like any relay (so it never
// waits on the target) and its answer arrives as an EventForward for seq. Plaid's JWT says when it
// was signed: a handler that checks the 5-minute iat window refuses a resend made later, as it
// should.
func (r *Receiver) Resend(seq int64) error {
	if r.fwd == nil {
		return ErrNoForwardTarget
	}
	for _, ev := range r.Recent() {
		if ev.Seq != seq {
			continue
		}
		if ev.Kind != EventWebhook || !ev.Verified {
			return fmt.Errorf("event #%d is not a verified webhook: only what Plaid signed is resent", seq)
		}
		if ev.BodyCut() {
			return fmt.Errorf("event #%d cannot be resent as Plaid signed it: its body was %d bytes, and only the first %d KiB are kept", seq, ev.BodySize, BodyKeep>>10)
		}
		r.forward(ev, ev.Body, ev.verification, r.admitRelay())
		return nil
	}
	return fmt.Errorf("event #%d is no longer kept (the receiver keeps the last %d)", seq, len(r.ring))
}
