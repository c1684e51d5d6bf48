package emulatortest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
)

// TestServer: the client reaches the emulator with its keys, hosted links are under URL, the
// options are applied, and everything is shut when the test that made it ends.
func TestServer(t *testing.T) {
	var url string
	var wrapped, handled int
	t.Run("inner", func(t *testing.T) {
		s := emulatortest.New(t,
			emulatortest.WithConfig(emulator.Config{ClientID: "0123456789abcdef01234567"}),
			emulatortest.WithTransport(func(base http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) { wrapped++; return base.RoundTrip(r) })
			}),
			emulatortest.WithHandler(func(emu http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handled++; emu.ServeHTTP(w, r) })
			}))
		url = s.URL
		if s.Emulator.ClientID() != "0123456789abcdef01234567" {
			t.Errorf("WithConfig not applied: client id %q", s.Emulator.ClientID())
		}
		req := plaid.NewLinkTokenCreateRequest("harness", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		req.SetHostedLink(plaid.LinkTokenCreateHostedLink{})
		resp, _, err := s.Client.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute()
		if err != nil {
			t.Fatalf("/link/token/create through the harness client: %v", err)
		}
		if !strings.HasPrefix(resp.GetHostedLinkUrl(), s.URL+"/hosted-link/") {
			t.Errorf("hosted_link_url %q is not under %s", resp.GetHostedLinkUrl(), s.URL)
		}
		other := emulatortest.NewClient(t, s.URL, s.Emulator.ClientID(), "wrong-secret-000000000000000000")
		if _, _, err := other.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute(); err == nil {
			t.Errorf("NewClient with a wrong secret was accepted")
		}
	})
	if wrapped != 1 || handled != 2 {
		t.Errorf("transport wrapper saw %d calls (want 1), handler wrapper %d (want 2)", wrapped, handled)
	}
	if resp, err := http.Get(url + "/emulator/inbox.json"); err == nil {
		resp.Body.Close()
		t.Errorf("the server at %s still answers after its test ended", url)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
