package env

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/tunnel"
)

// envMap is a getenv over a fixed map, so tests never read the real environment.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeDotenv(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigEnvWinsOverDotenv(t *testing.T) {
	dot := writeDotenv(t, "PLAID_CLIENT_ID=from_file\nPLAID_SECRET=file_secret_0123456789\nNGROK_AUTHTOKEN=file_ngrok\n")
	cfg, err := LoadConfig(envMap(map[string]string{"PLAID_CLIENT_ID": "from_env", "PLAID_SECRET": "env_secret_0123456789"}), dot)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientID != "from_env" || cfg.Secret != "env_secret_0123456789" {
		t.Errorf("keys = %q/%q, want the environment's", cfg.ClientID, secret.Mask(cfg.Secret))
	}
	if cfg.NgrokAuthtoken != "file_ngrok" {
		t.Errorf("NGROK_AUTHTOKEN = %q, want the .env fallback", cfg.NgrokAuthtoken)
	}
	if cfg.Mode() != flows.ModeSandbox || cfg.PlaidEnv != "sandbox" {
		t.Errorf("mode %s env %q, want sandbox", cfg.Mode(), cfg.PlaidEnv)
	}
	if cfg.WebhookTimeout != flows.DefaultWebhookTimeout || cfg.TunnelDeadline != DefaultTunnelDeadline {
		t.Errorf("defaults not set: %v %v", cfg.WebhookTimeout, cfg.TunnelDeadline)
	}
}

func TestLoadConfigDotenvOnly(t *testing.T) {
	dot := writeDotenv(t, "# quickstart style\nPLAID_CLIENT_ID=abc\nPLAID_SECRET=\"def_0123456789abcdef\"\nPLAID_ENV=sandbox\nPLAID_BASE_URL=http://127.0.0.1:9999/\n")
	cfg, err := LoadConfig(envMap(nil), dot)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientID != "abc" || cfg.Secret != "def_0123456789abcdef" {
		t.Errorf("keys from .env not read: %q", cfg.ClientID)
	}
	if cfg.PlaidURL != "http://127.0.0.1:9999" {
		t.Errorf("PlaidURL = %q, want trailing slash trimmed", cfg.PlaidURL)
	}
}

func TestLoadConfigNoKeysIsDemo(t *testing.T) {
	cfg, err := LoadConfig(envMap(nil), filepath.Join(t.TempDir(), "absent.env"))
	if err != nil {
		t.Fatalf("absent .env must be ignored: %v", err)
	}
	if cfg.Mode() != flows.ModeDemo {
		t.Errorf("mode = %s, want demo", cfg.Mode())
	}
}

func TestLoadConfigRefusals(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want []string // all must appear in the error
	}{
		{"production", map[string]string{"PLAID_ENV": "production"}, []string{"production", "Sandbox only", "PLAID_ENV=sandbox"}},
		{"development", map[string]string{"PLAID_ENV": "Development"}, []string{"development", "refused"}},
		{"unknown env", map[string]string{"PLAID_ENV": "staging"}, []string{"staging", "PLAID_ENV=sandbox"}},
		{"secret missing", map[string]string{"PLAID_CLIENT_ID": "id"}, []string{"PLAID_SECRET is not"}},
		{"client id missing", map[string]string{"PLAID_SECRET": "s"}, []string{"PLAID_CLIENT_ID is not"}},
		{"base url without keys", map[string]string{"PLAID_BASE_URL": "http://127.0.0.1:1"}, []string{"PLAID_BASE_URL", "keys"}},
		{"bad base url", map[string]string{"PLAID_CLIENT_ID": "a", "PLAID_SECRET": "b", "PLAID_BASE_URL": "sandbox.plaid.com"}, []string{"PLAID_BASE_URL", "not an http(s) URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(envMap(c.env), "")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if s := c.env["PLAID_SECRET"]; s != "" && len(s) > 4 && strings.Contains(err.Error(), s) {
				t.Errorf("error shows the secret")
			}
		})
	}
}

func TestLoadConfigBrokenDotenv(t *testing.T) {
	dir := t.TempDir() // a directory where a file is expected: unreadable as .env
	_, err := LoadConfig(envMap(nil), dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("want an error naming %s, got %v", dir, err)
	}
}

