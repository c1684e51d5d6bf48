package env

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Config is everything the app is started with (environment, .env and flags).
type Config struct {
	ClientID string // PLAID_CLIENT_ID
	KeysFrom string // where PLAID_CLIENT_ID/PLAID_SECRET came from: "the environment" or the .env path
	Secret   string // PLAID_SECRET (never shown in full)
	PlaidEnv string // PLAID_ENV: "sandbox" (default); "production" is refused
	// PlaidURL overrides the Plaid base URL (PLAID_BASE_URL): a sandbox run pointed at an emulator
	// started with `linkrecovery emulator`, for tests and for trying the real-mode screens offline.
	PlaidURL string

	NgrokAuthtoken string // NGROK_AUTHTOKEN, else from ngrok's own config file
	// NgrokAuthtokenSource says where NgrokAuthtoken came from, for the header: "NGROK_AUTHTOKEN",
	// the .env path, or ngrok's config file (e.g. ~/.config/ngrok/ngrok.yml).
	NgrokAuthtokenSource string
	// NgrokConfigProblem is why ngrok's config file could not be read, when it exists but is broken
	// and no token was found elsewhere; the tunnel error quotes it.
	NgrokConfigProblem string
	NgrokServer        string // ngrok server address override (tests)
	TunnelDeadline     time.Duration
	WebhookURL         string // --webhook-url: the user's own public URL (then Listen is required)
	Listen             string // --listen: where the receiver listens
	PublicHost         string // --public-host: build demo URLs with this host and listen on all interfaces
	ForwardTo          string // --forward-to: relay verified webhooks to the developer's own app
	// ForwardUnverified (--forward-unverified) relays every webhook, verified or not, for testing
	// your own handler's verification.
	ForwardUnverified bool
	// OnlyPlaidIPs (--only-plaid-ips) accepts /webhook only from Plaid's documented webhook addresses
	// (behind the ngrok tunnel only); /complete stays open for the phone.
	OnlyPlaidIPs bool
	RedirectURI  string // --redirect-uri: completion_redirect_uri (default: the receiver's /complete)

	WebhookTimeout time.Duration // how long half 2 waits for SESSION_FINISHED before polling (default 3 min)

	// DebugLog, when set (LINKRECOVERY_DEBUG), gets a line per Plaid call, webhook and tunnel
	// event; never a secret or a token.
	DebugLog *log.Logger
	// Products are the link token's products (--products; nil: DefaultProducts).
	Products []string
	// Clock stamps inputs and runs deadlines (nil: the wall clock); tests pass a fake one.
	Clock Clock
}

// Mode says which mode a Config selects: sandbox when both keys are set, else demo.
func (c Config) Mode() flows.Mode {
	if c.ClientID != "" && c.Secret != "" {
		return flows.ModeSandbox
	}
	return flows.ModeDemo
}

// Defaults for the timings a Config leaves at zero.
const (
	DefaultTunnelDeadline = 15 * time.Second
)

// DefaultProducts are the link token's products unless --products says otherwise: auth, as in
// Plaid's own Hosted Link sample. (transactions would make the Item send TRANSACTIONS webhooks to
// this run's webhook URL for as long as it lives, long after the run.)
var DefaultProducts = []string{"auth"}

// ParseProducts reads a comma-separated --products list, checking each against Plaid's products.
func ParseProducts(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !plaid.Products(p).IsValid() {
			return nil, fmt.Errorf("--products: %q is not a Plaid product; use a comma-separated list such as auth or auth,transactions", p)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("--products is empty; give at least one product, e.g. --products auth")
	}
	return out, nil
}

// The environment variables LoadConfig reads (as Plaid's Quickstart names them).
const (
	EnvClientID       = "PLAID_CLIENT_ID"
	EnvSecret         = "PLAID_SECRET"
	EnvPlaidEnv       = "PLAID_ENV"
	EnvPlaidBaseURL   = "PLAID_BASE_URL"
	EnvNgrokAuthtoken = "NGROK_AUTHTOKEN"
)

