package tui

import (
	"fmt"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// The transcript (--transcript) gets the same records as the headless run: link_token_created,
// webhook, public_token_exchanged, error, done. They queue on the model and are written in order
// by one Cmd at a time (finalize), never from Update itself.

// doneRecord is the transcript's "done" for a half: it passed only if the Item came by a verified
// webhook (or, against the Sandbox, the sign-up steps were seen), as the headless run judges it.
func (m model) doneRecord(h flows.Half) flows.Record {
	fin := m.session.fin
	if h == flows.HalfSignup {
		if m.c.em == nil {
			return flows.Record{"event": "done", "half": int(h), "passed": true}
		}
		fin = m.signup.fin
	}
	r := flows.Record{"event": "done", "half": int(h), "passed": fin.source == "webhook", "via": fin.source}
	if fin.source != "webhook" {
		r["reason"] = "the session finished, but no verified SESSION_FINISHED webhook arrived: the webhook path is broken"
	}
	return r
}

// record queues a transcript record (written in order by finalize).
func (m *model) record(r flows.Record) {
	if m.transcript == nil {
		return
	}
	m.records = append(m.records, r)
}

// recordEvent writes a receiver event as the headless run does (public tokens never in full).
func (m *model) recordEvent(ev webhook.Event) {
	switch ev.Kind {
	case webhook.EventWebhook:
		r := flows.Record{"event": "webhook", "seq": ev.Seq, "verified": ev.Verified, "duplicate": ev.Duplicate}
		if w := ev.Webhook; w != nil {
			r["webhook_type"], r["webhook_code"] = w.WebhookType, w.WebhookCode
			if w.Status != "" {
				r["status"] = w.Status
			}
			if w.LinkSessionID != "" {
				r["link_session_id"] = w.LinkSessionID
			}
			if n := len(flows.PublicTokens(ev)); n > 0 {
				r["public_token_count"] = n
			}
		}
		if !ev.Verified {
			r["reason"] = ev.Reason
		}
		m.record(r)
	case webhook.EventRejected:
		m.record(flows.Record{"event": "error", "step": "receiver",
			"message": fmt.Sprintf("the webhook receiver refused a request (HTTP %d): %s", ev.Status, ev.Reason)})
	case webhook.EventForward:
		if f := ev.Forward; f != nil {
			r := flows.Record{"event": "forwarded", "seq": f.Seq, "url": f.URL, "status_code": f.StatusCode,
				"latency_ms": f.Latency.Milliseconds()}
			if f.Err != "" {
				r["error"] = f.Err
			}
			m.record(r)
		}
	}
}

func (m *model) recordExchange(msg exchangedMsg) {
	via := m.session.fin.source
	if msg.half == flows.HalfSignup {
		via = m.signup.fin.source
	}
	accounts := make([]flows.Record, 0, len(msg.item.Accounts))
	for _, a := range msg.item.Accounts {
		acc := flows.Record{"account_id": a.ID, "name": a.Name, "mask": a.Mask, "type": a.Type, "subtype": a.Subtype}
		if a.Balance != nil {
			acc["balance_current"] = *a.Balance
		}
		accounts = append(accounts, acc)
	}
	m.record(flows.Record{"event": "public_token_exchanged", "half": int(msg.half), "item_id": msg.item.ItemID,
		"institution_id": msg.item.InstitutionID, "accounts": accounts, "via": via})
}
