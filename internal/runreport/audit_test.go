package runreport

import (
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/internal/report"
)

// TestAuditRun: each case is a checklist line marked by its verdict and a webhook event that is
// verified unless the case forged it; the verdict fails when a case did.
func TestAuditRun(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	body := []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS","public_tokens":["public-sandbox-x"]}`)
	res := audit.Result{Passed: 1, Failed: 1, Warned: 1, Cases: []audit.CaseResult{
		{ID: audit.Genuine, Verdict: audit.Pass, Reason: "ok", Status: 200, Sent: audit.Message{Body: body}},
		{ID: audit.AlgNone, Verdict: audit.Fail, Reason: "acted on it", Forged: true, Fix: "refuse alg none", Sent: audit.Message{Body: body}},
		{ID: audit.Duplicate, Verdict: audit.Warn, Reason: "not seen", Sent: audit.Message{Body: body}},
	}}
	r := AuditRun("http://127.0.0.1:3000/hook", "http://127.0.0.1:8790", res, t0, t0.Add(2*time.Second))
	if r.Verdict == nil || r.Verdict.Passed || r.Verdict.Reason != "1 of 3 cases failed" || r.Webhook != "http://127.0.0.1:3000/hook" {
		t.Fatalf("verdict %+v webhook %q", r.Verdict, r.Webhook)
	}
	want := []struct{ done, failed bool }{{true, false}, {false, true}, {false, false}}
	for i, c := range r.Checklist {
		if c.Done != want[i].done || c.Failed != want[i].failed {
			t.Errorf("line %d %q: done %v failed %v, want %+v", i, c.Text, c.Done, c.Failed, want[i])
		}
	}
	if len(r.Events) != 3 {
		t.Fatalf("%d events, want a webhook per case", len(r.Events))
	}
	for i, e := range r.Events {
		w, ok := e.(report.Webhook)
		if !ok || w.Code != "SESSION_FINISHED" || w.PublicTokens != 1 || w.Verified == res.Cases[i].Forged {
			t.Errorf("event %d: %#v", i, e)
		}
	}
	if !(AuditRun("t", "p", audit.Result{Passed: 1, Cases: res.Cases[:1]}, t0, t0)).Verdict.Passed {
		t.Error("an audit with no failed case did not pass")
	}
}
