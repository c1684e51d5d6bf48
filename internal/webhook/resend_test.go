package webhook

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestResend relays a verified webhook again, as it came, and refuses what was not verified.
func TestResend(t *testing.T) {
	kr := newKeyring(t)
	type got struct{ body, verification string }
	gotc := make(chan got, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotc <- got{string(b), r.Header.Get("Plaid-Verification")}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL + "/plaid"})
	base := serve(t, r)
	body := sessionFinished("rs")
	h := kr.sign(t, "kid-good", body, time.Now())
	post(t, base+"/webhook", "application/json", h, body)
	wh := nextEvent(t, r, EventWebhook)
	nextEvent(t, r, EventForward)
	<-gotc

	if err := r.Resend(wh.Seq); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	fw := nextEvent(t, r, EventForward)
	select {
	case g := <-gotc:
		if g.body != string(body) || g.verification != h {
			t.Fatalf("resent %+v, want the body and header as they came", g)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the resend never reached the app")
	}
	if fw.Forward == nil || fw.Forward.Seq != wh.Seq || fw.Forward.StatusCode != http.StatusNoContent {
		t.Fatalf("resend result %+v", fw.Forward)
	}

	post(t, base+"/webhook", "application/json", "", sessionFinished("rs2"))
	bad := nextEvent(t, r, EventWebhook)
	if err := r.Resend(bad.Seq); err == nil || !strings.Contains(err.Error(), "not a verified webhook") {
		t.Fatalf("resending an unverified webhook: %v", err)
	}
	if err := r.Resend(999); err == nil {
		t.Fatal("resending an unknown event did not fail")
	}
	if err := NewReceiver(ReceiverConfig{}).Resend(1); !errors.Is(err, ErrNoForwardTarget) {
		t.Fatalf("no target: %v", err)
	}
}
