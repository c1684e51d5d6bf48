package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// The webhook record carries its link_token, whole, so a script can check that the recovery's
// SESSION_FINISHED reached the original token; the public tokens stay a count.
func TestWebhookRecordCarriesLinkToken(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{GiveUp: true})
	_, _, evs := Step(r.s, at(time.Second), Received{finishedHook(3, true, "SUCCESS", mPub)})
	rec := RecordOf(evs[0])
	if rec["event"] != "webhook" || rec["link_token"] != mTok || rec["public_token_count"] != 1 || rec["link_session_id"] != "s-new" {
		t.Fatalf("webhook record = %v", rec)
	}
	seen := evs[0].Fact.(WebhookSeen)
	if seen.LinkToken != mTok || seen.Status != "SUCCESS" || seen.Code != "SESSION_FINISHED" {
		t.Errorf("fact = %+v", seen)
	}
}

// Records name their scenario; only Link Recovery's halves have a half.
func TestRecordsNameTheScenario(t *testing.T) {
	for _, sc := range Scenarios {
		info := sc.Info()
		rec := RecordOf(Event{At: m0, Scenario: info.Name, Half: info.Half, Fact: Done{Passed: true}})
		if rec["scenario"] != info.Name {
			t.Errorf("%s: done = %v", info.Name, rec)
		}
		if _, has := rec["half"]; has != (info.Half != 0) {
			t.Errorf("%s: done = %v, half only for the halves", info.Name, rec)
		}
	}
}

// Bodies in events are masked, inert and bounded, JSON or not.
func TestMaskBody(t *testing.T) {
	secret.Register("registered-secret-0123456789")
	b := MaskBody([]byte(`{"access_token":"access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6","public_tokens":["public-sandbox-1111-2222-3333-444444444444"],` +
		`"link_token":"link-sandbox-abc","note":"registered-secret-0123456789 \u001b]52;c;x\u0007"}`))
	for _, bad := range []string{"de3ce8ef-33f8", "public-sandbox-1111", "registered-secret-0123456789", "\x1b"} {
		if strings.Contains(b.Text, bad) {
			t.Errorf("masked body holds %q:\n%s", bad, b.Text)
		}
	}
	if !strings.Contains(b.Text, `"link_token": "link-sandbox-abc"`) || b.Cut {
		t.Errorf("masked body lost what it should keep:\n%s", b.Text)
	}
	// An empty list of public tokens (the person left Link) still reads as empty; each item of a
	// list under a secret name is hidden whole.
	eb := MaskBody([]byte(`{"status":"EXITED","public_tokens":[],"access_token":[{"t":"access-sandbox-de3ce8ef"}, 7]}`))
	if !strings.Contains(eb.Text, `"public_tokens": []`) || strings.Count(eb.Text, `"****"`) != 2 || strings.Contains(eb.Text, "de3ce8ef") || strings.Contains(eb.Text, "7\n") {
		t.Errorf("lists under secret names:\n%s", eb.Text)
	}
	raw := "not json \x1b[2J " + strings.Repeat("x", 2*MaxBody)
	nb := MaskBody([]byte(raw))
	if len(nb.Text) > MaxBody || !nb.Cut || nb.Size != len(raw) || strings.Contains(nb.Text, "\x1b") {
		t.Errorf("plain body: %d bytes, cut %v, size %d", len(nb.Text), nb.Cut, nb.Size)
	}
	big := `{"x":"` + strings.Repeat("é", MaxBody) + `"}`
	if bb := MaskBody([]byte(big)); len(bb.Text) > MaxBody || !bb.Cut || !strings.HasPrefix(bb.Text, "{") {
		t.Errorf("big JSON body: %d bytes, cut %v", len(bb.Text), bb.Cut)
	}
}

