package tunnel

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"golang.ngrok.com/ngrok"
	"golang.org/x/net/http/httpproxy"
)

// ngrokModule is ngrok-go's module path, to read its version from the build info.
const ngrokModule = "golang.ngrok.com/ngrok"

// ngrokLibVersion is the ngrok-go version this binary is built with (go.mod pins v1.12.1).
var ngrokLibVersion = moduleVersion(ngrokModule, "1.12.1")

// appVersion is linkrecovery's own version: the module version `go install ...@vX` stamps, else
// the VCS revision, else "devel".
var appVersion = func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}()

func moduleVersion(path, fallback string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil && d.Replace.Version != "" {
					return strings.TrimPrefix(d.Replace.Version, "v")
				}
				return strings.TrimPrefix(d.Version, "v")
			}
		}
	}
	return fallback
}

// clientInfo identifies us to ngrok. ngrok-go sends the *first* client info's type and version as
// the session's ClientType and Version (session.go in v1.12.1: `Version: cfg.ClientInfo[0].Version`,
// `ClientType: cfg.ClientInfo[0].Type`), and ngrok checks that version against the minimum agent
// version it enforces on free accounts (ERR_NGROK_121). So the first entry stays what an
// unmodified ngrok-go sends, "ngrok-go" at its real version, and linkrecovery names itself in the
// user agent: "ngrok-go/1.12.1 (linkrecovery/v0.3.0) ngrok-go/1.12.1". Our own version ("devel",
// v0.x) in that field would read as an ancient agent.
func clientInfo() ngrok.ConnectOption {
	return ngrok.WithClientInfo("ngrok-go", ngrokLibVersion, "linkrecovery/"+appVersion)
}

// NgrokProxyFromEnv is the proxy for reaching the ngrok server, from HTTPS_PROXY, ALL_PROXY and
// NO_PROXY (either case) as net/http reads them for plaid-go's calls, so one setting serves both.
// server is host:port; nil means connect directly. Like net/http it never proxies loopback.
func NgrokProxyFromEnv(getenv func(string) string, server string) (*url.URL, error) {
	if server == "" {
		server = "connect.ngrok-agent.com:443"
	}
	get := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := httpproxy.Config{
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
	}
	if cfg.HTTPSProxy == "" {
		// ngrok's own agent reads ALL_PROXY style socks5 URLs too; net/http does not, but a user who
		// set only ALL_PROXY means it for everything.
		cfg.HTTPSProxy = get("ALL_PROXY", "all_proxy")
	}
	u, err := cfg.ProxyFunc()(&url.URL{Scheme: "https", Host: server})
	if err != nil {
		return nil, &Error{Provider: ProviderNgrok, Cause: "HTTPS_PROXY is not a valid proxy URL: " + err.Error(),
			Next: "set HTTPS_PROXY to http://host:port (or socks5://host:port), or unset it", Err: err}
	}
	return u, nil
}

// proxyOption routes the ngrok session through p. ngrok-go's WithProxyURL knows only socks5 (it
// hands the URL to x/net/proxy.FromURL, which has no http scheme unless one is registered), so an
// http(s) proxy gets our CONNECT dialer instead.
func proxyOption(p *url.URL) (ngrok.ConnectOption, error) {
	switch p.Scheme {
	case "socks5", "socks5h":
		return ngrok.WithProxyURL(p), nil
	case "http", "https":
		return ngrok.WithDialer(&connectDialer{proxy: p}), nil
	}
	return nil, &Error{Provider: ProviderNgrok,
		Cause: fmt.Sprintf("the proxy %s has scheme %q; ngrok can go through http, https or socks5 proxies", p.Redacted(), p.Scheme),
		Next:  "set HTTPS_PROXY to http://host:port (or socks5://host:port), or unset it"}
}

// connectDialer opens TCP connections through an HTTP proxy with CONNECT (RFC 9110 §9.3.6), the
// way net/http tunnels https through HTTPS_PROXY. ngrok then runs its own TLS inside the tunnel.
type connectDialer struct {
	proxy *url.URL
}

// Dial implements ngrok.Dialer.
func (d *connectDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext implements ngrok.Dialer.
func (d *connectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host := d.proxy.Host
	if d.proxy.Port() == "" {
		port := "80"
		if d.proxy.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(d.proxy.Hostname(), port)
	}
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", d.proxy.Redacted(), err)
	}
	if d.proxy.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: d.proxy.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("proxy %s: %w", d.proxy.Redacted(), err)
		}
		conn = tc
	}
	// The whole CONNECT exchange is bounded by ctx (ngrok-go's session context).
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := d.proxy.User; u != nil {
		pw, _ := u.Password()
		req.SetBasicAuth(u.Username(), pw)
		req.Header.Set("Proxy-Authorization", req.Header.Get("Authorization"))
		req.Header.Del("Authorization")
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: sending CONNECT: %w", d.proxy.Redacted(), err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: reading the CONNECT answer: %w", d.proxy.Redacted(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy %s refused CONNECT %s: %s", d.proxy.Redacted(), addr, resp.Status)
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, fmt.Errorf("proxy %s sent data before the tunnel was up", d.proxy.Redacted())
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// FreePlanNote is what the user is told when the tunnel is ngrok's free plan: ngrok serves its
// "You are about to visit" page before the first browser page load on the endpoint
// (https://ngrok.com/abuse, "Browser Warning"), so the phone meets it on the way to /complete.
// Plaid's webhook POSTs are not browsers and are not affected.
const FreePlanNote = "ngrok free plan: the phone first sees ngrok's \"You are about to visit\" page; tap Visit Site to reach /complete"

// FreePlan says whether the tunnel is on ngrok's free plan: from the plan name the session reported
// (its wording is not documented, so any name with "free" in it), or from the domain: free
// endpoints are served on ngrok-free.app and ngrok-free.dev.
func (t *Tunnel) FreePlan() bool {
	if t == nil || t.Provider != ProviderNgrok {
		return false
	}
	if strings.Contains(strings.ToLower(t.Plan), "free") {
		return true
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return strings.HasSuffix(h, ".ngrok-free.app") || strings.HasSuffix(h, ".ngrok-free.dev")
}
