package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// inspectorFixture is the inspector open on three events: #3 (newest), #2, #1.
func inspectorFixture(t *testing.T, opts ...fixtureOption) *fixture {
	t.Helper()
	f := newFixture(t, true, 120, 40, opts...)
	f.tunnelUp()
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken2, evInstitutionDown)})
	f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken2, false)})
	f.send(webhookReceivedMsg{ev: sessionFinished(3, fixedToken2, true)})
	f.key("w")
	return f
}

func (f *fixture) selectedSeq() int64 { return f.m.inspector.items[f.m.inspector.sel].Seq }

// TestInspectorNewArrivalKeepsCursor: a webhook that comes in while one is being read is announced
// above the list; the cursor stays on the event being read; going up to it clears the notice.
func TestInspectorNewArrivalKeepsCursor(t *testing.T) {
	for _, start := range []int{0, 1} { // reading the newest, and reading an older one
		f := inspectorFixture(t)
		for i := 0; i < start; i++ {
			f.key("down")
		}
		before := f.selectedSeq()
		f.send(webhookReceivedMsg{ev: sessionFinished(4, fixedToken2, true)})
		if got := f.selectedSeq(); got != before {
			t.Fatalf("reading #%d, a new webhook moved the cursor to #%d", before, got)
		}
		if v := f.m.View(); !strings.Contains(v, "↑ 1 new above") {
			t.Fatalf("the new webhook is not announced:\n%s", v)
		}
		for f.m.inspector.sel > 0 {
			f.key("up")
		}
		if v := f.m.View(); strings.Contains(v, "new above") || f.selectedSeq() != 4 {
			t.Fatalf("at the top the notice stays, or the top is not the new one (#%d):\n%s", f.selectedSeq(), v)
		}
	}
}

// TestInspectorScrollResetsPerEntry: scrolling one event's JSON does not carry over to the next.
func TestInspectorScrollResetsPerEntry(t *testing.T) {
	f := newFixture(t, true, 80, 14)
	f.tunnelUp()
	f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
	f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken2, true)})
	f.key("w")
	f.key("pgdown")
	if f.m.inspector.vp.YOffset == 0 {
		t.Fatal("pgdown did not scroll the JSON (make the body longer than the pane)")
	}
	f.key("down")
	if y := f.m.inspector.vp.YOffset; y != 0 {
		t.Fatalf("the next entry opens scrolled to line %d", y)
	}
	f.key("pgdown")
	f.key("up")
	if y := f.m.inspector.vp.YOffset; y != 0 {
		t.Fatalf("the previous entry opens scrolled to line %d", y)
	}
}

// TestInspectorRefusedShowsBody: a refused request shows the body it sent, inert.
func TestInspectorRefusedShowsBody(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.tunnelUp()
	f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 1, At: t0, Status: 415,
		Reason: "Content-Type is text/plain, want application/json", Body: []byte("hello=forged\x1b]2;x\x07")}})
	f.key("w")
	v := f.m.View()
	if !strings.Contains(v, "the body it sent (18 bytes") || !strings.Contains(v, `(not JSON) hello=forged\x1b]2;x\x07`) {
		t.Fatalf("the refused request's body is not shown (inert):\n%s", v)
	}
}

// TestInspectorWrapsLongStringsWithIndent: a long value continues under its key, indented.
func TestInspectorWrapsLongStringsWithIndent(t *testing.T) {
	long := strings.Repeat("abcdefghij", 12)
	f := newFixture(t, true, 100, 30)
	f.tunnelUp()
	ev := webhookEvent(1, "EVENTS", true, `{"webhook_type":"LINK","webhook_code":"EVENTS","note":"`+long+`"}`, webhook.Webhook{})
	f.send(webhookReceivedMsg{ev: ev})
	f.key("w")
	content := f.m.inspector.vp.View()
	lines := strings.Split(ansi.Strip(content), "\n")
	at := -1
	for i, l := range lines {
		if ansi.StringWidth(l) > f.m.inspector.vp.Width {
			t.Fatalf("line %d is wider than the pane: %q", i, l)
		}
		if strings.HasPrefix(l, `  "note": "`) {
			at = i
		}
	}
	if at < 0 || at+1 >= len(lines) || !strings.HasPrefix(lines[at+1], "    ") || strings.HasPrefix(lines[at+1], "     ") {
		t.Fatalf("the long string does not continue indented by 4 under its key:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.ReplaceAll(strings.Join(lines, ""), " ", ""), long) {
		t.Fatalf("the long string is not all there:\n%s", strings.Join(lines, "\n"))
	}
}

// TestInspectorResendKey: R is offered only with --forward-to and a verified webhook selected, and
// then returns the Cmd that asks the receiver to relay it again.
func TestInspectorResendKey(t *testing.T) {
	f := inspectorFixture(t)
	if f.m.keys.Resend.Enabled() {
		t.Fatal("R is offered without --forward-to")
	}
	if cmd := f.key("R"); cmd != nil {
		t.Fatal("R without --forward-to did something")
	}
	f = inspectorFixture(t, withForwardTo("http://127.0.0.1:3000/plaid"))
	f.key("up") // #3, verified (the keys are settled after each Update)
	if !f.m.keys.Resend.Enabled() || !strings.Contains(f.m.View(), "R resend") {
		t.Fatalf("R not offered on a verified webhook:\n%s", f.m.View())
	}
	cmd := f.key("R")
	if cmd == nil {
		t.Fatal("R gave no Cmd")
	}
	// This fixture has no receiver: the Cmd says so instead of pretending.
	if msg, ok := cmd().(stepErrMsg); !ok || msg.step != "resend webhook #3" {
		t.Fatalf("resend without a receiver: %#v", msg)
	}
	f.key("down") // #2, not verified
	if f.m.keys.Resend.Enabled() || f.key("R") != nil {
		t.Fatal("R is offered on a webhook that was not verified")
	}
	// A second relay answer for #3 is counted.
	f.key("up")
	for i := 0; i < 2; i++ {
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventForward, Forward: &webhook.ForwardResult{Seq: 3, URL: "http://127.0.0.1:3000/plaid", StatusCode: 200}}})
	}
	if v := f.m.View(); !strings.Contains(v, "forwarded 2 times, last: 200") {
		t.Fatalf("the resend's answer is not shown:\n%s", v)
	}
}