// How a run reports receiver events other than its own webhooks.
func TestReceiverEventRecords(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{GiveUp: true})
	var recs []Record
	for i, ev := range []webhook.Event{
		{Kind: webhook.EventForward, Forward: &webhook.ForwardResult{Seq: 7, URL: "http://127.0.0.1:9/x",
			Latency: 15 * time.Millisecond, Err: "connection refused"}},
		{Kind: webhook.EventWebhook, Seq: 8, Verified: true,
			Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: "link-other", PublicTokens: []string{mPub}}},
		{Kind: webhook.EventWebhook, Seq: 9, Reason: "signature does not match",
			Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "EVENTS", LinkToken: mTok}},
		{Kind: webhook.EventRejected, Status: 405, Reason: "method GET not allowed"},
		{Kind: webhook.EventComplete},
	} {
		var effs []Effect
		var evs []Event
		r.s, effs, evs = Step(r.s, at(time.Duration(i)*time.Second), Received{ev})
		if len(effs) != 0 {
			t.Errorf("event %d asked for %v", i, effs)
		}
		for _, e := range evs {
			if rec := RecordOf(e); rec != nil {
				recs = append(recs, rec)
			}
		}
	}
	var names []string
	for _, rec := range recs {
		names = append(names, rec["event"].(string))
	}
	if got := strings.Join(names, ","); got != "forwarded,webhook,webhook,error" {
		t.Fatalf("records = %v", got)
	}
	if f := recs[0]; f["seq"] != int64(7) || f["latency_ms"] != int64(15) || f["error"] != "connection refused" {
		t.Errorf("forwarded = %v", f)
	}
	if recs[1]["other_link_token"] != true || recs[2]["other_link_token"] != nil {
		t.Errorf("other_link_token: %v / %v", recs[1], recs[2])
	}
	if recs[2]["verified"] != false || recs[2]["reason"] != "signature does not match" {
		t.Errorf("unverified = %v", recs[2])
	}
	if e := recs[3]; e["step"] != "receiver" || !strings.Contains(e["message"].(string), "405") {
		t.Errorf("rejected = %v", e)
	}
	if r.s.Wait.WebhookSeq != 0 || r.s.Done() {
		t.Errorf("another token's SESSION_FINISHED moved the run: %+v", r.s.Wait)
	}
}

// The bank's name goes with its id wherever an Item is shown: its record and every screen (Bank).
func TestItemNamesItsBank(t *testing.T) {
	it := Item{ItemID: "item-1", InstitutionID: "ins_109511", InstitutionName: "Tartan Bank"}
	r := RecordOf(Event{Scenario: "session", Half: 2, Fact: ItemExchanged{Item: it, Via: "webhook"}})
	if r["institution_name"] != "Tartan Bank" || r["institution_id"] != "ins_109511" {
		t.Errorf("record = %v", r)
	}
	for _, c := range []struct{ name, id, want string }{
		{"Tartan Bank", "ins_109511", "Tartan Bank (ins_109511)"},
		{"", "ins_109511", "ins_109511"},
		{"Tartan Bank", "", "Tartan Bank"},
	} {
		if got := BankName(c.name, c.id); got != c.want {
			t.Errorf("BankName(%q, %q) = %q, want %q", c.name, c.id, got, c.want)
		}
	}
	it.InstitutionName = ""
	if r := RecordOf(Event{Fact: ItemExchanged{Item: it}}); r["institution_name"] != nil {
		t.Errorf("a record without a name says %v", r["institution_name"])
	}
}

// Without --auto the waiting record carries the credentials to type, in the cards' order.
func TestWaitingRecordCarriesCredentials(t *testing.T) {
	cards := SignupScenario{}.Info().Cards
	rec := RecordOf(Event{At: m0, Scenario: "signup", Half: 1, Fact: WaitingForPerson{URL: "http://127.0.0.1:1/hosted-link/x", Cards: cards}})
	creds, _ := rec["credentials"].([]Record)
	var n int
	for _, c := range cards {
		n += len(c.Items)
	}
	if len(creds) != n || n == 0 {
		t.Fatalf("credentials = %v, want %d", rec["credentials"], n)
	}
	first := cards[0].Items[0]
	if creds[0]["card"] != cards[0].Title || creds[0]["label"] != first.Label || creds[0]["value"] != first.Value {
		t.Errorf("first credential = %v, want %s %s %s", creds[0], cards[0].Title, first.Label, first.Value)
	}
}

// A run that passes says why in its done record, as a failed one does.
func TestDonePassedCarriesReason(t *testing.T) {
	r := newRun(t, SessionScenario{}, Options{GiveUp: true})
	st, _, _ := Step(r.s, at(time.Second), Received{finishedHook(3, true, "SUCCESS", mPub)})
	_, _, evs := Step(st, at(2*time.Second), Exchanged{Item: Item{ItemID: "item-1"}})
	for _, ev := range evs {
		if d, ok := ev.Fact.(Done); ok {
			rec := RecordOf(ev)
			if rec["passed"] != true || !strings.Contains(fmt.Sprint(rec["reason"]), "verified SESSION_FINISHED") {
				t.Errorf("done = %v (%+v)", rec, d)
			}
			return
		}
	}
	t.Fatalf("no done after the exchange: %v", evs)
}
