package runreport

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/internal/report"
)

// AuditRun is the report of an audit: one checklist line per case (its verdict, reason and what
// was exchanged) and, as the run's events, each webhook the audit sent the handler, with whether
// it was genuine. plaidURL is the emulator the handler's Plaid client used.
func AuditRun(target, plaidURL string, res audit.Result, started, ended time.Time) report.Run {
	r := report.Run{Scenario: "audit", Title: "Audit of " + target, Mode: report.ModeDemo, PlaidURL: plaidURL,
		Webhook: target, Started: started, Ended: ended}
	for _, c := range res.Cases {
		text := fmt.Sprintf("%s: %s, %s (HTTP %d, %s; %d exchange attempts)", c.ID, c.Verdict, c.Reason, c.Status,
			c.Latency.Round(time.Millisecond), len(c.Exchanged))
		if c.Verdict != audit.Pass {
			text += ". Fix: " + c.Fix
		}
		r.Checklist = append(r.Checklist, report.Check{Text: text, Done: c.Verdict == audit.Pass, Failed: c.Verdict == audit.Fail})
		r.Add(auditWebhook(c))
	}
	v := &report.Verdict{Passed: !res.AnyFailed()}
	if !v.Passed {
		v.Reason = fmt.Sprintf("%d of %d cases failed", res.Failed, len(res.Cases))
	}
	r.Verdict = v
	return r
}

// auditWebhook is the webhook a case sent, as the report shows webhooks: verified unless the case
// forged it.
func auditWebhook(c audit.CaseResult) report.Webhook {
	var body struct {
		Type         string   `json:"webhook_type"`
		Code         string   `json:"webhook_code"`
		Status       string   `json:"status"`
		LinkToken    string   `json:"link_token"`
		Session      string   `json:"link_session_id"`
		PublicTokens []string `json:"public_tokens"`
	}
	_ = json.Unmarshal(c.Sent.Body, &body) // a case's body is the audit's own JSON
	w := report.Webhook{Type: body.Type, Code: body.Code, Status: body.Status, LinkToken: body.LinkToken,
		LinkSessionID: body.Session, PublicTokens: len(body.PublicTokens), Verified: !c.Forged, Body: c.Sent.Body}
	if c.Forged {
		w.Reason = "forged on purpose (" + c.ID + ")"
	}
	return w
}
