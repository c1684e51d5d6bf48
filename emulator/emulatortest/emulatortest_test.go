package emulatortest_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestOutsideModule (issue 20's "done when"): a module outside this one (testdata/outside, with its
// own go.mod and a replace of this module) imports emulatortest and drives a whole flow, an Advance
// past a Hosted Link URL's 30 minutes, an Expire of a public token and three retries 30 s, 2 min and
// 8 min apart on the emulator's clock. It runs as `go test` in that module, offline but for the
// module proxy (its go.sum is committed, so only modules this one already uses are fetched).
func TestOutsideModule(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH, so the outside module cannot be built: install Go to run this test")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "outside"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "test", "-count=1", "-v", "./...")
	cmd.Dir = dir
	// Its own module, not a workspace or this module's flags.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false -mod=readonly")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in %s: %v\n%s", dir, err, out)
	}
	for _, name := range []string{"TestWholeFlow", "TestHostedLinkURLExpires", "TestExpirePublicToken", "TestRetriesOnPlaidsSchedule"} {
		if !strings.Contains(string(out), "--- PASS: "+name) {
			t.Errorf("the outside module's %s did not pass:\n%s", name, out)
		}
	}
}
