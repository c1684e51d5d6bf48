// Package outside stands for another project's tests of its Plaid code: they import only the
// exported API of emulatortest and emulator, as any module can.
package outside

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
)

// handler is "our" webhook handler: it exchanges every public token of SESSION_FINISHED. It
// answers 503 to the first failTimes deliveries whose webhook_code is failCode.
type handler struct {
	client    *plaid.APIClient
	failCode  string
	failTimes int
	mu        sync.Mutex
	failed    int
	items     []string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var wh struct {
		Code   string   `json:"webhook_code"`
		Tokens []string `json:"public_tokens"`
	}
	_ = json.Unmarshal(body, &wh)
	h.mu.Lock()
	fail := wh.Code == h.failCode && h.failed < h.failTimes
	if fail {
		h.failed++
	}
	h.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	for _, tok := range wh.Tokens {
		ex, _, err := h.client.PlaidApi.ItemPublicTokenExchange(r.Context()).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(tok)).Execute()
		if err == nil {
			h.mu.Lock()
			h.items = append(h.items, ex.ItemId)
			h.mu.Unlock()
		}
	}
}

func newHandler(t *testing.T, s *emulatortest.Server, failCode string, failTimes int) (*handler, string) {
	h := &handler{client: s.Client, failCode: failCode, failTimes: failTimes}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL + "/plaid/webhook"
}

func hostedLink(t *testing.T, s *emulatortest.Server, webhook string) plaid.LinkTokenCreateResponse {
	t.Helper()
	req := plaid.NewLinkTokenCreateRequest("Outside App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u1"))
	if webhook != "" {
		req.SetWebhook(webhook)
	}
	req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	resp, _, err := s.Client.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/link/token/create: %v", err)
	}
	return resp
}

// TestWholeFlow: Hosted Link to SESSION_FINISHED, and our handler exchanges its token once.
func TestWholeFlow(t *testing.T) {
	s := emulatortest.New(t)
	h, hook := newHandler(t, s, "", 0)
	lt := hostedLink(t, s, hook)
	if err := s.Emulator.CompleteSession(context.Background(), lt.GetHostedLinkUrl(), emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	s.Emulator.Advance(0)
	all := s.Emulator.AllExchangeAttempts()
	if len(h.items) != 1 || len(all) != 1 || !all[0].OK {
		t.Fatalf("handler exchanged %v; the emulator saw %+v", h.items, all)
	}
}

// TestHostedLinkURLExpires: Advance past the URL's 30 minutes; the session can no longer start.
func TestHostedLinkURLExpires(t *testing.T) {
	s := emulatortest.New(t)
	lt := hostedLink(t, s, "")
	s.Emulator.Advance(30*time.Minute + time.Second)
	if err := s.Emulator.CompleteSession(context.Background(), lt.GetHostedLinkUrl(), emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err == nil {
		t.Fatal("a Hosted Link URL 30 minutes old still worked")
	}
	resp, err := http.Get(lt.GetHostedLinkUrl())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("the expired URL answers HTTP %d, want 410", resp.StatusCode)
	}
}

// TestExpirePublicToken: Expire makes the exchange fail as Plaid's does for an expired token.
func TestExpirePublicToken(t *testing.T) {
	s := emulatortest.New(t)
	ctx := context.Background()
	pt, _, err := s.Client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
		*plaid.NewSandboxPublicTokenCreateRequest(emulator.DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_AUTH})).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Emulator.Expire(pt.PublicToken); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
	pe, perr := plaid.ToPlaidError(err)
	if err == nil || perr != nil || pe.ErrorCode != "INVALID_PUBLIC_TOKEN" {
		t.Fatalf("exchange after Expire: %v %+v", err, pe)
	}
}

// TestRetriesOnPlaidsSchedule: our handler refuses EVENTS three times; the three retries arrive
// exactly 30 s, 2 min and 8 min after the attempt before, on the emulator's clock, never earlier.
func TestRetriesOnPlaidsSchedule(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := emulatortest.New(t, emulatortest.WithConfig(emulator.Config{Now: func() time.Time { return start }}))
	h, hook := newHandler(t, s, "EVENTS", 3)
	lt := hostedLink(t, s, hook)
	if err := s.Emulator.CompleteSession(context.Background(), lt.GetHostedLinkUrl(), emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}); err != nil {
		t.Fatal(err)
	}
	s.Emulator.Advance(0)
	events := func() emulator.Delivery {
		for _, d := range s.Emulator.Deliveries() {
			if d.WebhookCode == "EVENTS" {
				return d
			}
		}
		t.Fatal("no EVENTS delivery")
		return emulator.Delivery{}
	}
	for i, wait := range []time.Duration{30 * time.Second, 2 * time.Minute, 8 * time.Minute} {
		s.Emulator.Advance(wait - time.Second)
		if n := events().Attempts; n != i+1 {
			t.Fatalf("retry %d arrived early: %d attempts %s before it was due", i+1, n, time.Second)
		}
		s.Emulator.Advance(time.Second)
		log := events().AttemptLog
		if len(log) != i+2 {
			t.Fatalf("retry %d did not arrive %s after the attempt before", i+1, wait)
		}
		if got := log[i+1].At.Sub(log[i].At); got != wait {
			t.Fatalf("retry %d came %s after the attempt before, want %s", i+1, got, wait)
		}
	}
	if d := events(); d.State != "delivered" || d.AttemptLog[3].At.Sub(start) != 10*time.Minute+30*time.Second {
		t.Errorf("EVENTS %s, last attempt at +%s, want delivered at +10m30s", d.State, d.AttemptLog[3].At.Sub(start))
	}
	if h.failed != 3 || len(h.items) != 1 {
		t.Errorf("handler refused %d and exchanged %d Item(s), want 3 and 1", h.failed, len(h.items))
	}
}
