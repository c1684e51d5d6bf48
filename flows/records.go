package flows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Record is one line of --no-tui output and of a transcript: an object with an "event" field.
type Record map[string]any

// RecordOf is the record of an event: the one formatter of --no-tui and --transcript, the same
// for every driver. Facts that are not in the README's event table (Plaid calls, the completion
// page, the person leaving Link, which the webhook record already shows) have none: nil.
//
// Every record has "event" and "time" (RFC 3339, UTC, nanoseconds). The events and their fields:
//
//	ready                  scenario, half, mode, plaid_url, webhook_url, tunnel, [ngrok_token_source], [note] (ngrok free plan)
//	warning                step ("clock"), message, skew_seconds (after link_token_created, when the clock is off)
//	link_token_created     scenario, half, link_token, hosted_link_url, expiration, webhook, completion_redirect_uri, request_id
//	waiting                scenario, half, hosted_link_url, message, [credentials[{card, label, value}]] (without
//	                       --auto: a person must open the URL and type those; sign-up: how long it still waits
//	                       for Plaid's late EVENTS)
//	webhook                seq, webhook_type, webhook_code, verified, duplicate, [reason], [status],
//	                       [link_session_id], [link_token], [public_token_count], [other_link_token]
//	progress               institution_down, opted_in (sign-up, when the checklist changes)
//	recovery_email         to, url, subject, institution_id, institution_name (demo, sign-up)
//	public_token_exchanged scenario, half, item_id, institution_id, [institution_name], accounts[{account_id, name, mask, type, subtype,
//	                       balance_current}], via ("webhook" or "polling")
//	forwarded              seq, url, status_code, latency_ms, [error], [not_relayed] (--forward-to)
//	error                  step, message, hint, and for Plaid errors code, error_type, request_id,
//	                       http_status, endpoint
//	done                   scenario, half, passed, reason (why it passed or failed), [hint], [via]
//
// half is there for Link Recovery's two halves only (1 or 2). Records never carry secrets: no
// access token, no public token (only a count), no keys.
func RecordOf(ev Event) Record {
	var r Record
	switch f := ev.Fact.(type) {
	case Ready:
		r = ev.about(Record{"event": "ready", "mode": string(f.Mode), "plaid_url": f.PlaidURL, "webhook_url": f.WebhookURL, "tunnel": f.Tunnel})
		if f.Tunnel == "ngrok" {
			r["ngrok_token_source"] = f.TokenSource
			if f.FreePlan {
				r["note"] = FreePlanNote
			}
		}
	case LinkTokenCreated:
		lt := f.Token
		r = ev.about(Record{"event": "link_token_created", "link_token": lt.Token, "hosted_link_url": lt.HostedLinkURL,
			"expiration": lt.Expiration.UTC().Format(time.RFC3339), "webhook": lt.Webhook,
			"completion_redirect_uri": lt.RedirectURI, "request_id": lt.RequestID})
	case ClockOff:
		r = Record{"event": "warning", "step": "clock", "message": ClockWarning(f.Skew), "skew_seconds": int(f.Skew.Seconds())}
	case WaitingForPerson:
		r = ev.about(Record{"event": "waiting", "hosted_link_url": f.URL, "message": "open hosted_link_url in a browser and finish the session with these credentials"})
		if len(f.Cards) > 0 {
			r["credentials"] = credentialRecords(f.Cards)
		}
	case WaitingForEvents:
		msg := fmt.Sprintf("still no EVENTS with %s; waiting %s more", MissingSteps(f.Missing), f.Left.Round(time.Second))
		if f.First {
			msg = fmt.Sprintf("every session ended without %s so far; Plaid may send its EVENTS up to 15 minutes after a session is abandoned, so waiting up to %s",
				MissingSteps(f.Missing), f.Total)
		}
		r = ev.about(Record{"event": "waiting", "hosted_link_url": f.URL, "message": msg})
	case WebhookSeen:
		r = webhookRecord(f)
	case RequestRefused:
		r = Record{"event": "error", "step": "receiver",
			"message": fmt.Sprintf("the webhook receiver refused a request (HTTP %d): %s", f.Status, orDash(f.Reason)),
			"hint":    "only Plaid should POST JSON to the webhook URL; if this was Plaid, see the reason"}
	case Relayed:
		r = forwardRecord(f.Result)
	case SignupProgressed:
		r = Record{"event": "progress", "institution_down": f.Progress.InstitutionDown, "opted_in": f.Progress.OptedIn}
	case RecoveryEmailSent:
		m := f.Email
		r = Record{"event": "recovery_email", "to": m.To, "url": m.URL, "subject": m.Subject,
			"institution_id": m.InstitutionID, "institution_name": m.InstitutionName}
	case FellBack:
		r = Record{"event": "error", "step": "webhook", "message": fallbackText(f),
			"hint": "check the webhook path: is the tunnel up, does the webhook URL reach this app, do the webhooks verify? (see the webhook records)"}
	case ReceiverGone:
		r = Record{"event": "error", "step": "receiver",
			"message": "the webhook receiver stopped; following the session by polling /link/token/get",
			"hint":    "restart the app to receive webhooks again"}
	case ItemExchanged:
		r = ev.about(Record{"event": "public_token_exchanged", "item_id": f.Item.ItemID,
			"institution_id": f.Item.InstitutionID, "accounts": accountRecords(f.Item.Accounts), "via": f.Via})
		if f.Item.InstitutionName != "" {
			r["institution_name"] = f.Item.InstitutionName
		}
	case Failed:
		r = ErrorRecord(f.Step, f.Err)
	case GaveUp:
		err := &GaveUpError{For: f.For, Last: f.Last, Answered: f.Answered, PlaidURL: f.PlaidURL}
		r = Record{"event": "error", "step": "transport", "message": err.Error(), "hint": err.Hint()}
	case Done:
		r = ev.about(Record{"event": "done", "passed": f.Passed})
		if f.Reason != "" {
			r["reason"] = f.Reason
		}
		if f.Cause != nil {
			r["reason"] = f.Cause.Error()
			var h Hinter
			if errors.As(f.Cause, &h) && h.Hint() != "" {
				r["hint"] = h.Hint()
			}
		}
		if f.Via != "" {
			r["via"] = f.Via
		}
	default:
		return nil
	}
	r["time"] = ev.At.UTC().Format(time.RFC3339Nano)
	return r
}

