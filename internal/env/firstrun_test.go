package env

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Only the Sandbox, or an emulator on a loopback or private address, may stand in as Plaid.
func TestPlaidBaseURLSandboxOnly(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://sandbox.plaid.com", true},
		{"https://SANDBOX.plaid.com/", true},
		{"https://sandbox.plaid.com:443", true},
		{"http://sandbox.plaid.com", false}, // the Sandbox is https only
		{"https://production.plaid.com", false},
		{"https://development.plaid.com", false},
		{"https://sandbox.plaid.com.evil.example", false},
		{"https://plaid.com", false},
		{"https://example.com", false},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://192.168.1.20:8080", true}, // an emulator on the LAN
		{"http://10.0.0.5:8080", true},
		{"http://172.16.3.4:8080", true},
		{"http://[fd00::1]:8080", true},
		{"http://169.254.1.1:8080", true},
		{"http://8.8.8.8:8080", false},
		{"http://emulator.local:8080", false}, // names are not resolved
	} {
		c := Config{ClientID: "id", Secret: "secret-0123456789", PlaidURL: strings.TrimRight(tc.url, "/")}
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.url, err, tc.ok)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), "PLAID_BASE_URL") || !strings.Contains(err.Error(), "sandbox.plaid.com")) {
			t.Errorf("%s: %v does not name the variable and the Sandbox", tc.url, err)
		}
		// LoadConfig refuses the same, from the environment.
		_, lerr := LoadConfig(envMap(map[string]string{EnvClientID: "id", EnvSecret: "secret-0123456789", EnvPlaidBaseURL: tc.url}), "")
		if (lerr == nil) != tc.ok {
			t.Errorf("%s: LoadConfig = %v, want ok=%v", tc.url, lerr, tc.ok)
		}
	}
}

// Without NGROK_AUTHTOKEN, the token comes from ngrok's own config file, and the Config says so.
func TestLoadConfigNgrokConfigFile(t *testing.T) {
	home := t.TempDir()
	p := filepath.Join(home, ".ngrok2", "ngrok.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("authtoken: tok_from_ngrok_file_0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(envMap(map[string]string{"HOME": home}), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NgrokAuthtoken != "tok_from_ngrok_file_0123456789" || cfg.NgrokAuthtokenSource != "~/.ngrok2/ngrok.yml" {
		t.Fatalf("token %q from %q", secret.Mask(cfg.NgrokAuthtoken), cfg.NgrokAuthtokenSource)
	}
	if strings.Contains(cfg.String(), "tok_from_ngrok_file_0123456789") || !strings.Contains(cfg.String(), "~/.ngrok2/ngrok.yml") {
		t.Errorf("String: %s", cfg)
	}
	// The variable wins, and says so.
	cfg, _ = LoadConfig(envMap(map[string]string{"HOME": home, EnvNgrokAuthtoken: "tok_env_0123456789"}), "")
	if cfg.NgrokAuthtoken != "tok_env_0123456789" || cfg.NgrokAuthtokenSource != tunnel.TokenSourceEnv {
		t.Fatalf("token %q from %q", secret.Mask(cfg.NgrokAuthtoken), cfg.NgrokAuthtokenSource)
	}
	// A broken file does not stop the app; the tunnel says what is wrong with it.
	os.WriteFile(p, []byte("authtoken: [unclosed\n"), 0o600)
	cfg, err = LoadConfig(envMap(map[string]string{"HOME": home, EnvClientID: "id", EnvSecret: "secret-0123456789"}), "")
	if err != nil || cfg.NgrokAuthtoken != "" || !strings.Contains(cfg.NgrokConfigProblem, p) {
		t.Fatalf("err %v, problem %q", err, cfg.NgrokConfigProblem)
	}
	cfg.PlaidURL = "https://sandbox.plaid.com"
	env, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	_, err = env.OpenTunnel(context.Background())
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "ngrok config check") {
		t.Fatalf("tunnel error %v", err)
	}
}

// skewedPlaid answers every call as Plaid would (a JSON error body does as well as any) with a
// Date header offset from now by skew.
func skewedPlaid(t *testing.T, now time.Time, skew time.Duration, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		d := now.Add(skew)
		if n > 1 {
			d = now // only the first answer counts
		}
		w.Header().Set("Date", d.UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error_type":"INVALID_INPUT","error_code":"INVALID_LINK_TOKEN","error_message":"x","display_message":null,"request_id":"r"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClockSkewFromPlaidDate(t *testing.T) {
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now } // injected: the test never reads the wall clock
	for _, tc := range []struct {
		skew time.Duration
		want string // in the warning; "" for none
	}{
		{0, ""},
		{29 * time.Second, ""},
		{-30 * time.Second, ""},
		{2*time.Minute + 5*time.Second, "your clock is 2m5s behind Plaid's"},
		{-45 * time.Second, "your clock is 45s ahead of Plaid's"},
	} {
		var calls atomic.Int32
		srv := skewedPlaid(t, now, tc.skew, &calls)
		c, check := newPlaidClient(srv.URL, "id", "secret", clock, nil)
		env := &Env{clock: check}
		if _, ok := env.ClockSkew(); ok {
			t.Fatal("skew known before Plaid answered")
		}
		for i := 0; i < 2; i++ {
			_, _, _ = c.PlaidApi.LinkTokenGet(context.Background()).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest("link-sandbox-x")).Execute()
		}
		skew, ok := env.ClockSkew()
		if !ok || skew != tc.skew {
			t.Errorf("skew %s: got %s (known %v)", tc.skew, skew, ok)
		}
		w := env.ClockWarning()
		if (tc.want == "") != (w == "") || !strings.Contains(w, tc.want) {
			t.Errorf("skew %s: warning %q, want %q", tc.skew, w, tc.want)
		}
		if w != "" && !strings.Contains(w, "sync the clock") {
			t.Errorf("no next step in %q", w)
		}
	}
}
