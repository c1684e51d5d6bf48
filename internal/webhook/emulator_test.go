package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
	"github.com/plaid/plaid-go/v29/plaid"
)

// emuEnv is the emulator behind httptest, a plaid-go client for it, and our receiver on a Local
// tunnel verifying with keys fetched from the emulator through plaid-go.
type emuEnv struct {
	emu    *emulator.Emulator
	client *plaid.APIClient
	tun    *tunnel.Tunnel
	r      *webhook.Receiver
	v      *webhook.Verifier
}

func newEmuEnv(t *testing.T) *emuEnv {
	t.Helper()
	srv := emulatortest.New(t, emulatortest.WithConfig(emulator.Config{WebhookBackoff: 5 * time.Millisecond}))
	emu, client := srv.Emulator, srv.Client

	tun, err := tunnel.Local("", "")
	if err != nil {
		t.Fatal(err)
	}
	v := webhook.NewVerifier(webhook.PlaidKeySource(client))
	r := webhook.NewReceiver(webhook.ReceiverConfig{Verifier: v})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, tun.Listener) }()
	t.Cleanup(func() { cancel(); <-done; tun.Close() })
	return &emuEnv{emu: emu, client: client, tun: tun, r: r, v: v}
}

func (e *emuEnv) linkToken(t *testing.T) string {
	t.Helper()
	req := plaid.NewLinkTokenCreateRequest("Tunnel Test", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US},
		*plaid.NewLinkTokenCreateRequestUser("user-1"))
	req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetWebhook(e.tun.WebhookURL())
	hl := plaid.NewLinkTokenCreateHostedLink()
	hl.SetCompletionRedirectUri(e.tun.CompleteURL())
	req.SetHostedLink(*hl)
	resp, _, err := e.client.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/link/token/create: %v", err)
	}
	return resp.GetHostedLinkUrl()
}

// untilFinished reads webhook events up to and including SESSION_FINISHED; every one must verify.
func (e *emuEnv) untilFinished(t *testing.T) (all []webhook.Event, finished webhook.Event) {
	t.Helper()
	for {
		ev := webhook.NextEvent(t, e.r, webhook.EventWebhook, webhook.EventRejected)
		if ev.Kind == webhook.EventRejected {
			t.Fatalf("the receiver rejected an emulator webhook: %s (%s)", ev.Reason, ev.Body)
		}
		if !ev.Verified {
			t.Fatalf("emulator webhook %s not verified: %s", ev.Webhook.WebhookCode, ev.Reason)
		}
		all = append(all, ev)
		if ev.Webhook.WebhookCode == "SESSION_FINISHED" && !ev.Duplicate {
			return all, ev
		}
	}
}

// TestEmulatorWebhooksVerifyEndToEnd: the emulator signs, plaid-go fetches its key, our receiver
// verifies; then the Link Recovery path (outage, opt-in, bank back, e-mail link) delivers a verified
// SESSION_FINISHED with public tokens to the original webhook.
func TestEmulatorWebhooksVerifyEndToEnd(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()

	hosted := e.linkToken(t)
	if err := e.emu.CompleteSession(ctx, hosted, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	all, fin := e.untilFinished(t)
	if fin.Webhook.Status != "SUCCESS" || len(fin.Webhook.PublicTokens) != 1 || !fin.Actionable() {
		t.Fatalf("SESSION_FINISHED %+v", fin.Webhook)
	}
	if len(all) < 2 {
		t.Errorf("only %d webhooks before SESSION_FINISHED", len(all))
	}
	if n := e.v.KeyFetches(); n != 1 {
		t.Errorf("key fetched %d times for one signing key, want 1 (cached)", n)
	}

	// Link Recovery: the bank is down, the user opts in; when it is back the e-mail link finishes.
	hosted = e.linkToken(t)
	if err := e.emu.CompleteSession(ctx, hosted, emulator.Credentials{Username: emulator.UserGood,
		Password: emulator.PassInstitutionDown, Email: emulator.RecoveryEmail, Code: emulator.RecoveryCode}); err != nil {
		t.Fatal(err)
	}
	_, fin = e.untilFinished(t)
	if fin.Webhook.Status == "SUCCESS" || len(fin.Webhook.PublicTokens) != 0 {
		t.Fatalf("outage SESSION_FINISHED %+v", fin.Webhook)
	}
	mails, err := e.emu.RestoreInstitution("")
	if err != nil || len(mails) != 1 {
		t.Fatalf("RestoreInstitution: %d mails, %v", len(mails), err)
	}
	if err := e.emu.CompleteSession(ctx, mails[0].URL, emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	_, fin = e.untilFinished(t)
	if fin.Webhook.Status != "SUCCESS" || len(fin.Webhook.PublicTokens) != 1 || fin.Webhook.LinkToken != mails[0].LinkToken {
		t.Fatalf("recovery SESSION_FINISHED %+v (want SUCCESS, one public token, link token %s)", fin.Webhook, mails[0].LinkToken)
	}
}

// TestEmulatorDuplicatesAndKeyRotation: the emulator re-sends webhooks (marked duplicates, still
// verified) and rotates its key (an unknown kid makes the verifier fetch the new key).
func TestEmulatorDuplicatesAndKeyRotation(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	e.emu.SetWebhookFault(emulator.WebhookFault{Duplicate: 100})
	if err := e.emu.CompleteSession(ctx, e.linkToken(t), emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	_, fin := e.untilFinished(t)
	dup := webhook.NextEvent(t, e.r, webhook.EventWebhook)
	if !dup.Duplicate || !dup.Verified || dup.Actionable() || dup.Webhook.LinkSessionID != fin.Webhook.LinkSessionID {
		t.Fatalf("the re-sent SESSION_FINISHED: %+v", dup)
	}
	e.emu.SetWebhookFault(emulator.WebhookFault{})

	e.emu.RotateWebhookKey()
	if err := e.emu.CompleteSession(ctx, e.linkToken(t), emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	if _, fin := e.untilFinished(t); !fin.Actionable() {
		t.Fatalf("after rotation: %+v", fin)
	}
	if n := e.v.KeyFetches(); n != 2 {
		t.Errorf("key fetches = %d, want 2 (old key, then the rotated one)", n)
	}
}