// LoadConfig reads PLAID_CLIENT_ID, PLAID_SECRET, PLAID_ENV, PLAID_BASE_URL and NGROK_AUTHTOKEN from
// getenv, falling back to a .env file at dotenvPath (ignored when absent). It refuses production.
// A nil getenv means os.Getenv; an empty dotenvPath means no .env file. Values in the environment
// win over the .env file, as in Plaid's Quickstart. Flags are set on the result by the caller, who
// then calls Validate.
func LoadConfig(getenv func(string) string, dotenvPath string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var dot map[string]string
	if dotenvPath != "" {
		// No .env is the normal case (demo mode, or keys in the environment): dot stays nil.
		var err error
		if dot, err = readDotenv(dotenvPath); err != nil {
			return Config{}, err
		}
	}
	get := func(k string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return strings.TrimSpace(dot[k])
	}

	// Where the keys came from, for the header: a developer with keys in both places should see
	// which won.
	var from []string
	for _, k := range []string{EnvClientID, EnvSecret} {
		src := "the environment"
		if strings.TrimSpace(getenv(k)) == "" {
			src = dotenvPath
		}
		if len(from) == 0 || from[0] != src {
			from = append(from, src)
		}
	}
	cfg := Config{
		KeysFrom:             strings.Join(from, " and "),
		NgrokAuthtokenSource: ngrokSource(getenv, dot, dotenvPath),
		ClientID:             get(EnvClientID),
		Secret:               get(EnvSecret),
		PlaidEnv:             strings.ToLower(get(EnvPlaidEnv)),
		PlaidURL:             strings.TrimRight(get(EnvPlaidBaseURL), "/"),
		NgrokAuthtoken:       get(EnvNgrokAuthtoken),
		TunnelDeadline:       DefaultTunnelDeadline,
		WebhookTimeout:       flows.DefaultWebhookTimeout,
	}
	switch cfg.PlaidEnv {
	case "", "sandbox":
		cfg.PlaidEnv = "sandbox"
	case "production", "development":
		return Config{}, fmt.Errorf("%s=%s is refused: this tool is for the Plaid Sandbox only; set %s=sandbox and use your Sandbox keys",
			EnvPlaidEnv, cfg.PlaidEnv, EnvPlaidEnv)
	default:
		return Config{}, fmt.Errorf("%s=%q is not an environment this tool knows; set %s=sandbox (or leave it unset)",
			EnvPlaidEnv, cfg.PlaidEnv, EnvPlaidEnv)
	}
	switch {
	case cfg.ClientID != "" && cfg.Secret == "":
		return Config{}, fmt.Errorf("%s is set but %s is not: set both (Sandbox keys from https://dashboard.plaid.com/team/keys), or neither for the local demo",
			EnvClientID, EnvSecret)
	case cfg.ClientID == "" && cfg.Secret != "":
		return Config{}, fmt.Errorf("%s is set but %s is not: set both (Sandbox keys from https://dashboard.plaid.com/team/keys), or neither for the local demo",
			EnvSecret, EnvClientID)
	}
	if err := cfg.validateBaseURL(); err != nil {
		return Config{}, err
	}
	if cfg.NgrokAuthtoken == "" {
		// Most ngrok users ran `ngrok config add-authtoken` once and never set the variable. A broken
		// file does not stop the app (demo mode needs no token): the tunnel error quotes it.
		tok, path, err := tunnel.NgrokConfigAuthtoken(getenv, runtime.GOOS)
		switch {
		case err != nil:
			cfg.NgrokConfigProblem = err.Error()
		case tok != "":
			cfg.NgrokAuthtoken = tok
			cfg.NgrokAuthtokenSource = tunnel.ShortPath(path, homeDir(getenv))
		}
	}
	return cfg, nil
}

// ngrokSource names where NGROK_AUTHTOKEN came from, or "" if it is not set there.
func ngrokSource(getenv func(string) string, dot map[string]string, dotenvPath string) string {
	switch {
	case strings.TrimSpace(getenv(EnvNgrokAuthtoken)) != "":
		return tunnel.TokenSourceEnv
	case strings.TrimSpace(dot[EnvNgrokAuthtoken]) != "":
		return dotenvPath
	}
	return ""
}