// about adds which scenario a record is about.
func (ev Event) about(r Record) Record {
	r["scenario"] = ev.Scenario
	if ev.Half != 0 {
		r["half"] = ev.Half
	}
	return r
}

// FreePlanNote is what a person is told when the tunnel is ngrok's free plan (tunnel.FreePlanNote
// says the same; tui.TestFreePlanNoteOnScreen keeps them equal).
const FreePlanNote = "ngrok free plan: the phone first sees ngrok's \"You are about to visit\" page; tap Visit Site to reach /complete"

func webhookRecord(f WebhookSeen) Record {
	r := Record{"event": "webhook", "seq": f.Seq, "verified": f.Verified, "duplicate": f.Duplicate,
		"webhook_type": f.Type, "webhook_code": f.Code}
	if f.Status != "" {
		r["status"] = f.Status
	}
	if f.LinkSessionID != "" {
		r["link_session_id"] = f.LinkSessionID
	}
	if f.LinkToken != "" {
		// Link tokens are not secret (link_token_created shows it whole): with it a script can check
		// that the recovery's SESSION_FINISHED reached the original token.
		r["link_token"] = f.LinkToken
	}
	if f.PublicTokenCount > 0 {
		r["public_token_count"] = f.PublicTokenCount // the tokens themselves are exchangeable: never printed
	}
	if f.Other {
		r["other_link_token"] = true
	}
	if !f.Verified {
		r["reason"] = f.Reason
		if f.Reason == "" {
			r["reason"] = "not verified"
		}
	}
	return r
}

// credentialRecords are the cards as the waiting record carries them, one entry per value in tab
// order: the Sandbox's test credentials, public in Plaid's docs, never a secret.
func credentialRecords(cards []CredentialCard) []Record {
	var out []Record
	for _, c := range cards {
		for _, it := range c.Items {
			out = append(out, Record{"card": c.Title, "label": it.Label, "value": it.Value})
		}
	}
	return out
}