func TestValidateFlags(t *testing.T) {
	keys := Config{ClientID: "id", Secret: "secret"}
	cases := []struct {
		name string
		mod  func(*Config)
		want string // "" means valid
	}{
		{"ok", func(*Config) {}, ""},
		{"webhook url without listen", func(c *Config) { c.WebhookURL = "https://x.example" }, "--listen"},
		{"webhook url not a url", func(c *Config) { c.WebhookURL = "x.example/hook"; c.Listen = "127.0.0.1:1" }, "--webhook-url"},
		{"webhook url ok", func(c *Config) { c.WebhookURL = "https://x.example"; c.Listen = "127.0.0.1:8080" }, ""},
		{"bad listen", func(c *Config) { c.Listen = "8080" }, "host:port"},
		{"bad forward", func(c *Config) { c.ForwardTo = "localhost:3000" }, "--forward-to"},
		{"public host with scheme", func(c *Config) { c.PublicHost = "http://192.168.1.2" }, "--public-host"},
		{"public host with port", func(c *Config) { c.PublicHost = "192.168.1.2:80" }, "--public-host"},
		{"public host ipv6", func(c *Config) { c.PublicHost = "fe80::1" }, ""},
		{"production", func(c *Config) { c.PlaidEnv = "production" }, "Sandbox only"},
		{"forward unverified alone", func(c *Config) { c.ForwardUnverified = true }, "--forward-unverified needs --forward-to"},
		{"forward unverified ok", func(c *Config) { c.ForwardUnverified = true; c.ForwardTo = "http://localhost:3000/hook" }, ""},
		{"only plaid ips behind ngrok", func(c *Config) { c.OnlyPlaidIPs = true }, ""},
		{"only plaid ips behind own tunnel", func(c *Config) {
			c.OnlyPlaidIPs = true
			c.WebhookURL = "https://x.example"
			c.Listen = "127.0.0.1:8080"
		}, "built-in ngrok tunnel only"},
		{"only plaid ips in demo", func(c *Config) { c.OnlyPlaidIPs = true; c.ClientID, c.Secret = "", "" }, "real Sandbox only"},
		{"only plaid ips against an emulator", func(c *Config) { c.OnlyPlaidIPs = true; c.PlaidURL = "http://127.0.0.1:4000" }, "real Plaid Sandbox"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := keys
			c.mod(&cfg)
			err := cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error mentioning %q, got %v", c.want, err)
			}
		})
	}
}

func TestConfigPrintsNoSecrets(t *testing.T) {
	secret, ngrok := "plaid-secret-value-0123456789", "ngrok-token-value-0123456789"
	c := Config{ClientID: "client-1", Secret: secret, NgrokAuthtoken: ngrok}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, secret[4:len(secret)-4]) || strings.Contains(out, ngrok[4:len(ngrok)-4]) {
			t.Errorf("%s leaks: %s", verb, out)
		}
		if !strings.Contains(out, "client-1") || !strings.Contains(out, "sandbox") {
			t.Errorf("%s hides too much: %s", verb, out)
		}
	}
	// Nested in another value too (e.g. a struct holding the Config).
	if out := fmt.Sprintf("%+v", struct{ C Config }{c}); strings.Contains(out, secret) {
		t.Errorf("nested leaks: %s", out)
	}
}

// TestOnlyPlaidIPsReceiverConfig: --only-plaid-ips gives the receiver Plaid's documented webhook
// addresses, and X-Forwarded-For is believed behind ngrok only (anyone can write it elsewhere).
func TestOnlyPlaidIPsReceiverConfig(t *testing.T) {
	e := &Env{cfg: Config{OnlyPlaidIPs: true}}
	rc := e.receiverConfig(tunnel.ProviderNgrok)
	if len(rc.AllowWebhookFrom) != len(tunnel.PlaidWebhookCIDRs) || !rc.TrustForwardedFor {
		t.Fatalf("ngrok: %d prefixes, trust %v", len(rc.AllowWebhookFrom), rc.TrustForwardedFor)
	}
	for _, ip := range []string{"52.21.26.131", "52.21.47.157", "52.41.247.19", "52.88.82.239"} {
		if !slices.ContainsFunc(rc.AllowWebhookFrom, func(p netip.Prefix) bool { return p.Contains(netip.MustParseAddr(ip)) }) {
			t.Errorf("Plaid's documented address %s is not allowed", ip)
		}
	}
	for _, p := range []tunnel.Provider{tunnel.ProviderURL, tunnel.ProviderLocal} {
		if rc := e.receiverConfig(p); rc.TrustForwardedFor {
			t.Errorf("%s: X-Forwarded-For trusted", p)
		}
	}
	if rc := (&Env{}).receiverConfig(tunnel.ProviderNgrok); rc.AllowWebhookFrom != nil {
		t.Errorf("without the flag: %v", rc.AllowWebhookFrom)
	}
}

