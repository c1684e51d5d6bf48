package webhook

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// bigUnsigned is an unsigned webhook of about size bytes whose fields are as long as a sender
// likes: a webhook_code of 256 KiB and 100 public tokens of 2 KiB, then padding.
func bigUnsigned(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"webhook_type":"LINK","webhook_code":"` + strings.Repeat("C", 256<<10) + `","public_tokens":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"public-sandbox-` + strings.Repeat("t", 2<<10) + `"`)
	}
	b.WriteString(`],"pad":"`)
	b.WriteString(strings.Repeat("x", max(0, size-b.Len()-2)))
	b.WriteString(`"}`)
	return b.Bytes()
}

// TestReceiverKeepsBoundedEvents: an unsigned webhook of about 1 MiB (the most the receiver
// accepts) leaves an event that holds at most BodyKeep bytes of its body, in an array of its own,
// and fields cut to what a Plaid webhook could hold, so Recent and Events stay small however many
// come. The receiver used to keep every body whole: 200 of them in Recent, 256 more on Events.
func TestReceiverKeepsBoundedEvents(t *testing.T) {
	kr := newKeyring(t)
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), Keep: 3})
	base := serve(t, r)
	body := bigUnsigned(MaxBodyBytes - 100)
	for range 5 {
		if st := post(t, base+"/webhook", "application/json", "", body); st != http.StatusUnauthorized {
			t.Fatalf("an unsigned webhook: HTTP %d, want 401", st)
		}
	}
	recent := r.Recent()
	if len(recent) != 3 {
		t.Fatalf("Recent holds %d events, want Keep = 3", len(recent))
	}
	for _, ev := range recent {
		if ev.Kind != EventWebhook || ev.Verified || ev.Webhook == nil {
			t.Fatalf("event %+v", ev)
		}
		if len(ev.Body) != BodyKeep || cap(ev.Body) > BodyKeep+4<<10 || !bytes.Equal(ev.Body, body[:BodyKeep]) {
			t.Errorf("#%d keeps %d bytes of body in an array of %d, want its first %d in an array of their own", ev.Seq, len(ev.Body), cap(ev.Body), BodyKeep)
		}
		if ev.BodySize != len(body) || !ev.BodyCut() {
			t.Errorf("#%d: BodySize %d, cut %v; want %d, true", ev.Seq, ev.BodySize, ev.BodyCut(), len(body))
		}
		w := ev.Webhook
		if len(w.WebhookCode) > maxFieldBytes || len(w.PublicTokens) > maxTokens || len(w.PublicTokens[0]) > maxFieldBytes {
			t.Errorf("#%d keeps a %d-byte webhook_code and %d tokens of %d bytes", ev.Seq, len(w.WebhookCode), len(w.PublicTokens), len(w.PublicTokens[0]))
		}
		if n := ev.Size(); n > BodyKeep+(7+maxTokens)*maxFieldBytes+len(ev.Reason) {
			t.Errorf("#%d holds %d bytes", ev.Seq, n)
		}
	}
}

// TestReceiverVerifiesAndRelaysTheWholeBody: only what is kept is bounded, not what is checked: a
// signed webhook bigger than BodyKeep verifies (the SHA-256 is of the whole body), keeps its fields
// whole, and reaches --forward-to whole; its event keeps the first BodyKeep bytes, and Resend says
// why it cannot relay it again.
func TestReceiverVerifiesAndRelaysTheWholeBody(t *testing.T) {
	kr := newKeyring(t)
	got := make(chan []byte, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		got <- b
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL})
	base := serve(t, r)
	session := strings.Repeat("s", 2<<10)
	sf := sessionFinished(session)
	body := append(sf[:len(sf)-1], `,"pad":"`+strings.Repeat("x", 200<<10)+`"}`...) // cut its "}", pad it
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body); st != http.StatusOK {
		t.Fatalf("a signed %d-byte webhook: HTTP %d, want 200", len(body), st)
	}
	ev := nextEvent(t, r, EventWebhook)
	if !ev.Verified || ev.Webhook.LinkSessionID != session || len(ev.Body) != BodyKeep || ev.BodySize != len(body) {
		t.Fatalf("event: verified %v, session id of %d bytes, body %d of %d (%s)", ev.Verified, len(ev.Webhook.LinkSessionID), len(ev.Body), ev.BodySize, ev.Reason)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, body) {
			t.Fatalf("--forward-to got %d bytes, want the whole %d-byte body", len(b), len(body))
		}
	case <-time.After(testWait):
		t.Fatal("the webhook was not relayed")
	}
	if err := r.Resend(ev.Seq); err == nil || !strings.Contains(err.Error(), "only the first 64 KiB are kept") {
		t.Fatalf("Resend of a cut body: %v", err)
	}
}

// TestBigBodiesTakeTurnsSmallOnesDoNot: bodies that may be over BodyKeep are read a few at a time
// (each takes up to MaxBodyBytes while it is verified), so connections that stall mid-body hold
// slots, not memory; a webhook of Plaid's size never waits for a slot.
func TestBigBodiesTakeTurnsSmallOnesDoNot(t *testing.T) {
	kr := newKeyring(t)
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr)})
	base := serve(t, r)
	host := strings.TrimPrefix(base, "http://")
	var stalled []net.Conn
	for range bigBodySlots + 2 {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, c)
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", host, MaxBodyBytes)
	}
	waitSlots := func(want int) {
		t.Helper()
		deadline := time.After(testWait)
		for len(r.bigSlots) != want {
			select {
			case <-deadline:
				t.Fatalf("%d big-body slots taken, want %d", len(r.bigSlots), want)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	waitSlots(bigBodySlots) // the first bigBodySlots stall in their bodies, the rest wait
	body := sessionFinished("small")
	if st := post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body); st != http.StatusOK {
		t.Fatalf("a small webhook while the slots are taken: HTTP %d, want 200", st)
	}
	for _, c := range stalled {
		c.Close()
	}
	waitSlots(0)
	big := bigUnsigned(BodyKeep * 2)
	if st := post(t, base+"/webhook", "application/json", "", big); st != http.StatusUnauthorized {
		t.Fatalf("a big unsigned webhook once the slots are free: HTTP %d, want 401", st)
	}
}