// TestInspectorHistoryIsBounded: a flood of big webhooks (anyone who knows the webhook URL can send
// them) leaves the inspector with at most inspectorKeep events and inspectorKeepBytes of them, and
// no relay answers of events it no longer has; the header still counts every one, the title says
// how many are kept, and a cut body says so.
func TestInspectorHistoryIsBounded(t *testing.T) {
	for _, size := range []int{webhook.BodyKeep, 300} { // bodies the receiver cut, and small ones
		f := newFixture(t, true, 120, 40)
		f.tunnelUp()
		f.key("w")
		const n = 1200
		pad := strings.Repeat("x", size)
		for i := int64(1); i <= n; i++ {
			ev := webhookEvent(i, "SESSION_FINISHED", false, `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","pad":"`+pad, webhook.Webhook{})
			if size == webhook.BodyKeep {
				ev.BodySize = 1 << 20
			}
			f.send(webhookReceivedMsg{ev: ev})
			f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventForward, Seq: i + n,
				Forward: &webhook.ForwardResult{Seq: i, Skipped: true, Err: "not relayed: not verified"}}})
		}
		in := f.m.inspector
		held := 0
		for _, ev := range in.items {
			held += ev.Size()
		}
		if len(in.items) > inspectorKeep || held > inspectorKeepBytes || held != in.bytes {
			t.Fatalf("%d-byte bodies: the inspector holds %d events, %d bytes (it counts %d); at most %d and %d", size, len(in.items), held, in.bytes, inspectorKeep, inspectorKeepBytes)
		}
		if len(in.items) == 0 || in.items[0].Seq != n || len(in.forwards) > len(in.items) || len(in.relays) > len(in.items) {
			t.Fatalf("%d-byte bodies: newest #%d, %d relay answers for %d events", size, in.items[0].Seq, len(in.forwards), len(in.items))
		}
		v := ansi.Strip(f.m.View())
		if !strings.Contains(v, fmt.Sprintf("webhooks: %d", n)) || !strings.Contains(v, fmt.Sprintf("latest %d of %d", len(in.items), n)) {
			t.Errorf("%d-byte bodies: the header or the title does not say how many came and are kept:\n%s", size, v)
		}
		if size == webhook.BodyKeep && !strings.Contains(v, "(1048576 bytes; only the first 64 KiB kept)") {
			t.Errorf("%d-byte bodies: the cut body does not say so:\n%s", size, v)
		}
	}
}

// TestInspectorNamesRetries: a delivery that arrives again (Plaid's retry) says which attempt it is,
// in the list and above its body, so it does not read as an unexplained duplicate.
func TestInspectorNamesRetries(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.tunnelUp()
	first := sessionFinished(1, fixedToken2, true)
	first.Attempt = 1
	retry := sessionFinished(2, fixedToken2, true)
	retry.Attempt, retry.Duplicate = 2, true
	f.send(webhookReceivedMsg{ev: first})
	f.send(webhookReceivedMsg{ev: retry})
	f.key("w")
	v := ansi.Strip(f.m.View())
	if !strings.Contains(v, "SESSION_FINISHED (attempt 2)") || !strings.Contains(v, "attempt 2 (retry) · duplicate (ignored)") {
		t.Fatalf("the retry is not named as attempt 2:\n%s", v)
	}
	if strings.Contains(v, "SESSION_FINISHED (attempt 1)") {
		t.Fatalf("a first arrival is marked as an attempt:\n%s", v)
	}
}