// TestLoadConfigSaysWhereKeysCameFrom: the header names the environment, the .env file, or both.
func TestLoadConfigSaysWhereKeysCameFrom(t *testing.T) {
	dir := t.TempDir()
	dot := filepath.Join(dir, ".env")
	if err := os.WriteFile(dot, []byte("PLAID_CLIENT_ID=fromfile0001\nPLAID_SECRET=fromfilesecret0001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, dot},
		{map[string]string{"PLAID_CLIENT_ID": "a", "PLAID_SECRET": "b"}, "the environment"},
		{map[string]string{"PLAID_CLIENT_ID": "a"}, "the environment and " + dot},
	} {
		c, err := LoadConfig(func(k string) string { return tt.env[k] }, dot)
		if err != nil {
			t.Fatal(err)
		}
		if c.KeysFrom != tt.want {
			t.Errorf("env %v: KeysFrom %q, want %q", tt.env, c.KeysFrom, tt.want)
		}
	}
}

// Every secret a Config holds is registered for masking: the keys and each URL setting's
// password, as typed (percent-escapes and all) and decoded; a URL without one adds nothing.
func TestConfigSecretsIncludeURLPasswords(t *testing.T) {
	c := Config{Secret: "plaid-secret-value", NgrokAuthtoken: "ngrok-token-value",
		ForwardTo: "https://relay:p%40ss@127.0.0.1:9/hook?x=1", WebhookURL: "https://user@example.com/webhook",
		RedirectURI: "https://:only-pw@example.com/done", PlaidURL: "http://127.0.0.1:1"}
	got := c.Secrets()
	for _, want := range []string{"plaid-secret-value", "ngrok-token-value", "p%40ss", "p@ss", "only-pw"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() = %q, lacks %q", got, want)
		}
	}
	if slices.Contains(got, "user") || slices.Contains(got, "relay") {
		t.Errorf("Secrets() = %q holds a user name", got)
	}
}

// A .env that godotenv cannot parse is refused with the file, the line and the key, never the
// value: godotenv's own message quotes the rest of the file from the bad line on.
func TestLoadConfigDotenvErrorsNeverQuoteValues(t *testing.T) {
	const plaidSecret, ngrokToken, later = "abcdef0123456789abcdef01", "2abcDEFghijk_LMNOPqrstuv", "later-secret-value-99"
	cases := []struct {
		name, content string
		want          []string
	}{
		{"unterminated quote", "PLAID_CLIENT_ID=abc\nPLAID_SECRET=\"" + plaidSecret + "\nNGROK_AUTHTOKEN=" + later + "\n",
			[]string{"line 2", "(PLAID_SECRET)", "no closing \""}},
		{"unterminated single quote", "# keys\n\nexport PLAID_SECRET='" + plaidSecret + "\n",
			[]string{"line 3", "(PLAID_SECRET)", "no closing '"}},
		{"token line without =", "PLAID_ENV=sandbox\nNGROK_AUTHTOKEN " + ngrokToken + "\nPLAID_SECRET=" + later + "\n",
			[]string{"line 2", "(NGROK_AUTHTOKEN)", "no '='"}},
		{"token alone on a line", "PLAID_ENV=sandbox\n" + ngrokToken + "\n",
			[]string{"line 2", "no '='"}},
		{"bad name", "PLAID_ENV=sandbox\r\nPLAID-SECRET=" + plaidSecret + "\r\n",
			[]string{"line 2", "name before '='"}},
		{"value after a closed multi-line quote", "A=\"one\ntwo\"\nNGROK_AUTHTOKEN " + ngrokToken + "\n",
			[]string{"line 3", "(NGROK_AUTHTOKEN)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dot := writeDotenv(t, c.content)
			_, err := LoadConfig(envMap(nil), dot)
			if err == nil {
				t.Fatal("LoadConfig accepted the file")
			}
			msg := err.Error()
			for _, secretish := range []string{plaidSecret, ngrokToken, later, plaidSecret[:8], ngrokToken[:8]} {
				if strings.Contains(msg, secretish) {
					t.Errorf("the error quotes a value (%q): %s", secretish, msg)
				}
			}
			for _, w := range append(c.want, dot) {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q: %s", w, msg)
				}
			}
			if c.name == "token alone on a line" && strings.Contains(msg, "line 2 (") {
				t.Errorf("a lone word was shown as a key: %s", msg)
			}
		})
	}
}