// homeDir is the home directory as getenv tells it, for showing paths as ~/...
func homeDir(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		return getenv("USERPROFILE")
	}
	return getenv("HOME")
}

// Validate checks a Config once flags are applied, naming the bad value and what to do.
func (c Config) Validate() error {
	if (c.ClientID == "") != (c.Secret == "") {
		missing := EnvSecret
		if c.ClientID == "" {
			missing = EnvClientID
		}
		return fmt.Errorf("%s is missing: set both %s and %s, or neither for the local demo", missing, EnvClientID, EnvSecret)
	}
	switch strings.ToLower(c.PlaidEnv) {
	case "", "sandbox":
	default:
		return fmt.Errorf("%s=%s is refused: this tool is for the Plaid Sandbox only; set %s=sandbox", EnvPlaidEnv, c.PlaidEnv, EnvPlaidEnv)
	}
	if err := c.validateBaseURL(); err != nil {
		return err
	}
	if c.WebhookURL != "" {
		if err := checkURL("--webhook-url", c.WebhookURL); err != nil {
			return err
		}
		if c.Listen == "" {
			return errors.New("--webhook-url needs --listen: say where your tunnel forwards to (e.g. --listen 127.0.0.1:8080)")
		}
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("--listen %q is not host:port (%v); use e.g. --listen 127.0.0.1:8080", c.Listen, err)
		}
	}
	if c.ForwardTo != "" {
		if err := checkURL("--forward-to", c.ForwardTo); err != nil {
			return err
		}
	}
	if c.ForwardUnverified && c.ForwardTo == "" {
		return errors.New("--forward-unverified needs --forward-to: the URL of your app to relay webhooks to")
	}
	if c.OnlyPlaidIPs {
		// The source address is known only behind the built-in ngrok tunnel (its X-Forwarded-For).
		// Behind your own tunnel every request comes from the tunnel's local address, and the
		// emulator's webhooks come from loopback: the flag would refuse everything there.
		switch {
		case c.Mode() == flows.ModeDemo:
			return errors.New("--only-plaid-ips works against the real Sandbox only (Plaid's webhook addresses); drop it in demo mode")
		case c.WebhookURL != "":
			return errors.New("--only-plaid-ips works with the built-in ngrok tunnel only: behind your own tunnel every request seems to come from the tunnel itself; restrict source addresses in your tunnel instead, or drop --webhook-url")
		case plaidIsLocal(c.PlaidURL):
			return errors.New("--only-plaid-ips needs the real Plaid Sandbox: webhooks from an emulator at " + c.PlaidURL + " do not come from Plaid's addresses; drop the flag or PLAID_BASE_URL")
		}
	}
	if c.RedirectURI != "" {
		if err := checkURL("--redirect-uri", c.RedirectURI); err != nil {
			return err
		}
	}
	if c.PublicHost != "" {
		h := c.PublicHost
		if strings.ContainsAny(h, "/ ") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
			return fmt.Errorf("--public-host %q must be a bare host name or IP address (no scheme, port or path), e.g. --public-host 192.168.1.20", h)
		}
	}
	if c.WebhookTimeout < 0 || c.TunnelDeadline < 0 {
		return errors.New("timeouts must not be negative")
	}
	return nil
}

func (c Config) validateBaseURL() error {
	if c.PlaidURL == "" {
		return nil
	}
	if err := checkURL(EnvPlaidBaseURL, c.PlaidURL); err != nil {
		return err
	}
	if err := checkSandboxHost(c.PlaidURL); err != nil {
		return err
	}
	if c.ClientID == "" {
		// The override only means something with keys: without them the app runs its own emulator.
		return fmt.Errorf("%s is set but the keys are not: set %s and %s too (an emulator started with `linkrecovery emulator` prints its keys), or unset %s for the local demo",
			EnvPlaidBaseURL, EnvClientID, EnvSecret, EnvPlaidBaseURL)
	}
	return nil
}

