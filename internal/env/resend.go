package env

import "errors"

// ResendWebhook relays the verified webhook seq again to --forward-to (webhook.Receiver.Resend);
// its answer arrives on the receiver's events as an EventForward for seq.
func (e *Env) ResendWebhook(seq int64) error {
	r := e.CurrentReceiver()
	if r == nil {
		return errors.New("the webhook receiver is not running (the tunnel has not opened): nothing to resend from")
	}
	return r.Resend(seq)
}