func accountRecords(accts []Account) []Record {
	out := make([]Record, 0, len(accts))
	for _, a := range accts {
		acc := Record{"account_id": a.ID, "name": a.Name, "mask": a.Mask, "type": a.Type, "subtype": a.Subtype}
		if a.Balance != nil {
			acc["balance_current"] = *a.Balance
		}
		out = append(out, acc)
	}
	return out
}

func fallbackText(f FellBack) string {
	switch f.Why {
	case FallbackReceiverStopped:
		return "the webhook receiver stopped before SESSION_FINISHED; falling back to polling /link/token/get"
	case FallbackNoWebhook:
		return "the token has no webhook (the tunnel did not open); following the session by polling /link/token/get"
	}
	return fmt.Sprintf("/link/token/get shows the session finished, but no verified SESSION_FINISHED webhook came within %s; falling back to polling /link/token/get", f.After)
}

// ForwardRecord is the "forwarded" record of a --forward-to result (nil for other events), for the
// relays a driver drains after its run: seq of the webhook, url (password masked), status_code and
// latency_ms of the app's answer, error if it did not answer, not_relayed when the webhook was not
// sent on purpose (not verified, queue full, exiting; error says which). It has no time: the
// caller stamps it.
func ForwardRecord(ev webhook.Event) Record {
	if ev.Kind != webhook.EventForward || ev.Forward == nil {
		return nil
	}
	return forwardRecord(*ev.Forward)
}

func forwardRecord(f webhook.ForwardResult) Record {
	rec := Record{"event": "forwarded", "seq": f.Seq, "url": f.URL, "status_code": f.StatusCode,
		"latency_ms": f.Latency.Milliseconds()}
	if f.Err != "" {
		rec["error"] = f.Err
	}
	if f.Skipped {
		rec["not_relayed"] = true
	}
	return rec
}

// ClockWarning says what a skew (Plaid's clock minus ours) means and what to do, or "" when it is
// within MaxClockSkew.
func ClockWarning(skew time.Duration) string {
	switch {
	case skew > MaxClockSkew:
		return fmt.Sprintf("your clock is %s behind Plaid's: its webhooks will look issued in the future and be refused; sync the clock (NTP; on WSL run `wsl --shutdown`)", skew)
	case skew < -MaxClockSkew:
		return fmt.Sprintf("your clock is %s ahead of Plaid's: its webhooks will look older than they are (the verifier refuses any over 5 min old); sync the clock (NTP; on WSL run `wsl --shutdown`)", -skew)
	}
	return ""
}

// ErrorRecord describes err as the fields of an "error" record: step, message, hint and, for a
// Plaid error, code, type, request_id and http_status.
func ErrorRecord(step string, err error) Record {
	r := Record{"event": "error", "step": step, "message": err.Error()}
	var pe *PlaidError
	if errors.As(err, &pe) {
		r["code"] = pe.Code
		r["error_type"] = pe.Type
		r["message"] = pe.Message
		r["endpoint"] = pe.Endpoint
		if pe.RequestID != "" {
			r["request_id"] = pe.RequestID
		}
		if pe.HTTPStatus != 0 {
			r["http_status"] = pe.HTTPStatus
		}
	}
	r["hint"] = Hint(step, err)
	// Errors that carry their next step also end their message with it: say it once, as the hint.
	if msg, _ := r["message"].(string); msg != "" {
		r["message"] = strings.TrimSuffix(msg, "; "+r["hint"].(string))
	}
	return r
}

// Hint is the next step after err at step: the error's own, else the step's.
func Hint(step string, err error) string {
	var h Hinter
	switch {
	case errors.As(err, &h) && h.Hint() != "":
		return h.Hint()
	case stepHints[step] != "":
		return stepHints[step]
	}
	return "see the message; then run again"
}

// stepHints are the next steps for errors that carry none of their own, by step.
var stepHints = map[string]string{
	"start":   "fix the options named in the message and run again",
	"auto":    "the emulator could not finish the session by itself: run again, or open hosted_link_url in a browser",
	"restore": "run half 1 again and opt in to the recovery e-mail before restoring the institution",
	"session": "create a new link token and follow the scenario's steps in Link",
	"wait":    "open the hosted_link_url and finish the session (or use --auto in demo mode)",
}