// checkURL says clearly what is wrong with a URL-valued setting. (Whether Plaid accepts a plain
// http URL is Plaid's call: its INVALID_FIELD answer, with its hint, says so better than a guess.)
func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%s %q is not an http(s) URL; give it as https://host[:port]", name, raw)
	}
	return nil
}

// plaidSandboxHost is the only Plaid host this tool talks to (plaid-go's plaid.Sandbox).
const plaidSandboxHost = "sandbox.plaid.com"

// checkSandboxHost refuses every Plaid base URL but the Sandbox's and an emulator's: a loopback or
// private address (the emulator on this machine or the LAN). production.plaid.com, or any other
// public host, would send real keys and real bank logins somewhere this tool was never meant to go.
func checkSandboxHost(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == plaidSandboxHost {
		if u.Scheme != "https" {
			return fmt.Errorf("%s=%s is refused: the Plaid Sandbox is https only; use https://%s (or unset %s)", EnvPlaidBaseURL, raw, plaidSandboxHost, EnvPlaidBaseURL)
		}
		return nil
	}
	if isLoopbackHost(host) || isPrivateHost(host) {
		return nil
	}
	return fmt.Errorf("%s=%s is refused: this tool talks only to the Plaid Sandbox (https://%s) or to an emulator on a loopback or private address; unset %s to use the Sandbox",
		EnvPlaidBaseURL, raw, plaidSandboxHost, EnvPlaidBaseURL)
}

// isPrivateHost says whether host is a private or link-local IP address (an emulator on the LAN).
// Names are not resolved: a name could point anywhere, so only the Sandbox's and localhost pass.
func isPrivateHost(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast())
}

// isLoopbackHost says whether host is this machine (the emulator standing in for Plaid).
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Secrets are the Config's secret values, to register with internal/secret so that they are masked
// wherever they turn up: PLAID_SECRET, NGROK_AUTHTOKEN, and the password of each URL-valued setting
// (a --forward-to https://user:pass@host/ would otherwise show in the debug log's start line and
// in every forward line), as typed and decoded.
func (c Config) Secrets() []string {
	out := []string{c.Secret, c.NgrokAuthtoken}
	for _, raw := range []string{c.ForwardTo, c.WebhookURL, c.RedirectURI, c.PlaidURL} {
		out = append(out, urlPasswords(raw)...)
	}
	return out
}

// urlPasswords is the password in raw's userinfo as written (percent-escapes and all) and decoded,
// or nothing.
func urlPasswords(raw string) []string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	authority, _, _ := strings.Cut(rest, "/")
	authority, _, _ = strings.Cut(authority, "?")
	authority, _, _ = strings.Cut(authority, "#")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return nil
	}
	_, written, ok := strings.Cut(authority[:at], ":")
	if !ok || written == "" {
		return nil
	}
	out := []string{written}
	if decoded, err := url.PathUnescape(written); err == nil && decoded != written {
		out = append(out, decoded)
	}
	return out
}

// String describes the Config with its secrets masked, so that printing one with %v or %+v (in a
// log, a panic, a test failure) cannot leak PLAID_SECRET or NGROK_AUTHTOKEN.
func (c Config) String() string {
	return fmt.Sprintf("{Mode:%s ClientID:%s Secret:%s PlaidEnv:%s PlaidURL:%s NgrokAuthtoken:%s (from %s) NgrokServer:%s TunnelDeadline:%s WebhookURL:%s Listen:%s PublicHost:%s ForwardTo:%s ForwardUnverified:%t OnlyPlaidIPs:%t RedirectURI:%s WebhookTimeout:%s}",
		c.Mode(), c.ClientID, secret.Mask(c.Secret), c.PlaidEnv, c.PlaidURL, secret.Mask(c.NgrokAuthtoken), c.NgrokAuthtokenSource, c.NgrokServer, c.TunnelDeadline,
		c.WebhookURL, c.Listen, c.PublicHost, c.ForwardTo, c.ForwardUnverified, c.OnlyPlaidIPs, c.RedirectURI, c.WebhookTimeout)
}

// GoString is String for %#v, which would otherwise print the fields raw.
func (c Config) GoString() string { return "flows.Config" + c.String() }
